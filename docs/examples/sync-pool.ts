import { Once, Runtime, Semaphore, sleep } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 1 });
  const connections = new Semaphore(2, { name: "db" }); // at most two queries at once
  const setup = new Once({ name: "schema" });
  let schema = "";

  function* query(id: number) {
    // Every query needs the schema; the first caller loads it, the others wait for it.
    yield* setup.do(function* load() {
      yield* sleep(3);
      schema = "v2";
      out.push(`schema ${schema} loaded by query ${id} at ${rt.now().toFixed(0)} ms`);
    });
    yield* connections.acquire();
    try {
      yield* sleep(10);
      out.push(`query ${id} done at ${rt.now().toFixed(0)} ms`);
    } finally {
      connections.release();
    }
  }

  for (let id = 1; id <= 4; id++) rt.spawn(query, id);
  rt.run();
  return out;
}
// expect: schema v2 loaded by query 1 at 3 ms | query 1 done at 13 ms | query 2 done at 13 ms | query 3 done at 23 ms | query 4 done at 23 ms

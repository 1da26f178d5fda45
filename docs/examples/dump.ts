import { Channel, Runtime, call, coro, sleep } from "cprime-coro";

const lookup = coro({ name: "lookup", locals: { key: "u32", tries: "i32" } }, function* (f, key: number, replies: Channel<number>) {
  f.key = key;
  f.tries = 1;
  return (yield* replies.recv()).value ?? -1; // blocks: nobody ever replies
});

const handler = coro({ name: "handler", locals: { id: "i32" }, calls: [lookup] }, function* (f, id: number, replies: Channel<number>) {
  f.id = id;
  return yield* call(lookup, id * 10, replies);
});

export function main(): string[] {
  const rt = new Runtime({ name: "server" });
  let text = "";
  // The monitor is spawned before the channel exists, so the leak detector knows it cannot hold it.
  rt.spawn(function* monitor() {
    yield* sleep(5);
    const dump = rt.dump();
    // Keep the lines that do not depend on addresses.
    text = String(dump)
      .split("\n")
      .filter((l) => !l.includes("@0x"))
      .join("\n");
    for (const report of rt.deadlocks()) text += `\n${report.kind}: ${report.message}`;
  });
  const replies = new Channel<number>(0, { name: "replies" });
  rt.spawn(handler, 7, replies);
  try {
    rt.run();
  } catch (e) {
    text += `\n${(e as Error).name}`;
  }
  return text.split("\n");
}
// expect: cprime-coro dump of server at 5 ms virtual (15000120 model cycles): 2 live coroutines |  | coroutine #1 monitor [running] |  | coroutine #2 handler [blocked, 5 ms]: recv on Channel#1 "replies" (capacity 0) | unreachable: nobody that can still run reaches Channel#1 "replies" (capacity 0): #2 handler: recv on Channel#1 "replies" (capacity 0) | DeadlockError

import { Runtime, scope, sleep } from "cprime-coro";

// Go's errgroup with SetLimit, as a scope: fetch pages two at a time; the first failure cancels the rest.
export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 1 });
  const pages: Record<string, number> = { "/a": 30, "/b": 10, "/broken": 15, "/c": 40 };

  const result = rt.run(function* crawl() {
    try {
      return yield* scope(
        function* (s) {
          const sizes = new Map<string, number>();
          for (const [url, ms] of Object.entries(pages)) {
            s.spawn(function* fetch() {
              out.push(`start ${url} at ${rt.now().toFixed(0)} ms`);
              try {
                yield* sleep(ms); // the "network"
                if (url === "/broken") throw new Error(`GET ${url}: 500`);
                sizes.set(url, ms * 100);
              } finally {
                if (!sizes.has(url) && url !== "/broken") out.push(`cancelled ${url}`);
              }
            });
          }
          return sizes; // the scope returns this once every fetch has ended
        },
        { limit: 2, name: "crawl" },
      );
    } catch (e) {
      return `failed: ${(e as Error).message} at ${rt.now().toFixed(0)} ms`;
    }
  });
  out.push(String(result));
  return out;
}
// expect: start /a at 0 ms | start /b at 0 ms | start /broken at 10 ms | cancelled /a | failed: GET /broken: 500 at 25 ms

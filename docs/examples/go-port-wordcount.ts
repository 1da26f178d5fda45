import { Channel, Mutex, Runtime, TimeoutError, forEach, recv, scope, select, send, sleep, withTimeout } from "cprime-coro";

// A small real Go program ported line for line: a worker pool under errgroup, a context deadline, a mutex-protected map.
// The Go original is in the comments; each TypeScript line sits under the Go line it ports.
const files = ["a.go", "b.ts", "c.go", "d.md", "e.ts", "f.go", "slow.go", "g.md"];
const costMs = (f: string): number => (f.startsWith("slow") ? 100 : 5 + f.length); // the "disk"
const ext = (f: string): string => f.slice(f.lastIndexOf(".") + 1);

export function main(): string[] {
  const out: string[] = [];
  for (const deadlineMs of [200, 40]) {
    const rt = new Runtime({ seed: 1 });
    const result = rt.run(function* wordcount() {
      // ctx, cancel := context.WithTimeout(context.Background(), deadline); defer cancel()
      try {
        return yield* withTimeout(
          deadlineMs,
          // g, ctx := errgroup.WithContext(ctx)
          scope(function* (g) {
            const ctx = g.context;
            // jobs := make(chan string)
            const jobs = new Channel<string>(0, { name: "jobs" });
            // var mu sync.Mutex; counts := map[string]int{}
            const mu = new Mutex({ name: "counts" });
            const counts = new Map<string, number>();
            // g.Go(func() error { defer close(jobs); for _, f := range files { select { case jobs <- f: case <-ctx.Done(): return ctx.Err() } }; return nil })
            g.spawn(function* producer() {
              try {
                for (const f of files) {
                  const r = yield* select([send(jobs, f), recv(ctx.done())]);
                  if (r.index === 1) throw ctx.err();
                }
              } finally {
                jobs.close();
              }
            });
            // for w := 0; w < 3; w++ { g.Go(func() error { for f := range jobs { time.Sleep(cost(f)); mu.Lock(); counts[ext(f)]++; mu.Unlock() }; return nil }) }
            for (let w = 0; w < 3; w++) {
              g.spawn(function* worker() {
                yield* forEach(jobs, function* (f) {
                  yield* sleep(costMs(f));
                  yield* mu.lock();
                  counts.set(ext(f), (counts.get(ext(f)) ?? 0) + 1);
                  mu.unlock();
                });
              });
            }
            // if err := g.Wait(); err != nil { return err }  (the scope returns when every child has ended)
            return counts;
          }),
        );
      } catch (e) {
        // fmt.Println("error:", err)
        if (e instanceof TimeoutError) return `error: deadline exceeded at ${rt.now().toFixed(0)} ms`;
        throw e;
      }
    });
    // fmt.Println(counts)
    out.push(typeof result === "string" ? result : [...result].map(([k, n]) => `${k}:${n}`).join(" "));
  }
  return out;
}
// expect: go:4 ts:2 md:2 | error: deadline exceeded at 40 ms

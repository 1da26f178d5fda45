import { Runtime, TimeoutError, after, recv, scope, select, withTimeout } from "cprime-coro";

// Go-style code that passes cancellation down: workers select on ctx.done(); a deadline bounds the whole job.
export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 1 });

  rt.run(function* job() {
    try {
      yield* withTimeout(
        25,
        scope(function* (s) {
          const ctx = s.context;
          out.push(`deadline ${ctx.deadline?.toFixed(0)} ms`);
          for (const [name, every] of [
            ["fast", 10],
            ["slow", 20],
          ] as const) {
            s.spawn(function* worker() {
              for (;;) {
                const r = yield* select([recv(ctx.done()), after(every)]);
                if (r.index === 0) {
                  out.push(`${name} stops: ${(ctx.err() as Error).name}`);
                  return;
                }
                out.push(`${name} tick at ${rt.now().toFixed(0)} ms`);
              }
            });
          }
        }),
      );
    } catch (e) {
      out.push(e instanceof TimeoutError ? `timed out at ${rt.now().toFixed(0)} ms` : String(e));
    }
  });
  return out;
}
// expect: deadline 25 ms | fast tick at 10 ms | slow tick at 20 ms | fast tick at 20 ms | slow stops: TimeoutError | fast stops: TimeoutError | timed out at 25 ms

import { Channel, Runtime, after, recv, select, sleep } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 7 });
  const replies = new Channel<string>(0, { name: "replies" });

  rt.spawn(function* slowService() {
    yield* sleep(250);
    yield* replies.send("late answer");
  });

  rt.spawn(function* client() {
    const r = yield* select([recv(replies), after(100)]);
    out.push(r.index === 1 ? `timed out at ${rt.now().toFixed(0)} ms` : `reply: ${String(r.value)}`);
    // The losing recv left no trace: the service's send now blocks until someone receives.
    const late = yield* replies.recv();
    out.push(`then: ${String(late.value)} at ${rt.now().toFixed(0)} ms`);
  });

  rt.run();
  return out;
}
// expect: timed out at 100 ms | then: late answer at 250 ms

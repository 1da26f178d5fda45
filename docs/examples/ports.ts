import { Channel, Runtime, type RecvPort, type SendPort } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime();
  const bus = new Channel<string>(4, { name: "bus" });

  // Producers get send-only access, the consumer receive-only access.
  function* producer(tx: SendPort<string>, who: string) {
    yield* tx.send(`hello from ${who}`);
  }
  function* consumer(rx: RecvPort<string>, n: number) {
    for (let i = 0; i < n; i++) out.push((yield* rx.recv()).value ?? "closed");
  }

  rt.spawn(producer, bus.sender(), "a");
  rt.spawn(producer, bus.sender(), "b");
  rt.spawn(consumer, bus.receiver(), 2);
  rt.run();
  out.push(`recv port has send: ${"send" in bus.receiver()}`);
  return out;
}
// expect: hello from a | hello from b | recv port has send: false

import { Channel, coro, recv, Runtime, select, type RecvPort, type SendPort } from "cprime-coro";

// pools: { affinity: true } carves each channel pattern's coroutines from pools of their own.
export function main(): string[] {
  const rt = new Runtime({ pools: { affinity: true } });
  const jobs = new Channel<number>(8, { name: "jobs" });
  const quit = new Channel<void>(0, { name: "quit" });

  function* producer(tx: SendPort<number>) {
    for (let i = 0; i < 3; i++) yield* tx.send(i);
  }
  function* consumer(rx: RecvPort<number>) {
    yield* rx.recv();
  }
  // "select" cannot be seen from the arguments: the definition declares it.
  const watcher = coro({ name: "watcher", channelPattern: "select" }, function* (_f, rx: RecvPort<number>, q: RecvPort<void>) {
    yield* select([recv(rx), recv(q)]);
  });

  const p = rt.spawn(producer, jobs.sender()); // only a send port: sendOnly
  const c = rt.spawn(consumer, jobs.receiver()); // only a receive port: recvOnly
  const w = rt.spawn(watcher, jobs.receiver(), quit.receiver());
  const out = [p, c, w].map((t) => `${t.name}: ${t.stack.pattern} in a ${t.stack.sizeClass} pool`);
  const stats = rt.stats().patterns!;
  out.push(`sendOnly pools: ${stats.sendOnly.pools}, live ${stats.sendOnly.live}`);
  rt.run();
  return out;
}
// expect: producer: sendOnly in a micro pool | consumer: recvOnly in a micro pool | watcher: select in a medium pool | sendOnly pools: 1, live 1

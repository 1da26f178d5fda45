import { Mutex, Runtime, WaitGroup, sleep } from "cprime-coro";

export function main(): string[] {
  const out: string[] = [];
  const rt = new Runtime({ seed: 1 });
  const accounts = new Map([
    ["alice", 100],
    ["bob", 50],
  ]);
  const mu = new Mutex({ name: "accounts" });
  const wg = new WaitGroup({ name: "transfers" });

  function* transfer(from: string, to: string, amount: number) {
    yield* mu.lock();
    try {
      const balance = accounts.get(from)!;
      yield* sleep(5); // a slow check while holding the lock: the others queue, FIFO
      if (balance < amount) {
        out.push(`${from} → ${to} ${amount}: refused at ${rt.now().toFixed(0)} ms`);
        return;
      }
      accounts.set(from, balance - amount);
      accounts.set(to, accounts.get(to)! + amount);
      out.push(`${from} → ${to} ${amount}: done at ${rt.now().toFixed(0)} ms`);
    } finally {
      mu.unlock();
      wg.done();
    }
  }

  rt.spawn(function* main() {
    const moves: [string, string, number][] = [
      ["alice", "bob", 70],
      ["alice", "bob", 70], // would overdraw: refused
      ["bob", "alice", 20],
    ];
    for (const [from, to, amount] of moves) {
      wg.add(1);
      rt.spawn(transfer, from, to, amount);
    }
    yield* wg.wait();
    out.push(`alice ${accounts.get("alice")}, bob ${accounts.get("bob")}`);
  });

  rt.run();
  return out;
}
// expect: alice → bob 70: done at 5 ms | alice → bob 70: refused at 10 ms | bob → alice 20: done at 15 ms | alice 50, bob 100

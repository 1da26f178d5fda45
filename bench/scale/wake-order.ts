/**
 * Does the order in which sleeping coroutines wake decide their cost at
 * scale? `npm run bench:wake-order [-- n]` (default 10⁷) runs the timers
 * workload of bench/scale in fresh processes, twice each way: n coroutines
 * sleeping distinct deadlines, waking in spawn order (the i-th spawned
 * sleeps i + 1 ms) or in the scale benchmark's permuted order (1 + i·7919
 * mod n ms), where each wake touches a task, a generator and a slot far from
 * the last one's. Both do the same number of heap pushes and pops; the
 * permuted heap sees random inserts where the ordered one appends, which
 * costs instructions that bench/instructions counts (timer-pending-*). What
 * the instruction counts cannot show is the memory: the figure is CPU time
 * per coroutine (user + system, each shown) of the whole spawn, sleep, wake
 * and finish.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Runtime, sleep } from "cprime-coro";

const perm = (i: number, n: number) => (i * 7919) % n;

function runOnce(n: number, order: "spawn" | "permuted"): { user: number; system: number } {
  const rt = new Runtime({ name: "wake-order", seed: 1, maxMemoryBytes: Math.min(2 ** 32 - 8, 64 * 2 ** 20 + n * 400) });
  function* timed(ms: number): Generator<unknown, void, unknown> {
    yield* sleep(ms);
  }
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) rt.spawn(timed, 1 + (order === "spawn" ? i : perm(i, n)));
  rt.run();
  const cpu = process.cpuUsage(cpu0);
  return { user: cpu.user / n, system: cpu.system / n };
}

const [mode, nText, order] = process.argv.slice(2);
if (mode === "child") {
  const n = Number(nText);
  runOnce(10_000, order as "spawn" | "permuted"); // warm-up
  console.log(JSON.stringify({ order, n, ...runOnce(n, order as "spawn" | "permuted") }));
} else {
  const n = Number(mode ?? 10_000_000);
  const self = fileURLToPath(import.meta.url);
  const totals: Record<"spawn" | "permuted", number[]> = { spawn: [], permuted: [] };
  for (const o of ["spawn", "permuted", "spawn", "permuted"] as const) {
    const r = spawnSync(process.execPath, ["--max-old-space-size=20000", "--import", "tsx", self, "child", String(n), o], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`child (${o}) failed: ${r.stderr}`);
    const line = JSON.parse(r.stdout.trim().split("\n").pop()!) as { order: string; user: number; system: number };
    console.log(
      `n = ${n}, wake order ${line.order.padEnd(8)}: ${(line.user + line.system).toFixed(2)} µs CPU per coroutine ` +
        `(user ${line.user.toFixed(2)}, system ${line.system.toFixed(2)}: page faults of first-touched memory are system time)`,
    );
    totals[o].push(line.user + line.system);
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(
    `summary, n = ${n}: spawn order ${best(totals.spawn).toFixed(2)} µs, permuted ${best(totals.permuted).toFixed(2)} µs per coroutine ` +
      `(the faster of two runs each): waking in permuted order costs ${(best(totals.permuted) / best(totals.spawn)).toFixed(2)}×`,
  );
}

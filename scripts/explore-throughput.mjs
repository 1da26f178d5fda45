// Schedules per second on the built package: `node scripts/explore-throughput.mjs [runs]` prints JSON lines.
import { explore } from "../dist/test.js";
import { pipeline } from "./explore-programs.mjs";

const runs = Number(process.argv[2] ?? 20000);
const cases = [
  ["random", {}],
  ["random", { preemptAtOps: true }],
  ["pct", { preemptAtOps: true }],
];
for (const [strategy, extra] of cases) {
  explore(pipeline, { strategy, runs: 2000, ...extra }); // warm up
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    const r = explore(pipeline, { strategy, runs, ...extra });
    const s = (performance.now() - t0) / 1000;
    if (!r.ok) throw new Error("the throughput program failed");
    best = Math.max(best, r.runs / s);
  }
  console.log(JSON.stringify({ case: `${strategy}${extra.preemptAtOps ? "+preemptAtOps" : ""}`, threads: 1, perSecond: Math.round(best) }));
}
const ref = { module: new URL("./explore-programs.mjs", import.meta.url), export: "pipeline" };
for (const workers of [1, 2]) {
  await explore(ref, { workers, runs: 4000 }); // warm up (worker start-up)
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    const r = await explore(ref, { workers, runs: runs * 2 });
    best = Math.max(best, r.runs / ((performance.now() - t0) / 1000));
  }
  console.log(JSON.stringify({ case: "random", workers, perSecond: Math.round(best) }));
}

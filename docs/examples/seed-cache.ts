import { Runtime, yieldNow } from "cprime-coro";

// The cache model counts which touches of the address space would miss a 32 KiB L1 and a 1 MiB L2.
function ring(n: number): string {
  const rt = new Runtime({ cache: "default", pools: { micro: n, small: 0, medium: 0 } });
  for (let i = 0; i < n; i++) {
    rt.spawn(function* () {
      for (let k = 0; k < 10; k++) yield* yieldNow();
    });
  }
  rt.run();
  const c = rt.stats().cache!;
  return `${n} coroutines: ${c.accesses} touches, ${c.l1Misses} L1 misses, ${c.l2Misses} L2 misses (model output)`;
}

export function main(): string[] {
  // 100 frames' lines fit L1; 1000 (64 KiB of lines) do not, but stay in L2.
  return [ring(100), ring(1000)];
}
// expect: 100 coroutines: 1100 touches, 100 L1 misses, 100 L2 misses (model output) | 1000 coroutines: 11000 touches, 11000 L1 misses, 1000 L2 misses (model output)

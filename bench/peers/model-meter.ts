/**
 * Modelled cycles per operation for a subject case: the runtime's busy cycles
 * (cost-model output, never wall time) charged since `start()`, divided by the
 * operations the case's `fn` performed. The case counts its calls with
 * `meter.calls++`; the runner reads `perOp()` through `modelCycles` after the
 * timed runs, so warm-up and calibration calls are counted on both sides.
 */
import type { Runtime } from "cprime-coro";

export class ModelMeter {
  /** Calls of the case's `fn` since `start()`. */
  calls = 0;
  private rt: Runtime | null = null;
  private busyAtStart = 0;

  constructor(private readonly opsPerCall: number) {}

  /** Starts counting on `rt` (call at the end of setup, after any self-check). */
  start(rt: Runtime): void {
    this.rt = rt;
    this.busyAtStart = rt.stats().busyCycles;
    this.calls = 0;
  }

  /** Busy cycles per operation; NaN before any counted call (the runner then shows none). */
  perOp(): number {
    if (this.rt === null || this.calls === 0) return NaN;
    return (this.rt.stats().busyCycles - this.busyAtStart) / (this.calls * this.opsPerCall);
  }
}

/** Runs V8's collector until the heap stops shrinking (a few passes), when --expose-gc gave us `gc`. */
export function fullGc(gc: () => void): void {
  let before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 6; i++) {
    gc();
    const after = process.memoryUsage().heapUsed;
    if (i >= 1 && before - after < 64 * 1024) return;
    before = after;
  }
}

/** `global.gc` when node runs with --expose-gc, else null. */
export function exposedGc(): (() => void) | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? (gc as () => void) : null;
}

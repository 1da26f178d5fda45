/**
 * Virtual time: delays in milliseconds, deadlines in cycles.
 *
 * The clock counts cycles in a double. Deadlines are whole cycles
 * (`Math.ceil`), and every deadline stays at or below 2⁵³ − 1
 * (Number.MAX_SAFE_INTEGER), where doubles still hold every integer: so two
 * deadlines compare exactly and timers fire in deadline order. At the default
 * 3 GHz that is ≈ 34.7 virtual days from the clock's zero. A delay that would
 * pass it is refused with a RangeError rather than silently rounded.
 *
 * A negative finite delay counts as zero, as Go's `time.Sleep` and
 * `time.After` do: code that computes `deadline - now()` after the deadline
 * has passed must not fail.
 */
import { describeValue } from "../describe.js";

/** Checks a virtual delay at the call: a finite number; negative counts as zero. */
export function checkDelay(what: string, ms: unknown): number {
  if (typeof ms !== "number") {
    throw new TypeError(`${what}: the delay must be a number of milliseconds, received ${describeValue(ms)}`);
  }
  if (!Number.isFinite(ms)) throw new RangeError(`${what}: the delay must be a finite number of milliseconds, received ${String(ms)}`);
  return ms > 0 ? ms : 0;
}

/** Whole cycles for `ms` at `hz` (rounded up, so a delay never fires early). */
export function msToCycles(ms: number, hz: number): number {
  return Math.ceil((ms * hz) / 1000);
}

/**
 * The deadline `ms` after `now` (cycles), or a RangeError when it lies beyond
 * the exact range of the clock (see the module doc).
 */
export function deadlineAfter(what: string, now: number, ms: number, hz: number): number {
  const deadline = now + msToCycles(ms, hz);
  if (deadline > Number.MAX_SAFE_INTEGER) {
    const limitMs = ((Number.MAX_SAFE_INTEGER - now) / hz) * 1000;
    throw new RangeError(
      `${what}: a delay of ${String(ms)} ms is too long for the virtual clock: deadlines must stay within 2^53 cycles ` +
        `(at most ${Math.floor(limitMs)} ms from now at ${hz} Hz), or timers could no longer fire in deadline order`,
    );
  }
  return deadline;
}

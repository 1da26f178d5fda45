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

/**
 * The initial value of a field that will hold a cycle count: not a number
 * ("none yet"), and a double. V8 gives an object field that has only held
 * small integers (below 2³¹ in a 64-bit build) a small-integer
 * representation; the first cycle count past 2³¹ — 0.72 virtual seconds at
 * 3 GHz — would turn it into a double field, which deprecates the shape of
 * every object that has the field (each live one is migrated when next
 * touched) and deoptimises the code that relied on it. A field that starts as
 * a double never changes representation. A field that must read 0 at the
 * start is initialised with this and then set to 0 (a double field stays
 * one). test/sched/representation.test.ts runs a long workload under
 * `--trace-generalization` and fails on any such change in the library.
 */
export const NO_CYCLES = NaN;

/** A deadline field's "not armed": below every deadline (tests read `when >= 0`), and a double (see NO_CYCLES). */
export const UNARMED = -Infinity;

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

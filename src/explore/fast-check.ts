/**
 * fast-check integration: schedules as an arbitrary, so a property can draw
 * its inputs and an interleaving together, and fast-check shrinks both.
 *
 * A schedule is an array of choice integers, one per choice point in order,
 * each taken modulo the number of options at its point (runSchedule); past
 * its end every choice is the default. fast-check shrinks arrays towards
 * shorter ones and integers towards 0, that is towards the default order:
 * a shrunk counterexample has few deviations, as explore()'s shrinking
 * gives. The package does not depend on fast-check: pass your `fc`.
 *
 * @example
 * fc.assert(fc.property(fc.nat(100), scheduleArbitrary(fc), (amount, schedule) =>
 *   runSchedule(bank(amount), schedule).ok));
 */
import { describeValue } from "../describe.js";

/** The parts of fast-check used here (structural, so no fast-check types reach the published API). */
export interface FastCheckLike<Nat = unknown, Arr = unknown> {
  nat(constraints: { max: number }): Nat;
  array(arb: Nat, constraints: { maxLength: number }): Arr;
}

/** An arbitrary of schedules for runSchedule(): up to `maxLength` choices (default 64), each below `maxChoice` (default 8). */
export function scheduleArbitrary<Nat, Arr>(fc: FastCheckLike<Nat, Arr>, options: { maxLength?: number; maxChoice?: number } = {}): Arr {
  if (fc === null || typeof fc !== "object" || typeof fc.nat !== "function" || typeof fc.array !== "function") {
    throw new TypeError(`scheduleArbitrary(fc): pass the fast-check module (import fc from "fast-check"), received ${describeValue(fc)}`);
  }
  const maxLength = options.maxLength ?? 64;
  const maxChoice = options.maxChoice ?? 8;
  if (!Number.isSafeInteger(maxLength) || maxLength < 0)
    throw new RangeError(`scheduleArbitrary maxLength must be an integer ≥ 0, received ${describeValue(maxLength)}`);
  if (!Number.isSafeInteger(maxChoice) || maxChoice < 1)
    throw new RangeError(`scheduleArbitrary maxChoice must be an integer ≥ 1, received ${describeValue(maxChoice)}`);
  return fc.array(fc.nat({ max: maxChoice - 1 }), { maxLength });
}

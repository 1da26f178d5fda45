/**
 * Shrinking a failing schedule: fewest deviations from the default order
 * first, then the fewest steps, always to the same kind of failure.
 *
 * A deviation is a decision other than the default (0) at a choice point.
 * The search is delta debugging (Zeller and Hildebrandt, 2002) over the set
 * of deviations: try resetting chunks of them to the default — halves, then
 * quarters, down to single ones — keeping any candidate that still fails
 * the same way; then try lowering each remaining deviation to 1 (the
 * nearest alternative). Candidates are replayed leniently (a choice beyond
 * a point's options wraps around), and what a candidate run actually chose
 * becomes the new schedule, so the result replays exactly.
 */
import type { Decider } from "./controller.js";
import { runOnce, type Program, type RunResult, type RunSettings } from "./run.js";
import { ReplayDecider } from "./strategies.js";
import type { FailureKind } from "./token.js";

export interface Shrunk {
  choices: number[];
  steps: number;
  attempts: number;
}

function trimmed(choices: readonly number[]): number[] {
  let end = choices.length;
  while (end > 0 && choices[end - 1] === 0) end--;
  return choices.slice(0, end);
}

function deviations(choices: readonly number[]): number {
  let n = 0;
  for (const c of choices) if (c !== 0) n++;
  return n;
}

/** Better: fewer deviations, then fewer steps, then a shorter schedule. */
function better(a: { choices: number[]; steps: number }, b: { choices: number[]; steps: number }): boolean {
  const da = deviations(a.choices);
  const db = deviations(b.choices);
  if (da !== db) return da < db;
  if (a.steps !== b.steps) return a.steps < b.steps;
  return a.choices.length < b.choices.length;
}

export function shrink(program: Program, settings: RunSettings, failing: RunResult, kind: FailureKind, maxAttempts = 400): Shrunk {
  let best = { choices: trimmed(failing.ctl.choices), steps: failing.ctl.steps };
  let attempts = 0;
  const tryCandidate = (candidate: number[]): boolean => {
    if (attempts >= maxAttempts) return false;
    attempts++;
    const decider: Decider = new ReplayDecider(candidate, false);
    const r = runOnce(program, settings, decider);
    if (r.kind !== kind) return false;
    const found = { choices: trimmed(r.ctl.choices), steps: r.ctl.steps };
    if (!better(found, best)) return false;
    best = found;
    return true;
  };

  // Phase 1 — reset chunks of deviations to the default.
  let chunk = Math.max(1, Math.ceil(deviations(best.choices) / 2));
  while (attempts < maxAttempts) {
    const positions = best.choices.flatMap((c, i) => (c !== 0 ? [i] : []));
    if (positions.length === 0) break;
    let improved = false;
    for (let start = 0; start < positions.length; start += chunk) {
      const candidate = best.choices.slice();
      for (const p of positions.slice(start, start + chunk)) candidate[p] = 0;
      if (tryCandidate(candidate)) {
        improved = true;
        break;
      }
    }
    if (improved) {
      chunk = Math.min(chunk, Math.max(1, Math.ceil(deviations(best.choices) / 2)));
      continue;
    }
    if (chunk === 1) break;
    chunk = Math.max(1, Math.floor(chunk / 2));
  }

  // Phase 2 — lower each remaining deviation to the nearest alternative.
  for (let i = 0; i < best.choices.length && attempts < maxAttempts; i++) {
    if (best.choices[i] > 1) {
      const candidate = best.choices.slice();
      candidate[i] = 1;
      tryCandidate(candidate);
    }
  }
  return { choices: best.choices, steps: best.steps, attempts };
}

/**
 * fast-check, seeded and reproducible (vitest setupFiles: runs before every test file).
 *
 * - Every property runs from one fixed seed unless FC_SEED says otherwise, so a
 *   run repeats exactly; a failure prints its seed and path, which replay it
 *   (`fc.assert(..., { seed, path })` or FC_SEED=<seed>).
 * - FC_RUNS scales every property's number of runs (default 1): FC_RUNS=10 for
 *   a soak, FC_RUNS=0.1 for a quick pass. Properties that set their own count
 *   use `runs(n)` from ./fc.ts so the scale reaches them too.
 */
import fc from "fast-check";
import { FC_SEED, runs } from "./fc.js";

fc.configureGlobal({ seed: FC_SEED, numRuns: runs(100) });

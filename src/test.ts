// The `cprime-coro/test` entry: schedule exploration. Re-exports only; see docs/guides/exploration.md.
export {
  explore,
  replay,
  runSchedule,
  exploreOrThrow,
  assertExplores,
  explorationError,
  NondeterminismError,
  type Program,
  type ProgramRef,
  type Strategy,
  type FailureKind,
  type ExploreOptions,
  type ExploreResult,
  type ExploreFailure,
  type ReplayResult,
} from "./explore/explore.js";
export { scheduleArbitrary, type FastCheckLike } from "./explore/fast-check.js";
export { exploreWorkerMain } from "./explore/workers.js";
export { findLeaks, type LeakReport } from "./explore/leaks.js";

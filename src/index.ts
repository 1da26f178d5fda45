// Public entry: re-exports only. See docs/DESIGN.md for the layers.
export {
  CoroError,
  ChannelClosedError,
  DeadlockError,
  StackOverflowError,
  OutOfMemoryError,
  AllocatorError,
  UseAfterFreeError,
  CancelledError,
  TimeoutError,
  Interrupt,
  SyncError,
  GuardError,
  ScopeError,
  LeftoverError,
} from "./errors.js";
export * from "./memory/index.js";
export { bytes, type Bytes, type Frame, type LocalType, type LocalValue } from "./coro/frame.js";
export { coro, type ChannelPattern, type CoroDef, type CoroFn, type CoroMetadata, type CoroSpec } from "./coro/coro.js";
export { call, CALL_CHAIN } from "./coro/call.js";
export type { Operation } from "./coro/operation.js";
export { costModels, type CostModel } from "./sched/cost-model.js";
export { Runtime, type MissedDeadline, type RuntimeOptions, type PatternStats, type RuntimeStats, type SpawnWithOptions } from "./runtime/runtime.js";
export type { Task, TaskState, StackInfo } from "./sched/task.js";
export type { Coroutine, ResumeResult } from "./sched/coroutine.js";
export type { ProfileData, ProfileEntry } from "./sched/profile-data.js";
export { sleep, yieldNow, waitFor } from "./sched/ops.js";
export { spawn, spawnWith, run, runAsync, defaultRuntime, resetDefaultRuntime, currentRuntime } from "./runtime/default.js";
export { Channel, type RecvResult } from "./chan/channel.js";
export type { SendPort, RecvPort } from "./chan/ports.js";
export { select, recv, send, after, type SelectCase, type SelectResult } from "./chan/select.js";
export { checkChannel } from "./chan/validate.js";
export { Mutex } from "./sync/mutex.js";
export { WaitGroup } from "./sync/waitgroup.js";
export { RWMutex } from "./sync/rwmutex.js";
export { Once, type OnceFn } from "./sync/once.js";
export { Cond } from "./sync/cond.js";
export { Semaphore } from "./sync/semaphore.js";
export type { SyncOptions } from "./sync/primitive.js";
export { scope, withTimeout, withDeadline, type Scope, type ScopeOptions, type Context } from "./scope/index.js";
export type { CoroDump, CoroutineDump, FrameDump } from "./observe/dump.js";
export type { DeadlockReport } from "./observe/deadlocks.js";
export type { TraceJson, TraceEvent } from "./observe/trace.js";
export { profileFeedback, type Profile, type ProfiledDefinition, type ProfileFeedback } from "./observe/profiler.js";
export { join, settled, type CaseResult, type Sent, type SelectDefault, type SelectResultOf } from "./chan/select.js";
export type { Outcome } from "./chan/events.js";
export { timer, ticker, timeAfter, afterFunc, Timer, Ticker, type TimerOptions } from "./time/timer.js";
export { forEach, type ForEachBody } from "./chan/range.js";
export type { ChannelOptions } from "./chan/channel.js";

/**
 * Scheduler benchmarks (issue 3): context switch, spawn, parked memory, call().
 *
 * Wall time is measured; the `modelCycles` column is the cost model's output
 * (busy cycles per op from `rt.stats()`), never presented as time.
 */
import type { BenchFile, MeasuredCase, TimedCase } from "./types.js";
import { call, Channel, coro, Runtime, sleep, waitFor, yieldNow, type MemoryStats, type Task } from "cprime-coro";
import { run as effectionRun, spawn as effectionSpawn, type Task as EffectionTask } from "effection";
import { exposedGc, fullGc, ModelMeter } from "./peers/model-meter.js";
import { runtimeCase } from "./peers/runtime-case.js";

// ── sched/switch/1000 ──────────────────────────────────────────────────────

const SWITCH_COROUTINES = 1000;
/** yieldNow rounds each coroutine does per call: 1000 × 100 = 100 000 switches per call. */
const SWITCH_ROUNDS = 100;
const SWITCHES_PER_CALL = SWITCH_COROUTINES * SWITCH_ROUNDS;

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * 1000 long-lived coroutines that do `rounds` yieldNow round-robin rounds each
 * time a call opens the gate, then park until the next call.
 *
 * Why this shape: `run()` returns only when nothing is left (blocked tasks at
 * the end are a deadlock), so coroutines cannot outlive a synchronous call.
 * Spawning them anew in every call would add spawn + completion to every
 * round. Instead one `runAsync()` lives for the whole case: a gate coroutine
 * parks on a promise (`waitFor`), which keeps the runtime waiting without a
 * deadlock. A call resolves that promise; the gate closes the round's channel,
 * waking the 1000 workers parked on it; each does `rounds` `yield* yieldNow()`
 * and parks on the next round's channel; the last one to finish tells the
 * gate, which resolves the call's promise.
 *
 * Only the yieldNow switches are counted as ops. The rest of a call — one
 * promise round trip, 1000 channel wake-ups and parks, two gate resumptions —
 * is charged to them too (about 1% of the switches), so the figure is an
 * upper bound on the pure switch. `verify()` checks the switch count exactly.
 */
class SwitchRig {
  readonly rt = new Runtime({ name: "bench-switch" });
  readonly meter = new ModelMeter(SWITCHES_PER_CALL);
  private round = new Channel<never>(0, { name: "round" });
  private readonly done = new Channel<void>(0, { name: "round-done" });
  private remaining = 0;
  private stopping = false;
  private gate = deferred();
  private call: Deferred | null = null;
  private failure: unknown = null;
  private readonly driving: Promise<void>;

  constructor(coroutines: number, rounds: number) {
    const rig = this;
    for (let i = 0; i < coroutines; i++) {
      this.rt.spawn(function* worker() {
        for (;;) {
          yield* rig.round.recv(); // parked until a call closes this round's channel
          if (rig.stopping) return;
          for (let r = 0; r < rounds; r++) yield* yieldNow();
          if (--rig.remaining === 0) yield* rig.done.send(undefined);
        }
      });
    }
    this.rt.spawn(function* gate() {
      for (;;) {
        yield* waitFor(rig.gate.promise);
        const finished = rig.round;
        rig.round = new Channel<never>(0, { name: "round" });
        rig.remaining = coroutines;
        finished.close(); // wakes every worker
        if (rig.stopping) return;
        yield* rig.done.recv();
        const call = rig.call!;
        rig.call = null;
        rig.gate = deferred(); // before resolving: the next call may come as soon as this one resolves
        call.resolve();
      }
    });
    this.driving = this.rt.runAsync().catch((e: unknown) => {
      this.failure = e;
      this.call?.reject(e);
    });
  }

  /** One call: every worker does its rounds. */
  runRound(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const call = deferred();
    this.call = call;
    this.gate.resolve();
    return call.promise;
  }

  /** One call, checking that it switched exactly as many times as the design says. */
  async verify(coroutines: number, rounds: number): Promise<void> {
    const before = this.rt.stats().contextSwitches;
    await this.runRound();
    const switches = this.rt.stats().contextSwitches - before;
    const expected = coroutines * rounds + coroutines + 2; // yields + wake-ups + the gate twice
    if (switches !== expected) throw new Error(`sched/switch: a call made ${switches} context switches, expected ${expected}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.gate.resolve();
    await this.driving;
    if (this.failure !== null) throw this.failure;
  }
}

function switchCase(): TimedCase {
  let rig: SwitchRig | null = null;
  return {
    name: "sched/switch/1000",
    role: "subject",
    baseline: "sched/switch/1000/raw-generators",
    floor: "sched/switch/1000/minimal-yield-star-scheduler",
    opsPerCall: SWITCHES_PER_CALL,
    target: { ns: 28, text: "≤ 2× raw generator round-robin" },
    note: `1000 parked coroutines, ${SWITCH_ROUNDS} yieldNow rounds each per call; gate and wake-ups (≈1%) charged to the switches`,
    async setup() {
      const r = new SwitchRig(SWITCH_COROUTINES, SWITCH_ROUNDS);
      try {
        await r.verify(SWITCH_COROUTINES, SWITCH_ROUNDS);
      } catch (e) {
        await r.stop().catch(() => {}); // the runner skips teardown when setup throws
        throw e;
      }
      r.meter.start(r.rt);
      rig = r;
    },
    fn() {
      const r = rig!;
      r.meter.calls++;
      return r.runRound();
    },
    modelCycles: () => rig!.meter.perOp(),
    async teardown() {
      const r = rig;
      rig = null;
      await r?.stop();
    },
  };
}

/** A plain generator that yields forever: the raw round-robin's coroutine. */
function* spin(): Generator<void, never, unknown> {
  for (;;) yield;
}

function rawSwitchCase(): TimedCase {
  let gens: Generator<void, never, unknown>[] = [];
  return {
    name: "sched/switch/1000/raw-generators",
    role: "baseline",
    opsPerCall: SWITCHES_PER_CALL,
    note: `the limit in JS: 1000 plain generators resumed with .next() in turn, ${SWITCH_ROUNDS} rounds per call`,
    setup() {
      gens = Array.from({ length: SWITCH_COROUTINES }, () => {
        const g = spin();
        g.next();
        return g;
      });
    },
    fn() {
      const g = gens;
      for (let r = 0; r < SWITCH_ROUNDS; r++) {
        for (let i = 0; i < g.length; i++) g[i].next();
      }
    },
    teardown() {
      gens = [];
    },
  };
}

/**
 * The floor for any scheduler with this library's API shape: a run queue of
 * generators that suspend with `yield*` on an operation object (a stateless
 * singleton, as our yieldNow is), nothing else — no cost model, no states, no
 * stacks. What ours adds on top of this is the price of its features.
 */
const MINIMAL_SUSPEND = Symbol("suspend");
const MINIMAL_RESUME = Symbol("resume");
const MINIMAL_SUSPENDED = { done: false as const, value: MINIMAL_SUSPEND };
const MINIMAL_DONE = { done: true as const, value: undefined };
const minimalQueue: Generator[] = [];
let minimalCurrent: Generator | null = null;
const MINIMAL_YIELD: Iterable<unknown> & Iterator<unknown> = {
  [Symbol.iterator]() {
    return this;
  },
  next(x?: unknown) {
    if (x === MINIMAL_RESUME) return MINIMAL_DONE;
    minimalQueue.push(minimalCurrent!);
    return MINIMAL_SUSPENDED;
  },
};

function* minimalWorker(rounds: number): Generator<unknown, void, unknown> {
  for (let r = 0; r < rounds; r++) yield* MINIMAL_YIELD;
}

function minimalSchedulerCase(): TimedCase {
  return {
    name: "sched/switch/1000/minimal-yield-star-scheduler",
    role: "baseline",
    opsPerCall: SWITCHES_PER_CALL,
    note: `the floor for this API shape: a bare run queue driving 1000 generators that suspend with yield* on a singleton operation, ${SWITCH_ROUNDS} rounds per call (spawning included)`,
    fn() {
      for (let i = 0; i < SWITCH_COROUTINES; i++) minimalQueue.push(minimalWorker(SWITCH_ROUNDS));
      let head = 0;
      while (head < minimalQueue.length) {
        const g = minimalQueue[head++];
        minimalCurrent = g;
        g.next(MINIMAL_RESUME);
        if (head > 4096) {
          minimalQueue.splice(0, head);
          head = 0;
        }
      }
      minimalQueue.length = 0;
    },
  };
}

// ── sched/spawn ────────────────────────────────────────────────────────────

const SPAWNS_PER_CALL = 1000;

/** The coroutine (and effection task) spawned: it starts and returns at once. */
function* emptyCoroutine(): Generator<never, void, unknown> {}

function spawnAndRun(rt: Runtime): void {
  for (let i = 0; i < SPAWNS_PER_CALL; i++) rt.spawn(emptyCoroutine);
  rt.run();
}

const spawnCase = (): TimedCase =>
  runtimeCase({
    name: "sched/spawn",
    baseline: "sched/spawn/async-fn-promise-all",
    opsPerCall: SPAWNS_PER_CALL,
    target: { ns: 300, text: "≤ 300 ns to spawn, run and complete a coroutine" },
    note: "1000 × spawn of an empty generator, then run() to completion",
    workload: spawnAndRun,
    check(rt) {
      const before = rt.stats();
      spawnAndRun(rt);
      const after = rt.stats();
      if (after.completed - before.completed !== SPAWNS_PER_CALL || after.live !== 0 || after.memory.micro.used !== before.memory.micro.used) {
        throw new Error(`sched/spawn: a call did not spawn and complete ${SPAWNS_PER_CALL} coroutines and free their stacks`);
      }
    },
  });

async function emptyAsync(): Promise<void> {}

function asyncSpawnCase(): TimedCase {
  return {
    name: "sched/spawn/async-fn-promise-all",
    role: "peer",
    opsPerCall: SPAWNS_PER_CALL,
    note: "1000 calls of an empty async function, then await Promise.all",
    fn() {
      const all = new Array<Promise<void>>(SPAWNS_PER_CALL);
      for (let i = 0; i < SPAWNS_PER_CALL; i++) all[i] = emptyAsync();
      return Promise.all(all);
    },
  };
}

function effectionSpawnCase(): TimedCase {
  return {
    name: "sched/spawn/effection",
    role: "peer",
    baseline: "sched/spawn",
    opsPerCall: SPAWNS_PER_CALL,
    note: "effection 4: run() of an operation that spawns 1000 empty tasks and awaits each",
    fn() {
      return effectionRun(function* () {
        const tasks = new Array<EffectionTask<void>>(SPAWNS_PER_CALL);
        for (let i = 0; i < SPAWNS_PER_CALL; i++) tasks[i] = yield* effectionSpawn(emptyCoroutine);
        for (const t of tasks) yield* t;
      });
    },
  };
}

// ── sched/parked-memory ────────────────────────────────────────────────────

const PARKED = 1_000_000;
const MiB = 1024 * 1024;

function* parkedWorker(ch: Channel<never>): Generator<unknown, void, unknown> {
  yield* ch.recv();
}

/** JS heap plus external memory (typed arrays' backing stores: the timer heap's keys), bytes. */
const jsBytes = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * Heap and buffer bytes per coroutine, read while `parked` coroutines (and
 * nothing else new) wait on `rt`, after `switches` context switches in all.
 * `heapBefore` and the reading are `process.memoryUsage().heapUsed`, or
 * `jsBytes()` when the waits hold typed-array memory.
 */
function parkedFootprint(
  name: string,
  rt: Runtime,
  parked: number,
  switches: number,
  heapBefore: number,
  heapAfter: number,
  memBefore: MemoryStats,
): { value: number; note: string } {
  const stats = rt.stats();
  if (stats.live !== parked || stats.contextSwitches !== switches) {
    throw new Error(`${name}: expected ${parked} coroutines waiting after ${switches} switches, found live ${stats.live}, switches ${stats.contextSwitches}`);
  }
  const mem = stats.memory;
  const slotsPerCoroutine = (mem.micro.used - memBefore.micro.used) / parked;
  const grownSlots = mem.micro.capacity - memBefore.micro.capacity;
  const grownBytes = mem.bufferBytes - memBefore.bufferBytes;
  if (grownSlots <= 0 || grownBytes <= 0) throw new Error(`${name}: the micro pools did not grow; cannot derive bytes per slot from the buffer`);
  const bufferPerSlot = grownBytes / grownSlots;
  const heapPerCoroutine = (heapAfter - heapBefore) / parked;
  return {
    value: heapPerCoroutine + slotsPerCoroutine * bufferPerSlot,
    note: `JS heap ${heapPerCoroutine.toFixed(0)} B + ${slotsPerCoroutine.toFixed(3)} slot × ${bufferPerSlot.toFixed(1)} B of buffer; buffer ${(mem.bufferBytes / MiB).toFixed(0)} MiB`,
  };
}

function parkedMemoryCase(): MeasuredCase {
  return {
    kind: "measure",
    name: "sched/parked-memory",
    role: "subject",
    baseline: "sched/parked-memory/async-fn",
    unit: "bytes",
    target: { value: 600, text: "≤ 600 B per parked coroutine, JS heap + stack slot (Go ≈ 2.6 KB)" },
    note: "1 000 000 coroutines blocked in recv on one channel; heap delta after gc + buffer bytes per slot (Δbuffer / Δslots)",
    async measure() {
      const gc = exposedGc();
      if (gc === null) return { skipped: "global.gc is not exposed (run node with --expose-gc)" };
      let rt: Runtime | null = new Runtime({ name: "bench-parked", maxMemoryBytes: 512 * MiB });
      const ch = new Channel<never>(0, { name: "never-sent" });
      const gate = deferred();
      fullGc(gc);
      const memBefore = rt.stats().memory;
      const heapBefore = process.memoryUsage().heapUsed;

      // A keeper parked on a promise keeps runAsync() waiting (not a deadlock); it releases everyone at the end.
      rt.spawn(function* keeper() {
        yield* waitFor(gate.promise);
        ch.close();
      });
      for (let i = 0; i < PARKED; i++) rt.spawn(parkedWorker, ch);
      const driving = rt.runAsync(); // drives synchronously until all are parked, then awaits the keeper's promise

      let footprint: { value: number; note: string };
      let released: string;
      try {
        fullGc(gc);
        // The keeper is parked too.
        footprint = parkedFootprint("sched/parked-memory", rt, PARKED + 1, PARKED + 1, heapBefore, process.memoryUsage().heapUsed, memBefore);
      } finally {
        gate.resolve();
        await driving; // every worker receives { ok: false } and completes
        rt.shutdown();
        fullGc(gc);
        const whileHeld = heapAboveMiB(heapBefore);
        rt = null; // an idle runtime keeps its grown run queue and live list until it is dropped
        fullGc(gc);
        released = `after release the heap is ${whileHeld} MiB while the idle runtime is referenced, ${heapAboveMiB(heapBefore)} MiB once it is dropped`;
      }
      return { value: footprint.value, note: `${footprint.note}; ${released}` };
    },
  };
}

const SLEEP_MS = 3_600_000;

function* sleepingWorker(): Generator<unknown, void, unknown> {
  yield* sleep(SLEEP_MS);
}

/**
 * Runs 1 000 000 sleepers and a probe on a runtime of its own and returns
 * what the probe read and the memory reading before the spawns; the runtime
 * is garbage once this returns.
 */
function sleepersFootprint(gc: () => void): { footprint: { value: number; note: string }; before: number } {
  const rt = new Runtime({ name: "bench-sleeping", maxMemoryBytes: 512 * MiB });
  fullGc(gc);
  const memBefore = rt.stats().memory;
  const before = jsBytes();
  let footprint: { value: number; note: string } | null = null;
  for (let i = 0; i < PARKED; i++) rt.spawn(sleepingWorker);
  rt.spawn(function* probe() {
    yield* sleep(1);
    fullGc(gc);
    // The probe is live too; every sleeper switched in once, the probe twice.
    footprint = parkedFootprint("sched/sleeping-memory", rt, PARKED + 1, PARKED + 2, before, jsBytes(), memBefore);
  });
  rt.run(); // the probe measures at 1 ms, then the clock jumps to the hour and every sleeper completes
  rt.shutdown();
  if (footprint === null) throw new Error("sched/sleeping-memory: the probe did not run");
  return { footprint, before };
}

function sleepingMemoryCase(): MeasuredCase {
  return {
    kind: "measure",
    name: "sched/sleeping-memory",
    role: "subject",
    baseline: "sched/parked-memory",
    unit: "bytes",
    note:
      "1 000 000 coroutines asleep for 1 virtual hour, measured by a probe coroutine that wakes after 1 ms while all are armed; " +
      "Δ(JS heap + external: the timer heap's Float64Arrays) after gc + buffer bytes per slot",
    async measure() {
      const gc = exposedGc();
      if (gc === null) return { skipped: "global.gc is not exposed (run node with --expose-gc)" };
      const { footprint: f, before } = sleepersFootprint(gc);
      fullGc(gc);
      return { value: f.value, note: `${f.note}; after release the heap and external memory are ${heapAboveMiB(before, jsBytes())} MiB` };
    },
  };
}

/** How far the heap is from where a memory case started, signed MiB (after release it should be back near 0). */
function heapAboveMiB(heapBefore: number, now: number = process.memoryUsage().heapUsed): string {
  const mib = (now - heapBefore) / MiB;
  return `${mib >= 0 ? "+" : "−"}${Math.abs(mib).toFixed(1)}`;
}

async function parkedAsync(never: Promise<never>): Promise<void> {
  await never;
}

/**
 * The promise the million async functions await. A module-level slot, not a
 * local: optimised code drops a local it no longer reads, and the collector
 * would then free the suspended functions before they are measured.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- written, never read: it only keeps the promise alive
let neverSettled: Promise<never> | null = null;

function asyncParkedMemoryCase(): MeasuredCase {
  return {
    kind: "measure",
    name: "sched/parked-memory/async-fn",
    role: "peer",
    unit: "bytes",
    note: "1 000 000 async functions awaiting one never-resolved promise; heap delta after gc",
    async measure() {
      const gc = exposedGc();
      if (gc === null) return { skipped: "global.gc is not exposed (run node with --expose-gc)" };
      const never = new Promise<never>(() => {});
      neverSettled = never;
      let heapBefore: number;
      let heapAfter: number;
      try {
        fullGc(gc);
        heapBefore = process.memoryUsage().heapUsed;
        for (let i = 0; i < PARKED; i++) void parkedAsync(never);
        fullGc(gc);
        heapAfter = process.memoryUsage().heapUsed;
      } finally {
        // Dropping the only reference to the promise makes the million suspended functions garbage.
        neverSettled = null;
        fullGc(gc);
      }
      return { value: (heapAfter - heapBefore) / PARKED, note: `after release the heap is ${heapAboveMiB(heapBefore)} MiB` };
    },
  };
}

// ── sched/call ─────────────────────────────────────────────────────────────

const CALLS_PER_CALL = 10_000;

const leaf = coro({ name: "bench.leaf" }, function* () {
  return 1;
});

const caller = coro({ name: "bench.caller", calls: [leaf] }, function* (_frame, n: number) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* call(leaf);
  return sum;
});

function callLeafInALoop(rt: Runtime): Task<number> {
  const t = rt.spawn(caller, CALLS_PER_CALL);
  rt.run();
  return t;
}

const callCase = (): TimedCase =>
  runtimeCase({
    name: "sched/call",
    baseline: "sched/call/raw-yield-star",
    opsPerCall: CALLS_PER_CALL,
    note: `one coroutine calls a leaf definition ${CALLS_PER_CALL} times (frame pushed and popped each time); its spawn is amortised over them`,
    workload: callLeafInALoop,
    check(rt) {
      const sum = callLeafInALoop(rt).result;
      if (sum !== CALLS_PER_CALL) throw new Error(`sched/call: the caller returned ${String(sum)}, expected ${CALLS_PER_CALL}`);
    },
  });

function* rawLeaf(): Generator<never, number, unknown> {
  return 1;
}

function* rawCaller(n: number): Generator<never, number, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yield* rawLeaf();
  return sum;
}

function rawCallCase(): TimedCase {
  return {
    name: "sched/call/raw-yield-star",
    role: "baseline",
    opsPerCall: CALLS_PER_CALL,
    note: "the limit in JS: a plain generator delegating to a plain leaf generator with yield*, no frame",
    fn() {
      return rawCaller(CALLS_PER_CALL).next().value;
    },
  };
}

const bench: BenchFile = {
  title: "Scheduler: switch, spawn, parked memory, call",
  notes: [
    "sched/switch/1000 measures steady-state round-robin switching among 1000 long-lived coroutines. run() cannot return while " +
      "coroutines are parked (that would be a deadlock), so the case keeps one runAsync() alive for its whole duration: a gate " +
      "coroutine parks on a promise between calls; each call opens the gate, the 1000 workers do 100 `yield* yieldNow()` rounds " +
      "each and park again. Only the 100 000 yieldNow switches count as ops; the gate, the promise round trip and the 1000 channel " +
      "wake-ups per call (≈1% more switches) are charged to them, so the figure is an upper bound. Setup checks the exact switch count. " +
      "The baseline resumes 1000 plain generators with .next() in the same order: the limit of a JS scheduler.",
    "sched/spawn and sched/call create one runtime in setup and reuse it; every call spawns, runs to completion and frees. " +
      "sched/call spawns its one caller per call, amortised over 10 000 call() frames.",
    "sched/parked-memory is a one-shot measurement: JS heap delta after full gc with 1 000 000 coroutines parked in recv, plus the " +
      "SharedArrayBuffer bytes per stack slot derived from rt.stats().memory (Δ bufferBytes / Δ micro capacity, so pool bitmaps and " +
      "generations are included). Needs --expose-gc (npm run bench passes it). Everything is released before the case returns. " +
      "sched/sleeping-memory is the same for 1 000 000 coroutines asleep on timers (the task is its own timer; `yield*` holds the " +
      "runtime's one sleep iterator), read by a probe coroutine while all are armed, external memory included for the timer heap's keys.",
    "modelCycles is the cost model's busy cycles per op (rt.stats().busyCycles), model output, not time.",
  ],
  cases: [
    switchCase(),
    rawSwitchCase(),
    minimalSchedulerCase(),
    spawnCase(),
    asyncSpawnCase(),
    effectionSpawnCase(),
    parkedMemoryCase(),
    asyncParkedMemoryCase(),
    sleepingMemoryCase(),
    callCase(),
    rawCallCase(),
  ],
};

export default bench;

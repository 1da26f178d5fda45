/**
 * Sync primitive benchmarks (issue 10): Mutex lock/unlock uncontended and
 * contended, WaitGroup fan-out/fan-in, each beside its plain-JS floor and
 * Go at GOMAXPROCS=1 (bench/peers/go/main.go).
 *
 * Wall time is measured; the `modelCycles` column is the cost model's output
 * (busy cycles per op from `rt.stats()`), never presented as time.
 */
import type { BenchFile, TimedCase } from "./types.js";
import { Mutex, WaitGroup, yieldNow, type Runtime } from "cprime-coro";
import { goPeerCase } from "./peers/go/go-peer.js";
import { runtimeCase } from "./peers/runtime-case.js";

// The sizes mirror bench/peers/go/main.go; change both together.
const UNCONTENDED_PAIRS = 10_000;
const CONTENDED_COROUTINES = 4;
const CONTENDED_PAIRS_EACH = 2_500;
const CONTENDED_PAIRS = CONTENDED_COROUTINES * CONTENDED_PAIRS_EACH;
const FAN_OUT = 1_000;

// ── sync/mutex/uncontended ────────────────────────────────────────────────

function* lockLoop(mu: Mutex, n: number): Generator<unknown, number, unknown> {
  let count = 0;
  for (let i = 0; i < n; i++) {
    yield* mu.lock();
    count++;
    mu.unlock();
  }
  return count;
}

const uncontendedCase = (): TimedCase => {
  const mu = new Mutex({ name: "bench" });
  const work = (rt: Runtime) => {
    const t = rt.spawn(lockLoop, mu, UNCONTENDED_PAIRS);
    rt.run();
    return t;
  };
  return runtimeCase({
    name: "sync/mutex/uncontended",
    opsPerCall: UNCONTENDED_PAIRS,
    baseline: "sync/mutex/uncontended/go",
    floor: "sync/mutex/uncontended/plain-flag",
    note: `one coroutine, ${UNCONTENDED_PAIRS} yield* lock() / unlock() pairs on a free mutex (no suspension); one spawn amortised over them`,
    workload: work,
    check(rt) {
      const t = work(rt);
      if (t.result !== UNCONTENDED_PAIRS) throw new Error(`sync/mutex/uncontended: ${String(t.result)} pairs, expected ${UNCONTENDED_PAIRS}`);
      if (mu.locked) throw new Error("sync/mutex/uncontended: the mutex is still locked");
    },
  });
};

/** The floor: a boolean flag checked, set and cleared in a plain loop (what a lock is when nobody contends). */
const plainFlagCase = (): TimedCase => {
  let locked = false;
  let count = 0;
  return {
    name: "sync/mutex/uncontended/plain-flag",
    role: "baseline",
    baseline: "sync/mutex/uncontended",
    opsPerCall: UNCONTENDED_PAIRS,
    note: "plain JS: `if (locked) throw …; locked = true; count++; locked = false` in a for loop",
    fn() {
      for (let i = 0; i < UNCONTENDED_PAIRS; i++) {
        if (locked) throw new Error("floor: locked twice");
        locked = true;
        count++;
        locked = false;
      }
      return count;
    },
  };
};

// ── sync/mutex/contended/4 ────────────────────────────────────────────────

/** Holds the lock across a yield, so the other three queue on it every time: each unlock is a FIFO hand-off. */
function* contender(mu: Mutex, n: number, shared: { inside: number; total: number }): Generator<unknown, void, unknown> {
  for (let i = 0; i < n; i++) {
    yield* mu.lock();
    if (++shared.inside !== 1) throw new Error("sync/mutex/contended: two holders");
    yield* yieldNow();
    shared.inside--;
    shared.total++;
    mu.unlock();
  }
}

const contendedCase = (): TimedCase => {
  const mu = new Mutex({ name: "bench" });
  const shared = { inside: 0, total: 0 };
  const work = (rt: Runtime) => {
    for (let c = 0; c < CONTENDED_COROUTINES; c++) rt.spawn(contender, mu, CONTENDED_PAIRS_EACH, shared);
    rt.run();
  };
  return runtimeCase({
    name: "sync/mutex/contended/4",
    opsPerCall: CONTENDED_PAIRS,
    baseline: "sync/mutex/contended/4/go",
    floor: "sync/mutex/contended/4/plain-round-robin",
    note: `${CONTENDED_COROUTINES} coroutines × ${CONTENDED_PAIRS_EACH} lock / yieldNow / unlock: the holder yields, the others queue, every unlock hands over`,
    workload: work,
    check(rt) {
      const before = rt.stats().contextSwitches;
      shared.total = 0;
      work(rt);
      if (shared.total !== CONTENDED_PAIRS) throw new Error(`sync/mutex/contended: ${shared.total} pairs, expected ${CONTENDED_PAIRS}`);
      const switches = rt.stats().contextSwitches - before;
      // Per pair: the yieldNow and the hand-off wake — about two switches; far fewer would mean no contention.
      if (switches < CONTENDED_PAIRS) throw new Error(`sync/mutex/contended: only ${switches} switches for ${CONTENDED_PAIRS} pairs: no contention`);
    },
  });
};

/**
 * The floor: four plain generators driven round-robin from an array, with a
 * flag and a FIFO of waiters — the least a cooperative lock with hand-off
 * can do on this engine (no stacks, no runtime, no operation objects).
 */
const plainRoundRobinCase = (): TimedCase => {
  let holder = -1;
  const waiters: number[] = [];
  let total = 0;
  function* worker(id: number, n: number): Generator<void, void, unknown> {
    for (let i = 0; i < n; i++) {
      if (holder === -1) holder = id;
      else {
        waiters.push(id);
        while (holder !== id) yield;
      }
      yield; // the holder yields, as the subject's yieldNow
      total++;
      holder = waiters.length > 0 ? waiters.shift()! : -1; // hand-off
    }
  }
  return {
    name: "sync/mutex/contended/4/plain-round-robin",
    role: "baseline",
    baseline: "sync/mutex/contended/4",
    opsPerCall: CONTENDED_PAIRS,
    note: `plain JS: ${CONTENDED_COROUTINES} generators round-robin over an array, a holder flag and a FIFO of waiter ids`,
    fn() {
      const gens = [];
      for (let c = 0; c < CONTENDED_COROUTINES; c++) gens.push(worker(c, CONTENDED_PAIRS_EACH));
      let live = gens.length;
      while (live > 0) {
        live = 0;
        for (const g of gens) if (g.next().done !== true) live++;
      }
      return total;
    },
  };
};

// ── sync/waitgroup/fanout=1000 ────────────────────────────────────────────

function* child(wg: WaitGroup): Generator<unknown, void, unknown> {
  wg.done();
}

function* fanOut(rt: Runtime, wg: WaitGroup, n: number): Generator<unknown, number, unknown> {
  wg.add(n);
  for (let i = 0; i < n; i++) rt.spawn(child, wg);
  yield* wg.wait();
  return wg.count;
}

const waitGroupCase = (): TimedCase => {
  const wg = new WaitGroup({ name: "bench" });
  const work = (rt: Runtime) => {
    const t = rt.spawn(fanOut, rt, wg, FAN_OUT);
    rt.run();
    return t;
  };
  return runtimeCase({
    name: "sync/waitgroup/fanout=1000",
    opsPerCall: FAN_OUT,
    baseline: "sync/waitgroup/fanout=1000/go",
    floor: "sync/waitgroup/fanout=1000/plain-counter",
    note: `per call: add(${FAN_OUT}), ${FAN_OUT} spawned coroutines each calling done(), one yield* wait(); per op = per child (its spawn, run, end)`,
    workload: work,
    check(rt) {
      const before = rt.stats().spawned;
      const t = work(rt);
      if (t.result !== 0 || rt.stats().spawned - before !== FAN_OUT + 1) throw new Error("sync/waitgroup/fanout: wrong counter or spawn count");
    },
  });
};

/** The floor: a counter and an array of closures, run in order, the last one "releasing" the waiter. */
const plainCounterCase = (): TimedCase => {
  let released = 0;
  return {
    name: "sync/waitgroup/fanout=1000/plain-counter",
    role: "baseline",
    baseline: "sync/waitgroup/fanout=1000",
    opsPerCall: FAN_OUT,
    note: `plain JS: counter = ${FAN_OUT}, ${FAN_OUT} closures pushed into an array and run, each decrementing it; zero calls the waiter`,
    fn() {
      let counter = FAN_OUT;
      const waiter = () => released++;
      const tasks: (() => void)[] = [];
      for (let i = 0; i < FAN_OUT; i++) tasks.push(() => void (--counter === 0 && waiter()));
      for (const t of tasks) t();
      return released;
    },
  };
};

const bench: BenchFile = {
  title: "Sync primitives",
  notes: [
    "Every subject case spawns its coroutines on a runtime created in setup and runs them to completion in each call; setup runs " +
      "one call and checks it (pair counts, no two holders, enough switches to prove contention, the WaitGroup back at zero).",
    "Contention in a cooperative scheduler needs a holder that suspends: the contended case holds the lock across a yieldNow(), " +
      "so each unlock() is a FIFO hand-off to a queued coroutine (about two context switches per pair). The Go peer does the same " +
      "with runtime.Gosched() at GOMAXPROCS=1.",
    "Floors (role baseline): plain JavaScript doing the same bookkeeping with no runtime — a boolean flag; generators round-robin " +
      "over an array with a holder and a FIFO; a counter and closures. Their ratio column reads floor ÷ ours.",
    "modelCycles is the cost model's busy cycles per op (rt.stats().busyCycles), model output, not time; every sync operation " +
      "charges the model's channelOp figure.",
  ],
  cases: [
    uncontendedCase(),
    plainFlagCase(),
    goPeerCase("sync/mutex/uncontended/go", `Go: one goroutine, ${UNCONTENDED_PAIRS} mu.Lock() / mu.Unlock() pairs per call`),
    contendedCase(),
    plainRoundRobinCase(),
    goPeerCase(
      "sync/mutex/contended/4/go",
      `Go: ${CONTENDED_COROUTINES} goroutines × ${CONTENDED_PAIRS_EACH} Lock / runtime.Gosched() / Unlock at GOMAXPROCS=1`,
    ),
    waitGroupCase(),
    plainCounterCase(),
    goPeerCase("sync/waitgroup/fanout=1000/go", `Go: wg.Add(${FAN_OUT}), ${FAN_OUT} goroutines calling wg.Done(), wg.Wait(); per goroutine`),
  ],
};

export default bench;

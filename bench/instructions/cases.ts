/**
 * The instruction-count cases (`npm run bench:instructions`, see run.ts).
 *
 * Each case is one operation (a round trip, a message, a select, ...) and has
 * one workload per subject: cprime-coro (the built package), the plain-JS
 * floor with the same semantics (bench/peers/minimal-channel.ts and
 * ./floor.ts), and an async-function peer where one means the same thing.
 * `run(n)` performs exactly n operations and returns a checksum the child
 * verifies against `expect(n)`, so a subject that does less work fails the
 * run instead of looking cheap.
 *
 * Every subject process runs `warmup` operations, then n: start-up, module
 * loading, JIT tier-up and the first crossing of 2³¹ virtual cycles all land
 * in the warm-up, and (I(n2) − I(n1)) / (n2 − n1) is the steady-state cost
 * of one operation, garbage collection included.
 */
import { MemPool } from "@thi.ng/malloc";
import { Channel, HEAP_CONTROL_BYTES, Heap, recv, Runtime, select, sleep, timer, yieldNow } from "cprime-coro";
import { AsyncChannel } from "../peers/async-channel.js";
import { MinimalChannel, MinimalRecvCase, MinimalRuntime, minimalSelect } from "../peers/minimal-channel.js";
import { FloorScheduler, minimalYield } from "./floor.js";
import { HandleChannel, HandleRuntime, handleYield } from "./proto/handles.js";

export type SubjectName = "cprime-coro" | "floor" | "async-fn" | "proto-handles";

export interface Subject {
  /** Performs n operations; returns a checksum. */
  run: (n: number) => number | Promise<number>;
  note: string;
}

export interface InstructionCase {
  name: string;
  /** What one operation is, e.g. "round trip". */
  op: string;
  description: string;
  warmup: number;
  n1: number;
  n2: number;
  /** The #12 target as a multiple of the floor, if any. */
  target?: number;
  expect: (n: number) => number;
  /** Allowed |checksum − expect(n)| as a fraction of n (select's split is random). Default 0. */
  tolerance?: number;
  subjects: Partial<Record<SubjectName, Subject>>;
  /** What the floor column holds when it is not a minimal runtime (the heap cases compare with @thi.ng/malloc). */
  floorName?: string;
  /** Why a subject is missing. */
  missing?: Partial<Record<SubjectName, string>>;
  /** For the timers-at-N-pending series: N (run.ts renders the series as its own table). */
  pending?: number;
}

const newRuntime = (name: string) => new Runtime({ name, seed: 1 });

// ── ping-pong ──────────────────────────────────────────────────────────────

interface WorkloadChannel {
  send(value: number): { [Symbol.iterator](): Iterator<unknown, void, unknown> };
  recv(): { [Symbol.iterator](): Iterator<unknown, { ok: true; value: number } | { ok: false; value: undefined }, unknown> };
}

function* pinger(ping: WorkloadChannel, pong: WorkloadChannel, n: number, out: { sum: number }): Generator<unknown, void, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    yield* ping.send(i);
    const r = yield* pong.recv();
    sum += r.ok ? r.value : 0;
  }
  out.sum = sum;
}

function* ponger(ping: WorkloadChannel, pong: WorkloadChannel, n: number): Generator<unknown, void, unknown> {
  for (let i = 0; i < n; i++) {
    const r = yield* ping.recv();
    yield* pong.send(r.ok ? r.value : -1);
  }
}

const triangle = (n: number) => (n * (n - 1)) / 2;

const pingPong: InstructionCase = {
  name: "pingpong",
  op: "round trip",
  description: "two coroutines, two unbuffered channels: ping.send(i), pong.recv() against pong.send(ping.recv())",
  warmup: 20_000,
  n1: 10_000,
  n2: 50_000,
  target: 1.0,
  expect: triangle,
  subjects: {
    "cprime-coro": {
      note: "Channel<number>(0) ×2, rt.spawn ×2, rt.run()",
      run(n) {
        const rt = (runtimes.pingpong ??= newRuntime("pingpong"));
        const ping = new Channel<number>(0);
        const pong = new Channel<number>(0);
        const out = { sum: -1 };
        rt.spawn(ponger, ping, pong, n);
        rt.spawn(pinger, ping, pong, n, out);
        rt.run();
        return out.sum;
      },
    },
    floor: {
      note: "MinimalChannel(0) ×2 on MinimalRuntime (bench/peers/minimal-channel.ts)",
      run(n) {
        const rt = new MinimalRuntime();
        const ping = new MinimalChannel<number>(rt, 0);
        const pong = new MinimalChannel<number>(rt, 0);
        const out = { sum: -1 };
        rt.spawn(ponger, ping, pong, n);
        rt.spawn(pinger, ping, pong, n, out);
        rt.run();
        return out.sum;
      },
    },
    "proto-handles": {
      note: "HandleChannel(0) ×2 on HandleRuntime (./proto/handles.ts): the floor's semantics with tasks by id",
      run(n) {
        const rt = new HandleRuntime();
        const ping = new HandleChannel<number>(rt, 0);
        const pong = new HandleChannel<number>(rt, 0);
        const out = { sum: -1 };
        rt.spawn(ponger, ping, pong, n);
        rt.spawn(pinger, ping, pong, n, out);
        rt.run();
        return out.sum;
      },
    },
    "async-fn": {
      note: "two async functions over AsyncChannel (bench/peers/async-channel.ts), Promise.all",
      async run(n) {
        const ping = new AsyncChannel<number>();
        const pong = new AsyncChannel<number>();
        let sum = 0;
        await Promise.all([
          (async () => {
            for (let i = 0; i < n; i++) await pong.send(await ping.recv());
          })(),
          (async () => {
            for (let i = 0; i < n; i++) {
              await ping.send(i);
              sum += await pong.recv();
            }
          })(),
        ]);
        return sum;
      },
    },
  },
};

// ── buffered throughput ────────────────────────────────────────────────────

const THROUGHPUT_CAPACITY = 1024;

function* producer(ch: WorkloadChannel, n: number): Generator<unknown, void, unknown> {
  for (let i = 0; i < n; i++) yield* ch.send(i);
}

function* consumer(ch: WorkloadChannel, n: number, out: { sum: number }): Generator<unknown, void, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = yield* ch.recv();
    if (r.ok) sum += r.value;
  }
  out.sum = sum;
}

const throughput: InstructionCase = {
  name: "throughput",
  op: "message",
  description: `one producer, one consumer, a buffered channel of ${THROUGHPUT_CAPACITY}`,
  warmup: 100_000,
  n1: 50_000,
  n2: 250_000,
  target: 1.0,
  expect: triangle,
  subjects: {
    "cprime-coro": {
      note: `Channel<number>(${THROUGHPUT_CAPACITY})`,
      run(n) {
        const rt = (runtimes.throughput ??= newRuntime("throughput"));
        const ch = new Channel<number>(THROUGHPUT_CAPACITY);
        const out = { sum: -1 };
        rt.spawn(producer, ch, n);
        rt.spawn(consumer, ch, n, out);
        rt.run();
        return out.sum;
      },
    },
    floor: {
      note: `MinimalChannel(${THROUGHPUT_CAPACITY})`,
      run(n) {
        const rt = new MinimalRuntime();
        const ch = new MinimalChannel<number>(rt, THROUGHPUT_CAPACITY);
        const out = { sum: -1 };
        rt.spawn(producer, ch, n);
        rt.spawn(consumer, ch, n, out);
        rt.run();
        return out.sum;
      },
    },
    "proto-handles": {
      note: `HandleChannel(${THROUGHPUT_CAPACITY}) (./proto/handles.ts)`,
      run(n) {
        const rt = new HandleRuntime();
        const ch = new HandleChannel<number>(rt, THROUGHPUT_CAPACITY);
        const out = { sum: -1 };
        rt.spawn(producer, ch, n);
        rt.spawn(consumer, ch, n, out);
        rt.run();
        return out.sum;
      },
    },
  },
  missing: { "async-fn": "no buffered channel among the async peers (bench/peers/async-channel.ts is a rendezvous)" },
};

// ── select over two ready channels ─────────────────────────────────────────

const SELECT_CAPACITY = 16;
const SELECT_PREFILL = 8;

function* selector(a: Channel<number>, b: Channel<number>, n: number, out: { sum: number }): Generator<unknown, void, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = yield* select([recv(a), recv(b)]);
    sum += r.index + 1;
    if (r.index === 0) a.trySend(r.value as number);
    else b.trySend(r.value as number);
  }
  out.sum = sum;
}

function* floorSelector(a: MinimalChannel<number>, b: MinimalChannel<number>, n: number, out: { sum: number }): Generator<unknown, void, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = yield* minimalSelect([new MinimalRecvCase(a), new MinimalRecvCase(b)]);
    sum += r.index + 1;
    if (r.index === 0) a.trySend(r.value as number);
    else b.trySend(r.value as number);
  }
  out.sum = sum;
}

/** The checksum counts index + 1 per select: between n and 2n; the child checks the split is near half. */
const selectReady: InstructionCase = {
  name: "select-ready2",
  op: "select",
  description: `select([recv(a), recv(b)]) over two buffered channels (${SELECT_CAPACITY}) kept non-empty (the value goes back with trySend)`,
  warmup: 20_000,
  n1: 20_000,
  n2: 100_000,
  target: 1.2,
  expect: (n) => 1.5 * n,
  tolerance: 0.05,
  subjects: {
    "cprime-coro": {
      note: "select([recv(a), recv(b)]) written inline",
      run(n) {
        const rt = (runtimes.select ??= newRuntime("select"));
        const a = new Channel<number>(SELECT_CAPACITY);
        const b = new Channel<number>(SELECT_CAPACITY);
        for (let i = 0; i < SELECT_PREFILL; i++) {
          a.trySend(i);
          b.trySend(i);
        }
        const out = { sum: -1 };
        rt.spawn(selector, a, b, n, out);
        rt.run();
        return out.sum;
      },
    },
    floor: {
      note: "minimalSelect (random poll order, first ready case)",
      run(n) {
        const rt = new MinimalRuntime();
        const a = new MinimalChannel<number>(rt, SELECT_CAPACITY);
        const b = new MinimalChannel<number>(rt, SELECT_CAPACITY);
        for (let i = 0; i < SELECT_PREFILL; i++) {
          a.trySend(i);
          b.trySend(i);
        }
        const out = { sum: -1 };
        rt.spawn(floorSelector, a, b, n, out);
        rt.run();
        return out.sum;
      },
    },
  },
  missing: { "async-fn": "async functions have no select; Promise.race over two receives is a different operation (it loses values)" },
};

// ── switch: yieldNow round-robin ───────────────────────────────────────────

const SWITCH_COROUTINES = 100;

function* yielder(rounds: number, out: { sum: number }): Generator<unknown, void, unknown> {
  for (let r = 0; r < rounds; r++) yield* yieldNow();
  out.sum += rounds;
}

const switchCase: InstructionCase = {
  name: "switch",
  op: "switch",
  description: `${SWITCH_COROUTINES} coroutines doing yieldNow() round-robin; n switches = ${SWITCH_COROUTINES} × n/${SWITCH_COROUTINES} rounds`,
  warmup: 20_000,
  n1: 20_000,
  n2: 100_000,
  target: 1.0,
  expect: (n) => n,
  subjects: {
    "cprime-coro": {
      note: "yield* yieldNow()",
      run(n) {
        const rt = (runtimes.switch ??= newRuntime("switch"));
        const out = { sum: 0 };
        for (let i = 0; i < SWITCH_COROUTINES; i++) rt.spawn(yielder, n / SWITCH_COROUTINES, out);
        rt.run();
        return out.sum;
      },
    },
    floor: {
      note: "a bare run queue of generators, a singleton-shaped yield operation (./floor.ts)",
      run(n) {
        const s = new FloorScheduler();
        const out = { sum: 0 };
        function* floorYielder(rounds: number): Generator<unknown, void, unknown> {
          for (let r = 0; r < rounds; r++) yield* s.yieldNow();
          out.sum += rounds;
        }
        for (let i = 0; i < SWITCH_COROUTINES; i++) s.spawn(floorYielder, n / SWITCH_COROUTINES);
        s.run();
        return out.sum;
      },
    },
    "proto-handles": {
      note: "HandleRuntime (./proto/handles.ts): an Int32Array ring of task ids",
      run(n) {
        const rt = new HandleRuntime();
        const out = { sum: 0 };
        function* handleYielder(rounds: number): Generator<unknown, void, unknown> {
          for (let r = 0; r < rounds; r++) yield* handleYield(rt);
          out.sum += rounds;
        }
        for (let i = 0; i < SWITCH_COROUTINES; i++) rt.spawn(handleYielder, n / SWITCH_COROUTINES);
        rt.run();
        return out.sum;
      },
    },
    "async-fn": {
      note: `${SWITCH_COROUTINES} async functions doing \`await null\` (a microtask turn), Promise.all`,
      async run(n) {
        let sum = 0;
        const rounds = n / SWITCH_COROUTINES;
        const all: Promise<void>[] = [];
        for (let i = 0; i < SWITCH_COROUTINES; i++) {
          all.push(
            (async () => {
              for (let r = 0; r < rounds; r++) await null;
              sum += rounds;
            })(),
          );
        }
        await Promise.all(all);
        return sum;
      },
    },
  },
};

// ── spawn + run + complete ─────────────────────────────────────────────────

const SPAWN_BATCH = 1000;

function* emptyCoroutine(out: { sum: number }): Generator<never, void, unknown> {
  out.sum++;
}

async function emptyAsync(out: { sum: number }): Promise<void> {
  out.sum++;
}

const spawnCase: InstructionCase = {
  name: "spawn",
  op: "coroutine",
  description: `spawn an empty coroutine, run it, complete it (batches of ${SPAWN_BATCH}, one run() per batch)`,
  warmup: 20_000,
  n1: 10_000,
  n2: 50_000,
  expect: (n) => n,
  subjects: {
    "cprime-coro": {
      note: `${SPAWN_BATCH} × rt.spawn(empty), rt.run()`,
      run(n) {
        const rt = (runtimes.spawn ??= newRuntime("spawn"));
        const out = { sum: 0 };
        for (let b = 0; b < n; b += SPAWN_BATCH) {
          for (let i = 0; i < SPAWN_BATCH; i++) rt.spawn(emptyCoroutine, out);
          rt.run();
        }
        return out.sum;
      },
    },
    floor: {
      note: "MinimalRuntime.spawn + run",
      run(n) {
        const rt = new MinimalRuntime();
        const out = { sum: 0 };
        for (let b = 0; b < n; b += SPAWN_BATCH) {
          for (let i = 0; i < SPAWN_BATCH; i++) rt.spawn(emptyCoroutine, out);
          rt.run();
        }
        return out.sum;
      },
    },
    "async-fn": {
      note: `${SPAWN_BATCH} calls of an empty async function, await Promise.all (the #12 spawn target's reference)`,
      async run(n) {
        const out = { sum: 0 };
        for (let b = 0; b < n; b += SPAWN_BATCH) {
          const all = new Array<Promise<void>>(SPAWN_BATCH);
          for (let i = 0; i < SPAWN_BATCH; i++) all[i] = emptyAsync(out);
          await Promise.all(all);
        }
        return out.sum;
      },
    },
  },
};

// ── creating a channel, a timer ────────────────────────────────────────────

/** A case that makes one object per operation outside any coroutine; `make` returns 1 when the object did its part. */
function creationCase(
  name: string,
  op: string,
  description: string,
  subjects: Partial<Record<SubjectName, { note: string; make: () => number }>>,
): InstructionCase {
  const run: Partial<Record<SubjectName, Subject>> = {};
  for (const [subject, { note, make }] of Object.entries(subjects) as [SubjectName, { note: string; make: () => number }][]) {
    run[subject] = {
      note,
      run(n) {
        let done = 0;
        for (let i = 0; i < n; i++) done += make();
        return done;
      },
    };
  }
  return { name, op, description, warmup: 20_000, n1: 100_000, n2: 300_000, expect: (n) => n, subjects: run };
}

const floorRuntime = new MinimalRuntime();

const chanCreate = creationCase("chan-create", "channel", "create a buffered channel (capacity 1) outside any coroutine and drop it", {
  "cprime-coro": { note: "new Channel<number>(1)", make: () => new Channel<number>(1).capacity },
  floor: { note: "new MinimalChannel(rt, 1)", make: () => new MinimalChannel<number>(floorRuntime, 1).capacity },
});

const timerCreate = creationCase("timer-create", "timer", "create a timer (1 000 virtual seconds) outside any coroutine and stop it", {
  "cprime-coro": { note: "timer(1e6).stop()", make: () => (timer(1e6).stop() ? 1 : 0) },
});

// ── park / wake ────────────────────────────────────────────────────────────

const PARKED_WORKERS = 1000;

function* parkedWorker(ch: WorkloadChannel, out: { sum: number }): Generator<unknown, void, unknown> {
  for (;;) {
    const r = yield* ch.recv();
    if (!r.ok) return;
    out.sum += r.value;
  }
}

const parkWake: InstructionCase = {
  name: "park-wake",
  op: "park + wake",
  description:
    `${PARKED_WORKERS} coroutines parked in recv on one unbuffered channel; a driver sends to each (the send finds a parked ` +
    `receiver and wakes it), then yields so they run and park again: one op = one wake, one resume, one park`,
  warmup: 20_000,
  n1: 10_000,
  n2: 50_000,
  expect: (n) => n,
  subjects: {
    "cprime-coro": {
      note: "Channel<number>(0), yield* ch.send(1) ×1000 then yieldNow(); close at the end",
      run(n) {
        const rt = (runtimes.parkWake ??= newRuntime("park-wake"));
        const ch = new Channel<number>(0);
        const out = { sum: 0 };
        for (let i = 0; i < PARKED_WORKERS; i++) rt.spawn(parkedWorker, ch, out);
        rt.spawn(function* driver() {
          yield* yieldNow(); // let every worker park first
          for (let sent = 0; sent < n;) {
            for (let i = 0; i < PARKED_WORKERS && sent < n; i++, sent++) yield* ch.send(1);
            yield* yieldNow();
          }
          ch.close();
        });
        rt.run();
        return out.sum;
      },
    },
    floor: {
      note: "MinimalChannel(0) + a minimal yield (./floor.ts); no close (the run just ends)",
      run(n) {
        const rt = new MinimalRuntime();
        const ch = new MinimalChannel<number>(rt, 0);
        const out = { sum: 0 };
        for (let i = 0; i < PARKED_WORKERS; i++) rt.spawn(parkedWorker, ch, out);
        rt.spawn(function* driver() {
          yield* minimalYield(rt);
          for (let sent = 0; sent < n;) {
            for (let i = 0; i < PARKED_WORKERS && sent < n; i++, sent++) yield* ch.send(1);
            yield* minimalYield(rt);
          }
        });
        rt.run();
        return out.sum;
      },
    },
    "async-fn": {
      note: "1000 async functions awaiting AsyncChannel.recv(); the driver sends to each, then `await null`",
      async run(n) {
        const ch = new AsyncChannel<number>();
        const out = { sum: 0 };
        let stop = false;
        const workers: Promise<void>[] = [];
        for (let i = 0; i < PARKED_WORKERS; i++) {
          workers.push(
            (async () => {
              for (;;) {
                const v = await ch.recv();
                if (stop) return;
                out.sum += v;
              }
            })(),
          );
        }
        await null;
        for (let sent = 0; sent < n;) {
          for (let i = 0; i < PARKED_WORKERS && sent < n; i++, sent++) void ch.send(1);
          await null;
        }
        stop = true;
        for (let i = 0; i < PARKED_WORKERS; i++) void ch.send(0);
        await Promise.all(workers);
        return out.sum;
      },
    },
  },
};

// ── timers ─────────────────────────────────────────────────────────────────

const TIMER_COROUTINES = 100;

/** Sleeps `ms` virtual ms `rounds` times (both timer cases' coroutine, each subject's `sleepFor`), then counts its sleeps into `out`. */
function* sleeper(ms: number, rounds: number, sleepFor: (ms: number) => Iterable<unknown>, out: { sum: number }): Generator<unknown, void, unknown> {
  for (let r = 0; r < rounds; r++) yield* sleepFor(ms) as Generator<unknown, void, unknown>;
  out.sum += rounds;
}

/** The timer cases' floor: `coroutines` sleepers of `msOf(i)` on FloorScheduler, `rounds` sleeps each. */
function floorSleepers(coroutines: number, msOf: (i: number) => number, rounds: number): number {
  const s = new FloorScheduler();
  const out = { sum: 0 };
  const floorSleep = (ms: number) => s.sleep(ms);
  for (let i = 0; i < coroutines; i++) s.spawn(sleeper, msOf(i), rounds, floorSleep, out);
  s.run();
  return out.sum;
}

/** The timer case's interval: 1–10 virtual ms by id. */
const shortMs = (id: number) => 1 + (id % 10);

const timers: InstructionCase = {
  name: "timer",
  op: "sleep",
  description:
    `${TIMER_COROUTINES} coroutines each sleeping 1–10 virtual ms in a loop (≈${TIMER_COROUTINES} pending timers): one op = ` +
    "one timer armed, fired and its coroutine resumed. The warm-up first sleeps 1 virtual s, so 2³¹ cycles are crossed before measuring",
  warmup: 20_000,
  n1: 10_000,
  n2: 50_000,
  expect: (n) => n,
  subjects: {
    "cprime-coro": {
      note: "yield* sleep(ms)",
      run(n) {
        const rt = (runtimes.timer ??= newRuntime("timer"));
        const out = { sum: 0 };
        if (!warmedTimer) {
          warmedTimer = true;
          rt.spawn(function* () {
            yield* sleep(1000);
          });
          rt.run();
        }
        for (let i = 0; i < TIMER_COROUTINES; i++) rt.spawn(sleeper, shortMs(i), n / TIMER_COROUTINES, sleep, out);
        rt.run();
        return out.sum;
      },
    },
    floor: {
      note: "a binary heap of (deadline, seq) timers on a bare run queue (./floor.ts)",
      run: (n) => floorSleepers(TIMER_COROUTINES, shortMs, n / TIMER_COROUTINES),
    },
  },
  missing: { "async-fn": "async functions have no virtual clock; setTimeout would measure libuv's real timers and wall time" },
};

// ── timers at N pending: is a sleep O(log N) in instructions? ──────────────

/** A sleep of 1 … 1001 virtual ms with µs resolution, scattered by id (Knuth's multiplicative hash), so N coroutines' deadlines are distinct and arrive in random heap order. */
const scatteredMs = (id: number) => 1 + ((Math.imul(id, 2654435761) >>> 0) % 1_000_000) / 1000;

/**
 * N coroutines, each sleeping its own scattered interval `rounds` times: n
 * operations are n / N rounds. Spawning and finishing the N coroutines is the
 * same in both points of a subject, so (I(n2) − I(n1)) / (n2 − n1) is the
 * cost of one sleep with N timers pending, garbage collection of N live
 * coroutines included.
 */
function timersPendingCase(label: string, pending: number, r1: number, r2: number): InstructionCase {
  const rounds = (n: number) => {
    if (n % pending !== 0) throw new Error(`timer-pending-${label}: n = ${n} is not a whole number of rounds of ${pending}`);
    return n / pending;
  };
  return {
    name: `timer-pending-${label}`,
    op: "sleep",
    description:
      `${pending.toLocaleString("en-US")} coroutines, each sleeping its own interval of 1–1001 virtual ms (µs resolution, scattered by id) in a loop, so ${pending.toLocaleString("en-US")} timers are pending: ` +
      "one op = one timer armed, fired and its coroutine resumed. The warm-up is one round (it crosses 2³¹ cycles).",
    warmup: pending,
    n1: pending * r1,
    n2: pending * r2,
    expect: (n) => n,
    subjects: {
      "cprime-coro": {
        note: "yield* sleep(ms)",
        run(n) {
          const rt = (pendingRuntimes[label] ??= newRuntime(`timer-pending-${label}`));
          const out = { sum: 0 };
          const r = rounds(n);
          for (let i = 0; i < pending; i++) rt.spawn(sleeper, scatteredMs(i), r, sleep, out);
          rt.run();
          return out.sum;
        },
      },
      floor: {
        note: "a binary heap of (deadline, seq) timers on a bare run queue (./floor.ts)",
        run: (n) => floorSleepers(pending, scatteredMs, rounds(n)),
      },
    },
    missing: { "async-fn": "async functions have no virtual clock" },
    pending,
  };
}

const pendingRuntimes: Record<string, Runtime> = {};

// ── heap alloc + free ──────────────────────────────────────────────────────

const HEAP_BYTES = 16 << 20;
/** Blocks live while the pair runs, as in bench/memory.bench.ts, so the heap is not trivially empty. */
const HEAP_RESIDENT = 64;

function heapCase(label: string, bytes: number): InstructionCase {
  return {
    name: `heap-${label}`,
    op: "alloc + free",
    description: `alloc(${bytes}) then free of the same block, ${HEAP_RESIDENT} blocks resident (bench/memory.bench.ts's memory/heap/alloc-free/${label})`,
    warmup: 20_000,
    n1: 20_000,
    n2: 100_000,
    target: 1.0,
    floorName: "@thi.ng/malloc",
    expect: (n) => n,
    subjects: {
      "cprime-coro": {
        note: `Heap.init over a ${HEAP_BYTES >> 20} MiB SharedArrayBuffer, unshared (no lock)`,
        run(n) {
          const heap = (heaps[label] ??= Heap.init(new SharedArrayBuffer(HEAP_BYTES), 0, HEAP_CONTROL_BYTES));
          if (!residentDone.has(label)) {
            residentDone.add(label);
            for (let i = 0; i < HEAP_RESIDENT; i++) heap.alloc(bytes);
          }
          let ok = 0;
          for (let i = 0; i < n; i++) {
            const a = heap.alloc(bytes);
            heap.free(a);
            if (a > 0) ok++;
          }
          return ok;
        },
      },
      floor: {
        note: `the reference, not a floor: @thi.ng/malloc MemPool over a ${HEAP_BYTES >> 20} MiB ArrayBuffer, align 16 (freeing the newest block is its best case)`,
        run(n) {
          const pool = (pools[label] ??= new MemPool({ size: HEAP_BYTES, align: 16 }));
          if (!residentDone.has(`thi.ng ${label}`)) {
            residentDone.add(`thi.ng ${label}`);
            for (let i = 0; i < HEAP_RESIDENT; i++) pool.malloc(bytes);
          }
          let ok = 0;
          for (let i = 0; i < n; i++) {
            const a = pool.malloc(bytes);
            pool.free(a);
            if (a > 0) ok++;
          }
          return ok;
        },
      },
    },
    missing: { "async-fn": "not an async operation" },
  };
}

const heaps: Record<string, Heap> = {};
const pools: Record<string, MemPool> = {};
const residentDone = new Set<string>();

let warmedTimer = false;
const runtimes: Partial<Record<"pingpong" | "throughput" | "select" | "switch" | "spawn" | "parkWake" | "timer", Runtime>> = {};

export const CASES: readonly InstructionCase[] = [
  pingPong,
  throughput,
  selectReady,
  switchCase,
  spawnCase,
  chanCreate,
  timerCreate,
  parkWake,
  timers,
  timersPendingCase("1k", 1_000, 10, 50),
  timersPendingCase("10k", 10_000, 2, 6),
  timersPendingCase("100k", 100_000, 1, 3),
  timersPendingCase("1M", 1_000_000, 1, 2),
  heapCase("4KiB", 4096),
  heapCase("256B", 256),
];

/**
 * One scale measurement (run.ts runs it in a fresh `node --expose-gc` process):
 * `child.mjs <workload> <subject> <n>` prints one JSON line (prefixed by
 * RESULT) with wall and CPU time, the garbage collector's share of the wall
 * time, and bytes per parked coroutine.
 *
 * Workloads:
 * - park-wake: n coroutines block in recv on one unbuffered channel; a driver
 *   (spawned last, so it runs once all are parked) measures memory, then sends
 *   n values, each waking one; the woken coroutines finish.
 * - timers: n coroutines sleep distinct deadlines (1 … n virtual ms, in a
 *   multiplicative-permutation order, so the timer heap sees random inserts);
 *   a probe sleeping 0.5 ms measures memory while all are armed.
 * - day: n coroutines, each sleeping uniform random intervals in [0, 4 h)
 *   until 24 virtual hours have passed (≈ 12 sleeps each); the probe measures
 *   memory at 12 h.
 *
 * Memory: after two gc() calls, Δ(heapUsed + external) of the JS heap plus the
 * coroutine stacks in the SharedArrayBuffer (whose growable backing store is
 * not in process.memoryUsage()): micro slots in use × buffer bytes per slot
 * (256 + 4 + ⅛ B: the slot, its generation word, its bitmap bit; the slack
 * of pools carved ahead, up to 2×, is not charged). The probe's own forced GCs and its
 * time are excluded from the wall time and the GC share.
 *
 * Each process first runs the workload once at 10⁴ coroutines (a warm-up,
 * discarded), so per-coroutine figures at small N are not JIT tier-up.
 *
 * GC share: the sum of PerformanceObserver "gc" entry durations in the
 * measured window ÷ its wall time (no --trace-gc).
 */
import { PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import { Channel, Runtime, sleep } from "cprime-coro";
import { FloorChannel, ScaleFloor } from "./floor.js";

export interface ScaleResult {
  workload: string;
  subject: string;
  n: number;
  wallMs: number;
  cpuMs: number;
  /** Of cpuMs, the kernel's (first-touch page faults, mostly; what they cost depends on the host). */
  sysMs?: number;
  gcMs: number;
  gcShare: number;
  bytesPerCoroutine: number;
  heapBytesPerCoroutine: number;
  bufferBytesPerCoroutine: number;
  /** Operations (sleeps, wakes) per coroutine, to turn per-coroutine into per-op. */
  opsPerCoroutine: number;
  phases: Record<string, number>;
  note?: string;
}

const RESULT = "RESULT ";
/** Coroutines of the warm-up round every measurement runs first (not for the day: its timers already run ≈ 12 rounds). */
const WARMUP = 10_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== "function") throw new Error("run with --expose-gc");
const fullGc = () => {
  gc();
  gc();
};

const gcEntries: PerformanceEntry[] = [];
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcEntries.push(e);
});
observer.observe({ entryTypes: ["gc"] });

/** Flushes the observer (entries arrive asynchronously) and sums gc time in [start, end) minus excluded windows. */
async function gcTimeIn(start: number, end: number, exclude: [number, number][]): Promise<number> {
  await new Promise((r) => setTimeout(r, 50));
  let ms = 0;
  for (const e of gcEntries) {
    if (e.startTime < start || e.startTime >= end) continue;
    if (exclude.some(([a, b]) => e.startTime >= a && e.startTime < b)) continue;
    ms += e.duration;
  }
  return ms;
}

interface Probe {
  heap: number;
  /** Stack slots in use (cprime-coro's micro slots, the slots floor's), null without slots. */
  slots: number | null;
  /** Bytes of the buffer per slot in use: the slot and what tracks it. */
  slotBytes: number;
  buffer: number;
  /** [start, end) in performance.now() ms. */
  window: [number, number];
  /** CPU ms the probe took (forced GCs), and the kernel's part of it. */
  cpuMs: number;
  sysMs: number;
}

function memNow(rt: Runtime | null): Omit<Probe, "window" | "cpuMs" | "sysMs"> {
  const m = process.memoryUsage();
  const mem = rt?.stats().memory ?? null;
  return { heap: m.heapUsed + m.external, slots: mem?.micro.used ?? null, slotBytes: SLOT_BYTES, buffer: mem?.bufferBytes ?? 0 };
}

function probe(read: () => Omit<Probe, "window" | "cpuMs" | "sysMs">): Probe {
  const a = performance.now();
  const c = process.cpuUsage();
  fullGc();
  const p = read();
  const cpu = process.cpuUsage(c);
  return { ...p, window: [a, performance.now()], cpuMs: (cpu.user + cpu.system) / 1000, sysMs: cpu.system / 1000 };
}

function bytesPer(before: Omit<Probe, "window" | "cpuMs" | "sysMs">, at: Probe, n: number): { heap: number; buffer: number; note: string } {
  const heap = (at.heap - before.heap) / n;
  if (before.slots === null || at.slots === null) return { heap, buffer: 0, note: "" };
  const slots = (at.slots - before.slots) / n;
  return { heap, buffer: slots * at.slotBytes, note: `${slots.toFixed(3)} slot × ${at.slotBytes} B; buffer ${(at.buffer / 2 ** 20).toFixed(0)} MiB` };
}

/** A micro slot in the buffer: 256 B of stack, its u32 generation, its bitmap bit (pool slack from capacity doubling not counted). */
const SLOT_BYTES = 256 + 4 + 1 / 8;

/** A deterministic permutation of 0..n-1 for n a power of ten: i ↦ i·7919 mod n. */
const perm = (i: number, n: number) => (i * 7919) % n;

function newRuntime(n: number): Runtime {
  // Stacks for n coroutines (256 B each) plus room; the address space's hard limit is 4 GiB − 8.
  return new Runtime({ name: "scale", seed: 1, maxMemoryBytes: Math.min(2 ** 32 - 8, 64 * 2 ** 20 + n * 400) });
}

/** An operation as `yield*` sees it: an iterable whose iterator returns R. */
type Op<R> = { [Symbol.iterator](): Iterator<unknown, R, unknown> };

/** The calls the workloads make; cprime-coro's Runtime and the floor's ScaleFloor both have them. */
interface YieldStarRuntime {
  spawn<A extends unknown[]>(fn: (...args: A) => Generator<unknown, void, unknown>, ...args: A): unknown;
  run(): void;
  /** Virtual milliseconds. */
  now(): number;
}

/** One `yield*` runtime under measurement: cprime-coro, or the floor (bench/scale/floor.ts). */
interface YieldStarSubject {
  name: "cprime-coro" | "floor" | "floor+slot";
  rt: YieldStarRuntime;
  channel(): { recv(): Op<{ ok: boolean; value?: number }>; send(v: number): Op<void> };
  sleep(ms: number): Op<void>;
  memory(): Omit<Probe, "window" | "cpuMs" | "sysMs">;
}

function cprimeSubject(n: number): YieldStarSubject {
  const rt = newRuntime(n);
  return { name: "cprime-coro", rt, channel: () => new Channel<number>(0), sleep, memory: () => memNow(rt) };
}

function floorSubject(slots: boolean): YieldStarSubject {
  const rt = new ScaleFloor({ slots });
  const memory = () => {
    const m = process.memoryUsage();
    const s = rt.slotStats();
    return { heap: m.heapUsed + m.external, slots: slots ? s.inUse : null, slotBytes: s.slotBytes, buffer: s.bufferBytes };
  };
  return { name: slots ? "floor+slot" : "floor", rt, channel: () => new FloorChannel<number>(rt), sleep: (ms) => rt.sleep(ms), memory };
}

async function parkWake(s: YieldStarSubject, n: number): Promise<ScaleResult> {
  const rt = s.rt;
  const ch = s.channel();
  const out = { sum: 0 };
  fullGc();
  const before = s.memory();
  let at: Probe | null = null;
  let parkedAt = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  function* worker(): Generator<unknown, void, unknown> {
    const r = yield* ch.recv();
    if (r.ok) out.sum += r.value!;
  }
  for (let i = 0; i < n; i++) rt.spawn(worker);
  const spawnedAt = performance.now();
  rt.spawn(function* driver() {
    parkedAt = performance.now();
    at = probe(s.memory);
    for (let i = 0; i < n; i++) yield* ch.send(1);
  });
  rt.run();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (out.sum !== n || at === null) throw new Error(`park-wake: ${out.sum} of ${n} coroutines were woken`);
  const p = at as Probe;
  const probeMs = p.window[1] - p.window[0];
  const wall = t1 - t0 - probeMs;
  const gcMs = await gcTimeIn(t0, t1, [p.window]);
  const b = bytesPer(before, p, n);
  return {
    workload: "park-wake",
    subject: s.name,
    n,
    wallMs: wall,
    cpuMs: (cpu.user + cpu.system) / 1000 - p.cpuMs,
    sysMs: cpu.system / 1000 - p.sysMs,
    gcMs,
    gcShare: gcMs / wall,
    bytesPerCoroutine: b.heap + b.buffer,
    heapBytesPerCoroutine: b.heap,
    bufferBytesPerCoroutine: b.buffer,
    opsPerCoroutine: 1,
    phases: { spawnMs: spawnedAt - t0, parkMs: parkedAt - spawnedAt, wakeFinishMs: t1 - p.window[1] },
    note: b.note,
  };
}

/**
 * n async functions each awaiting its own pending promise (n pending
 * promises), woken in order by calling their resolvers. Not AsyncChannel:
 * its Array.shift() over 10⁵+ waiters is O(n) per wake in V8, which would
 * measure the array, not the async functions.
 */
async function asyncParkWake(n: number): Promise<ScaleResult> {
  const wakers = new Array<(v: number) => void>(n);
  const out = { sum: 0 };
  let finished!: () => void;
  const all = new Promise<void>((r) => (finished = r));
  fullGc();
  const before = memNow(null);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async (i: number) => {
    const v = await new Promise<number>((wake) => (wakers[i] = wake)); // not `out.sum += await …`: that reads out.sum first
    out.sum += v;
    if (out.sum === n) finished();
  };
  for (let i = 0; i < n; i++) void worker(i);
  const parkedAt = performance.now();
  const p = probe(() => memNow(null));
  for (let i = 0; i < n; i++) wakers[i](1);
  await all;
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const probeMs = p.window[1] - p.window[0];
  const wall = t1 - t0 - probeMs;
  const gcMs = await gcTimeIn(t0, t1, [p.window]);
  const b = bytesPer(before, p, n);
  return {
    workload: "park-wake",
    subject: "async-fn",
    n,
    wallMs: wall,
    cpuMs: (cpu.user + cpu.system) / 1000 - p.cpuMs,
    sysMs: cpu.system / 1000 - p.sysMs,
    gcMs,
    gcShare: gcMs / wall,
    bytesPerCoroutine: b.heap,
    heapBytesPerCoroutine: b.heap,
    bufferBytesPerCoroutine: 0,
    opsPerCoroutine: 1,
    phases: { spawnParkMs: parkedAt - t0, wakeFinishMs: t1 - p.window[1] },
    note: "async functions each awaiting its own pending promise, woken through an array of resolvers",
  };
}

async function timed(s: YieldStarSubject, workload: "timers" | "day", n: number): Promise<ScaleResult> {
  const rt = s.rt;
  const out = { done: 0, sleeps: 0 };
  fullGc();
  const before = s.memory();
  let at: Probe | null = null;
  let armedAt = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const DAY = 24 * 3600 * 1000;
  const MAX_SLEEP = 4 * 3600 * 1000;
  if (workload === "timers") {
    function* sleeper(ms: number): Generator<unknown, void, unknown> {
      yield* s.sleep(ms);
      out.done++;
      out.sleeps++;
    }
    for (let i = 0; i < n; i++) rt.spawn(sleeper, 1 + perm(i, n));
  } else {
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    function* day(): Generator<unknown, void, unknown> {
      while (rt.now() < DAY) {
        yield* s.sleep(Math.floor(random() * MAX_SLEEP));
        out.sleeps++;
      }
      out.done++;
    }
    for (let i = 0; i < n; i++) rt.spawn(day);
  }
  rt.spawn(function* probeAt() {
    armedAt = performance.now();
    yield* s.sleep(workload === "timers" ? 0.5 : DAY / 2);
    at = probe(s.memory);
  });
  rt.run();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (out.done !== n || at === null) throw new Error(`${workload}: ${out.done} of ${n} coroutines finished`);
  const p = at as Probe;
  const probeMs = p.window[1] - p.window[0];
  const wall = t1 - t0 - probeMs;
  const gcMs = await gcTimeIn(t0, t1, [p.window]);
  const b = bytesPer(before, p, n);
  return {
    workload,
    subject: s.name,
    n,
    wallMs: wall,
    cpuMs: (cpu.user + cpu.system) / 1000 - p.cpuMs,
    sysMs: cpu.system / 1000 - p.sysMs,
    gcMs,
    gcShare: gcMs / wall,
    bytesPerCoroutine: b.heap + b.buffer,
    heapBytesPerCoroutine: b.heap,
    bufferBytesPerCoroutine: b.buffer,
    opsPerCoroutine: out.sleeps / n,
    phases: { spawnArmMs: armedAt - t0, restMs: t1 - armedAt - probeMs, virtualHours: rt.now() / 3600_000 },
    note: b.note,
  };
}

/** Real timers: n async functions awaiting setTimeout, deadlines spread over 1 s after 1 s + 3 µs·n. Wall time is mostly waiting; CPU time is the figure. */
async function asyncTimers(n: number): Promise<ScaleResult> {
  let done = 0;
  let finished!: () => void;
  const all = new Promise<void>((r) => (finished = r));
  fullGc();
  const before = memNow(null);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const timed = async (deadline: number) => {
    await new Promise((r) => setTimeout(r, Math.max(0, deadline - performance.now())));
    if (++done === n) finished();
  };
  // Absolute deadlines from t0, past the time arming n timers takes, so none fires before memory is read.
  const base = t0 + 1000 + n * 0.003;
  for (let i = 0; i < n; i++) void timed(base + Math.floor((perm(i, n) * 1000) / n));
  const armedAt = performance.now();
  const p = probe(() => memNow(null));
  await all;
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const probeMs = p.window[1] - p.window[0];
  const wall = t1 - t0 - probeMs;
  const gcMs = await gcTimeIn(t0, t1, [p.window]);
  const b = bytesPer(before, p, n);
  const cpuMs = (cpu.user + cpu.system) / 1000 - p.cpuMs;
  return {
    workload: "timers",
    subject: "async-fn",
    n,
    wallMs: cpuMs,
    cpuMs,
    sysMs: cpu.system / 1000 - p.sysMs,
    gcMs,
    gcShare: NaN, // GC entries are wall-clock durations, the time here is CPU: no meaningful ratio
    bytesPerCoroutine: b.heap,
    heapBytesPerCoroutine: b.heap,
    bufferBytesPerCoroutine: 0,
    opsPerCoroutine: 1,
    phases: { spawnArmMs: armedAt - t0, realWallMs: wall },
    note: "real setTimeout to deadlines spread over 1 s after 1 s + 3 µs·n: the time column is CPU time, wall time is mostly waiting",
  };
}

async function main(): Promise<void> {
  const [workload, subject, nText] = process.argv.slice(2);
  const n = Number(nText);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`n must be a positive integer, received ${JSON.stringify(nText)}`);
  let measure: (n: number) => Promise<ScaleResult>;
  if (subject === "cprime-coro" || subject === "floor" || subject === "floor+slot") {
    const make = (k: number) => (subject === "cprime-coro" ? cprimeSubject(k) : floorSubject(subject === "floor+slot"));
    measure = workload === "park-wake" ? (k) => parkWake(make(k), k) : (k) => timed(make(k), workload as "timers" | "day", k);
  } else if (subject === "async-fn" && workload === "park-wake") measure = asyncParkWake;
  else if (subject === "async-fn" && workload === "timers") measure = asyncTimers;
  else throw new Error(`no ${subject} subject for ${workload}`);
  // Warm-up: the same workload at WARMUP coroutines first, so JIT tier-up and first-use costs are not charged to small N.
  if (workload !== "day") await measure(WARMUP);
  gcEntries.length = 0;
  const r = await measure(n);
  observer.disconnect();
  process.stdout.write(RESULT + JSON.stringify(r) + "\n");
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

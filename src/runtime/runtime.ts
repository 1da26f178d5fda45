/**
 * The public Runtime: the facade users program against.
 *
 * It owns a Scheduler (src/sched/scheduler.ts: the queue, clock, timers,
 * parking and endings) and the observe layer's instruments for it (tracer,
 * profiler, leak watch, dumps, deadlock reports), and shows nothing else:
 * the scheduler sits in a `#private` field, so neither the published types
 * nor reflection reach the internals from here.
 *
 * Layers: this module is above observe/ and sched/; nothing below imports it.
 * Lower layers that need "the runtime of the running coroutine" get its
 * scheduler from the running task; "the default runtime" is provided to them
 * through sched/current.ts, which the default-runtime module fills in.
 */
import { describeValue, readGuarded } from "../describe.js";
import type { CoroDef, CoroFn } from "../coro/coro.js";
import { CoroDefImpl } from "../coro/coro.js";
import { AddressSpace, type MemoryStats, type SizeClass } from "../memory/index.js";
import { findDeadlocks, LeakWatch, type DeadlockReport } from "../observe/deadlocks.js";
import { dumpRuntime, type CoroDump } from "../observe/dump.js";
import { Profiler, type Profile } from "../observe/profiler.js";
import { Tracer, type TraceJson } from "../observe/trace.js";
import { resolveCostModel, type CostModel } from "../sched/cost-model.js";
import type { Coroutine } from "../sched/coroutine.js";
import { addObserver } from "../sched/observer.js";
import { classOverridesOf } from "../sched/profile-data.js";
import { Random } from "../sched/random.js";
import { resourceOf, Scheduler, type Leftover } from "../sched/scheduler.js";
import type { Task } from "../sched/task.js";
import { checkOptions, type RuntimeOptions } from "./options.js";
import { inferPattern } from "./affinity.js";
import { PriorityInheritance } from "../sched/inheritance.js";
import { CHANNEL_PATTERNS, checkPriority, isChannelPattern, type ChannelPattern } from "../coro/coro.js";
import type { MissedDeadline, SpawnOptions } from "../sched/scheduler.js";
import { patternOverridesOf } from "../sched/profile-data.js";

export type { MissedDeadline } from "../sched/scheduler.js";

/** What `spawnWith` accepts. */
export interface SpawnWithOptions {
  name?: string;
  /** An integer; higher runs first; default the definition's priority or 0. */
  priority?: number;
  /** The affinity pool (with `pools: { affinity }` on); default the definition's, else what the arguments imply. */
  channelPattern?: ChannelPattern;
  /** Absolute virtual ms (as withDeadline): EDF among ready coroutines of its level; missedDeadlines() lists it if it ends later. */
  deadline?: number;
}

const SPAWN_OPTION_KEYS = ["name", "priority", "channelPattern", "deadline"];

function checkSpawnOptions(options: unknown): SpawnOptions {
  if (options === null || typeof options !== "object")
    throw new TypeError(`spawnWith(options, fn): options must be an object, received ${describeValue(options)}`);
  // One guarded read of the whole object: a getter runs once, a Proxy trap that throws is a TypeError saying so.
  const o = readGuarded("spawnWith(options, fn): options", () => ({ ...(options as Record<string, unknown>) }));
  for (const k of Object.keys(o)) {
    if (!SPAWN_OPTION_KEYS.includes(k)) throw new TypeError(`spawnWith: unknown option ${JSON.stringify(k)}; the options are ${SPAWN_OPTION_KEYS.join(", ")}`);
  }
  const { name, priority, channelPattern, deadline } = o;
  if (name !== undefined && typeof name !== "string") throw new TypeError(`spawnWith: name must be a string, received ${describeValue(name)}`);
  if (priority !== undefined) checkPriority(priority, "spawnWith: priority");
  if (channelPattern !== undefined && !isChannelPattern(channelPattern)) {
    throw new TypeError(
      `spawnWith: channelPattern must be one of ${CHANNEL_PATTERNS.map((p) => `"${p}"`).join(", ")}, received ${describeValue(channelPattern)}`,
    );
  }
  if (deadline !== undefined && (typeof deadline !== "number" || !Number.isFinite(deadline) || deadline < 0)) {
    const msg = `spawnWith: deadline must be a finite virtual time in ms ≥ 0, received ${describeValue(deadline)}`;
    throw typeof deadline === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  return { name, priority, channelPattern, deadline } as SpawnOptions;
}

/** Affinity pools on and nothing declared: the pattern the arguments imply, as spawn options (undefined when none). */
function inferredOptions(fn: unknown, args: readonly unknown[]): SpawnOptions | undefined {
  if (CoroDefImpl.isDef(fn) && (fn as CoroDefImpl).channelPattern !== undefined) return undefined;
  const channelPattern = inferPattern(args);
  return channelPattern === undefined ? undefined : { channelPattern };
}

export type { RuntimeOptions } from "./options.js";

export interface RuntimeStats {
  spawned: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Tasks not yet finished. */
  live: number;
  contextSwitches: number;
  /** The clock: busy cycles plus idle cycles skipped by timer jumps (model output). */
  cycles: number;
  /** Cycles charged by the cost model for work (model output). */
  busyCycles: number;
  migrations: number;
  memory: MemoryStats;
  /** The cache model's counters (model output, `cache` option on): touches, misses per level, the cycles they were charged. */
  cache?: { accesses: number; l1Misses: number; l2Misses: number; missCycles: number };
  /** With affinity pools on (`pools: { affinity }`): per channel pattern, its pools and live coroutines. */
  patterns?: Record<ChannelPattern, PatternStats>;
}

/** One channel pattern's pools (rt.stats().patterns). */
export interface PatternStats {
  /** The class its pools hold. */
  sizeClass: SizeClass;
  pools: number;
  /** Slots in its pools, and those handed out. */
  slots: number;
  used: number;
  /** Live coroutines of the pattern. */
  live: number;
  /** [first, end) byte addresses its slots span: they sit together. */
  span: [number, number] | null;
}

function patternStats(s: Scheduler): Record<ChannelPattern, PatternStats> {
  const out = {} as Record<ChannelPattern, PatternStats>;
  for (const p of CHANNEL_PATTERNS) out[p] = { sizeClass: s.affinity![p], pools: 0, slots: 0, used: 0, live: 0, span: null };
  for (const a of s.memory.affinityStats()) {
    const p = out[CHANNEL_PATTERNS[a.tag - 1]];
    if (p === undefined) continue;
    p.pools += a.pools;
    p.slots += a.capacity;
    p.used += a.used;
    p.span = p.span === null ? [a.lowAddr, a.highAddr] : [Math.min(p.span[0], a.lowAddr), Math.max(p.span[1], a.highAddr)];
  }
  for (const t of s.liveTasks()) if (t.pattern !== undefined) out[t.pattern].live++;
  return out;
}

/** For the library's own upper layers (the test subpath, the default runtime): the scheduler behind a Runtime. */
export let schedulerOf: (rt: Runtime) => Scheduler;

/**
 * A runtime: an address space of coroutine stacks, a scheduler on virtual
 * time with a cycle-cost model, and the instruments to look inside.
 *
 * @example
 * const rt = new Runtime({ seed: 7 });
 * const ch = new Channel<number>();
 * rt.spawn(function* () { yield* ch.send(42); });
 * rt.spawn(function* () { console.log((yield* ch.recv()).value); });
 * rt.run(); // 42
 */
export class Runtime {
  readonly #s: Scheduler;
  readonly #tracer: Tracer | null;
  readonly #profiler: Profiler | null;
  readonly #random: Random;
  readonly #leftover: "cancel" | "report" | "error";
  readonly #onLeak: ((reports: DeadlockReport[]) => void) | null;

  static {
    schedulerOf = (rt) => rt.#s;
  }

  constructor(options: RuntimeOptions = {}) {
    const o = checkOptions(options);
    const cost = resolveCostModel(o.cost);
    const classOverrides = o.profile === undefined ? null : classOverridesOf(o.profile);
    const memory =
      o.memory ?? new AddressSpace({ bytes: o.memoryBytes, maxBytes: o.maxMemoryBytes, pools: o.pools, buffer: o.buffer, shared: o.shared, guard: o.guard });
    const patternOverrides = o.profile === undefined || o.affinity === null ? null : patternOverridesOf(o.profile);
    const s = new Scheduler(
      {
        memory,
        name: o.name,
        cost,
        clockHz: o.clockHz,
        seed: o.seed,
        overflow: o.overflow,
        classOverrides,
        affinity: o.affinity,
        patternOverrides,
        cache: o.cache,
      },
      this,
    );
    this.#s = s;
    s.deadlockCycles = () => findDeadlocks(s).flatMap((r) => (r.cycle === undefined ? [] : [r.cycle]));
    // A stream of its own, so a program's draws never shift the runtime's own choices (select).
    this.#random = new Random(o.seed ^ 0x5bd1e995);
    this.#tracer = o.trace ? new Tracer(s) : null;
    if (this.#tracer !== null) addObserver(s, this.#tracer);
    if (o.priorityInheritance) addObserver(s, new PriorityInheritance(s));
    this.#profiler = o.profiling ? new Profiler(s) : null;
    if (this.#profiler !== null) addObserver(s, this.#profiler);
    this.#leftover = o.leftover;
    this.#onLeak = typeof o.detectLeaks === "function" ? o.detectLeaks : null;
    const leaks = o.detectLeaks;
    if (leaks !== false) {
      const watch = new LeakWatch(s, leaks === true ? null : leaks);
      s.beforeClockJump = () => watch.atClockJump();
    }
  }

  /** The address space every coroutine stack of this runtime lives in. */
  get memory(): AddressSpace {
    return this.#s.memory;
  }

  /** Name for reports (dumps, traces, errors). */
  get name(): string {
    return this.#s.name;
  }

  /** The seed every random choice derives from. */
  get seed(): number {
    return this.#s.seed;
  }

  /** The cost model in force (cycles; model inputs). */
  get cost(): CostModel {
    return this.#s.cost;
  }

  /** Cycles per simulated second. */
  get clockHz(): number {
    return this.#s.clockHz;
  }

  /** Simulated cycles elapsed: the clock (model output, not measured time). */
  get cycles(): number {
    return this.#s.cycles;
  }

  /** Virtual milliseconds: cycles / clockHz × 1000. */
  now(): number {
    return this.#s.now();
  }

  /**
   * A number in [0, 1) from the runtime's seeded generator: programs that
   * draw their randomness here replay exactly from the seed (and under
   * schedule exploration).
   */
  random(): number {
    return this.#random.nextU32() / 0x100000000;
  }

  stats(): RuntimeStats {
    const stats: RuntimeStats = this.#s.counters();
    if (this.#s.affinity !== null) stats.patterns = patternStats(this.#s);
    return stats;
  }

  // ── coroutines ──────────────────────────────────────────────────────────

  /** Spawns `fn(...args)` as a coroutine on its own stack; it runs when the runtime runs. */
  spawn<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R> {
    const s = this.#s;
    if (s.affinity === null) return s.spawn(fn, args);
    return s.spawn(fn, args, inferredOptions(fn, args));
  }

  /**
   * Spawns with scheduling options: `name` (over the definition's),
   * `priority` (an integer, default the definition's or 0; higher runs first,
   * FIFO within a level), `deadline` (absolute virtual ms: earliest deadline
   * first among the ready coroutines of a level; a coroutine that ends after
   * it is listed by `missedDeadlines()`), `channelPattern` (its affinity pool,
   * over the definition's and what its arguments imply).
   */
  spawnWith<A extends unknown[], R>(options: SpawnWithOptions, fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Task<R> {
    const checked = checkSpawnOptions(options);
    const s = this.#s;
    if (s.affinity !== null && checked.channelPattern === undefined) {
      const inferred = inferredOptions(fn, args);
      if (inferred !== undefined) return s.spawn(fn, args, { ...checked, channelPattern: inferred.channelPattern });
    }
    return s.spawn(fn, args, checked);
  }

  /** Coroutines that ended after their deadline (spawnWith({ deadline })), in the order they ended: id, name, deadline and finishedAt in virtual ms. */
  missedDeadlines(): MissedDeadline[] {
    return this.#s.missedDeadlines.map((m) => ({ ...m }));
  }

  /**
   * A low-level coroutine you resume by hand (the seed's CoroLifecycle): no
   * scheduler, plain `yield v` values come back from `resume()`.
   */
  create<A extends unknown[], R>(fn: CoroFn<A, R> | CoroDef<A, R>, ...args: A): Coroutine<R> {
    return this.#s.create(fn, args);
  }

  /** The size class a definition gets here: a saved profile may raise it above its metadata. */
  classFor(def: CoroDef): SizeClass {
    if (!CoroDefImpl.isDef(def)) throw new TypeError(`classFor(def): def must be a coro() definition, received ${describeValue(def)}`);
    return this.#s.classFor(def);
  }

  /**
   * Runs until quiescent: nothing runnable, no timers, nobody blocked. A
   * coroutine failure nobody handles stops it promptly: it cancels the rest
   * and throws that failure (an AggregateError for several). Then a
   * DeadlockError if coroutines remain blocked, or an error if some wait on
   * promises (use runAsync).
   */
  run(): void;
  /**
   * Spawns `main` and runs until it returns — a Go program ends when main
   * does: returns main's result (throws its error) and handles the
   * coroutines still live per the `leftover` option (cancelled by default).
   */
  run<R>(main: CoroFn<[], R> | CoroDef<[], R>): R;
  /**
   * Runs until virtual time `until` (ms; timers due then fire) and stops
   * there, the clock set to it and everything else still parked (no
   * deadlock report); run() again resumes.
   */
  run(options: { until: number }): void;
  run<R>(arg?: CoroFn<[], R> | CoroDef<[], R> | { until: number }): R | void {
    if (arg === undefined) return this.#s.run();
    if (typeof arg === "function" || CoroDefImpl.isDef(arg)) return this.#s.runMain(arg as CoroFn<[], R>, this.#leftover, (left) => this.#report(left));
    return this.#s.runUntil(this.#untilCycles("run", arg));
  }

  /** Like run(), but also waits for promises that coroutines wait on (waitFor). */
  runAsync(): Promise<void>;
  /** Like run(main), waiting for promises too. */
  runAsync<R>(main: CoroFn<[], R> | CoroDef<[], R>): Promise<R>;
  /** Like run({ until }), delivering settled promises before each clock jump (it does not wait for pending ones). */
  runAsync(options: { until: number }): Promise<void>;
  runAsync<R>(arg?: CoroFn<[], R> | CoroDef<[], R> | { until: number }): Promise<R | void> {
    if (arg === undefined) return this.#s.runAsync();
    if (typeof arg === "function" || CoroDefImpl.isDef(arg)) return this.#s.runMainAsync(arg as CoroFn<[], R>, this.#leftover, (left) => this.#report(left));
    let cycles: number;
    try {
      cycles = this.#untilCycles("runAsync", arg);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#s.runUntilAsync(cycles);
  }

  /** The cycle count of `{ until }` (virtual ms); TypeError/RangeError naming a bad value. */
  #untilCycles(verb: string, options: unknown): number {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`${verb}(arg): arg must be a generator function (main), a coro() definition or { until: ms }, received ${describeValue(options)}`);
    }
    let until: unknown;
    try {
      const keys = Object.keys(options);
      for (const k of keys) if (k !== "until") throw new TypeError(`${verb}(options): unknown option ${JSON.stringify(k)}; the option is until`);
      until = (options as { until?: unknown }).until;
    } catch (e) {
      if (e instanceof TypeError && e.message.startsWith(verb)) throw e;
      throw new TypeError(`${verb}(options): options could not be read (${e instanceof Error ? e.message : describeValue(e)})`);
    }
    if (typeof until !== "number") throw new TypeError(`${verb}({ until }): until must be a virtual time in milliseconds, received ${describeValue(until)}`);
    if (!Number.isFinite(until)) throw new RangeError(`${verb}({ until }): until must be a finite virtual time in milliseconds, received ${String(until)}`);
    const cycles = Math.ceil((Math.max(0, until) * this.#s.clockHz) / 1000);
    if (cycles > Number.MAX_SAFE_INTEGER)
      throw new RangeError(`${verb}({ until }): ${String(until)} ms lies beyond the virtual clock's exact range (2^53 cycles)`);
    return cycles;
  }

  /** leftover: "report": the leftovers as one report, to the detectLeaks function (console.warn without one). */
  #report(left: Leftover[]): void {
    const lines = left.map((l) => `#${l.id} ${l.name}: ${l.doing}`);
    const message = `run(main): main returned with ${lines.length} coroutine${lines.length === 1 ? "" : "s"} still live (cancelled): ${lines.join("; ")}`;
    const nowMs = this.#s.now();
    const report: DeadlockReport = {
      kind: "leftover",
      coroutines: left.map((l) => ({ id: l.id, name: l.name, waitsOn: l.doing, sinceMs: nowMs })),
      waitsOn: [],
      message,
    };
    if (this.#onLeak !== null) this.#onLeak([report]);
    else console.warn(`cprime-coro: ${message}`);
  }

  /** Cancels every unfinished coroutine, runs their finally blocks and frees every stack. */
  shutdown(): void {
    this.#s.shutdown();
  }

  /** Every coroutine not yet finished, by id. */
  tasks(): readonly Task[] {
    return [...this.#s.liveTasks()].sort((a, b) => a.id - b.id);
  }

  // ── observability (the observe layer; see docs/DESIGN.md "Observability") ─

  /** A goroutine dump of every live coroutine: String(dump) reads as text; the dump is plain JSON. */
  dump(): CoroDump {
    return dumpRuntime(this.#s);
  }

  /** Blocked coroutines that can never wake, found while others may still run (a heuristic: see the docs). */
  deadlocks(): DeadlockReport[] {
    return findDeadlocks(this.#s);
  }

  /** The recorded events as Chrome Trace Event JSON (Perfetto, chrome://tracing). Needs { trace: true }. */
  exportTrace(): TraceJson {
    if (this.#tracer === null) throw new Error("exportTrace() needs a runtime created with { trace: true }");
    return this.#tracer.export();
  }

  /** Per definition: predicted class and bytes against observed high-water, migrations. Needs { profiling: true }. */
  profile(): Profile {
    if (this.#profiler === null) throw new Error("profile() needs a runtime created with { profiling: true }");
    return this.#profiler.profile();
  }

  /** The address space drawn to scale, with chained stack segments highlighted. */
  heapMapSVG(options: { width?: number; title?: string } = {}): string {
    const highlight: { addr: number; bytes: number; label: string }[] = [];
    for (const t of this.#s.liveTasks()) {
      const segs = t.cstack.segments;
      for (let i = 1; i < segs.length; i++) highlight.push({ addr: segs[i].addr, bytes: segs[i].bytes, label: `#${t.id} ${t.name} segment ${i + 1}` });
    }
    return this.#s.memory.toSVG({ ...options, highlight, affinityNames: CHANNEL_PATTERNS.map((p) => `${p} pool:`) });
  }

  /**
   * What the scheduler keeps alive because coroutines wait on it (the seed's
   * use-after-free guard), described: `Channel#1 "jobs" (capacity 0)`. Never
   * the objects themselves (a receive port must not lead to its channel).
   */
  heldResources(): string[] {
    return [...this.#s.heldResources()].map(describeResource).sort();
  }

  /** True while some coroutine waits on `resource` (a channel, port, mutex, task …), so the scheduler holds it. */
  holds(resource: object): boolean {
    const r = resource !== null && typeof resource === "object" ? resourceOf(resource) : null;
    return this.#s.heldResources().has(r ?? resource);
  }

  toString(): string {
    return `Runtime ${JSON.stringify(this.#s.name)}`;
  }
}

function describeResource(r: object): string {
  const d = (r as { describe?: unknown }).describe;
  return typeof d === "function" ? String(d.call(r)) : String(r);
}

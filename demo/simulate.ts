/**
 * One run of the simulated web server: a fresh runtime, the services and the
 * front end spawned, `run()` to the end, and what happened, in figures.
 *
 * The monitor coroutine is the demo's window into a run that has no public
 * step API: every tick of virtual time it reports progress, and at the
 * busiest tick it keeps a heap map and a goroutine dump. When every request
 * is answered it closes the job queues, the services return, and run()
 * finds nothing left to do.
 *
 * All randomness is in the workload (workload.ts) and the runtime seed, so a
 * seed replays a run exactly: every virtual-time figure is the same.
 */
import { Channel, DeadlockError, Runtime, SIZE_CLASS_BYTES, after, coro, recv, select, type CoroDef, type ProfileData, type SizeClass } from "../src/index.js";
import { Census, type ClassCount, type DefinitionCount } from "./census.js";
import {
  DEFAULT_CONFIG,
  Tally,
  acceptor,
  audit,
  formatAuditRecord,
  handler,
  listener,
  type LookupJob,
  type ParseJob,
  type Server,
  type ServerConfig,
} from "./server.js";
import { bodyParser, lookupService } from "./services.js";
import { KEY_SPACE, type Request } from "./workload.js";

export interface Progress {
  pass: number;
  answered: number;
  requests: number;
  served: number;
  shed: number;
  failed: number;
  /** Coroutines alive now. */
  live: number;
  nowMs: number;
  done: boolean;
}

export interface PassOptions {
  pass: number;
  requests: readonly Request[];
  /** Runtime seed (select's choices). */
  seed: number;
  /** A saved profile to apply (raises classes of definitions that migrated). */
  profile?: ProfileData;
  profiling?: boolean;
  trace?: boolean;
  /** Keep a heap map and a dump of the busiest monitor tick. */
  snapshot?: boolean;
  onProgress?: (p: Progress) => void;
  config?: Partial<ServerConfig>;
}

/** Everything measured in virtual time or counted: the same seed gives the same figures. */
export interface PassFigures {
  requests: number;
  served: number;
  shed: { total: number; waitingForParser: number; waitingForLookup: number };
  failed: { total: number; malformedBody: number; unknownKey: number };
  /** Virtual ms from arrival to answer, served requests only; null when none was served. */
  latencyMs: { p50: number; p90: number; p99: number; max: number } | null;
  audited: number;
  /** Virtual ms at the end of the run. */
  virtualMs: number;
  /** The clock, in model cycles (simulated), and the part charged for work. */
  cycles: number;
  busyCycles: number;
  contextSwitches: number;
  migrations: number;
  coroutineFailures: number;
  classes: Record<SizeClass, ClassCount>;
  definitions: DefinitionCount[];
  memory: MemoryFigures;
  /** DeadlockError text if run() found one; null in a normal run. */
  deadlock: string | null;
}

export interface MemoryFigures {
  /** Size of one micro slot, from the pool itself. */
  microSlotBytes: number;
  /** Micro slots in the address space (rt.stats().memory.micro.capacity). */
  microCapacity: number;
  /** Bytes of the micro pools: slots, their bitmap and their generation counters. */
  microPoolBytes: number;
  /** microPoolBytes / microCapacity: what one micro coroutine costs, bookkeeping included. */
  microBytesPerCoroutine: number;
  /** How many micro coroutines 256 KB (256 000 B, the design's `micro_pool[256 * 1000]`) holds at that cost. */
  microPer256KB: number;
  /** The deepest stack a micro coroutine used without migrating, in bytes of frames. */
  microHighWater: number;
  /** Stack bytes in use at the busiest moment per class (large: sampled every monitor tick). */
  peakStackBytes: Record<SizeClass, number>;
  /** Stack slots (or large stacks) still in use after the run: 0 when every stack was freed. */
  inUseAfter: Record<SizeClass, number>;
  /** The SharedArrayBuffer holding every stack and the allocators' state, at the end. */
  bufferBytes: number;
}

export interface Snapshot {
  atMs: number;
  live: number;
  /** rt.heapMapSVG(), or why it could not be drawn. */
  svg: string | null;
  svgError: string | null;
  dump: string;
  /** The coroutine with the most frames, from the dump. */
  deepest: { id: number; name: string; frames: number } | null;
}

export interface PassResult {
  pass: number;
  figures: PassFigures;
  /** Measured, not simulated: wall-clock ms that run() took. */
  wallMs: number;
  /** The run recorded a trace: its wall time includes the recording. */
  traced: boolean;
  /** The runtime after the run, for its profile, trace and memory checks. */
  runtime: Runtime;
  snapshot: Snapshot | null;
}

// ── the monitor ─────────────────────────────────────────────────────────────

/** Every tick: progress, a snapshot when the server is busier than ever; at the end, shuts the services down. */
const monitor = coro({ name: "monitor", locals: { ticks: "u32", peakLive: "u32" } }, function* (f, srv: Server, watch: Watch) {
  try {
    f.ticks = f.peakLive = 0;
    for (;;) {
      const r = yield* select([recv(srv.allAnswered), after(srv.config.tickMs)]);
      f.ticks++;
      srv.census.sweep();
      watch.sample(srv);
      if (srv.census.live > f.peakLive) {
        f.peakLive = srv.census.live;
        watch.snapshotIfWanted(srv);
      }
      watch.progress(srv, false);
      if (r.index === 0) break;
    }
    srv.lookups.close();
    srv.parses.close();
  } finally {
    srv.census.ended(monitor);
  }
});

/** What the monitor keeps between ticks (outside the simulation: plain JavaScript state). */
class Watch {
  peakLargeBytes = 0;
  snapshot: Snapshot | null = null;
  constructor(
    readonly pass: number,
    readonly wantSnapshot: boolean,
    readonly onProgress: ((p: Progress) => void) | undefined,
  ) {}

  sample(srv: Server): void {
    const large = srv.rt.stats().memory.large.usedBytes;
    if (large > this.peakLargeBytes) this.peakLargeBytes = large;
  }

  snapshotIfWanted(srv: Server): void {
    if (!this.wantSnapshot) return;
    let svg: string | null = null;
    let svgError: string | null = null;
    try {
      svg = srv.rt.heapMapSVG({ title: `pass ${this.pass} at ${srv.rt.now().toFixed(1)} ms (virtual): ${srv.census.live} coroutines live` });
    } catch (err) {
      svgError = err instanceof Error ? err.message : String(err);
    }
    const dump = srv.rt.dump();
    let deepest: Snapshot["deepest"] = null;
    for (const c of dump.coroutines) if (deepest === null || c.frames.length > deepest.frames) deepest = { id: c.id, name: c.name, frames: c.frames.length };
    this.snapshot = { atMs: srv.rt.now(), live: srv.census.live, svg, svgError, dump: String(dump), deepest };
  }

  progress(srv: Server, done: boolean): void {
    if (this.onProgress === undefined) return;
    const t = srv.tally;
    this.onProgress({
      pass: this.pass,
      answered: t.answered,
      requests: t.requests,
      served: t.served,
      shed: t.shed,
      failed: t.failed,
      live: srv.census.live,
      nowMs: srv.rt.now(),
      done,
    });
  }
}

// ── one run ─────────────────────────────────────────────────────────────────

/** The spawned definitions, for the report: what each stands for, and anything its metadata does not say. */
export const DEFINITIONS: readonly { def: CoroDef; role: string; note?: string }[] = [
  { def: handler, role: "one per request" },
  { def: listener, role: "arrivals → accept queue" },
  { def: acceptor, role: "spawns the handlers" },
  { def: monitor, role: "progress, shutdown" },
  {
    def: audit,
    role: "per served POST",
    note: `audit calls formatAuditRecord (a ${formatAuditRecord.metadata.frameBytes.toLocaleString("en-US")} B frame) without declaring it: it will migrate`,
  },
  { def: lookupService, role: "lookup worker" },
  { def: bodyParser, role: "parser worker" },
];

/** Runs the whole workload once on a fresh runtime and reports what happened. */
export function simulatePass(options: PassOptions): PassResult {
  const config: ServerConfig = { ...DEFAULT_CONFIG, ...options.config };
  const rt = new Runtime({
    name: `pass-${options.pass}`,
    seed: options.seed,
    profile: options.profile,
    profiling: options.profiling,
    trace: options.trace,
    // The server must stay leak-free: a coroutine left blocked for good stops the pass with a report.
    detectLeaks: true,
  });
  const allAnswered = new Channel<never>(0, { name: "allAnswered" });
  const srv: Server = {
    rt,
    config,
    requests: options.requests,
    accept: new Channel<Request>(config.backlog, { name: "accept" }),
    lookups: new Channel<LookupJob>(0, { name: "lookups" }),
    parses: new Channel<ParseJob>(0, { name: "parses" }),
    allAnswered,
    cache: new Map(),
    tally: new Tally(options.requests.length, allAnswered),
    census: new Census(),
  };
  const watch = new Watch(options.pass, options.snapshot === true, options.onProgress);

  srv.census.spawned(rt.spawn(monitor, srv, watch));
  for (let i = 0; i < config.lookupServices; i++) srv.census.spawned(rt.spawn(lookupService, srv, KEY_SPACE));
  for (let i = 0; i < config.parsers; i++) srv.census.spawned(rt.spawn(bodyParser, srv));
  srv.census.spawned(rt.spawn(acceptor, srv));
  srv.census.spawned(rt.spawn(listener, srv));

  let deadlock: string | null = null;
  const started = performance.now();
  try {
    rt.run();
  } catch (err) {
    if (!(err instanceof DeadlockError)) throw err;
    deadlock = err.message;
  }
  const wallMs = performance.now() - started;
  srv.census.sweep();
  watch.progress(srv, true);

  const stats = rt.stats();
  const t = srv.tally;
  return {
    pass: options.pass,
    wallMs,
    traced: options.trace === true,
    runtime: rt,
    snapshot: watch.snapshot,
    figures: {
      requests: t.requests,
      served: t.served,
      shed: { total: t.shed, waitingForParser: t.shedParse, waitingForLookup: t.shedLookup },
      failed: { total: t.failed, malformedBody: t.malformedBody, unknownKey: t.unknownKey },
      latencyMs: percentiles(t.latencies),
      audited: t.audited,
      virtualMs: rt.now(),
      cycles: stats.cycles,
      busyCycles: stats.busyCycles,
      contextSwitches: stats.contextSwitches,
      migrations: stats.migrations,
      coroutineFailures: stats.failed,
      classes: srv.census.classes,
      definitions: [...srv.census.definitions.values()],
      memory: memoryFigures(rt, srv.census, watch),
      deadlock,
    },
  };
}

function memoryFigures(rt: Runtime, census: Census, watch: Watch): MemoryFigures {
  const m = rt.stats().memory;
  const micro = rt.memory.layout().pools.filter((p) => p.sizeClass === "micro");
  const poolBytes = micro.reduce((n, p) => n + p.bytes, 0);
  const perCoroutine = poolBytes / m.micro.capacity;
  let microHighWater = 0;
  for (const d of census.definitions.values()) {
    if (d.sizeClass === "micro" && d.migrations === 0) microHighWater = Math.max(microHighWater, d.highWater);
  }
  return {
    microSlotBytes: micro[0].slotSize,
    microCapacity: m.micro.capacity,
    microPoolBytes: poolBytes,
    microBytesPerCoroutine: perCoroutine,
    microPer256KB: Math.floor(256_000 / perCoroutine),
    microHighWater,
    peakStackBytes: {
      micro: m.micro.highWater * SIZE_CLASS_BYTES.micro,
      small: m.small.highWater * SIZE_CLASS_BYTES.small,
      medium: m.medium.highWater * SIZE_CLASS_BYTES.medium,
      large: watch.peakLargeBytes,
    },
    inUseAfter: { micro: m.micro.used, small: m.small.used, medium: m.medium.used, large: m.large.count },
    bufferBytes: m.bufferBytes,
  };
}

function percentiles(values: number[]): PassFigures["latencyMs"] {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] };
}

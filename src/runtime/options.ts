/**
 * RuntimeOptions: what a caller may pass to `new Runtime(options)`, checked
 * once, before anything is built. Every refusal names the option and the bad
 * value; an unknown key is refused (a misspelt option silently ignored is a
 * bug report waiting to happen). Reading a hostile options object (a Proxy
 * whose traps throw, a getter that throws) is turned into a TypeError naming
 * the option, never a raw error from our internals.
 */
import { describeValue } from "../describe.js";
import { AddressSpace } from "../memory/index.js";
import type { DeadlockReport } from "../observe/deadlocks.js";
import { resolveCacheConfig, type CostModel } from "../sched/cost-model.js";
import type { CacheConfig } from "../memory/cache-sim.js";
import type { ProfileData } from "../sched/profile-data.js";
import type { ChannelPattern } from "../coro/coro.js";
import type { SizeClass } from "../memory/size-classes.js";
import { resolveAffinity, type AffinityOption } from "./affinity.js";

export interface RuntimeOptions {
  /** Initial size of the SharedArrayBuffer address space, in bytes. */
  memoryBytes?: number;
  /** Growable buffer limit; addresses never move when it grows. */
  maxMemoryBytes?: number;
  /**
   * Pre-allocated slots per class; defaults micro 10 000, small 1 000, medium 100.
   * `affinity`: channel-affinity pools (the seed's ChannelCoroPool), off by
   * default: `true` for the seed's mapping (sendOnly/recvOnly → micro,
   * sendRecv → small, select → medium), or a partial mapping over it.
   */
  pools?: { micro?: number; small?: number; medium?: number; affinity?: AffinityOption };
  /** Cycle costs; defaults are the seed's figures. */
  cost?: Partial<CostModel>;
  /** Cycles per simulated second, default 3e9. */
  clockHz?: number;
  /** Seeds every random choice (select fairness, rt.random()): same seed, same run. An integer; default 1. */
  seed?: number;
  /** Stack overflow policy, default "grow". */
  overflow?: "grow" | "error";
  /** Attach to an existing address space (worker threads); its owner must have been created with `shared: true`. */
  buffer?: SharedArrayBuffer;
  /**
   * Build the runtime on this existing address space instead of a new one
   * (no memoryBytes, maxMemoryBytes, pools, buffer or shared then). For
   * running many short runtimes in turn (the schedule explorer does): a new
   * space costs a buffer of a megabyte and more each time.
   */
  memory?: AddressSpace;
  /** Create the address space so other threads may attach to it (allocators then use Atomics and locks). Default false. */
  shared?: boolean;
  /** Record events for exportTrace(). */
  trace?: boolean;
  /** A saved rt.profile(): size classes learned from an earlier run. */
  profile?: ProfileData;
  /** Record per-definition stack use for rt.profile() (default false). */
  profiling?: boolean;
  /**
   * Look for partial deadlocks (coroutines that can never wake while others
   * still run) whenever the clock jumps to a timer. true: run() throws a
   * DeadlockError listing them; a function: called with each new report
   * instead. Default: off (rt.deadlocks() works regardless). A heuristic: see
   * docs/guides/observability.md for what it can and cannot see.
   */
  detectLeaks?: boolean | ((reports: DeadlockReport[]) => void);
  /** Name for reports (dumps, traces, errors). Default "runtime". */
  name?: string;
  /**
   * Guard regions between stacks (default false): the last 16 bytes of every
   * stack slot and segment are a guard; a write that reaches one is a
   * GuardError (at the access through a bytes() view, else at the
   * coroutine's next switch or end), and checkMemory() verifies every guard.
   */
  guard?: boolean;
  /**
   * What `run(main)` does with coroutines still live when main returns.
   * "cancel" (default): cancel them, as a Go program's end stops its
   * goroutines (their finally blocks run, in that instant). "report": the
   * same, and a report of kind "leftover" listing them goes to the
   * `detectLeaks` function (console.warn without one). "error": the same,
   * then throw a LeftoverError listing them.
   */
  leftover?: "cancel" | "report" | "error";
  /**
   * Priority inheritance (default false): a coroutine holding a mutex (or
   * anything whose waiters only it can release) runs at the highest priority
   * of its waiters until it lets go — the fix for priority inversion.
   */
  priorityInheritance?: boolean;
  /**
   * The cache model (off by default): "default" for a 32 KiB L1 and a 1 MiB
   * L2 of 64-byte lines, or `{ l1, l2, line, l1Ways, l2Ways, l1MissCycles,
   * l2MissCycles }` over those. Switches, frame pushes and channel hand-overs
   * touch lines of the address space; misses are charged in model cycles and
   * counted in `rt.stats().cache`.
   */
  cache?: "default" | Partial<CacheConfig>;
}

/** The options after checking, every field present or explicitly absent. */
export interface CheckedOptions {
  memoryBytes: number | undefined;
  maxMemoryBytes: number | undefined;
  pools: { micro?: number; small?: number; medium?: number } | undefined;
  affinity: Readonly<Record<ChannelPattern, SizeClass>> | null;
  cost: Partial<CostModel> | undefined;
  clockHz: number;
  seed: number;
  overflow: "grow" | "error";
  buffer: SharedArrayBuffer | undefined;
  memory: AddressSpace | undefined;
  shared: boolean | undefined;
  trace: boolean;
  profile: ProfileData | undefined;
  profiling: boolean;
  detectLeaks: boolean | ((reports: DeadlockReport[]) => void);
  name: string;
  guard: boolean;
  leftover: "cancel" | "report" | "error";
  priorityInheritance: boolean;
  cache: Readonly<CacheConfig> | null;
}

/** Every option, with the check its value must pass (undefined always passes: the default). */
const CHECKS: { readonly [K in keyof RuntimeOptions]-?: (v: unknown) => string | null } = {
  memoryBytes: positiveInteger,
  maxMemoryBytes: positiveInteger,
  pools: (v) => {
    if (v === null || typeof v !== "object") return "must be an object such as { micro: 10000, small: 1000, medium: 100 }";
    for (const k of Object.keys(v)) {
      if (k === "affinity") continue; // checked by resolveAffinity
      if (k !== "micro" && k !== "small" && k !== "medium") return `has no class ${JSON.stringify(k)} (the pooled classes are micro, small and medium)`;
      const n = (v as Record<string, unknown>)[k];
      if (n !== undefined && (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)) {
        return `.${k} must be a non-negative integer number of slots, received ${describeValue(n)}`;
      }
    }
    return null;
  },
  cost: (v) => (v === null || typeof v !== "object" ? "must be an object (a Partial<CostModel>, e.g. costModels.go)" : null),
  clockHz: (v) => (typeof v !== "number" || !Number.isFinite(v) || v <= 0 ? "must be a positive finite number of cycles per second" : null),
  seed: (v) => (typeof v !== "number" || !Number.isSafeInteger(v) ? "must be an integer (a safe integer: |seed| < 2^53)" : null),
  overflow: (v) => (v !== "grow" && v !== "error" ? 'must be "grow" or "error"' : null),
  buffer: (v) => (!(v instanceof SharedArrayBuffer) ? "must be a SharedArrayBuffer (another runtime's rt.memory.buffer)" : null),
  memory: (v) => (!(v instanceof AddressSpace) ? "must be an AddressSpace (another runtime's rt.memory)" : null),
  shared: boolean,
  trace: boolean,
  profile: (v) => (v === null || typeof v !== "object" ? "must be a saved rt.profile()" : null),
  profiling: boolean,
  detectLeaks: (v) => (typeof v !== "boolean" && typeof v !== "function" ? "must be a boolean or a function (reports) => void" : null),
  name: (v) => (typeof v !== "string" ? "must be a string" : null),
  guard: boolean,
  leftover: (v) => (v !== "cancel" && v !== "report" && v !== "error" ? 'must be "cancel", "report" or "error"' : null),
  priorityInheritance: boolean,
  cache: (v) => {
    try {
      resolveCacheConfig(v);
      return null;
    } catch (e) {
      return (e as Error).message.replace(/^cache /, "");
    }
  },
};

const KNOWN = Object.keys(CHECKS) as (keyof RuntimeOptions)[];

/** Checks `options` and returns them with defaults applied; a TypeError or RangeError naming the option otherwise. */
export function checkOptions(options: unknown): CheckedOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== "object") throw new TypeError(`Runtime options must be an object, received ${describeValue(options)}`);
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch (err) {
    throw new TypeError(`Runtime options could not be read (${errorText(err)}); pass a plain object`);
  }
  for (const k of keys) {
    if (!(KNOWN as string[]).includes(k)) {
      throw new TypeError(`Runtime options: unknown option ${JSON.stringify(k)}; the options are ${KNOWN.join(", ")}`);
    }
  }
  const read = (k: keyof RuntimeOptions): unknown => {
    let v: unknown;
    try {
      v = (options as Record<string, unknown>)[k];
    } catch (err) {
      throw new TypeError(`Runtime option ${k} could not be read (${errorText(err)})`);
    }
    if (v === undefined) return undefined;
    let problem: string | null;
    try {
      problem = CHECKS[k](v);
    } catch (err) {
      problem = `could not be read (${errorText(err)})`;
    }
    if (problem !== null) {
      const msg = `Runtime option ${k} ${problem}${problem.includes("received") ? "" : `, received ${describeValue(v)}`}`;
      throw typeof v === "number" && k !== "seed" ? new RangeError(msg) : new TypeError(msg);
    }
    return v;
  };
  const pools = read("pools") as (CheckedOptions["pools"] & { affinity?: unknown }) | undefined;
  let slots: CheckedOptions["pools"] = pools;
  let affinity: CheckedOptions["affinity"] = null;
  if (pools !== undefined && "affinity" in pools) {
    const { affinity: option, ...rest } = pools;
    affinity = resolveAffinity(option);
    slots = rest;
  }
  return {
    memoryBytes: read("memoryBytes") as number | undefined,
    maxMemoryBytes: read("maxMemoryBytes") as number | undefined,
    pools: slots,
    affinity,
    cost: read("cost") as CheckedOptions["cost"],
    clockHz: (read("clockHz") as number | undefined) ?? 3e9,
    seed: (read("seed") as number | undefined) ?? 1,
    overflow: (read("overflow") as "grow" | "error" | undefined) ?? "grow",
    buffer: read("buffer") as SharedArrayBuffer | undefined,
    memory: readMemory(read),
    shared: read("shared") as boolean | undefined,
    trace: (read("trace") as boolean | undefined) ?? false,
    profile: read("profile") as ProfileData | undefined,
    profiling: (read("profiling") as boolean | undefined) ?? false,
    detectLeaks: (read("detectLeaks") as CheckedOptions["detectLeaks"] | undefined) ?? false,
    name: (read("name") as string | undefined) ?? "runtime",
    guard: (read("guard") as boolean | undefined) ?? false,
    leftover: (read("leftover") as CheckedOptions["leftover"] | undefined) ?? "cancel",
    priorityInheritance: (read("priorityInheritance") as boolean | undefined) ?? false,
    cache: resolveCacheConfig(read("cache")),
  };
}

/** The `memory` option, refused beside the options that describe a new space. */
function readMemory(read: (k: keyof RuntimeOptions) => unknown): AddressSpace | undefined {
  const memory = read("memory") as AddressSpace | undefined;
  if (memory === undefined) return undefined;
  for (const k of ["memoryBytes", "maxMemoryBytes", "pools", "buffer", "shared"] as const) {
    if (read(k) !== undefined)
      throw new TypeError(`Runtime option memory builds on an existing address space; ${k} describes a new one: give one or the other`);
  }
  return memory;
}

function positiveInteger(v: unknown): string | null {
  return typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0 ? "must be a positive integer number of bytes" : null;
}

function boolean(v: unknown): string | null {
  return typeof v !== "boolean" ? "must be true or false" : null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : describeValue(err);
}

/**
 * The cycle-cost model: what each runtime event costs in simulated cycles.
 *
 * These are model inputs, not measurements. `cycles` charged by the runtime
 * are a simulation output and are never presented as measured time. Sources
 * for every default are in docs/DESIGN.md ("Cost model").
 */
import { describeValue, readGuarded } from "../describe.js";
import { DEFAULT_CACHE, type CacheConfig } from "../memory/cache-sim.js";
import { isSizeClass, SIZE_CLASSES, type SizeClass } from "../memory/size-classes.js";

export interface CostModel {
  /** Resuming a coroutine of this class (save + restore of its context). */
  contextSwitch: Record<SizeClass, number>;
  /** Allocating a stack of this class. */
  alloc: Record<SizeClass, number>;
  /** Freeing a stack of this class. */
  free: Record<SizeClass, number>;
  /** Chaining a new stack segment on overflow. */
  migrate: number;
  /** One channel operation (send, recv, close, try*). */
  channelOp: number;
  /** Each case a select polls or enqueues. */
  selectCase: number;
  /**
   * Verifying one stack segment's guard region (`guard: true`), at each
   * switch to a coroutine and when it ends: a 16-byte compare, ~4 cycles.
   * (Hardware guard pages cost nothing per switch; their price is a page of
   * address space per stack and a fault to report.)
   */
  guardCheck: number;
}

const freeze = <T extends object>(o: T): Readonly<T> => Object.freeze(o);

/** The seed design's figures (docs/DESIGN.md: each number's source). */
const cprime: CostModel = freeze({
  contextSwitch: freeze({ micro: 50, small: 60, medium: 80, large: 100 }),
  alloc: freeze({ micro: 10, small: 100, medium: 100, large: 1000 }),
  free: freeze({ micro: 10, small: 100, medium: 100, large: 1000 }),
  migrate: 5000,
  channelOp: 40,
  selectCase: 20,
  guardCheck: 4,
});

/** What-if: Go's goroutines, as the seed's comparison column describes them. */
const go: CostModel = freeze({
  contextSwitch: freeze({ micro: 250, small: 250, medium: 250, large: 250 }),
  alloc: freeze({ micro: 1000, small: 1000, medium: 1000, large: 1000 }),
  free: freeze({ micro: 500, small: 500, medium: 500, large: 500 }),
  migrate: 5000,
  channelOp: 90,
  selectCase: 50,
  guardCheck: 4,
});

/** What-if: one OS thread per coroutine, as the seed's "traditional C++" column describes it. */
const cppThreads: CostModel = freeze({
  contextSwitch: freeze({ micro: 400, small: 400, medium: 400, large: 400 }),
  alloc: freeze({ micro: 30000, small: 30000, medium: 30000, large: 30000 }),
  free: freeze({ micro: 15000, small: 15000, medium: 15000, large: 15000 }),
  migrate: 0,
  channelOp: 300,
  selectCase: 150,
  guardCheck: 4,
});

/** Presets for what-if runs: `new Runtime({ cost: costModels.go })`. */
export const costModels: { readonly cprime: CostModel; readonly go: CostModel; readonly cppThreads: CostModel } = freeze({
  cprime,
  go,
  cppThreads,
});

const COST_KEYS: readonly string[] = ["contextSwitch", "alloc", "free", "migrate", "channelOp", "selectCase", "guardCheck"];

/** Merges a partial model over the defaults; every figure must be a finite number ≥ 0. */
export function resolveCostModel(partial: Partial<CostModel> | undefined): CostModel {
  if (partial !== undefined && (partial === null || typeof partial !== "object")) {
    throw new TypeError(`cost must be an object (a Partial<CostModel>), received ${describeValue(partial)}`);
  }
  const p = readGuarded("cost", () => snapshot(partial ?? {}, COST_KEYS)) as Partial<CostModel>;
  for (const k of readGuarded("cost", () => Object.keys(partial ?? {}))) {
    if (!COST_KEYS.includes(k)) throw new TypeError(`cost has no figure ${JSON.stringify(k)}; the figures are ${COST_KEYS.join(", ")}`);
  }
  const perClass = (key: "contextSwitch" | "alloc" | "free"): Record<SizeClass, number> => {
    const given = p[key] as Partial<Record<SizeClass, number>> | undefined;
    const figures = given !== null && typeof given === "object" ? readGuarded(`cost.${key}`, () => snapshotOwn(given)) : given;
    const out = { ...cprime[key] };
    if (given !== undefined) {
      if (given === null || typeof given !== "object") {
        throw new TypeError(`cost.${key} must be an object of cycles per size class ({ micro, small, medium, large }), received ${describeValue(given)}`);
      }
      for (const [c, v] of Object.entries(figures as object)) {
        if (!isSizeClass(c)) throw new TypeError(`cost.${key} has unknown size class ${JSON.stringify(c)}; the classes are ${SIZE_CLASSES.join(", ")}`);
        out[c] = checkCost(`cost.${key}.${c}`, v);
      }
    }
    return out;
  };
  return {
    contextSwitch: perClass("contextSwitch"),
    alloc: perClass("alloc"),
    free: perClass("free"),
    migrate: p.migrate === undefined ? cprime.migrate : checkCost("cost.migrate", p.migrate),
    channelOp: p.channelOp === undefined ? cprime.channelOp : checkCost("cost.channelOp", p.channelOp),
    selectCase: p.selectCase === undefined ? cprime.selectCase : checkCost("cost.selectCase", p.selectCase),
    guardCheck: p.guardCheck === undefined ? cprime.guardCheck : checkCost("cost.guardCheck", p.guardCheck),
  };
}

/**
 * The `cache` option: "default" (32 KiB L1, 1 MiB L2, 64-byte lines), or a
 * partial CacheConfig over the defaults; undefined or false for off. Every
 * size a positive integer, the line a power of two, each level at least one
 * set of its ways.
 */
export function resolveCacheConfig(option: unknown): Readonly<CacheConfig> | null {
  if (option === undefined || option === false) return null;
  if (option === "default" || option === true) return DEFAULT_CACHE;
  if (option === null || typeof option !== "object") {
    throw new TypeError(`cache must be "default" or an object such as { l1: 32768, l2: 1048576, line: 64 }, received ${describeValue(option)}`);
  }
  const out: CacheConfig = { ...DEFAULT_CACHE };
  const given = readGuarded("cache", () => ({ ...(option as Record<string, unknown>) }));
  for (const k of Object.keys(given)) {
    if (!(k in DEFAULT_CACHE)) throw new TypeError(`cache has no field ${JSON.stringify(k)}; the fields are ${Object.keys(DEFAULT_CACHE).join(", ")}`);
    const v = given[k];
    const cycles = k.endsWith("Cycles");
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < (cycles ? 0 : 1)) {
      const msg = `cache.${k} must be ${cycles ? "a non-negative integer number of cycles" : "a positive integer"}, received ${describeValue(v)}`;
      throw typeof v === "number" ? new RangeError(msg) : new TypeError(msg);
    }
    out[k as keyof CacheConfig] = v;
  }
  if ((out.line & (out.line - 1)) !== 0) throw new RangeError(`cache.line must be a power of two, received ${out.line}`);
  for (const [level, bytes, ways] of [
    ["l1", out.l1, out.l1Ways],
    ["l2", out.l2, out.l2Ways],
  ] as const) {
    if (bytes < out.line * ways) throw new RangeError(`cache.${level} of ${bytes} bytes holds less than one set of ${ways} ${out.line}-byte lines`);
  }
  return Object.freeze(out);
}

function checkCost(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    const msg = `${what} must be a finite number of cycles ≥ 0, received ${describeValue(v)}`;
    throw typeof v === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  return v;
}

/** The values of `keys` in `o`, each read once (a getter runs once). */
function snapshot(o: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (o as Record<string, unknown>)[k];
  return out;
}

/** `o`'s own enumerable string-keyed values, each read once. */
function snapshotOwn(o: object): Record<string, unknown> {
  return snapshot(o, Object.keys(o));
}

/**
 * The demo's workload: every request the simulated clients will send, drawn
 * up front from one seed.
 *
 * Everything random about a request (when it arrives, which key it asks for,
 * its body, how long the database takes to answer it) is decided here, before
 * the simulation starts, so a run does not depend on the order in which
 * coroutines happen to consume random numbers: the same seed gives the same
 * requests, and the same runtime seed gives the same schedule.
 *
 * Arrivals are a Poisson process (exponential gaps) at a base rate, with one
 * flash crowd — a burst at several times the rate — placed in the middle of
 * the run, so the service pool saturates for a while and deadlines start
 * shedding requests.
 */

/** One HTTP request as the simulated clients send it. */
export interface Request {
  readonly id: number;
  /** Virtual ms since the start of the run. */
  readonly arrivalMs: number;
  /** POST requests carry a JSON-like body that a parser must read first, and are audited. */
  readonly method: "GET" | "POST";
  /** The user key to look up; keys ≥ KEY_SPACE are unknown (404). */
  readonly key: number;
  readonly body: string | null;
  /** What the database takes for this key if the cache misses (virtual ms). */
  readonly dbMs: number;
}

export interface WorkloadShape {
  /** Requests per virtual ms outside the flash crowd. */
  baseRate: number;
  /** Requests per virtual ms during the flash crowd. */
  burstRate: number;
  /** The flash crowd covers this share of all requests, centred in the run. */
  burstShare: number;
  /** Share of requests that are POSTs with a body. */
  postShare: number;
  /** Share of bodies that are malformed (400). */
  malformedShare: number;
  /** Share of requests for a key that does not exist (404). */
  unknownKeyShare: number;
  /** Share of database queries that stall (a slow disk, a lock): far past any deadline. */
  stallShare: number;
  /** Deepest nesting of a generated body. */
  maxBodyDepth: number;
}

export const DEFAULT_SHAPE: WorkloadShape = {
  baseRate: 8,
  burstRate: 80,
  burstShare: 0.15,
  postShare: 0.2,
  malformedShare: 0.02,
  unknownKeyShare: 0.01,
  stallShare: 0.01,
  maxBodyDepth: 10,
};

/** Known user keys: 0 … KEY_SPACE − 1. A small set of them is hot. */
export const KEY_SPACE = 50_000;
const HOT_KEYS = 1_000;
const HOT_SHARE = 0.75;

/** A small seeded generator (mulberry32): the workload's own, independent of the runtime's. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (Math.trunc(seed) ^ 0x5bd1e995) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
}

/** The whole run's requests, in arrival order. */
export function makeWorkload(seed: number, requests: number, shape: WorkloadShape = DEFAULT_SHAPE): Request[] {
  const rng = new Rng(seed);
  const [burstFrom, burstTo] = burstRange(requests, shape);
  const out: Request[] = [];
  let t = 0;
  for (let id = 0; id < requests; id++) {
    const rate = id >= burstFrom && id < burstTo ? shape.burstRate : shape.baseRate;
    t += rng.exponential(1 / rate);
    const post = rng.chance(shape.postShare);
    let body: string | null = null;
    if (post) {
      body = jsonValue(rng, 0, 1 + rng.below(shape.maxBodyDepth));
      if (rng.chance(shape.malformedShare)) body = corrupt(rng, body);
    }
    const key = rng.chance(shape.unknownKeyShare) ? KEY_SPACE + rng.below(KEY_SPACE) : rng.chance(HOT_SHARE) ? rng.below(HOT_KEYS) : rng.below(KEY_SPACE);
    // Most queries take a few ms; a few stall far past any deadline.
    const dbMs = rng.chance(shape.stallShare) ? 80 + rng.exponential(60) : 1 + rng.exponential(3);
    out.push({ id, arrivalMs: t, method: post ? "POST" : "GET", key, body, dbMs });
  }
  return out;
}

/** Indices [from, to) of the requests in the flash crowd. */
function burstRange(requests: number, shape: WorkloadShape): [number, number] {
  return [Math.floor(requests * (0.5 - shape.burstShare / 2)), Math.floor(requests * (0.5 + shape.burstShare / 2))];
}

/** When the flash crowd arrives, in virtual ms; null when it holds no request. */
export function flashCrowd(requests: readonly Request[], shape: WorkloadShape = DEFAULT_SHAPE): { fromMs: number; toMs: number } | null {
  const [from, to] = burstRange(requests.length, shape);
  return to > from ? { fromMs: requests[from].arrivalMs, toMs: requests[to - 1].arrivalMs } : null;
}

const WORDS = ["id", "user", "items", "qty", "price", "tags", "meta", "geo", "note", "ok"];

/** A JSON-like value nested up to `target` levels: objects, arrays, numbers, strings, booleans. */
function jsonValue(rng: Rng, depth: number, target: number): string {
  if (depth >= target) {
    const r = rng.below(3);
    return r === 0 ? String(rng.below(10_000)) : r === 1 ? `"${WORDS[rng.below(WORDS.length)]}"` : rng.chance(0.5) ? "true" : "false";
  }
  // One child always goes one level deeper, so the body reaches `target`.
  const n = 1 + rng.below(3);
  const deep = rng.below(n);
  const children: string[] = [];
  for (let i = 0; i < n; i++) children.push(jsonValue(rng, depth + 1, i === deep ? target : Math.min(target, depth + 1 + rng.below(2))));
  if (rng.chance(0.5)) return `[${children.join(",")}]`;
  return `{${children.map((c, i) => `"${WORDS[(depth + i) % WORDS.length]}":${c}`).join(",")}}`;
}

/** A body a client got wrong: cut short (never valid: a container lost its end), or with a stray bracket after it. */
function corrupt(rng: Rng, body: string): string {
  return rng.chance(0.5) ? body.slice(0, 1 + rng.below(body.length - 1)) : `${body}]`;
}

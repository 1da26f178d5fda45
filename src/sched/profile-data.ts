/**
 * The saved form of a profile (rt.profile() → JSON → new Runtime({ profile })).
 * Kept in the scheduler layer because the runtime applies it at spawn; the
 * profiler that produces it lives in observe/.
 */
import { describeValue, readGuarded } from "../describe.js";
import { isSizeClass, type SizeClass } from "../memory/size-classes.js";
import { isChannelPattern, type ChannelPattern } from "../coro/coro.js";

export interface ProfileEntry {
  /** Definition name (profiles are keyed by name). */
  name: string;
  /** What the metadata (or size hint) predicted. */
  predictedClass: SizeClass;
  predictedBytes: number | null;
  frameBytes: number;
  /** The largest stack high-water seen over all its coroutines. */
  observedHighWater: number;
  spawns: number;
  migrations: number;
  /** The class a coroutine of this definition needs next run. Never below predictedClass. */
  recommendedClass: SizeClass;
  /**
   * With affinity pools on: the channel pattern its coroutines were carved
   * for most often (declared or inferred from their ports), which a runtime
   * given this profile applies to spawns that declare and imply none.
   */
  channelPattern?: ChannelPattern;
}

export interface ProfileData {
  format: "cprime-coro-profile";
  version: 1;
  definitions: ProfileEntry[];
}

/**
 * Reads and checks a saved profile (a Profile, or one read back from JSON):
 * every field read once, a hostile object (a Proxy whose traps throw) refused
 * with a TypeError, each entry checked for the fields the runtime and the
 * feedback use. Returns a copy of its entries.
 */
export function checkProfileData(profile: unknown, what = "profile"): ProfileEntry[] {
  const expected = `${what} must be a saved rt.profile() ({ format: "cprime-coro-profile", version: 1, definitions: [...] })`;
  if (profile === null || typeof profile !== "object") throw new TypeError(`${expected}, received ${describeValue(profile)}`);
  const head = readGuarded(what, () => {
    const p = profile as Record<string, unknown>;
    const defs = p.definitions;
    return { format: p.format, version: p.version, definitions: Array.isArray(defs) ? [...(defs as unknown[])] : defs };
  });
  if (head.format !== "cprime-coro-profile" || head.version !== 1 || !Array.isArray(head.definitions)) {
    throw new TypeError(`${expected}, received ${describeValue(profile)} with format ${describeValue(head.format)} and version ${describeValue(head.version)}`);
  }
  return head.definitions.map((e: unknown, i) => checkEntry(e, `${what}.definitions[${i}]`));
}

function checkEntry(e: unknown, what: string): ProfileEntry {
  if (e === null || typeof e !== "object") throw new TypeError(`${what} must be a profile entry object, received ${describeValue(e)}`);
  const r = readGuarded(what, () => ({ ...(e as Record<string, unknown>) }));
  const count = (k: string): number => {
    const v = r[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new TypeError(`${what}.${k} must be a non-negative integer, received ${describeValue(v)}`);
    return v;
  };
  const cls = (k: string): SizeClass => {
    const v = r[k];
    if (!isSizeClass(v)) throw new TypeError(`${what}.${k} must be a size class (micro, small, medium or large), received ${describeValue(v)}`);
    return v;
  };
  if (typeof r.name !== "string")
    throw new TypeError(`${what}.name must be a string (profiles are keyed by definition name), received ${describeValue(r.name)}`);
  const predictedBytes = r.predictedBytes === null ? null : count("predictedBytes");
  if (r.channelPattern !== undefined && !isChannelPattern(r.channelPattern)) {
    throw new TypeError(`${what}.channelPattern must be "sendOnly", "recvOnly", "sendRecv" or "select", received ${describeValue(r.channelPattern)}`);
  }
  const entry: ProfileEntry = {
    name: r.name,
    predictedClass: cls("predictedClass"),
    predictedBytes,
    frameBytes: count("frameBytes"),
    observedHighWater: count("observedHighWater"),
    spawns: count("spawns"),
    migrations: count("migrations"),
    recommendedClass: cls("recommendedClass"),
  };
  if (r.channelPattern !== undefined) entry.channelPattern = r.channelPattern;
  return entry;
}

/** Validates a saved profile and returns the classes it raises: name → class. */
export function classOverridesOf(profile: ProfileData): Map<string, SizeClass> {
  const out = new Map<string, SizeClass>();
  for (const e of checkProfileData(profile)) out.set(e.name, e.recommendedClass);
  return out;
}

/** The channel patterns a saved profile learned, by definition name (checked like classOverridesOf; call that first). */
export function patternOverridesOf(profile: ProfileData): Map<string, ChannelPattern> {
  const out = new Map<string, ChannelPattern>();
  for (const e of checkProfileData(profile)) if (e.channelPattern !== undefined) out.set(e.name, e.channelPattern);
  return out;
}

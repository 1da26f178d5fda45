/**
 * The saved form of a profile (rt.profile() → JSON → new Runtime({ profile })).
 * Kept in the scheduler layer because the runtime applies it at spawn; the
 * profiler that produces it lives in observe/.
 */
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

/** Validates a saved profile and returns the classes it raises: name → class. */
export function classOverridesOf(profile: ProfileData): Map<string, SizeClass> {
  if (
    profile === null ||
    typeof profile !== "object" ||
    profile.format !== "cprime-coro-profile" ||
    profile.version !== 1 ||
    !Array.isArray(profile.definitions)
  ) {
    throw new TypeError(
      `profile must be a saved rt.profile() ({ format: "cprime-coro-profile", version: 1, definitions: [...] }), received ${JSON.stringify(profile)?.slice(0, 80) ?? String(profile)}`,
    );
  }
  const out = new Map<string, SizeClass>();
  for (const e of profile.definitions) {
    if (e === null || typeof e !== "object" || typeof e.name !== "string" || !isSizeClass(e.recommendedClass)) {
      throw new TypeError(`profile entry ${JSON.stringify(e)?.slice(0, 80)} needs a name and a recommendedClass (micro, small, medium or large)`);
    }
    out.set(e.name, e.recommendedClass);
  }
  return out;
}

/** The channel patterns a saved profile learned, by definition name (checked like classOverridesOf; call that first). */
export function patternOverridesOf(profile: ProfileData): Map<string, ChannelPattern> {
  const out = new Map<string, ChannelPattern>();
  for (const e of profile.definitions) {
    if (e.channelPattern === undefined) continue;
    if (!isChannelPattern(e.channelPattern))
      throw new TypeError(`profile entry "${e.name}" has channelPattern ${JSON.stringify(e.channelPattern)}, not a channel pattern`);
    out.set(e.name, e.channelPattern);
  }
  return out;
}

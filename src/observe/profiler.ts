/**
 * Profiling: how well each definition's predicted stack matched what its
 * coroutines used (the seed's CoroProfiler / ProfilerOps).
 *
 * `new Runtime({ profiling: true })` installs a Profiler; `rt.profile()`
 * returns, per definition name, the predicted class and bytes (metadata or
 * size hint), the class the runtime actually used, the observed stack
 * high-water, spawns, migrations, accuracy and the class to use next time.
 * The result is plain data for `JSON.stringify` (`feedback()` lives on the
 * prototype); `new Runtime({ profile: saved })` applies its recommendations
 * (sched/profile-data.ts).
 *
 * What is attributed to whom: a coroutine is counted under the definition it
 * was spawned (or created) from — a plain generator under its function name —
 * and everything it `call()`s runs on its stack, so callees' frames and the
 * migrations they cause count towards the spawned definition. Definitions
 * that share a name share an entry (the larger prediction wins).
 *
 * Invariants:
 * - `recommendedClass` is the smallest class whose slot holds
 *   `observedHighWater`, never below `predictedClass`: a profile only raises;
 * - a coroutine is counted once, when its stack is released (onEnd for
 *   scheduled tasks, the base segment's free for rt.create() coroutines);
 *   `profile()` adds the coroutines still live at that moment.
 *
 * Cost: nothing per switch; one record lookup per finished coroutine (a
 * one-entry cache lets a run of one definition's coroutines skip the map).
 */
import type { SizeClass, StackRef } from "../memory/index.js";
import { largerSizeClass, sizeClassIndex } from "../memory/size-classes.js";
import { baseClassFor } from "../coro/stack.js";
import { checkProfileData, type ProfileData, type ProfileEntry } from "../sched/profile-data.js";
import { CHANNEL_PATTERNS, type ChannelPattern } from "../coro/coro.js";
import type { Scheduler } from "../sched/scheduler.js";
import type { RuntimeObserver } from "../sched/observer.js";
import type { TaskImpl } from "../sched/task.js";

/** One definition's line in a profile: the saved fields plus what they imply. */
export interface ProfiledDefinition extends ProfileEntry {
  /** The class its coroutines were given this run (a loaded profile may have raised it above predictedClass). */
  appliedClass: SizeClass;
  /** observedHighWater / predictedBytes, rounded to 3 decimals; null when the prediction is unbounded. */
  accuracy: number | null;
}

/** What `rt.profile()` returns: plain data plus a non-enumerable `feedback()`. */
export interface Profile extends ProfileData {
  definitions: ProfiledDefinition[];
  /** What the compiler should learn from this run. */
  feedback(): ProfileFeedback;
}

/** The seed's CompilerFeedback. Every list is sorted by name, except hotspots (most migrations first). */
export interface ProfileFeedback {
  /** Used more stack than predicted, or migrated: its metadata misses calls. */
  underestimated: { name: string; predictedBytes: number | null; observedHighWater: number; migrations: number; recommendedClass: SizeClass }[];
  /** Its predicted class is bigger than the observed high-water needs (in this run). */
  overestimated: { name: string; predictedClass: SizeClass; predictedBytes: number | null; observedHighWater: number; neededClass: SizeClass }[];
  /** Definitions whose coroutines migrated, most migrations first. */
  migrationHotspots: { name: string; migrations: number; spawns: number; migrationsPerSpawn: number }[];
  /** With affinity pools on: the channel pattern learned for each definition (its coroutines' most frequent pattern); absent when none was. */
  patterns?: { name: string; channelPattern: ChannelPattern; spawns: number }[];
}

/** Per-name accumulator. */
interface DefinitionRecord {
  name: string;
  predictedClass: SizeClass;
  predictedBytes: number | null;
  frameBytes: number;
  appliedClass: SizeClass;
  highWater: number;
  /** Coroutines counted: the finished ones (a profile() copy adds the live ones). */
  counted: number;
  migrations: number;
  /** Coroutines counted per channel pattern (affinity pools on), in CHANNEL_PATTERNS order. */
  patterns: number[] | null;
}

export class Profiler implements RuntimeObserver {
  private readonly records = new Map<string, DefinitionRecord>();
  /** One-entry cache: the last definition (or plain generator's name) looked up, and its record. */
  private lastKey: object | string = "";
  private lastRecord: DefinitionRecord | null = null;
  /**
   * Bytes of a plain generator's header-only first frame, read from the first
   * such stack (the coro layer owns that constant; observe/ imports no values from it).
   */
  private headerOnlyBytes = 0;

  constructor(private readonly rt: Scheduler) {}

  onSpawn(): void {}
  onSwitch(): void {}
  onBlock(): void {}
  onWake(): void {}

  onEnd(t: TaskImpl): void {
    this.count(this.recordFor(t), t);
  }

  onAlloc(t: TaskImpl, ref: StackRef): void {
    if (this.headerOnlyBytes === 0 && t.def === null && ref.addr === t.cstack.baseAddr) this.headerOnlyBytes = t.cstack.usedBytes;
  }

  onFree(t: TaskImpl, ref: StackRef): void {
    // rt.create() coroutines have no onEnd: their base segment's free is their end. (A stack
    // freed because spawning failed belongs to a task that never left "ready".)
    if (!t.scheduled && ref.addr === t.cstack.baseAddr && t.state !== "ready") this.count(this.recordFor(t), t);
  }

  onMigrate(t: TaskImpl): void {
    this.recordFor(t).migrations++;
  }

  /** The profile so far: finished coroutines plus the live ones as they stand. */
  profile(): Profile {
    const merged = new Map<string, DefinitionRecord>();
    for (const [name, r] of this.records) merged.set(name, { ...r, patterns: r.patterns === null ? null : [...r.patterns] });
    for (const t of this.rt.liveTasks()) {
      let r = merged.get(t.name);
      if (r === undefined) {
        const base = this.recordFor(t);
        r = { ...base, patterns: base.patterns === null ? null : [...base.patterns] };
        merged.set(t.name, r);
      }
      this.count(r, t);
    }
    const definitions = [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(toEntry);
    return new ProfileResult(definitions);
  }

  private count(r: DefinitionRecord, t: TaskImpl): void {
    r.counted++;
    const highWater = t.highWater;
    if (highWater > r.highWater) r.highWater = highWater;
    const applied = t.sizeClass;
    if (applied !== r.appliedClass) r.appliedClass = largerSizeClass(r.appliedClass, applied);
    const pattern = t.pattern;
    if (pattern !== undefined) (r.patterns ??= [0, 0, 0, 0])[CHANNEL_PATTERNS.indexOf(pattern)]++;
  }

  private recordFor(t: TaskImpl): DefinitionRecord {
    // The definition or function spawned: one identity check on the common path (the same one again).
    const key = t.origin;
    if (key === this.lastKey && this.lastRecord !== null) return this.lastRecord;
    const name = t.name;
    let r = this.records.get(name);
    if (r === undefined) {
      r = this.newRecord(t);
      this.records.set(name, r);
    } else if (t.def !== null) {
      mergePrediction(r, this.newRecord(t));
    }
    this.lastKey = key;
    this.lastRecord = r;
    return r;
  }

  private newRecord(t: TaskImpl): DefinitionRecord {
    const def = t.def;
    const m = def?.metadata;
    const header = this.headerOnlyBytes;
    return {
      name: t.name,
      predictedClass: m === undefined ? "micro" : m.sizeClass,
      predictedBytes: m === undefined ? header : m.maxStackBytes,
      frameBytes: m === undefined ? header : m.frameBytes,
      appliedClass: t.cstack.sizeClass,
      highWater: 0,
      counted: 0,
      migrations: 0,
      patterns: null,
    };
  }
}

/** Two definitions under one name: keep the larger prediction (null = unbounded is the largest). */
function mergePrediction(into: DefinitionRecord, other: DefinitionRecord): void {
  into.predictedClass = largerSizeClass(into.predictedClass, other.predictedClass);
  if (into.predictedBytes !== null) into.predictedBytes = other.predictedBytes === null ? null : Math.max(into.predictedBytes, other.predictedBytes);
  into.frameBytes = Math.max(into.frameBytes, other.frameBytes);
}

/** The most frequent pattern (the first of CHANNEL_PATTERNS on a tie), or undefined when none was counted. */
function learnedPattern(counts: number[] | null): ChannelPattern | undefined {
  if (counts === null) return undefined;
  let best = -1;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0 && (best < 0 || counts[i] > counts[best])) best = i;
  return best < 0 ? undefined : CHANNEL_PATTERNS[best];
}

function toEntry(r: DefinitionRecord): ProfiledDefinition {
  const pattern = learnedPattern(r.patterns);
  const entry: ProfiledDefinition = {
    name: r.name,
    predictedClass: r.predictedClass,
    appliedClass: r.appliedClass,
    recommendedClass: largerSizeClass(r.predictedClass, baseClassFor(r.highWater)),
    predictedBytes: r.predictedBytes,
    frameBytes: r.frameBytes,
    observedHighWater: r.highWater,
    accuracy: r.predictedBytes === null || r.predictedBytes === 0 ? null : Math.round((r.highWater / r.predictedBytes) * 1000) / 1000,
    spawns: r.counted,
    migrations: r.migrations,
  };
  if (pattern !== undefined) entry.channelPattern = pattern;
  return entry;
}

/** A profile as rt.profile() returns it: JSON.stringify sees only the data fields. */
class ProfileResult implements Profile {
  readonly format = "cprime-coro-profile" as const;
  readonly version = 1 as const;
  readonly definitions: ProfiledDefinition[];
  constructor(definitions: ProfiledDefinition[]) {
    this.definitions = definitions; // declared after format and version: the saved JSON reads in that order
  }
  feedback(): ProfileFeedback {
    return profileFeedback(this);
  }
}

/**
 * The feedback of a profile — also of a saved one read back from JSON.
 *
 * @example
 * const fb = profileFeedback(JSON.parse(savedText));
 * fb.migrationHotspots[0]; // { name: "parse", migrations: 12, spawns: 4, migrationsPerSpawn: 3 }
 */
export function profileFeedback(profile: ProfileData): ProfileFeedback {
  const feedback: ProfileFeedback = { underestimated: [], overestimated: [], migrationHotspots: [] };
  const byName = checkProfileData(profile, "profileFeedback(profile): profile").sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of byName) {
    const observed = e.observedHighWater;
    if ((e.predictedBytes !== null && observed > e.predictedBytes) || e.migrations > 0) {
      feedback.underestimated.push({
        name: e.name,
        predictedBytes: e.predictedBytes,
        observedHighWater: observed,
        migrations: e.migrations,
        recommendedClass: e.recommendedClass,
      });
    }
    const needed = baseClassFor(observed);
    if (e.spawns > 0 && e.migrations === 0 && sizeClassIndex(e.predictedClass) > sizeClassIndex(needed)) {
      feedback.overestimated.push({
        name: e.name,
        predictedClass: e.predictedClass,
        predictedBytes: e.predictedBytes,
        observedHighWater: observed,
        neededClass: needed,
      });
    }
    if (e.channelPattern !== undefined) (feedback.patterns ??= []).push({ name: e.name, channelPattern: e.channelPattern, spawns: e.spawns });
    if (e.migrations > 0) {
      feedback.migrationHotspots.push({
        name: e.name,
        migrations: e.migrations,
        spawns: e.spawns,
        migrationsPerSpawn: e.spawns === 0 ? e.migrations : e.migrations / e.spawns,
      });
    }
  }
  feedback.migrationHotspots.sort((a, b) => b.migrations - a.migrations); // stable: ties stay by name
  return feedback;
}

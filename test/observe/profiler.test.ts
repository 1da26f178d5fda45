import { describe, expect, test } from "vitest";
import { Runtime, bytes, call, coro, sleep, yieldNow, type CoroDef, type ProfileData, type RuntimeOptions } from "../../src/index.js";
import { profileFeedback, type Profile } from "../../src/observe/profiler.js";

// A leaf with a 1000-byte buffer: 1016 bytes of frame, too big for a micro slot.
const bigLeaf = coro({ name: "bigLeaf", locals: { buf: bytes(1000) } }, function* (f) {
  f.buf[0] = 1;
  return f.buf[0];
});

// Calls bigLeaf without declaring it: its metadata says 24 bytes, micro.
const parse = coro({ name: "parse", locals: { n: "i32" } }, function* (f) {
  f.n = yield* call(bigLeaf);
  yield* yieldNow();
  return f.n;
});

// Declares what it calls: predicted exactly.
const small = coro({ name: "declared", locals: { x: "f64" }, calls: [bigLeaf] }, function* (f) {
  f.x = yield* call(bigLeaf);
});

// A size hint far above what it uses.
const roomy = coro({ name: "roomy", size: "medium" }, function* () {
  yield* sleep(1);
});

/** parse ×2, declared, roomy and a plain generator, on one runtime (profiling unless the options say otherwise). */
function knownProgram(options: RuntimeOptions = {}): Runtime {
  const rt = new Runtime({ profiling: true, ...options });
  rt.spawn(parse);
  rt.spawn(parse);
  rt.spawn(small);
  rt.spawn(roomy);
  rt.spawn(function* ticker() {
    for (let i = 0; i < 3; i++) yield* sleep(1);
  });
  rt.run();
  return rt;
}

describe("Profiler: a known program", () => {
  test("one entry per definition name, sorted, with predictions against observations", () => {
    const rt = knownProgram();
    expect(rt.stats().migrations).toBe(2);
    expect(rt.profile().definitions).toEqual([
      {
        name: "declared",
        predictedClass: "small",
        appliedClass: "small",
        recommendedClass: "small",
        predictedBytes: 1040,
        frameBytes: 24,
        observedHighWater: 1040,
        accuracy: 1,
        spawns: 1,
        migrations: 0,
      },
      {
        name: "parse",
        predictedClass: "micro",
        appliedClass: "micro",
        recommendedClass: "small",
        predictedBytes: 24,
        frameBytes: 24,
        observedHighWater: 1040,
        accuracy: 43.333,
        spawns: 2,
        migrations: 2,
      },
      {
        name: "roomy",
        predictedClass: "medium",
        appliedClass: "medium",
        recommendedClass: "medium",
        predictedBytes: 16,
        frameBytes: 16,
        observedHighWater: 16,
        accuracy: 1,
        spawns: 1,
        migrations: 0,
      },
      {
        name: "ticker",
        predictedClass: "micro",
        appliedClass: "micro",
        recommendedClass: "micro",
        predictedBytes: 16,
        frameBytes: 16,
        observedHighWater: 16,
        accuracy: 1,
        spawns: 1,
        migrations: 0,
      },
    ]);
  });

  test("feedback: underestimated, overestimated and migration hotspots", () => {
    expect(knownProgram().profile().feedback()).toEqual({
      underestimated: [{ name: "parse", predictedBytes: 24, observedHighWater: 1040, migrations: 2, recommendedClass: "small" }],
      overestimated: [{ name: "roomy", predictedClass: "medium", predictedBytes: 16, observedHighWater: 16, neededClass: "micro" }],
      migrationHotspots: [{ name: "parse", migrations: 2, spawns: 2, migrationsPerSpawn: 1 }],
    });
  });

  test("hotspots put the most migrations first", () => {
    const rt = new Runtime({ profiling: true });
    const once = coro({ name: "once" }, function* () {
      yield* call(bigLeaf);
    });
    for (let i = 0; i < 3; i++) rt.spawn(parse);
    rt.spawn(once);
    rt.run();
    expect(
      rt
        .profile()
        .feedback()
        .migrationHotspots.map((h) => [h.name, h.migrations]),
    ).toEqual([
      ["parse", 3],
      ["once", 1],
    ]);
  });

  test("the profile survives JSON: data fields only, and its feedback can be recomputed", () => {
    const profile = knownProgram().profile();
    const saved = JSON.parse(JSON.stringify(profile)) as ProfileData;
    expect(Object.keys(saved)).toEqual(["format", "version", "definitions"]);
    expect(saved).toEqual({ format: "cprime-coro-profile", version: 1, definitions: profile.definitions });
    expect(Object.keys(profile)).not.toContain("feedback");
    expect(profileFeedback(saved)).toEqual(profile.feedback());
  });

  test("profiling changes nothing the simulation computes", () => {
    expect(knownProgram().stats()).toEqual(knownProgram({ profiling: false }).stats());
  });
});

describe("Profiler: what it counts", () => {
  test("coroutines still live are counted as they stand", () => {
    const rt = new Runtime({ profiling: true });
    let seen: Profile | null = null;
    rt.spawn(function* observer() {
      seen = rt.profile();
    });
    rt.spawn(parse);
    rt.run();
    const during = (seen as unknown as Profile).definitions;
    expect(during.map((d) => [d.name, d.spawns, d.observedHighWater])).toEqual([
      ["observer", 1, 16],
      ["parse", 1, 24], // spawned, not yet run
    ]);
    expect(rt.profile().definitions.map((d) => [d.name, d.spawns, d.observedHighWater])).toEqual([
      ["observer", 1, 16],
      ["parse", 1, 1040],
    ]);
  });

  test("low-level coroutines from rt.create() count when they end", () => {
    const rt = new Runtime({ profiling: true });
    const stepper = coro({ name: "stepper" }, function* () {
      yield 1;
      yield* call(bigLeaf);
    });
    const c = rt.create(stepper);
    c.resume();
    expect(rt.profile().definitions).toEqual([]); // not finished, and not in the scheduler's live list
    c.resume();
    expect(c.isComplete).toBe(true);
    expect(rt.profile().definitions).toMatchObject([{ name: "stepper", spawns: 1, migrations: 1, observedHighWater: 16 + 1016, recommendedClass: "small" }]);
  });

  test("failed and cancelled coroutines count too", () => {
    const rt = new Runtime({ profiling: true });
    const boom = coro({ name: "boom" }, function* () {
      yield* call(bigLeaf);
      throw new Error("boom");
    });
    const failed = rt.spawn(boom);
    const sleeper = rt.spawn(roomy);
    rt.spawn(function* reaper() {
      sleeper.cancel();
      try {
        yield* failed.join();
      } catch {
        // observed
      }
    });
    rt.run();
    expect(rt.profile().definitions.map((d) => [d.name, d.spawns, d.migrations])).toEqual([
      ["boom", 1, 1],
      ["reaper", 1, 0],
      ["roomy", 1, 0],
    ]);
  });

  test("an unbounded (recursive) definition has no predicted bytes and no accuracy", () => {
    const rt = new Runtime({ profiling: true });
    const countdown: CoroDef<[number], void> = coro({ name: "countdown", locals: { n: "i32" }, calls: () => [countdown] }, function* (f, n: number) {
      f.n = n;
      if (n > 0) yield* call(countdown, n - 1);
    });
    rt.spawn(countdown, 3);
    rt.run();
    const [entry] = rt.profile().definitions;
    expect(entry).toMatchObject({
      name: "countdown",
      predictedClass: "large",
      predictedBytes: null,
      accuracy: null,
      observedHighWater: 4 * 24,
      recommendedClass: "large",
    });
    expect(rt.profile().feedback().overestimated).toEqual([
      { name: "countdown", predictedClass: "large", predictedBytes: null, observedHighWater: 96, neededClass: "micro" },
    ]);
  });

  test("definitions sharing a name share an entry with the larger prediction", () => {
    const rt = new Runtime({ profiling: true });
    const a = coro({ name: "twin", locals: { x: "i32" } }, function* () {});
    const b = coro({ name: "twin", size: "small" }, function* () {});
    rt.spawn(a);
    rt.spawn(b);
    rt.spawn(a);
    rt.run();
    expect(rt.profile().definitions).toMatchObject([{ name: "twin", predictedClass: "small", predictedBytes: 24, spawns: 3, appliedClass: "small" }]);
  });

  test("profile() without { profiling: true } says how to enable it", () => {
    expect(() => new Runtime().profile()).toThrow(/profile\(\) needs a runtime created with \{ profiling: true \}/);
  });

  test("tracing and profiling together each see everything", () => {
    const rt = new Runtime({ profiling: true, trace: true });
    rt.spawn(parse);
    rt.run();
    expect(rt.profile().definitions[0]).toMatchObject({ name: "parse", migrations: 1 });
    expect(rt.exportTrace().traceEvents.some((e) => e.name === "migrate")).toBe(true);
  });
});

describe("profile-guided size classes", () => {
  test("a saved profile raises an under-declared definition's class: the next run does not migrate", () => {
    const first = knownProgram();
    expect(first.stats().migrations).toBe(2);
    const saved = JSON.parse(JSON.stringify(first.profile())) as ProfileData;

    const rt = new Runtime({ profiling: true, profile: saved });
    const t = rt.spawn(parse);
    expect(t.stack.sizeClass).toBe("small");
    rt.run();
    expect(rt.stats().migrations).toBe(0);
    expect(rt.profile().definitions).toEqual([
      {
        name: "parse",
        predictedClass: "micro",
        appliedClass: "small",
        recommendedClass: "small",
        predictedBytes: 24,
        frameBytes: 24,
        observedHighWater: 1040,
        accuracy: 43.333,
        spawns: 1,
        migrations: 0,
      },
    ]);
    // Still underestimated by its metadata (the profile only works around it), but no hotspot any more.
    const fb = rt.profile().feedback();
    expect(fb.underestimated.map((u) => u.name)).toEqual(["parse"]);
    expect(fb.migrationHotspots).toEqual([]);
  });

  test("the whole known program runs without migrations under its own profile", () => {
    const saved = JSON.parse(JSON.stringify(knownProgram().profile())) as ProfileData;
    const again = knownProgram({ profile: saved });
    expect(again.stats().migrations).toBe(0);
    expect(again.profile().definitions.map((d) => [d.name, d.appliedClass])).toEqual([
      ["declared", "small"],
      ["parse", "small"],
      ["roomy", "medium"], // overestimated, but a profile never lowers a class
      ["ticker", "micro"],
    ]);
  });

  test("a profile never lowers a class below the metadata or the size hint", () => {
    const profile: ProfileData = {
      format: "cprime-coro-profile",
      version: 1,
      definitions: [
        {
          name: "roomy",
          predictedClass: "micro",
          predictedBytes: 16,
          frameBytes: 16,
          observedHighWater: 16,
          spawns: 1,
          migrations: 0,
          recommendedClass: "micro",
        },
      ],
    };
    const rt = new Runtime({ profile });
    expect(rt.spawn(roomy).stack.sizeClass).toBe("medium");
    rt.run();
  });

  test.each([
    ["null", null],
    ["a string", "cprime-coro-profile"],
    ["another format", { format: "pprof", version: 1, definitions: [] }],
    ["another version", { format: "cprime-coro-profile", version: 2, definitions: [] }],
    ["no definitions", { format: "cprime-coro-profile", version: 1 }],
    ["an entry without a name", { format: "cprime-coro-profile", version: 1, definitions: [{ recommendedClass: "small" }] }],
    ["an unknown class", { format: "cprime-coro-profile", version: 1, definitions: [{ name: "parse", recommendedClass: "huge" }] }],
  ])("new Runtime({ profile }) refuses %s with a TypeError", (_what, bad) => {
    expect(() => new Runtime({ profile: bad as unknown as ProfileData })).toThrow(TypeError);
  });

  test("the guide's example: profile, save, run again", () => {
    // Kept in step with docs/guides/observability.md, "Profile-guided size classes".
    const leaf = coro({ name: "leaf", locals: { buf: bytes(1000) } }, function* (f) {
      f.buf[0] = 1;
    });
    const handler = coro({ name: "handler" }, function* () {
      yield* call(leaf); // not declared in `calls`: the metadata says micro
    });

    const first = new Runtime({ profiling: true });
    first.spawn(handler);
    first.run();
    const fb = first.profile().feedback();
    expect(fb.migrationHotspots).toEqual([{ name: "handler", migrations: 1, spawns: 1, migrationsPerSpawn: 1 }]);
    const saved = JSON.stringify(first.profile());

    const second = new Runtime({ profile: JSON.parse(saved) });
    const task = second.spawn(handler);
    second.run();
    expect(task.stack.sizeClass).toBe("small");
    expect(second.stats().migrations).toBe(0);
  });
});

/**
 * Channel-affinity pools (`pools: { affinity }`): patterns declared or
 * inferred, the seed's pattern → class mapping, pattern pools carved apart
 * and holding only their pattern, stats, dumps, heap map and profiles per
 * pattern.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Channel, checkMemory, coro, DeadlockError, Runtime, select, recv, type ChannelPattern, type SendPort, type Task } from "../../src/index.js";
import { runs } from "../support/fc.js";

/** Runs until only blocked coroutines are left (the deadlock report is expected: they wait on a gate closed later). */
function runUntilBlocked(rt: Runtime): void {
  try {
    rt.run();
  } catch (e) {
    if (!(e instanceof DeadlockError)) throw e;
  }
}

const PATTERNS: ChannelPattern[] = ["sendOnly", "recvOnly", "sendRecv", "select"];

/** The pattern whose pools hold `addr`, "general" for a general pool, null when in no pool (a large stack). */
function poolPatternOf(rt: Runtime, addr: number): ChannelPattern | "general" | null {
  for (const p of rt.memory.layout().pools) {
    if (addr >= p.slotsAddr && addr < p.slotsAddr + p.slots * p.slotSize) return p.affinity === 0 ? "general" : PATTERNS[p.affinity - 1];
  }
  return null;
}

/** The invariant: every live task sits in its pattern's pools, and every handed-out slot of a pattern pool is a live task of that pattern. */
function checkPatternPools(rt: Runtime, live: readonly Task<unknown>[]): void {
  checkMemory(rt.memory);
  const byAddr = new Map(live.filter((t) => t.state !== "done" && t.state !== "failed" && t.state !== "cancelled").map((t) => [t.stack.addr, t]));
  for (const t of byAddr.values()) expect(poolPatternOf(rt, t.stack.addr)).toBe(t.stack.pattern ?? "general");
  for (const p of rt.memory.layout().pools) {
    if (p.affinity === 0) continue;
    for (const [first, count] of p.usedRuns) {
      for (let slot = first; slot < first + count; slot++) {
        const t = byAddr.get(p.slotsAddr + slot * p.slotSize);
        expect(t, `slot ${slot} of the ${PATTERNS[p.affinity - 1]} pool ${p.id} is handed out to no live task`).toBeDefined();
        expect(t!.stack.pattern).toBe(PATTERNS[p.affinity - 1]);
      }
    }
  }
}

describe("channel-affinity pools", () => {
  it("a plain spawn infers its pattern from its arguments: send ports → sendOnly, receive ports → recvOnly, a channel or both → sendRecv, none → no pattern", () => {
    const rt = new Runtime({ pools: { affinity: true } });
    const ch = new Channel<number>(8);
    const body = function* (..._args: unknown[]) {};
    expect(rt.spawn(body, ch.sender()).stack.pattern).toBe("sendOnly");
    expect(rt.spawn(body, ch.receiver(), 3).stack.pattern).toBe("recvOnly");
    expect(rt.spawn(body, ch.sender(), ch.receiver()).stack.pattern).toBe("sendRecv");
    expect(rt.spawn(body, ch).stack.pattern).toBe("sendRecv");
    expect(rt.spawn(body, 1, "x").stack.pattern).toBeUndefined();
    rt.run();
    checkMemory(rt.memory);
  });

  it("the seed's mapping is the default: sendOnly and recvOnly in micro pools, sendRecv in small, select in medium; a definition's declared pattern wins over its arguments", () => {
    const rt = new Runtime({ pools: { affinity: true } });
    const ch = new Channel<number>(8);
    const selector = coro({ name: "selector", channelPattern: "select" }, function* (_f, _rx: unknown) {});
    const s = rt.spawn(selector, ch.receiver());
    expect(s.stack.pattern).toBe("select");
    expect(s.stack.sizeClass).toBe("medium");
    expect(rt.spawn(function* (_c: unknown) {}, ch).stack.sizeClass).toBe("small");
    expect(rt.spawn(function* (_c: unknown) {}, ch.sender()).stack.sizeClass).toBe("micro");
    expect(rt.spawnWith({ channelPattern: "recvOnly" }, function* (_c: unknown) {}, ch).stack.pattern).toBe("recvOnly");
    rt.run();
  });

  it("pools: { affinity: { select: 'small' } } overrides one pattern's class; a bad mapping is a TypeError naming it", () => {
    const rt = new Runtime({ pools: { affinity: { select: "small" } } });
    expect(rt.spawnWith({ channelPattern: "select" }, function* () {}).stack.sizeClass).toBe("small");
    rt.run();
    expect(() => new Runtime({ pools: { affinity: { both: "micro" } as never } })).toThrow(/no pattern "both"/);
    expect(() => new Runtime({ pools: { affinity: { select: "large" } as never } })).toThrow(
      /pools.affinity.select must be "micro", "small" or "medium", received "large"/,
    );
    expect(() => new Runtime({ pools: { affinity: "yes" as never } })).toThrow(TypeError);
  });

  it("off by default: no pattern, no pattern pools, stats without patterns", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(1);
    const t = rt.spawn(function* (_tx: unknown) {}, ch.sender());
    expect(t.stack.pattern).toBeUndefined();
    expect(rt.memory.layout().pools.every((p) => p.affinity === 0)).toBe(true);
    expect(rt.stats().patterns).toBeUndefined();
    rt.run();
  });

  it("pattern pools sit together: each pattern's stacks span a range of their own, and stats, dumps and the heap map say so", () => {
    const rt = new Runtime({ pools: { affinity: true } });
    const ch = new Channel<number>();
    for (let i = 0; i < 20; i++) {
      rt.spawn(function* (tx: SendPort<number>) {
        yield* tx.send(i);
      }, ch.sender());
    }
    const rx = ch.receiver();
    rt.spawn(function* (r: typeof rx) {
      for (let i = 0; i < 10; i++) yield* r.recv();
    }, rx);
    expect(() => rt.run()).toThrow(DeadlockError); // ten senders left blocked: they stay live to look at
    const stats = rt.stats().patterns!;
    expect(stats.sendOnly).toMatchObject({ sizeClass: "micro", pools: 1, live: 10, used: 10 });
    expect(stats.recvOnly.live).toBe(0);
    const [low, high] = stats.sendOnly.span!;
    expect(high - low).toBe(stats.sendOnly.slots * 256);
    const dump = rt.dump();
    expect(dump.coroutines[0].stack.pattern).toBe("sendOnly");
    expect(String(dump)).toContain("stack: micro (sendOnly pool)");
    const svg = rt.heapMapSVG();
    expect(svg).toContain('class="used-aff1"');
    expect(svg).toContain("sendOnly pool: stacks in use");
    expect(svg).toMatch(/sendOnly pool: \(micro\): 1 pool at 0x[0-9a-f]+–0x[0-9a-f]+, 1024 slots, 10 in use/);
    checkPatternPools(rt, rt.tasks());
    rt.shutdown();
    checkMemory(rt.memory);
  });

  it("the profiler learns a definition's pattern, and a runtime given the profile applies it to spawns that imply none", () => {
    const rt = new Runtime({ pools: { affinity: true }, profiling: true });
    const ch = new Channel<number>(4);
    const producer = coro({ name: "producer" }, function* (_f, _tx: unknown) {});
    rt.spawn(producer, ch.sender());
    rt.spawn(producer, ch.sender());
    rt.run();
    const profile = rt.profile();
    expect(profile.definitions.find((d) => d.name === "producer")!.channelPattern).toBe("sendOnly");
    expect(profile.feedback().patterns).toEqual([{ name: "producer", channelPattern: "sendOnly", spawns: 2 }]);
    const next = new Runtime({ pools: { affinity: true }, profile: JSON.parse(JSON.stringify(profile)) });
    expect(next.spawn(producer, { ports: "in an object: not seen" }).stack.pattern).toBe("sendOnly");
    next.run();
  });

  it("property: a pattern pool only ever holds coroutines of its pattern, and checkMemory passes after every step", () => {
    const kinds = ["send", "recv", "both", "chan", "none", "select"] as const;
    const step = fc.record({ kind: fc.constantFrom(...kinds), blocks: fc.boolean(), steps: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (spawns) => {
        const rt = new Runtime({ pools: { affinity: true, micro: 16, small: 4, medium: 2 } });
        const ch = new Channel<number>(2);
        const gate = new Channel<number>();
        const tasks: Task<unknown>[] = [];
        const selector = coro({ name: "selector", channelPattern: "select" }, function* (_f, _x: unknown) {
          yield* select([recv(gate.receiver())]);
        });
        for (const s of spawns) {
          const body = function* (..._args: unknown[]) {
            if (s.blocks) yield* gate.recv();
          };
          const args: unknown[] =
            s.kind === "send"
              ? [ch.sender()]
              : s.kind === "recv"
                ? [ch.receiver()]
                : s.kind === "both"
                  ? [ch.sender(), ch.receiver()]
                  : s.kind === "chan"
                    ? [ch]
                    : [];
          tasks.push(s.kind === "select" ? rt.spawn(selector, 0) : rt.spawn(body, ...args));
          if (s.steps > 0) runUntilBlocked(rt);
          checkPatternPools(rt, tasks);
        }
        gate.close();
        rt.run();
        checkPatternPools(rt, tasks);
        expect(
          rt.memory
            .layout()
            .pools.filter((p) => p.affinity !== 0)
            .every((p) => p.used === 0),
        ).toBe(true);
      }),
      { numRuns: runs(25) },
    );
  });
});

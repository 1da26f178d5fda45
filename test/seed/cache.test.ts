/**
 * The cache model (`cache` option): a set-associative LRU simulator checked
 * against a naive model, its counters through rt.stats(), and that it costs
 * nothing (no counters, the same cycles) when off.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Channel, Runtime, yieldNow } from "../../src/index.js";
import { CacheSim, DEFAULT_CACHE } from "../../src/memory/cache-sim.js";
import { runs } from "../support/fc.js";

/** The naive model: per level, per set, a most-recent-first list of lines. */
class NaiveCache {
  accesses = 0;
  l1Misses = 0;
  l2Misses = 0;
  private readonly levels: { sets: Map<number, number[]>; count: number; ways: number }[];
  constructor(
    l1: number,
    l2: number,
    private readonly line: number,
    l1Ways: number,
    l2Ways: number,
  ) {
    this.levels = [
      { sets: new Map(), count: l1 / line / l1Ways, ways: l1Ways },
      { sets: new Map(), count: l2 / line / l2Ways, ways: l2Ways },
    ];
  }
  private hit(level: number, line: number): boolean {
    const l = this.levels[level];
    const set = l.sets.get(line % l.count) ?? [];
    const i = set.indexOf(line);
    if (i >= 0) set.splice(i, 1);
    set.unshift(line);
    if (set.length > l.ways) set.pop();
    l.sets.set(line % l.count, set);
    return i >= 0;
  }
  touch(addr: number, bytes: number): void {
    for (let line = Math.floor(addr / this.line); line <= Math.floor((addr + bytes - 1) / this.line); line++) {
      this.accesses++;
      if (this.hit(0, line)) continue;
      this.l1Misses++;
      if (!this.hit(1, line)) this.l2Misses++;
    }
  }
}

describe("the cache model", () => {
  it("property: the simulator counts exactly what a naive per-set LRU model counts", () => {
    const touch = fc.record({ addr: fc.integer({ min: 0, max: 1 << 16 }), bytes: fc.integer({ min: 1, max: 300 }) });
    fc.assert(
      fc.property(fc.array(touch, { maxLength: 300 }), (touches) => {
        const config = { ...DEFAULT_CACHE, l1: 1024, l2: 4096, line: 64, l1Ways: 2, l2Ways: 4 };
        const sim = new CacheSim(config);
        const model = new NaiveCache(1024, 4096, 64, 2, 4);
        for (const t of touches) {
          sim.touch(t.addr, t.bytes);
          model.touch(t.addr, t.bytes);
          expect([sim.accesses, sim.l1Misses, sim.l2Misses]).toEqual([model.accesses, model.l1Misses, model.l2Misses]);
        }
        expect(sim.missCycles).toBe((sim.l1Misses - sim.l2Misses) * config.l1MissCycles + sim.l2Misses * config.l2MissCycles);
      }),
      { numRuns: runs(60) },
    );
  });

  const pingpong = (cache: "default" | undefined): Runtime => {
    const rt = new Runtime({ cache });
    const ping = new Channel<number>();
    const pong = new Channel<number>();
    rt.spawn(function* () {
      for (let i = 0; i < 100; i++) {
        yield* ping.send(i);
        yield* pong.recv();
      }
    });
    rt.spawn(function* () {
      for (let i = 0; i < 100; i++) {
        yield* ping.recv();
        yield* pong.send(i);
      }
    });
    rt.run();
    return rt;
  };

  it("off by default: no cache counters, and no cycles charged for it", () => {
    const off = pingpong(undefined);
    expect(off.stats().cache).toBeUndefined();
    const on = pingpong("default");
    const c = on.stats().cache!;
    expect(on.stats().busyCycles - off.stats().busyCycles).toBe(c.missCycles);
  });

  it("two coroutines ping-ponging stay in L1: only the cold misses", () => {
    const c = pingpong("default").stats().cache!;
    expect(c.accesses).toBeGreaterThan(400);
    expect(c.l1Misses).toBeLessThanOrEqual(4);
    expect(c.l2Misses).toBe(c.l1Misses);
  });

  it("1000 micro coroutines in round-robin: 64 KiB of frame lines miss a 32 KiB L1 every switch but stay in the 1 MiB L2", () => {
    const rt = new Runtime({ cache: "default", pools: { micro: 1000, small: 0, medium: 0 } });
    for (let i = 0; i < 1000; i++) {
      rt.spawn(function* () {
        for (let k = 0; k < 5; k++) yield* yieldNow();
      });
    }
    rt.run();
    const c = rt.stats().cache!;
    expect(c.l1Misses).toBe(c.accesses);
    expect(c.l2Misses).toBe(1000); // the cold ones only
  });

  it("a bad cache option is a typed error naming it", () => {
    expect(() => new Runtime({ cache: { line: 48 } })).toThrow(/line must be a power of two/);
    expect(() => new Runtime({ cache: { l1: -1 } })).toThrow(/l1 must be a positive integer, received -1/);
    expect(() => new Runtime({ cache: { size: 1 } as never })).toThrow(/no field "size"/);
    expect(() => new Runtime({ cache: "big" as never })).toThrow(TypeError);
  });
});

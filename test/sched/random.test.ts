/** The seeded generator behind select's fairness: in range, uniform, replayable. */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Random } from "../../src/sched/random.js";

describe("Random", () => {
  test("below(n) stays in [0, n) for every n, small or above 2^30", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, n) => {
        const r = new Random(seed);
        for (let i = 0; i < 20; i++) {
          const x = r.below(n);
          if (!Number.isInteger(x) || x < 0 || x >= n) return false;
        }
        return true;
      }),
    );
  });

  test("below(n) is uniform: each of n outcomes within 5% of its share over 60 000 draws", () => {
    for (const n of [2, 3, 5, 7, 64, 100]) {
      const r = new Random(42);
      const counts = new Array<number>(n).fill(0);
      const draws = 60_000;
      for (let i = 0; i < draws; i++) counts[r.below(n)]++;
      const share = draws / n;
      for (const c of counts) expect(Math.abs(c - share) / share).toBeLessThan(n > 10 ? 0.2 : 0.05);
    }
  });

  test("the same seed replays the same sequence; another seed does not", () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 32 }, () => r.nextU32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(2 ** 40 + 7)).not.toEqual(draw(7)); // the seed's high bits count too
  });
});

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { bytes, coro, SIZE_CLASS_BYTES, type CoroDef } from "../../src/index.js";
import { runs } from "../support/fc.js";

/** The reference: enumerate every path of the declared call graph from `root`. */
function bruteForce(frames: number[], edges: number[][], root: number) {
  let recursion = false;
  let maxBytes = 0;
  let maxDepth = 0;
  const onPath = new Set<number>();
  const walk = (n: number, bytesSoFar: number, depth: number): void => {
    if (onPath.has(n)) {
      recursion = true;
      return;
    }
    onPath.add(n);
    const b = bytesSoFar + frames[n];
    maxBytes = Math.max(maxBytes, b);
    maxDepth = Math.max(maxDepth, depth);
    for (const m of edges[n]) walk(m, b, depth + 1);
    onPath.delete(n);
  };
  walk(root, 0, 1);
  return recursion
    ? { maxStackBytes: null, callDepth: Infinity, recursion: true, bounded: false }
    : { maxStackBytes: maxBytes, callDepth: maxDepth, recursion: false, bounded: true };
}

const graph = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.record({
    locals: fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: n, maxLength: n }),
    edges: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n }), { minLength: n, maxLength: n }),
  }),
);

describe("metadata of random call graphs", () => {
  test("matches a brute-force enumeration of every declared call path", () => {
    fc.assert(
      fc.property(graph, ({ locals, edges }) => {
        const defs: CoroDef[] = [];
        for (let i = 0; i < locals.length; i++) {
          defs.push(
            coro({ name: `g${i}`, locals: locals[i] > 0 ? { buf: bytes(locals[i]) } : {}, calls: () => edges[i].map((j) => defs[j]) }, function* () {}),
          );
        }
        const frames = defs.map((d) => d.metadata.frameBytes);
        for (let i = 0; i < defs.length; i++) {
          expect(frames[i]).toBe(16 + ((locals[i] + 7) & ~7));
          const want = bruteForce(frames, edges, i);
          const got = defs[i].metadata;
          expect({ maxStackBytes: got.maxStackBytes, callDepth: got.callDepth, recursion: got.recursion, bounded: got.bounded }).toEqual(want);
          const cls =
            want.maxStackBytes === null
              ? "large"
              : want.maxStackBytes <= SIZE_CLASS_BYTES.micro
                ? "micro"
                : want.maxStackBytes <= SIZE_CLASS_BYTES.small
                  ? "small"
                  : want.maxStackBytes <= SIZE_CLASS_BYTES.medium
                    ? "medium"
                    : "large";
          expect(got.sizeClass).toBe(cls);
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

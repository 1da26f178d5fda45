/**
 * How long the runs of a slot-cache flush are: `tsx bench/instructions/slot-cache-runs.ts`.
 *
 * Takes and frees micro stacks in batches of 1 000 (the spawn case's shape:
 * more than the 128 slots a thread caches, so the cache refills and flushes)
 * on one AddressSpace from src/, counting through its private methods how
 * many cached entries the flushes give back and how many bitmap words
 * (`releaseBits`, one Atomics compare-and-swap each) they take. Entries per
 * word near 32 mean the flush's cost is its per-entry loop, not the Atomics.
 */
import { AddressSpace } from "../../src/memory/address-space.js";

type Method = (this: AddressSpace, ...args: number[]) => unknown;
const proto = AddressSpace.prototype as unknown as Record<string, Method>;
const counts = { entries: 0, words: 0, flushes: 0, refills: 0 };

function count(name: string, add: (args: number[]) => void): void {
  const original = proto[name];
  if (typeof original !== "function") throw new Error(`AddressSpace has no method ${name}: update this driver`);
  proto[name] = function (this: AddressSpace, ...args: number[]) {
    add(args);
    return original.apply(this, args);
  };
}
// releaseCached(lane, from, to): the lane is an object; from and to are entry indices.
count("releaseCached", (a) => {
  counts.entries += a[2] - a[1];
  counts.flushes++;
});
count("releaseBits", () => counts.words++);
count("refill", () => counts.refills++);

const BATCH = 1000;
const ROUNDS = 20;
const space = new AddressSpace({ maxBytes: 1 << 28 });
for (let round = 0; round < ROUNDS; round++) {
  const refs = [];
  for (let i = 0; i < BATCH; i++) refs.push(space.allocStack("micro"));
  for (const r of refs) space.freeStack(r);
}
console.log(
  `${ROUNDS} rounds of ${BATCH} micro stacks: ${counts.refills} refills, ${counts.flushes} flushes releasing ${counts.entries} entries ` +
    `in ${counts.words} bitmap words — ${(counts.entries / counts.words).toFixed(1)} entries per word`,
);

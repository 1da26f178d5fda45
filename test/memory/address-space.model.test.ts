/**
 * Model-based test of AddressSpace: the model is the list of live StackRefs
 * (and the refs already freed). After every command checkMemory() passes, the
 * stats match the model, live stacks do not overlap and still hold what was
 * written into them, live refs are live and freed ones are not. The space is
 * small (2 MiB) so runs carve pools and hit OutOfMemoryError, which must
 * change nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AllocatorError, OutOfMemoryError } from "../../src/errors.js";
import { AddressSpace, checkMemory, type SizeClass, type StackRef } from "../../src/memory/index.js";

interface Model {
  live: Array<{ ref: StackRef; fill: number }>;
  freed: StackRef[];
  nextFill: number;
}

type SpaceCommand = fc.Command<Model, AddressSpace>;

function verify(model: Model, space: AddressSpace): void {
  checkMemory(space);
  const stats = space.stats();
  for (const sizeClass of ["micro", "small", "medium"] as const) {
    const used = model.live.filter(({ ref }) => ref.sizeClass === sizeClass).length;
    expect(stats[sizeClass].used).toBe(used);
    expect(stats[sizeClass].used + stats[sizeClass].free).toBe(stats[sizeClass].capacity);
  }
  const large = model.live.filter(({ ref }) => ref.sizeClass === "large");
  expect(stats.large).toEqual({ count: large.length, usedBytes: large.reduce((sum, { ref }) => sum + ref.bytes, 0) });
  const bytes = new Uint8Array(space.buffer);
  const sorted = [...model.live].sort((a, b) => a.ref.addr - b.ref.addr);
  sorted.forEach(({ ref, fill }, index) => {
    expect(space.isLive(ref)).toBe(true);
    if (index + 1 < sorted.length) expect(ref.addr + ref.bytes).toBeLessThanOrEqual(sorted[index + 1].ref.addr);
    expect(bytes[ref.addr]).toBe(fill);
    expect(bytes[ref.addr + ref.bytes - 1]).toBe(fill);
  });
  for (const ref of model.freed) expect(space.isLive(ref)).toBe(false);
}

class AllocCommand implements SpaceCommand {
  constructor(
    readonly sizeClass: SizeClass,
    readonly bytes: number | undefined,
  ) {}
  check = () => true;
  run(model: Model, space: AddressSpace): void {
    const before = space.stats();
    let ref: StackRef;
    try {
      ref = space.allocStack(this.sizeClass, this.bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(OutOfMemoryError);
      expect(String(error)).toContain(this.sizeClass);
      expect(space.stats()).toEqual(before);
      verify(model, space);
      return;
    }
    expect(ref.sizeClass).toBe(this.sizeClass);
    const fill = (model.nextFill++ % 255) + 1;
    new Uint8Array(space.buffer, ref.addr, ref.bytes).fill(fill);
    model.live.push({ ref, fill });
    verify(model, space);
  }
  toString = () => `alloc(${this.sizeClass}${this.bytes === undefined ? "" : `, ${this.bytes}`})`;
}

class FreeCommand implements SpaceCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.live.length > 0;
  run(model: Model, space: AddressSpace): void {
    const [{ ref }] = model.live.splice(this.pick % model.live.length, 1);
    space.freeStack(ref);
    model.freed.push(ref);
    verify(model, space);
  }
  toString = () => `free(#${this.pick})`;
}

/** A freed (stale) ref, or a live one bent out of shape: refused, nothing changes. */
class BadFreeCommand implements SpaceCommand {
  constructor(
    readonly kind: "stale" | "misaligned" | "wrong-generation",
    readonly pick: number,
  ) {}
  check = (model: Readonly<Model>) => (this.kind === "stale" ? model.freed.length > 0 : model.live.length > 0);
  run(model: Model, space: AddressSpace): void {
    let ref: StackRef;
    if (this.kind === "stale") ref = model.freed[this.pick % model.freed.length];
    else {
      const live = model.live[this.pick % model.live.length].ref;
      ref = this.kind === "misaligned" ? { ...live, addr: live.addr + 16 } : { ...live, generation: live.generation + 1 };
    }
    const before = space.stats();
    expect(() => space.freeStack(ref)).toThrow(AllocatorError);
    expect(space.stats()).toEqual(before);
    verify(model, space);
  }
  toString = () => `badFree(${this.kind}, #${this.pick})`;
}

const allocs = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<SizeClass>("micro", "small", "medium").map((sizeClass) => new AllocCommand(sizeClass, undefined)) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 400_000 }).map((bytes) => new AllocCommand("large", bytes)) },
  { weight: 1, arbitrary: fc.constant(new AllocCommand("large", undefined)) },
);

const commands = [
  allocs,
  allocs,
  fc.nat().map((pick) => new FreeCommand(pick)),
  fc.nat().map((pick) => new FreeCommand(pick)),
  fc.tuple(fc.constantFrom("stale" as const, "misaligned" as const, "wrong-generation" as const), fc.nat()).map(([kind, pick]) => new BadFreeCommand(kind, pick)),
];

describe("AddressSpace against a model of live refs", () => {
  it("keeps every invariant through any sequence of allocs and frees (checkMemory each step)", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 100, size: "max" }), (cmds) => {
        const setup = () => ({
          model: { live: [], freed: [], nextFill: 0 },
          real: new AddressSpace({ pools: { micro: 8, small: 2, medium: 1 }, maxBytes: 2 << 20 }),
        });
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 70 },
    );
  });
});

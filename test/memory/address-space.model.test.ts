/**
 * Model-based test of AddressSpace: the model is the list of live StackRefs
 * (and the refs already freed). After every command checkMemory() passes, the
 * stats match the model, live stacks do not overlap and still hold what was
 * written into them, live refs are live and freed ones are not. The space is
 * small (2 MiB) so runs carve pools and hit OutOfMemoryError, which must
 * change nothing.
 *
 * Run twice: on one unshared space, and on a shared space seen through two
 * objects (as two threads would), where every command picks the object it
 * goes through, so stacks are freed into the other object's slot cache, and
 * the second object is now and then detached and attached again.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AllocatorError, OutOfMemoryError } from "../../src/errors.js";
import { AddressSpace, checkMemory, type SizeClass, type StackRef } from "../../src/memory/index.js";
import { runs } from "../support/fc.js";

interface Model {
  live: Array<{ ref: StackRef; fill: number }>;
  freed: StackRef[];
  nextFill: number;
}

/** The objects through which the one address space is used: [owner] or [owner, attached]. */
interface Real {
  spaces: AddressSpace[];
}

type SpaceCommand = fc.Command<Model, Real>;

function verify(model: Model, real: Real): void {
  const space = real.spaces[0];
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
    for (const view of real.spaces) expect(view.isLive(ref)).toBe(true);
    if (index + 1 < sorted.length) expect(ref.addr + ref.bytes).toBeLessThanOrEqual(sorted[index + 1].ref.addr);
    expect(bytes[ref.addr]).toBe(fill);
    expect(bytes[ref.addr + ref.bytes - 1]).toBe(fill);
  });
  for (const ref of model.freed) expect(space.isLive(ref)).toBe(false);
}

function through(real: Real, via: number): AddressSpace {
  return real.spaces[via % real.spaces.length];
}

class AllocCommand implements SpaceCommand {
  constructor(
    readonly sizeClass: SizeClass,
    readonly bytes: number | undefined,
    readonly via: number,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const space = through(real, this.via);
    const before = space.stats();
    let ref: StackRef;
    try {
      ref = space.allocStack(this.sizeClass, this.bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(OutOfMemoryError);
      expect(String(error)).toContain(this.sizeClass);
      expect(space.stats()).toEqual(before);
      verify(model, real);
      return;
    }
    expect(ref.sizeClass).toBe(this.sizeClass);
    const fill = (model.nextFill++ % 255) + 1;
    new Uint8Array(space.buffer, ref.addr, ref.bytes).fill(fill);
    model.live.push({ ref, fill });
    verify(model, real);
  }
  toString = () => `alloc(${this.sizeClass}${this.bytes === undefined ? "" : `, ${this.bytes}`}) via ${this.via}`;
}

class FreeCommand implements SpaceCommand {
  constructor(
    readonly pick: number,
    readonly via: number,
  ) {}
  check = (model: Readonly<Model>) => model.live.length > 0;
  run(model: Model, real: Real): void {
    const [{ ref }] = model.live.splice(this.pick % model.live.length, 1);
    through(real, this.via).freeStack(ref);
    model.freed.push(ref);
    verify(model, real);
  }
  toString = () => `free(#${this.pick}) via ${this.via}`;
}

/** A freed (stale) ref, or a live one bent out of shape: refused, nothing changes. */
class BadFreeCommand implements SpaceCommand {
  constructor(
    readonly kind: "stale" | "misaligned" | "wrong-generation",
    readonly pick: number,
  ) {}
  check = (model: Readonly<Model>) => (this.kind === "stale" ? model.freed.length > 0 : model.live.length > 0);
  run(model: Model, real: Real): void {
    const space = real.spaces[this.pick % real.spaces.length];
    let ref: StackRef;
    if (this.kind === "stale") ref = model.freed[this.pick % model.freed.length];
    else {
      const live = model.live[this.pick % model.live.length].ref;
      ref = this.kind === "misaligned" ? { ...live, addr: live.addr + 16 } : { ...live, generation: live.generation + 1 };
    }
    const before = space.stats();
    expect(() => space.freeStack(ref)).toThrow(AllocatorError);
    expect(space.stats()).toEqual(before);
    verify(model, real);
  }
  toString = () => `badFree(${this.kind}, #${this.pick})`;
}

/** The second object gives its cached slots back and a new one attaches in its place (shared runs only). */
class ReattachCommand implements SpaceCommand {
  check = () => true;
  run(model: Model, real: Real): void {
    if (real.spaces.length < 2) return;
    real.spaces[1].detach();
    verify(model, real);
    real.spaces[1] = new AddressSpace({ buffer: real.spaces[0].buffer });
    verify(model, real);
  }
  toString = () => "reattach";
}

const via = fc.nat({ max: 1 });
const allocs = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.constantFrom<SizeClass>("micro", "small", "medium"), via).map(([sizeClass, v]) => new AllocCommand(sizeClass, undefined, v)),
  },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 1, max: 400_000 }), via).map(([bytes, v]) => new AllocCommand("large", bytes, v)) },
  { weight: 1, arbitrary: via.map((v) => new AllocCommand("large", undefined, v)) },
);

const commands = [
  allocs,
  allocs,
  fc.tuple(fc.nat(), via).map(([pick, v]) => new FreeCommand(pick, v)),
  fc.tuple(fc.nat(), via).map(([pick, v]) => new FreeCommand(pick, v)),
  fc
    .tuple(fc.constantFrom("stale" as const, "misaligned" as const, "wrong-generation" as const), fc.nat())
    .map(([kind, pick]) => new BadFreeCommand(kind, pick)),
  fc.constant(new ReattachCommand()),
];

describe("AddressSpace against a model of live refs", () => {
  it.each([
    ["one unshared space", false],
    ["a shared space used through two objects", true],
  ])("keeps every invariant through any sequence of allocs and frees on %s (checkMemory each step)", (_what, shared) => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 100, size: "max" }), (cmds) => {
        const setup = () => {
          const owner = new AddressSpace({ pools: { micro: 8, small: 2, medium: 1 }, maxBytes: 2 << 20, shared });
          return {
            model: { live: [], freed: [], nextFill: 0 },
            real: { spaces: shared ? [owner, new AddressSpace({ buffer: owner.buffer })] : [owner] },
          };
        };
        fc.modelRun(setup, cmds);
      }),
      { numRuns: runs(60) },
    );
  });
});

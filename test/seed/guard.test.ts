/**
 * Guard regions through the runtime (`new Runtime({ guard: true })`): where a
 * write past a stack is caught, what the GuardError says, and that the space
 * checks clean afterwards.
 */
import { describe, expect, it } from "vitest";
import { bytes, Channel, checkMemory, coro, GuardError, Runtime, yieldNow } from "../../src/index.js";

function rawWriter(n: number, thenYield: boolean) {
  return coro({ name: "writer", locals: { buf: bytes(16) } }, function* (f, rt: Runtime) {
    const raw = new Uint8Array(rt.memory.buffer, f.$addr("buf"), 16 + n);
    raw.fill(7); // runs n bytes past the local: past the frame, past the stack
    if (thenYield) yield* yieldNow();
    return "done";
  });
}

describe("guard: true", () => {
  it("a raw write through $addr past the stack is a GuardError at the coroutine's next switch, naming the coroutine, the frame and the offset", () => {
    const rt = new Runtime({ guard: true });
    const t = rt.spawn(rawWriter(4, true), rt);
    expect(() => rt.run()).toThrow(GuardError);
    expect(t.state).toBe("failed");
    expect(String(t.error)).toMatch(
      /guard region overwritten in coroutine #1 writer: byte \+0 of the 16-byte guard .* offset 32 from the base of frame "writer" \(found at its next switch/,
    );
    checkMemory(rt.memory); // reported, then restored
  });

  it("a raw write past the stack in a coroutine that then returns is a GuardError when it ends, and the task fails instead of completing", () => {
    const rt = new Runtime({ guard: true });
    const t = rt.spawn(rawWriter(1, false), rt);
    expect(() => rt.run()).toThrow(/found when it returned/);
    expect(t.state).toBe("failed");
    expect(t.error).toBeInstanceOf(GuardError);
    checkMemory(rt.memory);
  });

  it("a coroutine may catch the GuardError thrown at its switch and go on (the guard was restored)", () => {
    const rt = new Runtime({ guard: true });
    const def = coro({ name: "careless", locals: { buf: bytes(16) } }, function* (f) {
      new Uint8Array(rt.memory.buffer, f.$addr("buf"), 20).fill(1);
      try {
        yield* yieldNow();
      } catch (e) {
        return e instanceof GuardError ? "caught" : "other";
      }
      return "missed";
    });
    const t = rt.spawn(def);
    rt.run();
    expect(t.result).toBe("caught");
    checkMemory(rt.memory);
  });

  it("a write through a bytes() view past its end that would land in the guard throws at the access and writes nothing", () => {
    const rt = new Runtime({ guard: true });
    const def = coro({ name: "indexer", locals: { buf: bytes(16) } }, function* (f) {
      f.buf[15] = 1; // inside: fine
      (f.buf as unknown as Record<number, number>)[16] = 2; // the first byte past the frame: the guard
      yield* yieldNow();
    });
    const t = rt.spawn(def);
    expect(() => rt.run()).toThrow(
      /guard region hit in coroutine #1 indexer: buf\[16\] would write byte \+0 of the 16-byte guard .* offset 32 from the base of frame "indexer"; nothing was written/,
    );
    expect(t.state).toBe("failed");
    checkMemory(rt.memory);
  });

  it("without guard the same runaway write goes unnoticed: it lands in the next slot", () => {
    const rt = new Runtime();
    const t = rt.spawn(rawWriter(4, true), rt);
    rt.run();
    expect(t.result).toBe("done");
    checkMemory(rt.memory);
  });

  it("a guarded runtime charges cost.guardCheck per switch and end, and its stacks are 16 bytes smaller than their slots", () => {
    const run = (guard: boolean): { busy: number; bytes: number } => {
      const rt = new Runtime({ guard, cost: { guardCheck: 4 } });
      const ch = new Channel<number>();
      let bytes = 0;
      const t = rt.spawn(function* () {
        for (let i = 0; i < 10; i++) yield* ch.send(i);
      });
      rt.spawn(function* () {
        for (let i = 0; i < 10; i++) yield* ch.recv();
      });
      bytes = t.stack.bytes;
      rt.run();
      return { busy: rt.stats().busyCycles, bytes };
    };
    const plain = run(false);
    const guarded = run(true);
    expect(guarded.bytes).toBe(plain.bytes - 16);
    expect(guarded.busy - plain.busy).toBeGreaterThan(0);
    expect((guarded.busy - plain.busy) % 4).toBe(0);
  });

  it("a definition whose frame fits a micro slot but not slot less guard is given the next class, not a migration", () => {
    const rt = new Runtime({ guard: true });
    const big = coro({ name: "big", locals: { buf: bytes(216) } }, function* () {
      yield* yieldNow();
    });
    expect(big.metadata.sizeClass).toBe("micro");
    const t = rt.spawn(big);
    expect(t.stack.sizeClass).toBe("small");
    rt.run();
    expect(rt.stats().migrations).toBe(0);
  });
});

describe("the heap map of a guarded runtime", () => {
  it("draws the guards in their own colour, as many bytes as there are slots times 16, and says so in the legend", () => {
    const rt = new Runtime({ guard: true, pools: { micro: 100, small: 10, medium: 2 } });
    const svg = rt.memory.toSVG();
    expect(svg).toContain('class="guard"');
    expect(svg).toMatch(/guard regions \(never handed out\): 1.75 KiB/); // (100 + 10 + 2) × 16 bytes
    expect(svg).toContain("guards: 16 bytes at the end of every slot and large stack");
  });
});

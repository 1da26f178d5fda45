/**
 * Property: the scalars a task keeps in its base slot's header (the spawner's
 * id and when its wait began: sched/task.ts `SlotHeader`) survive frames that
 * fill the slot to its floor, chained segments, and other coroutines'
 * slots being reused, and read back through the public reports — `rt.dump()`
 * and the DeadlockError's report.
 *
 * Each program is a forest of coroutines: entry i is spawned by entry
 * `parent` (or by main), runs a chain of calls whose frames have random
 * sizes around the micro slot's capacity (256 B less the 16 B header) and
 * fill every byte of their locals with 0xFF, sleeps, and parks on a channel
 * for good. Some entries finish instead, so later spawns reuse their slots.
 * After each program: every dumped coroutine's parent and wait start match
 * the model, and checkMemory() holds. The runtime's live list, which slot
 * reuse must not disturb, is validated while the forest is parked and after
 * the run: each live task sits at its `liveIndex`, a finished one reads -1.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Channel, DeadlockError, Runtime, bytes, call, coro, sleep, type CoroDef, type CoroDump, type Task } from "../../src/index.js";
import { SLOT_HEADER_BYTES } from "../../src/coro/stack.js";
import { schedulerOf } from "../../src/runtime/runtime.js";
import type { TaskImpl } from "../../src/sched/task.js";
import { runs } from "../support/fc.js";

/** Locals sizes: frames (16 B header + locals) at, just under and just over the micro slot's frame room, and ones that chain a segment. */
const MICRO_FRAME_ROOM = 256 - SLOT_HEADER_BYTES;
const LOCAL_BYTES = [8, MICRO_FRAME_ROOM - 32, MICRO_FRAME_ROOM - 24, MICRO_FRAME_ROOM - 16, MICRO_FRAME_ROOM - 8, 400, 2000];

interface Entry {
  /** Index of the entry that spawns it (smaller than its own), or -1 for main. */
  parent: number;
  /** Locals bytes of each frame of its call chain, outermost first (the first is its spawned definition's). */
  chain: number[];
  sleepMs: number;
  /** Whether it ends after its chain instead of parking (its slot is reused by later spawns). */
  ends: boolean;
}

const entry = (i: number): fc.Arbitrary<Entry> =>
  fc.record({
    parent: fc.integer({ min: -1, max: i - 1 }),
    chain: fc.array(fc.constantFrom(...LOCAL_BYTES), { minLength: 1, maxLength: 4 }),
    sleepMs: fc.integer({ min: 0, max: 50 }),
    ends: fc.boolean(),
  });

const program: fc.Arbitrary<Entry[]> = fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => entry(i))));

interface Ctx {
  entries: Entry[];
  ids: number[];
  /** When each parked entry's wait began, read by the entry just before it parked (virtual ms). */
  parkedAt: number[];
  forever: Channel<number>;
  rt: Runtime;
  /** Every task started, for the live-list validator. */
  tasks: Task[];
}

/** The definitions by locals size; each fills its locals, then calls the rest of the chain or, at the end, waits. */
const defs = new Map<number, CoroDef<[Ctx, number, number[]], void>>();
for (const n of LOCAL_BYTES) {
  defs.set(
    n,
    coro({ name: `fill${n}`, size: "micro", locals: { t: bytes(n) } }, function* (f, ctx: Ctx, i: number, rest: number[]): Generator<unknown, void, unknown> {
      f.$bytes("t").fill(0xff);
      if (rest.length > 0) {
        yield* call(defs.get(rest[0])!, ctx, i, rest.slice(1));
        return;
      }
      // Spawn its children (all of them after the chain is on the stack), then sleep and park, or end.
      for (let k = i + 1; k < ctx.entries.length; k++) if (ctx.entries[k].parent === i) start(ctx, k);
      const e = ctx.entries[i];
      yield* sleep(e.sleepMs);
      if (e.ends) return;
      ctx.parkedAt[i] = ctx.rt.now();
      yield* ctx.forever.recv();
    }),
  );
}

function start(ctx: Ctx, k: number): Task<void> {
  const e = ctx.entries[k];
  const t = ctx.rt.spawn(defs.get(e.chain[0])!, ctx, k, e.chain.slice(1));
  ctx.ids[k] = t.id;
  ctx.tasks.push(t);
  return t;
}

/** The live list's invariant: task i of it has liveIndex i; every other task of `all` reads -1 and has ended. */
function validateLive(rt: Runtime, all: Task[]): void {
  const live = schedulerOf(rt).liveTasks();
  live.forEach((t, i) => expect(t.liveIndex, `live[${i}] = task ${t.id}`).toBe(i));
  const onList = new Set<unknown>(live);
  for (const t of all) {
    if (onList.has(t)) continue;
    expect((t as unknown as TaskImpl).liveIndex, `task ${t.id} off the list`).toBe(-1);
    expect(["done", "failed", "cancelled"]).toContain(t.state);
  }
}

function check(entries: Entry[]): void {
  const rt = new Runtime({ pools: { micro: 4, small: 2, medium: 1 }, memoryBytes: 1, seed: 7 });
  const ctx: Ctx = { entries, ids: [], parkedAt: [], forever: new Channel<number>(0, { name: "forever" }), rt, tasks: [] };
  const tasks = ctx.tasks;
  let dump: CoroDump | null = null;
  const main = rt.spawn(function* () {
    for (let k = 0; k < entries.length; k++) if (entries[k].parent === -1) start(ctx, k);
    yield* sleep(60); // every entry has parked or ended
    dump = rt.dump();
    validateLive(rt, [main, ...tasks]);
  });
  let deadlock: unknown = null;
  try {
    rt.run();
  } catch (err) {
    deadlock = err;
  }
  const parked = entries.map((e, i) => i).filter((i) => !entries[i].ends);
  const parentId = (i: number): number => (entries[i].parent === -1 ? main.id : ctx.ids[entries[i].parent]);
  expect(dump).not.toBeNull();
  const byId = new Map(dump!.coroutines.map((c) => [c.id, c]));
  for (const i of parked) {
    const c = byId.get(ctx.ids[i]);
    expect(c, `entry ${i}`).toBeDefined();
    // No scopes here, so the tree parent is the spawner's id, whether or not the spawner has ended since.
    expect(c!.parent, `entry ${i} parent`).toBe(parentId(i));
    expect(c!.waiting?.sinceMs, `entry ${i} wait start`).toBeCloseTo(ctx.parkedAt[i], 4);
  }
  if (parked.length === 0) {
    expect(deadlock).toBeNull();
  } else {
    expect(deadlock).toBeInstanceOf(DeadlockError);
    expect((deadlock as DeadlockError).blocked).toHaveLength(parked.length);
  }
  validateLive(rt, [main, ...tasks]);
  rt.memory.checkMemory();
}

describe("the slot header", () => {
  test("parent ids and wait starts read back, and the live list holds, whatever the frames fill, chain or reuse", () => {
    fc.assert(fc.property(program, check), { numRuns: runs(120) });
  });

  test("a frame that fills the micro slot to its header fits without a migration; 8 bytes more chains a segment", () => {
    const rt = new Runtime();
    const exact = coro({ name: "exact", size: "micro", locals: { t: bytes(MICRO_FRAME_ROOM - 16) } }, function* (f) {
      f.$bytes("t").fill(0xff);
      yield* sleep(5);
    });
    const over = coro({ name: "over", size: "micro", locals: { t: bytes(MICRO_FRAME_ROOM - 8) } }, function* (f) {
      f.$bytes("t").fill(0xff);
      yield* sleep(5);
    });
    const a = rt.spawn(exact);
    rt.run();
    expect(a.stack.segments).toBe(1);
    expect(rt.stats().migrations).toBe(0);
    const b = rt.spawn(over);
    expect(b.stack.segments).toBe(2);
    rt.run();
  });

  test("a definition's compile-time class counts the header: room for 240 B of frames in micro, not 248", () => {
    const fits = coro({ name: "fits", locals: { t: bytes(MICRO_FRAME_ROOM - 16) } }, function* () {});
    const spills = coro({ name: "spills", locals: { t: bytes(MICRO_FRAME_ROOM - 8) } }, function* () {});
    expect(fits.metadata.maxStackBytes).toBe(MICRO_FRAME_ROOM);
    expect(fits.metadata.sizeClass).toBe("micro");
    expect(spills.metadata.sizeClass).toBe("small");
  });
});

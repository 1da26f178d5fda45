/**
 * Two worker threads share one pool (and one address space) and allocate at
 * the same time: every slot is handed out exactly once and none is lost.
 */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { AddressSpace, BitmapPool, checkBitmapPool, checkMemory, type StackRef } from "../../src/memory/index.js";
import { viewsOf } from "../../src/memory/views.js";
import type { PoolJob, SpaceJob } from "./memory-worker.js";

/** A plain-JS entry that registers tsx and imports memory-worker.ts (Node 20 will not start a worker on a .ts file). */
const WORKER_URL = new URL("./memory-worker.mjs", import.meta.url);

/** Starts two workers on `job`, opens the gate once both wait at it, and returns what each allocated. */
async function raceTwoWorkers<T>(job: PoolJob | SpaceJob): Promise<[T, T]> {
  const workers = [0, 1].map(() => new Worker(WORKER_URL, { workerData: job }));
  let failure: unknown = null;
  const results = workers.map(
    (worker) =>
      new Promise<T>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", (error) => reject((failure = error)));
        worker.once("exit", (code) => reject((failure ??= new Error(`worker exited with code ${code} before answering`))));
      }),
  );
  results.forEach((result) => result.catch(() => {}));
  const gate = new Int32Array(job.gate);
  try {
    while (Atomics.load(gate, 1) < 2 && failure === null) await new Promise((resolve) => setTimeout(resolve, 5));
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    return (await Promise.all(results)) as [T, T];
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

describe("memory shared by worker threads", () => {
  it("two workers draining one BitmapPool get every slot exactly once", async () => {
    const slots = 200_000;
    const base = 64;
    const buffer = new SharedArrayBuffer(base + BitmapPool.bytesNeeded(64, slots));
    const pool = new BitmapPool(buffer, base, 64, slots);
    const [first, second] = await raceTwoWorkers<number[]>({ mode: "pool", buffer, base, slotSize: 64, slots, gate: new SharedArrayBuffer(8) });
    const all = [...first, ...second];
    expect(all.length).toBe(slots);
    expect(new Set(all).size).toBe(slots);
    expect(all.every((addr) => pool.isAllocated(addr))).toBe(true);
    expect(pool.freeCount).toBe(0);
    checkBitmapPool(buffer, base);
  }, 30_000);

  it("two workers allocating and freeing in one shared AddressSpace (slot caches, carving pools, the heap lock) lose nothing", async () => {
    const space = new AddressSpace({ pools: { micro: 100, small: 10, medium: 2 }, shared: true });
    const count = 6_000;
    const [first, second] = await raceTwoWorkers<StackRef[]>({ mode: "space", buffer: space.buffer, gate: new SharedArrayBuffer(8), count });
    const kept = [...first, ...second];
    expect(kept.length).toBe(2 * (count - count / 3));
    expect(new Set(kept.map((ref) => ref.addr)).size).toBe(kept.length);
    checkMemory(space);
    expect(space.layout().threads.map((thread) => thread.index)).toEqual([0]); // both workers detached
    const stats = space.stats();
    for (const sizeClass of ["micro", "small", "medium"] as const) {
      expect(stats[sizeClass].used).toBe(kept.filter((ref) => ref.sizeClass === sizeClass).length);
    }
    expect(stats.large.count).toBe(kept.filter((ref) => ref.sizeClass === "large").length);
    for (const ref of kept) space.freeStack(ref);
    expect(space.stats().micro.used).toBe(0);
    checkMemory(space);
  }, 30_000);

  it("stacks in pools and heap blocks other threads grew the buffer for lie inside this thread's views (frames write through them)", async () => {
    const space = new AddressSpace({ pools: { micro: 100, small: 10, medium: 2 }, bytes: 1, shared: true });
    const views = viewsOf(space.buffer); // made before the workers grow the buffer
    const viewedBytes = views.u8.length;
    const [first, second] = await raceTwoWorkers<StackRef[]>({ mode: "space", buffer: space.buffer, gate: new SharedArrayBuffer(8), count: 6_000 });
    expect(space.buffer.byteLength).toBeGreaterThan(viewedBytes); // the workers grew it
    // Two cache refills from the workers' pools (adopted, not carved: the heap is not involved)…
    const mine: StackRef[] = [];
    for (let i = 0; i < 64; i++) mine.push(space.allocStack("micro"));
    expect(mine.some((ref) => ref.addr >= viewedBytes)).toBe(true);
    expect(mine.filter((ref) => ref.addr + ref.bytes > views.u8.length).map((ref) => ref.addr)).toEqual([]);
    // …and a large stack from the heap the workers grew.
    const large = space.allocStack("large", 4096);
    mine.push(large);
    expect(large.addr + large.bytes).toBeLessThanOrEqual(views.u8.length);
    for (const ref of [...first, ...second, ...mine]) space.freeStack(ref);
    checkMemory(space);
  }, 30_000);
});

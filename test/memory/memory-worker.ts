/**
 * Worker for memory.worker.test.ts: attaches to a pool or an address space
 * that the main thread created, waits at a start gate so both workers race,
 * then allocates and posts back what it got.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AddressSpace, BitmapPool, type SizeClass, type StackRef } from "../../src/memory/index.js";

export interface PoolJob {
  mode: "pool";
  buffer: SharedArrayBuffer;
  base: number;
  slotSize: number;
  slots: number;
  /** Int32 gate: [0] start flag, [1] workers ready. */
  gate: SharedArrayBuffer;
}

export interface SpaceJob {
  mode: "space";
  buffer: SharedArrayBuffer;
  gate: SharedArrayBuffer;
  /** Stacks to allocate; every third is freed again at once, to race frees with allocations. */
  count: number;
}

const job = workerData as PoolJob | SpaceJob;
const gate = new Int32Array(job.gate);
Atomics.add(gate, 1, 1);
Atomics.wait(gate, 0, 0);

if (job.mode === "pool") {
  const pool = BitmapPool.attach(job.buffer, job.base, job.slotSize, job.slots);
  const addrs: number[] = [];
  for (let addr = pool.alloc(); addr !== null; addr = pool.alloc()) addrs.push(addr);
  parentPort!.postMessage(addrs);
} else {
  const space = new AddressSpace({ buffer: job.buffer });
  const classes: SizeClass[] = ["micro", "micro", "small", "micro", "large", "medium"];
  const kept: StackRef[] = [];
  for (let index = 0; index < job.count; index++) {
    const ref = space.allocStack(classes[index % classes.length], classes[index % classes.length] === "large" ? 4096 + index : undefined);
    if (index % 3 === 2) space.freeStack(ref);
    else kept.push(ref);
  }
  space.detach(); // give the cached slots back before the main thread checks
  parentPort!.postMessage(kept);
}

/**
 * Memory benchmarks (issue 2): stack alloc+free per size class at 10% and 90%
 * occupancy, and the TLSF heap beside @thi.ng/malloc's MemPool.
 *
 * Wall time only: the memory layer has no cost model of its own (the
 * scheduler's `alloc`/`free` cycle costs are reported by sched benchmarks).
 * One op is one alloc plus one free. Occupancy is set up before timing by
 * filling the class's pre-allocated pools (or the heap, for large stacks) to
 * that fraction; the timed pair then runs against that state.
 */
import { MemPool } from "@thi.ng/malloc";
import { AddressSpace, HEAP_CONTROL_BYTES, Heap, type SizeClass, type StackRef } from "../src/memory/index.js";
import type { BenchFile, TimedCase } from "./types.js";

const ARRAYBUFFER_BASELINE = "memory/alloc-free/arraybuffer-256";
const ATOMICS_FLOOR = "memory/alloc-free/5-atomics";
const OCCUPANCIES = [0.1, 0.9] as const;
const LARGE_STACK_BYTES = 65536;
/** Heap for the large-stack cases: occupancy is a fraction of it. */
const LARGE_HEAP_BYTES = 64 << 20;
const HEAP_CASE_BYTES = 16 << 20;
/** Blocks live in the heap while the heap cases run, so the heap is not trivially empty. */
const HEAP_CASE_RESIDENT_BLOCKS = 64;

/** Results land here so no call is dead code. */
let sink: unknown = null;

function percent(occupancy: number): string {
  return `${Math.round(occupancy * 100)}%`;
}

/**
 * alloc+free of one `sizeClass` stack (`bytes` for large) in a space made by
 * `makeSpace`, with `heldCount(space)` stacks of the same kind held during
 * timing; teardown frees them and checks the space.
 */
function stackPairCase(spec: {
  name: string;
  note: string;
  sizeClass: SizeClass;
  bytes?: number;
  baseline?: string;
  target?: TimedCase["target"];
  makeSpace: () => AddressSpace;
  heldCount: (space: AddressSpace) => number;
}): TimedCase {
  const { sizeClass, bytes } = spec;
  let space: AddressSpace | null = null;
  const held: StackRef[] = [];
  return {
    name: spec.name,
    role: "subject",
    baseline: spec.baseline,
    target: spec.target,
    note: spec.note,
    setup() {
      space = spec.makeSpace();
      const count = spec.heldCount(space);
      for (let index = 0; index < count; index++) held.push(space.allocStack(sizeClass, bytes));
    },
    fn() {
      const ref = space!.allocStack(sizeClass, bytes);
      space!.freeStack(ref);
      return ref;
    },
    teardown() {
      for (const ref of held) space!.freeStack(ref);
      held.length = 0;
      space!.checkMemory();
      space = null;
    },
  };
}

/** alloc+free of one pool class with the class's default pool `occupancy` full. */
function poolClassCase(sizeClass: Exclude<SizeClass, "large">, occupancy: number): TimedCase {
  const isMicro = sizeClass === "micro";
  return stackPairCase({
    name: `memory/alloc-free/${sizeClass}@${percent(occupancy)}`,
    note: `default pools; ${percent(occupancy)} of the ${sizeClass} slots held during timing`,
    sizeClass,
    baseline: isMicro ? ARRAYBUFFER_BASELINE : undefined,
    target: isMicro && occupancy === 0.9 ? { ns: 20, text: "micro alloc+free ≤ 20 ns median at 90% occupancy (issue 2)" } : undefined,
    makeSpace: () => new AddressSpace(),
    heldCount: (space) => Math.round(space.stats()[sizeClass].capacity * occupancy),
  });
}

/** alloc+free of a 64 KiB large stack with the heap `occupancy` full of 64 KiB stacks. */
function largeCase(occupancy: number): TimedCase {
  return stackPairCase({
    name: `memory/alloc-free/large-64KiB@${percent(occupancy)}`,
    note: `no pools; a ${LARGE_HEAP_BYTES >> 20} MiB heap ${percent(occupancy)} full of 64 KiB stacks`,
    sizeClass: "large",
    bytes: LARGE_STACK_BYTES,
    makeSpace: () => new AddressSpace({ pools: { micro: 0, small: 0, medium: 0 }, bytes: LARGE_HEAP_BYTES, maxBytes: LARGE_HEAP_BYTES }),
    heldCount: () => Math.floor((LARGE_HEAP_BYTES * occupancy) / (LARGE_STACK_BYTES + 16)),
  });
}

/** The operations the heap cases time, so ours and the peer run the same loop. */
interface ByteAllocator {
  alloc(bytes: number): number;
  free(addr: number): void;
}

/** alloc+free of `bytes` with HEAP_CASE_RESIDENT_BLOCKS blocks of that size resident. */
function heapPairCase(spec: Pick<TimedCase, "name" | "role" | "baseline" | "target" | "note"> & { bytes: number; make: () => ByteAllocator }): TimedCase {
  const { bytes } = spec;
  let allocator: ByteAllocator | null = null;
  return {
    name: spec.name,
    role: spec.role,
    baseline: spec.baseline,
    target: spec.target,
    note: spec.note,
    setup() {
      allocator = spec.make();
      for (let index = 0; index < HEAP_CASE_RESIDENT_BLOCKS; index++) allocator.alloc(bytes);
    },
    fn() {
      const addr = allocator!.alloc(bytes);
      allocator!.free(addr);
      return addr;
    },
    teardown() {
      allocator = null;
    },
  };
}

/** Our TLSF heap, standalone, against @thi.ng/malloc's MemPool on the same sizes. */
function heapCases(label: string, bytes: number, target?: TimedCase["target"]): TimedCase[] {
  const peerName = `memory/heap/alloc-free/${label}/thi.ng`;
  return [
    heapPairCase({
      name: `memory/heap/alloc-free/${label}`,
      role: "subject",
      baseline: peerName,
      target,
      note: `Heap over a ${HEAP_CASE_BYTES >> 20} MiB SharedArrayBuffer, ${HEAP_CASE_RESIDENT_BLOCKS} blocks resident; takes the heap's spin lock (2 Atomics calls) per alloc and per free so threads can share it`,
      bytes,
      make: () => {
        const heap = Heap.init(new SharedArrayBuffer(HEAP_CASE_BYTES), 0, HEAP_CONTROL_BYTES);
        return { alloc: (size) => heap.alloc(size), free: (addr) => heap.free(addr) };
      },
    }),
    heapPairCase({
      name: peerName,
      role: "peer",
      note: `@thi.ng/malloc MemPool over a ${HEAP_CASE_BYTES >> 20} MiB ArrayBuffer, 16-byte alignment, ${HEAP_CASE_RESIDENT_BLOCKS} blocks resident; not thread-safe`,
      bytes,
      make: () => {
        const pool = new MemPool({ size: HEAP_CASE_BYTES, align: 16 });
        return { alloc: (size) => pool.malloc(size), free: (addr) => void pool.free(addr) };
      },
    }),
  ];
}

/** The Atomics calls a micro alloc+free makes (claim bit, used++, generation CAS, release bit, used--), and nothing else. */
function atomicsFloorCase(): TimedCase {
  const words = new Int32Array(new SharedArrayBuffer(64));
  let generation = 0;
  return {
    name: ATOMICS_FLOOR,
    role: "baseline",
    note: "the 5 Atomics calls of a micro alloc+free on their own: the floor of the pool design in this V8, where each Atomics call is a builtin call",
    fn() {
      Atomics.or(words, 0, 1);
      Atomics.add(words, 1, 1);
      Atomics.compareExchange(words, 2, generation, generation + 1);
      generation++;
      Atomics.and(words, 0, ~1);
      return Atomics.sub(words, 1, 1);
    },
  };
}

const cases: TimedCase[] = [
  {
    name: ARRAYBUFFER_BASELINE,
    role: "baseline",
    note: "new ArrayBuffer(256): what a stack would cost as a plain JS allocation (plus GC later)",
    fn() {
      sink = new ArrayBuffer(256);
      return sink;
    },
  },
  atomicsFloorCase(),
  ...(["micro", "small", "medium"] as const).flatMap((sizeClass) => OCCUPANCIES.map((occupancy) => poolClassCase(sizeClass, occupancy))),
  ...OCCUPANCIES.map((occupancy) => largeCase(occupancy)),
  ...heapCases("4KiB", 4096, { ns: 100, text: "heap alloc+free of 4 KiB ≤ 100 ns and faster than @thi.ng/malloc (issue 2)" }),
  ...heapCases("256B", 256),
];

const memoryBench: BenchFile = {
  title: "Memory: stack allocation and the heap",
  notes: [
    "One op = one alloc + one free. Pool classes (micro 256 B, small 2 KiB, medium 16 KiB) use lock-free bitmaps in the SharedArrayBuffer; large stacks and `memory/heap/*` use the TLSF heap under a spin lock.",
    "Occupancy: before timing, the class's default pool (micro 10 000, small 1 000, medium 100 slots) or a 64 MiB heap is filled to 10% or 90%.",
    "`memory/alloc-free/5-atomics` is the bare cost of the five Atomics calls a micro alloc+free makes; the gap to it is the allocator's own work.",
    "@thi.ng/malloc is single-threaded and lock-free by construction (no Atomics); ours pays for sharing between threads.",
  ],
  cases,
};

export default memoryBench;

/**
 * Memory benchmarks (issue 2): stack alloc+free per size class at 10% and 90%
 * occupancy (unshared spaces, and a shared one), and the TLSF heap beside
 * @thi.ng/malloc's MemPool — in the pattern MemPool is best at (free the
 * block just allocated) and in one it is not (free a random one of 1 000).
 *
 * Wall time only: the memory layer has no cost model of its own (the
 * scheduler's `alloc`/`free` cycle costs are reported by sched benchmarks).
 * One op is one alloc plus one free. Occupancy is set up before timing by
 * filling the class's pre-allocated pools (or the heap, for large stacks) to
 * that fraction; the timed pair then runs against that state.
 */
import { MemPool } from "@thi.ng/malloc";
import { AddressSpace, HEAP_CONTROL_BYTES, Heap, type SizeClass, type StackRef } from "cprime-coro";
import type { BenchFile, TimedCase } from "./types.js";

const ARRAYBUFFER_BASELINE = "memory/alloc-free/arraybuffer-256";
const ATOMICS_FLOOR = "memory/alloc-free/3-atomics";
const OCCUPANCIES = [0.1, 0.9] as const;
const LARGE_STACK_BYTES = 65536;
/** Heap for the large-stack cases: occupancy is a fraction of it. */
const LARGE_HEAP_BYTES = 64 << 20;
const HEAP_CASE_BYTES = 16 << 20;
/** Blocks live in the heap while the heap cases run, so the heap is not trivially empty. */
const HEAP_CASE_RESIDENT_BLOCKS = 64;
/** Live blocks in the random-order heap cases. */
const RANDOM_CASE_LIVE_BLOCKS = 1000;

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
function poolClassCase(sizeClass: Exclude<SizeClass, "large">, occupancy: number, shared = false): TimedCase {
  const isMicro = sizeClass === "micro";
  return stackPairCase({
    name: `memory/alloc-free/${sizeClass}@${percent(occupancy)}${shared ? "/shared" : ""}`,
    note: shared
      ? `a space created with { shared: true } (workers may attach): generation CAS and Atomics counters, no bitmap access; ${percent(occupancy)} of the ${sizeClass} slots held`
      : `default pools; ${percent(occupancy)} of the ${sizeClass} slots held during timing; the pair runs on the thread's slot cache (no Atomics)`,
    sizeClass,
    baseline: shared ? ATOMICS_FLOOR : isMicro ? ARRAYBUFFER_BASELINE : undefined,
    target: isMicro && occupancy === 0.9 && !shared ? { ns: 20, text: "micro alloc+free ≤ 20 ns median at 90% occupancy (issue 2)" } : undefined,
    makeSpace: () => new AddressSpace({ shared }),
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

/** The operations the heap cases time. */
interface ByteAllocator {
  alloc(bytes: number): number;
  free(addr: number): void;
}

type HeapCaseSpec = Pick<TimedCase, "name" | "role" | "baseline" | "target" | "note"> & { bytes: number };

/**
 * alloc+free of `bytes` with HEAP_CASE_RESIDENT_BLOCKS blocks of that size
 * resident. Ours and the peer get the same loop, each written out against
 * its own allocator (one shared loop calling through an interface would make
 * that call site megamorphic, a cost neither allocator has in real use).
 */
function ourHeapPairCase(spec: HeapCaseSpec & { shared: boolean }): TimedCase {
  const { bytes } = spec;
  let heap: Heap | null = null;
  return {
    ...caseInfo(spec),
    setup() {
      heap = Heap.init(new SharedArrayBuffer(HEAP_CASE_BYTES), 0, HEAP_CONTROL_BYTES, undefined, { shared: spec.shared });
      for (let index = 0; index < HEAP_CASE_RESIDENT_BLOCKS; index++) heap.alloc(bytes);
    },
    fn() {
      const addr = heap!.alloc(bytes);
      heap!.free(addr);
      return addr;
    },
    teardown() {
      heap = null;
    },
  };
}

function thingPairCase(spec: HeapCaseSpec): TimedCase {
  const { bytes } = spec;
  let pool: MemPool | null = null;
  return {
    ...caseInfo(spec),
    setup() {
      pool = new MemPool({ size: HEAP_CASE_BYTES, align: 16 });
      for (let index = 0; index < HEAP_CASE_RESIDENT_BLOCKS; index++) pool.malloc(bytes);
    },
    fn() {
      const addr = pool!.malloc(bytes);
      pool!.free(addr);
      return addr;
    },
    teardown() {
      pool = null;
    },
  };
}

function caseInfo(spec: HeapCaseSpec): Pick<TimedCase, "name" | "role" | "baseline" | "target" | "note"> {
  return { name: spec.name, role: spec.role, baseline: spec.baseline, target: spec.target, note: spec.note };
}

function ourHeap(): ByteAllocator {
  const heap = Heap.init(new SharedArrayBuffer(HEAP_CASE_BYTES), 0, HEAP_CONTROL_BYTES);
  return { alloc: (size) => heap.alloc(size), free: (addr) => heap.free(addr) };
}

function thingPool(): ByteAllocator {
  const pool = new MemPool({ size: HEAP_CASE_BYTES, align: 16 });
  return { alloc: (size) => pool.malloc(size), free: (addr) => void pool.free(addr) };
}

/** The shared heap's alloc-free case (listed after every unshared case: see `cases`). */
function sharedHeapCase(label: string, bytes: number): TimedCase {
  return ourHeapPairCase({
    name: `memory/heap/alloc-free/${label}/shared`,
    role: "subject",
    baseline: `memory/heap/alloc-free/${label}/thi.ng`,
    note: `the same heap made with { shared: true }: the spin lock (2 Atomics calls) per alloc and per free, so threads can share it`,
    bytes,
    shared: true,
  });
}

/** Our TLSF heap, standalone, against @thi.ng/malloc's MemPool on the same sizes. */
function heapCases(label: string, bytes: number, target?: TimedCase["target"]): TimedCase[] {
  const peerName = `memory/heap/alloc-free/${label}/thi.ng`;
  return [
    ourHeapPairCase({
      name: `memory/heap/alloc-free/${label}`,
      role: "subject",
      baseline: peerName,
      target,
      note: `Heap over a ${HEAP_CASE_BYTES >> 20} MiB SharedArrayBuffer, ${HEAP_CASE_RESIDENT_BLOCKS} blocks resident; made without { shared: true }, so no lock (like MemPool, single-threaded)`,
      bytes,
      shared: false,
    }),
    thingPairCase({
      name: peerName,
      role: "peer",
      note: `@thi.ng/malloc MemPool over a ${HEAP_CASE_BYTES >> 20} MiB ArrayBuffer, 16-byte alignment, ${HEAP_CASE_RESIDENT_BLOCKS} blocks resident; not thread-safe. Its free finds the block by walking the list of used blocks, newest first, so freeing the block just allocated is its best case`,
      bytes,
    }),
  ];
}

/**
 * A free of a random one of RANDOM_CASE_LIVE_BLOCKS live blocks, then an
 * alloc in its place: MemPool's free walks its used list (O(live blocks)),
 * ours is O(1). Same seeded sequence for both.
 */
function randomOrderCase(spec: Pick<TimedCase, "name" | "role" | "baseline" | "note"> & { bytes: number; make: () => ByteAllocator }): TimedCase {
  let allocator: ByteAllocator | null = null;
  const live: number[] = [];
  let seed = 1;
  return {
    name: spec.name,
    role: spec.role,
    baseline: spec.baseline,
    note: spec.note,
    setup() {
      allocator = spec.make();
      for (let index = 0; index < RANDOM_CASE_LIVE_BLOCKS; index++) live.push(allocator.alloc(spec.bytes));
      seed = 1;
    },
    fn() {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const index = seed % RANDOM_CASE_LIVE_BLOCKS;
      allocator!.free(live[index]);
      live[index] = allocator!.alloc(spec.bytes);
      return live[index];
    },
    teardown() {
      allocator = null;
      live.length = 0;
    },
  };
}

function randomOrderCases(bytes: number, label: string): TimedCase[] {
  const peerName = `memory/heap/random-free/${label}/thi.ng`;
  return [
    randomOrderCase({
      name: `memory/heap/random-free/${label}`,
      role: "subject",
      baseline: peerName,
      note: `unshared Heap, ${RANDOM_CASE_LIVE_BLOCKS} live ${label} blocks; free a random one, allocate one in its place`,
      bytes,
      make: ourHeap,
    }),
    randomOrderCase({
      name: peerName,
      role: "peer",
      note: `@thi.ng/malloc MemPool, the same sequence: its free walks the used list`,
      bytes,
      make: thingPool,
    }),
  ];
}

/** The Atomics calls a pool alloc+free makes in a shared space (used++, generation CAS, used--), and nothing else. */
function atomicsFloorCase(): TimedCase {
  const words = new Int32Array(new SharedArrayBuffer(64));
  let generation = 0;
  return {
    name: ATOMICS_FLOOR,
    role: "baseline",
    note: "the 3 Atomics calls of a micro alloc+free in a shared space, on their own (an unshared space makes none): each is a builtin call in this V8",
    fn() {
      Atomics.add(words, 1, 1);
      Atomics.compareExchange(words, 2, generation, generation + 1);
      generation++;
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
  ...heapCases("4KiB", 4096, { ns: 100, text: "heap alloc+free of 4 KiB ≤ 100 ns (issue 2; it also asks to beat @thi.ng/malloc: see the ratio)" }),
  ...heapCases("256B", 256),
  ...randomOrderCases(4096, "4KiB"),
  // Shared variants last: once V8 has seen a shared object, the code it made
  // for allocStack / Heap.alloc carries both paths, and the cases after it
  // would measure that mix instead of the single-threaded program they model.
  poolClassCase("micro", 0.9, true),
  sharedHeapCase("4KiB", 4096),
  sharedHeapCase("256B", 256),
];

const memoryBench: BenchFile = {
  title: "Memory: stack allocation and the heap",
  notes: [
    "One op = one alloc + one free. Pool classes (micro 256 B, small 2 KiB, medium 16 KiB) hand out slots from a per-thread cache, refilled from lock-free bitmaps in the SharedArrayBuffer a bitmap word at a time; large stacks and `memory/heap/*` use the TLSF heap.",
    "Occupancy: before timing, the class's default pool (micro 10 000, small 1 000, medium 100 slots) or a 64 MiB heap is filled to 10% or 90%.",
    "Spaces and heaps are unshared (the default: one thread, no lock, no Atomics) unless the case says /shared. `memory/alloc-free/3-atomics` is the bare cost of the three Atomics calls a shared micro pair makes.",
    "@thi.ng/malloc is single-threaded by construction (no Atomics), like our unshared heap. Its free walks its used list from the newest block, so the alloc-free cases are its best case; `memory/heap/random-free/*` frees a random one of 1 000 live blocks.",
  ],
  cases,
};

export default memoryBench;

/**
 * AddressSpace: one growable SharedArrayBuffer that holds every coroutine
 * stack — micro, small and medium stacks in fixed-slot pools, large stacks in
 * the heap — and all the allocator state, so another thread can attach to it.
 *
 * Invariants (validate.ts checks them all, at quiescence):
 * - Addresses never move: the buffer only grows at its end, pools are never
 *   released, and a heap block is freed only by its owner.
 * - A pool slot is in exactly one of three states: *free* (bitmap bit clear),
 *   *cached* (bit set, its address in exactly one thread record's cache) or
 *   *handed out* (bit set, not cached). Its generation is odd exactly when it
 *   is handed out: it is bumped when handed out and again when freed.
 * - Per pool class: capacity == Σ pool slots; popcount(bitmaps) == used +
 *   Σ cached; used == the slots with an odd generation; used ≤ highWater ≤ capacity.
 * - A `StackRef` of a pool class is live ⇔ its generation is odd and equals
 *   the slot's. Large stacks take a generation from one global counter, so a
 *   block reused at the same address never revives an old ref.
 * - Every pool record in the header describes a region inside the micro
 *   region or inside a heap block of kind POOL tagged with the pool's id;
 *   every thread-table entry names a heap block of kind THREAD tagged with
 *   the entry's index.
 *
 * Who may change what: an AddressSpace object writes its own thread record
 * (its slot caches) with plain stores, and the generation of a slot while it
 * sits in its cache; everything else shared changes through Atomics (shared
 * spaces) or belongs to the one object there is (unshared spaces, the default).
 *
 * Threads: a space made with `{ shared: true }` may be attached from other
 * threads (`new AddressSpace({ buffer })`); pools stay lock-free (see
 * bitmap-pool.ts) and carving a pool, large stacks and the heap take the
 * heap's spin lock. An unshared space refuses to be attached and skips the
 * lock and the Atomics: it has one user. Each object keeps its own cache of
 * the pools (views, sorted bases) and refreshes it when the header's pool
 * count moves.
 *
 * Hot path: `allocStack("micro")` pops a slot from this object's cache and
 * `freeStack` pushes it back: no Atomics call in an unshared space (one
 * generation CAS and the used counter in a shared one), no Map, no object but
 * the returned StackRef. The bitmaps are touched once per batch: a refill
 * claims up to a bitmap word of slots with one `Atomics.or`, an overflow
 * gives half the cache back with one `Atomics.and` per word.
 */
import { AllocatorError, OutOfMemoryError, bug } from "../errors.js";
import { BitmapPool } from "./bitmap-pool.js";
import { Heap, heapBlockBytesFor, type HeapBlockInfo } from "./heap.js";
import { renderHeapMap, type HeapMapOptions } from "./heap-map.js";
import {
  ADDRESS_SPACE_MAGIC,
  BLOCK_LARGE,
  BLOCK_POOL,
  BLOCK_THREAD,
  CACHE_BATCH,
  CACHE_CAPACITY,
  CARVE_MAX_SLOTS,
  CARVE_MIN_SLOTS,
  CLASS_CAPACITY,
  CLASS_HIGH_WATER,
  CLASS_POOLS,
  CLASS_STATS_WORDS,
  CLASS_USED,
  DEFAULT_HEAP_SLACK_BYTES,
  DEFAULT_LARGE_STACK_BYTES,
  DEFAULT_MAX_BYTES,
  DEFAULT_POOL_SLOTS,
  FLAG_GUARD,
  FLAG_SHARED,
  GUARD_BYTES,
  GUARD_BYTE,
  GUARD_WORD,
  AFFINITY_CARVE_MIN_SLOTS,
  MAX_AFFINITY_TAG,
  POOL_AFFINITY_I32,
  GEN_HANDED_OUT,
  GEN_MARKS,
  GEN_OWNED,
  GEN_STEP,
  GROW_GRANULE_BYTES,
  HDR_CLASS_STATS_I32,
  HDR_FLAGS_I32,
  HDR_HEADER_BYTES_I32,
  HDR_HEAP_BYTE_OFFSET_I32,
  HDR_LARGE_BYTES_I32,
  HDR_LARGE_COUNT_I32,
  HDR_LARGE_GENERATION_I32,
  HDR_MAGIC_I32,
  HDR_MAX_BYTES_I32,
  HDR_MICRO_REGION_BYTES_I32,
  HDR_MICRO_REGION_BYTE_OFFSET_I32,
  HDR_POOL_COUNT_I32,
  HDR_VERSION_I32,
  HDR_ZERO_I32,
  HEADER_BYTES,
  HEAP_BLOCK_HEADER_BYTES,
  HEAP_CONTROL_BYTE_OFFSET,
  KIND_FLAG_OWNED,
  LAYOUT_VERSION,
  MAX_ADDRESS_SPACE_BYTES,
  MAX_POOLS,
  MAX_THREADS,
  POOL_BASE_BYTE_OFFSET_I32,
  POOL_CLASS_I32,
  POOL_HEAP_BLOCK_I32,
  POOL_REGION_BYTES_I32,
  POOL_REGION_BYTE_OFFSET_I32,
  POOL_SLOTS_I32,
  POOL_SLOT_BYTES_I32,
  THREAD_RECORD_BYTES,
  THREAD_RECORD_MAGIC,
  TR_COUNT_I32,
  TR_ENTRIES_I32,
  TR_ENTRY_WORDS,
  TR_FIXED_WORDS,
  TR_INDEX_I32,
  TR_MAGIC_I32,
  alignUp,
  generationBytes,
  poolRecordI32,
  stackPoolRegionBytes,
  threadTableI32,
} from "./layout.js";
import {
  MICRO_CLASS_INDEX,
  POOL_CLASSES,
  POOL_CLASS_COUNT,
  POOL_SLOT_BYTES,
  SIZE_CLASSES,
  SIZE_CLASS_BYTES,
  sizeClassIndex,
  sizeClassList,
  type PoolSizeClass,
  type SizeClass,
} from "./size-classes.js";
import { checkMemory } from "./validate.js";
import { viewsOf, type BufferViews } from "./views.js";
import { describeValue, isSharedArrayBuffer, readOptions } from "./describe.js";

// The hot path writes `count << 1` for `count * TR_ENTRY_WORDS`: V8 reads an
// imported (or module-level) constant from memory and checks it on every use,
// a literal shift costs nothing.
if (TR_ENTRY_WORDS !== 2) bug(`address-space.ts assumes 2 words per cache entry, layout says ${TR_ENTRY_WORDS}`);

/** A pool slot's generation word (layout.ts GEN_*), as literals for the hot paths; checked below. */
const enum Gen {
  HandedOut = 1,
  Owned = 2,
  Marks = 3,
  Step = 4,
  /** `& CounterMask` clears the mark bits (-4 is ~3 as a 32-bit integer). */
  CounterMask = -4,
}
if (
  (Gen.HandedOut as number) !== GEN_HANDED_OUT ||
  (Gen.Owned as number) !== GEN_OWNED ||
  (Gen.Marks as number) !== GEN_MARKS ||
  (Gen.Step as number) !== GEN_STEP ||
  (Gen.CounterMask as number) !== ~GEN_MARKS
) {
  bug("address-space.ts: its Gen enum disagrees with layout.ts's GEN_* constants");
}

/** Set by AddressSpace's static block: the owner's paths to its private methods. */
let allocOwned: (space: AddressSpace, sizeClass: SizeClass, bytes: number | undefined) => StackRef;
let freeOwned: (space: AddressSpace, ref: StackRef) => void;
let freeOwnedAt: (space: AddressSpace, classIndex: number, addr: number) => void;
let allocOwnedAt: (space: AddressSpace, classIndex: number) => number;
/** takeBack's "any incarnation" for the owner's free by address: no ref (a user's is a number) can be it. */
const OWNER_FREE: unique symbol = Symbol("the owner's free");
let allocAffinity: (space: AddressSpace, sizeClass: SizeClass, tag: number) => StackRef;
let isSpace: (value: unknown) => boolean;

/** A stack handed out by `allocStack`: where it is, how big, and which incarnation of the slot. */
export interface StackRef {
  /** Byte offset of the stack's first byte. */
  readonly addr: number;
  readonly bytes: number;
  readonly sizeClass: SizeClass;
  /** The slot's (or large block's) generation when handed out (odd for a pool slot); a freed ref no longer matches. */
  readonly generation: number;
}

const ADDRESS_SPACE_OPTIONS = ["bytes", "maxBytes", "pools", "shared", "buffer", "guard"] as const;

/** Pre-allocated slots per pool class. */
export interface PoolConfig {
  micro?: number;
  small?: number;
  medium?: number;
}

export interface AddressSpaceOptions {
  /** Initial buffer bytes; at least what the header and pre-allocated pools need (the default adds 1 MiB of heap). */
  bytes?: number;
  /** Growth limit, default 1 GiB; at most 4 GiB − 8. */
  maxBytes?: number;
  pools?: PoolConfig;
  /**
   * Let other threads attach through `buffer` (default false). A shared
   * space synchronises every operation (Atomics, the heap lock); an unshared
   * one has a single user and skips all of that.
   */
  shared?: boolean;
  /** Attach to an address space another thread created with `{ shared: true }`; the other options are then ignored. */
  buffer?: SharedArrayBuffer;
  /**
   * Guard regions (default false): the last 16 bytes of every slot and large
   * stack are a guard, filled with a pattern and never part of a StackRef
   * (`bytes` stops before it), so a write running past a stack's end lands
   * in its guard, and `checkMemory()` finds it. `guardDamage(space, ref)`
   * says whether a stack's guard is intact.
   */
  guard?: boolean;
}

export interface ClassStats {
  capacity: number;
  /** Stacks handed out and not freed (slots cached by a thread count as free). */
  used: number;
  free: number;
  highWater: number;
}

export interface MemoryStats {
  micro: ClassStats;
  small: ClassStats;
  medium: ClassStats;
  large: { count: number; usedBytes: number };
  /** Bytes with block headers included; largestFreeBytes is the largest free block, header included. */
  heap: { usedBytes: number; freeBytes: number; largestFreeBytes: number };
  bufferBytes: number;
}

/** The pools reserved to one affinity tag (AddressSpace.affinityStats). */
export interface AffinityStats {
  tag: number;
  sizeClass: PoolSizeClass;
  pools: number;
  capacity: number;
  /** Slots handed out (a tagged pool's slots are never cached). */
  used: number;
  /** The lowest slot address and the end of the highest pool's slots: where the tag's stacks sit. */
  lowAddr: number;
  highAddr: number;
}

/** One stack pool, for drawing. */
export interface PoolLayout {
  id: number;
  sizeClass: PoolSizeClass;
  /** The pool's region: its generation array, then the BitmapPool. */
  addr: number;
  bytes: number;
  /** BitmapPool base (metadata and bitmap). */
  base: number;
  /** Byte offset of slot 0. */
  slotsAddr: number;
  slotSize: number;
  slots: number;
  /** Slots handed out. */
  used: number;
  /** Free slots that sit in some thread's cache (their bitmap bits are set). */
  cached: number;
  /** Handed-out slots as [first slot, count] runs, in order. */
  usedRuns: Array<[first: number, count: number]>;
  /** "micro-region" for the pre-allocated micro pool, "heap" for a pool carved from a heap block. */
  placement: "micro-region" | "heap";
  /** 0 for a general pool of its class; else the affinity tag it is reserved to (allocAffinityStack). */
  affinity: number;
}

/** One registered AddressSpace object (thread) and the slots it holds in its caches. */
export interface ThreadLayout {
  /** Its index in the header's thread table. */
  index: number;
  /** Byte offset of its record (a THREAD heap block's payload). */
  addr: number;
  cached: { micro: number; small: number; medium: number };
}

/** Everything needed to draw the address space to scale. Plain data. */
export interface MemoryLayout {
  bufferBytes: number;
  maxBytes: number;
  shared: boolean;
  /** Bytes of the guard region at the end of every slot and large stack; 0 when the space is not guarded. */
  guardBytes: number;
  header: { addr: number; bytes: number };
  microRegion: { addr: number; bytes: number };
  heap: { addr: number; bytes: number; usedBytes: number; freeBytes: number };
  pools: PoolLayout[];
  /** Heap blocks in address order (the 16-byte end sentinel left out). */
  blocks: HeapBlockInfo[];
  threads: ThreadLayout[];
}

/** One stack pool as this thread sees it: the shared BitmapPool plus cached geometry. */
class StackPool {
  readonly slotsStart: number;
  readonly slotsEnd: number;
  readonly slotBytes: number;
  /** log2(slotBytes): every pool class's slot size is a power of two. */
  readonly slotShift: number;
  /** i32 index (in the whole buffer) of slot 0's generation word. */
  readonly generationsI32: number;
  constructor(
    readonly id: number,
    readonly classIndex: number,
    readonly pool: BitmapPool,
    /** One u32 per slot: odd while the slot is handed out. */
    readonly generations: Uint32Array,
    readonly regionByteOffset: number,
    readonly regionBytes: number,
    /** Payload of the heap block holding the region; 0 for the micro region. */
    readonly heapBlock: number,
    /** 0: a general pool of its class; else the one affinity tag it serves (layout.ts POOL_AFFINITY_I32). */
    readonly affinity: number,
  ) {
    this.slotsStart = pool.slotsByteOffset;
    this.slotBytes = pool.slotSize;
    this.slotShift = 31 - Math.clz32(pool.slotSize);
    this.slotsEnd = pool.slotsByteOffset + pool.capacity * pool.slotSize;
    this.generationsI32 = regionByteOffset >>> 2;
  }
}

/**
 * One pool class as the hot path sees it: where its cache sits in this
 * object's thread record and where its counters are in the header. Plain
 * small-integer fields on one monomorphic object, so allocStack/freeStack do
 * one array load and then field loads (indexing frozen layout arrays and
 * module constants costs more in V8 than this).
 */
class ClassLane {
  /** Slots the cache may hold; 0 after detach(). */
  capacity: number;
  readonly slotBytes: number;
  /** Bytes of a handed-out ref: the slot less its guard (guarded spaces). Set once by the AddressSpace constructor. */
  refBytes: number;
  /**
   * i32 indices (in the whole buffer) of the cached-slot count and the first
   * entry in this object's thread record. After detach() the count index
   * points at HDR_ZERO_I32, so every operation reaches a slow path that refuses.
   */
  countI32 = HDR_ZERO_I32;
  entriesI32 = 0;
  /** i32 indices of the class's used and high-water counters in the header. */
  readonly usedI32: number;
  readonly highWaterI32: number;
  /** The pool a refill tries first (the one with free slots last time). */
  current: StackPool | null = null;
  constructor(readonly classIndex: number) {
    this.capacity = CACHE_CAPACITY[classIndex];
    this.slotBytes = POOL_SLOT_BYTES[classIndex];
    this.refBytes = this.slotBytes;
    this.usedI32 = classStatsI32(classIndex, CLASS_USED);
    this.highWaterI32 = classStatsI32(classIndex, CLASS_HIGH_WATER);
  }

  /** Points the lane at its cache in the thread record starting at i32 index `recordI32`. */
  bindRecord(recordI32: number): void {
    this.countI32 = recordI32 + TR_COUNT_I32 + this.classIndex;
    this.entriesI32 = recordI32 + TR_ENTRIES_I32[this.classIndex];
  }
}

function classStatsI32(classIndex: number, field: number): number {
  return HDR_CLASS_STATS_I32 + classIndex * CLASS_STATS_WORDS + field;
}

/**
 * 0, 1, 2 for the pool classes; -1 for anything else (large or invalid).
 * Literal comparisons (the free path uses it): a mirror of size-classes.ts,
 * checked against it when this module loads.
 */
function poolClassIndex(sizeClass: unknown): number {
  return sizeClass === "micro" ? 0 : sizeClass === "small" ? 1 : sizeClass === "medium" ? 2 : -1;
}
for (const name of SIZE_CLASSES) {
  const classIndex = sizeClassIndex(name);
  if (poolClassIndex(name) !== (classIndex < POOL_CLASS_COUNT ? classIndex : -1))
    bug(`address-space.ts: poolClassIndex("${name}") disagrees with size-classes.ts`);
}

function notAStackRef(ref: unknown, why = ""): TypeError {
  return new TypeError(`freeStack: expected a StackRef from allocStack, received ${describeValue(ref)}${why === "" ? "" : `: ${why}`}`);
}

function unreadableRef(operation: string, error: unknown): TypeError {
  return new TypeError(`${operation}: expected a StackRef from allocStack, received an object whose fields cannot be read (${errorText(error)})`, {
    cause: error,
  });
}

function badRefField(operation: string, field: string, value: unknown): TypeError {
  return new TypeError(`${operation}: a StackRef's ${field} is a number, received ${describeValue(value)}`);
}

function ownedError(sizeClass: string, addr: number): AllocatorError {
  return new AllocatorError(
    `freeStack: the ${sizeClass} stack at byte offset ${addr} is owned (a coroutine's stack, allocated with allocOwnedStack): only its owner frees it, when it ends`,
  );
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : describeValue(error);
  } catch {
    return "an error that cannot be read";
  }
}

/** The error for a size class that is not one; `what` says whose class it is (an argument, or a StackRef's field). */
function invalidSizeClass(operation: string, sizeClass: unknown, what = "sizeClass"): Error {
  const expected = sizeClassList();
  if (typeof sizeClass !== "string") {
    return new TypeError(
      `${operation}: expected ${what === "sizeClass" ? "sizeClass to be" : what} one of ${expected}, received ${describeValue(sizeClass)} (${typeof sizeClass})`,
    );
  }
  return new RangeError(`${operation}: unknown size class ${describeValue(sizeClass)}: expected ${what === "sizeClass" ? "" : `${what} `}one of ${expected}`);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function resolvePoolConfig(pools: unknown): [number, number, number] {
  if (pools !== undefined && (typeof pools !== "object" || pools === null)) {
    throw new TypeError(`AddressSpace: pools must be an object like { micro: 10000 }, received ${describeValue(pools)}`);
  }
  const given = readOptions("AddressSpace pools", pools, POOL_CLASSES, "pool class");
  return POOL_CLASSES.map((name) => {
    const slots = given[name] ?? DEFAULT_POOL_SLOTS[name];
    if (typeof slots !== "number" || !Number.isInteger(slots) || slots < 0) {
      throw new RangeError(`AddressSpace: pools.${name} must be a non-negative integer, received ${describeValue(slots)}`);
    }
    if (slots * SIZE_CLASS_BYTES[name] > MAX_ADDRESS_SPACE_BYTES) {
      throw new RangeError(`AddressSpace: pools.${name} of ${describeValue(slots)} slots of ${SIZE_CLASS_BYTES[name]} bytes exceeds the 4 GiB address space`);
    }
    return slots;
  }) as [number, number, number];
}

/**
 * The address space of one runtime: stack allocation by size class over one
 * growable SharedArrayBuffer.
 *
 * - `allocStack(sizeClass, bytes?)` hands out a `StackRef`; `freeStack(ref)`
 *   takes it back and refuses a double free, a stale or a foreign ref with
 *   `AllocatorError`, changing nothing.
 * - Freed pool slots stay in this object's small per-class cache (LIFO) and
 *   are handed out again from there first; stats count them as free.
 * - Pool classes carve a new pool from the heap when full (the buffer grows,
 *   addresses stay); past `maxBytes`, `OutOfMemoryError` says which class,
 *   how much was asked and what is left.
 * - Made with `{ shared: true }`, `new AddressSpace({ buffer })` in another
 *   thread sees the same stacks; `detach()` gives that thread's cached slots
 *   back when it is done.
 *
 * @example
 * ```ts
 * const space = new AddressSpace({ pools: { micro: 100, small: 10, medium: 1 } });
 * const ref = space.allocStack("micro");
 * space.isLive(ref); // true
 * space.freeStack(ref);
 * space.isLive(ref); // false
 * ```
 */
export class AddressSpace {
  readonly buffer: SharedArrayBuffer;
  /** Made with `{ shared: true }` (read from the header when attaching). */
  readonly shared: boolean;
  /** Made with `{ guard: true }` (read from the header when attaching): every stack ends in a guard region. */
  readonly guarded: boolean;
  /** @internal Bytes of each stack's guard region: GUARD_BYTES when guarded, else 0. */
  readonly guardBytes: number;
  /** `shared` as 0 or 1: the hot path tests a small integer (a boolean field costs a generic truthiness check). */
  private readonly sharedBit: number;
  /** Fixed view over the header: the header never grows. */
  private readonly header: Uint32Array;
  private readonly heap: Heap;
  /**
   * The buffer's shared typed-array views (views.ts), which frames read and
   * write locals through. Kept covering every address this object hands out:
   * the heap refreshes them when it grows the buffer or finds it grown by
   * another thread (so a large stack is covered), and this object when it
   * adopts a pool, which another thread may have carved from such bytes.
   */
  private readonly views: BufferViews;
  /**
   * Fixed view over the whole buffer, re-made when an adopted pool reaches
   * past it. The hot path reads the header counters, this object's thread
   * record and the slot generations through this one view (one typed array
   * to load and check instead of three).
   */
  private words: Uint32Array;
  /** Per pool class: the hot path's indices, the cache's capacity, the current pool. */
  private readonly microLane = new ClassLane(0);
  private readonly smallLane = new ClassLane(1);
  private readonly mediumLane = new ClassLane(2);
  private readonly lanes: ClassLane[] = [this.microLane, this.smallLane, this.mediumLane];
  private readonly threadIndex: number;
  private readonly recordAddr: number;
  private detached = false;
  /** Every pool this thread has adopted, by id. */
  private readonly pools: StackPool[] = [];
  /** Per class: pools sorted by slotsStart, and those starts (binary search on free). */
  private readonly classPools: StackPool[][] = [[], [], []];
  private readonly classPoolStarts: number[][] = [[], [], []];
  /** Tagged pools by `classIndex * 256 + tag`, in carving order (allocAffinityStack looks for room there). */
  private readonly affinityPools = new Map<number, StackPool[]>();

  constructor(givenOptions: AddressSpaceOptions = {}) {
    const options = readOptions("AddressSpace options", givenOptions, ADDRESS_SPACE_OPTIONS) as AddressSpaceOptions;
    if (options.buffer !== undefined) {
      this.buffer = AddressSpace.validateAttach(options.buffer);
      this.shared = true;
      this.sharedBit = 1;
      this.header = new Uint32Array(this.buffer, 0, HEADER_BYTES >>> 2);
      this.guarded = (this.header[HDR_FLAGS_I32] & FLAG_GUARD) !== 0;
      this.guardBytes = this.guarded ? GUARD_BYTES : 0;
      this.heap = Heap.attach(this.buffer, HEAP_CONTROL_BYTE_OFFSET);
      this.words = AddressSpace.wholeView(this.buffer);
      this.views = viewsOf(this.buffer);
      this.syncPools();
    } else {
      const shared = options.shared ?? false;
      if (typeof shared !== "boolean") throw new TypeError(`AddressSpace: shared must be a boolean, received ${describeValue(shared)}`);
      const guard = options.guard ?? false;
      if (typeof guard !== "boolean") throw new TypeError(`AddressSpace: guard must be a boolean, received ${describeValue(guard)}`);
      this.guarded = guard;
      this.guardBytes = guard ? GUARD_BYTES : 0;
      const slotsByClass = resolvePoolConfig(options.pools);
      const microRegionBytes = slotsByClass[MICRO_CLASS_INDEX] > 0 ? stackPoolRegionBytes(POOL_SLOT_BYTES[0], slotsByClass[0]) : 0;
      const heapStart = HEADER_BYTES + microRegionBytes;
      let neededBytes = heapStart + heapBlockBytesFor(THREAD_RECORD_BYTES) + HEAP_BLOCK_HEADER_BYTES;
      for (let classIndex = 1; classIndex < POOL_CLASS_COUNT; classIndex++) {
        const slots = slotsByClass[classIndex];
        if (slots > 0) neededBytes += heapBlockBytesFor(stackPoolRegionBytes(POOL_SLOT_BYTES[classIndex], slots));
      }
      const { bytes, maxBytes } = AddressSpace.resolveSizes(options, neededBytes);

      this.buffer = new SharedArrayBuffer(bytes, { maxByteLength: maxBytes });
      this.shared = shared;
      this.sharedBit = shared ? 1 : 0;
      const header = (this.header = new Uint32Array(this.buffer, 0, HEADER_BYTES >>> 2));
      header[HDR_VERSION_I32] = LAYOUT_VERSION;
      header[HDR_HEADER_BYTES_I32] = HEADER_BYTES;
      header[HDR_MAX_BYTES_I32] = maxBytes;
      header[HDR_MICRO_REGION_BYTE_OFFSET_I32] = HEADER_BYTES;
      header[HDR_MICRO_REGION_BYTES_I32] = microRegionBytes;
      header[HDR_HEAP_BYTE_OFFSET_I32] = heapStart;
      header[HDR_FLAGS_I32] = (shared ? FLAG_SHARED : 0) | (guard ? FLAG_GUARD : 0);
      this.heap = Heap.init(this.buffer, HEAP_CONTROL_BYTE_OFFSET, heapStart, maxBytes, { shared });
      this.words = AddressSpace.wholeView(this.buffer);
      this.views = viewsOf(this.buffer);
      if (microRegionBytes > 0) this.installPool(MICRO_CLASS_INDEX, HEADER_BYTES, microRegionBytes, slotsByClass[0], 0);
      for (let classIndex = 1; classIndex < POOL_CLASS_COUNT; classIndex++) {
        const slots = slotsByClass[classIndex];
        if (slots === 0) continue;
        const regionBytes = stackPoolRegionBytes(POOL_SLOT_BYTES[classIndex], slots);
        const payload = this.heap.alloc(regionBytes, BLOCK_POOL, this.pools.length);
        if (payload === 0) bug(`AddressSpace: the initial ${POOL_CLASSES[classIndex]} pool does not fit the ${bytes} bytes sized for it`);
        this.installPool(classIndex, payload, regionBytes, slots, payload);
      }
    }
    for (const lane of this.lanes) lane.refBytes = lane.slotBytes - this.guardBytes;
    const [threadIndex, recordAddr] = this.registerThread();
    this.threadIndex = threadIndex;
    this.recordAddr = recordAddr;
    for (const lane of this.lanes) lane.bindRecord(recordAddr >>> 2);
    if (options.buffer === undefined) Atomics.store(this.header, HDR_MAGIC_I32, ADDRESS_SPACE_MAGIC);
  }

  // ── Stacks ─────────────────────────────────────────────────────────────────

  /**
   * A stack of `sizeClass`. For "large", `bytes` (default 64 KiB) is rounded
   * up to 16; for a pool class, `bytes` if given must fit the class's slot.
   */
  allocStack(sizeClass: SizeClass, bytes?: number): StackRef {
    const lane = this.laneOf(sizeClass);
    if (lane === null) return this.allocLarge(sizeClass, bytes, 0);
    if (bytes !== undefined) this.checkPoolBytes(lane.classIndex, bytes);
    return this.handOut(lane, sizeClass, Gen.HandedOut);
  }

  /**
   * Returns a stack; AllocatorError (and no change) on a double free, a stale
   * or a foreign ref, and on an owned stack (see `allocOwnedStack`: its owner
   * frees it). A pool slot goes to this object's cache.
   */
  freeStack(ref: StackRef): void {
    if (typeof ref !== "object" || ref === null) throw notAStackRef(ref);
    let sizeClass: unknown;
    let addr: unknown;
    let generation: unknown;
    try {
      sizeClass = ref.sizeClass;
      addr = ref.addr;
      generation = ref.generation;
    } catch (error) {
      throw unreadableRef("freeStack", error);
    }
    const lane = this.laneOf(sizeClass);
    if (lane === null) {
      if (sizeClass !== "large") throw notAStackRef(ref, `its sizeClass is ${describeValue(sizeClass)}, not one of ${sizeClassList()}`);
      return this.freeLarge(sizeClass, addr, generation, false);
    }
    if (typeof addr !== "number") throw badRefField("freeStack", "addr", addr);
    // An owned slot's generation has both mark bits set, so `& Marks` refuses it here.
    this.takeBack(lane, addr, generation, Gen.Marks);
  }

  /** Whether `ref` still names an allocated stack: its generation matches. O(1); never throws. */
  isLive(ref: StackRef): boolean {
    if (typeof ref !== "object" || ref === null) return false;
    try {
      return this.isLiveAt(ref.sizeClass, ref.addr, ref.generation);
    } catch {
      return false; // a ref whose fields cannot be read names nothing
    }
  }

  private isLiveAt(sizeClass: unknown, addr: unknown, refGeneration: unknown): boolean {
    if (typeof addr !== "number") return false;
    const classIndex = poolClassIndex(sizeClass);
    if (classIndex < 0) return sizeClass === "large" && typeof refGeneration === "number" && this.heap.holds(addr, BLOCK_LARGE, refGeneration);
    const generation = this.slotGeneration(classIndex, addr);
    return generation >= 0 && generation === refGeneration && (generation & Gen.HandedOut) !== 0;
  }

  /**
   * The ref of the pool-class stack handed out at `addr`, as `allocStack`
   * returned it; null if none is handed out there. Lets an owner keep only
   * the address (a parked coroutine keeps no StackRef object; see
   * coro/stack.ts) and rebuild the ref to free or describe it.
   */
  refAt(sizeClass: SizeClass, addr: number): StackRef | null {
    const classIndex = poolClassIndex(sizeClass);
    if (classIndex < 0) {
      if (sizeClass === "large") return null;
      throw invalidSizeClass("refAt", sizeClass);
    }
    if (typeof addr !== "number") throw new TypeError(`refAt: addr must be a byte offset (a number), received ${describeValue(addr)}`);
    const generation = this.slotGeneration(classIndex, addr);
    if (generation < 0 || (generation & Gen.HandedOut) === 0) return null; // no slot there, or not handed out
    return { addr, bytes: POOL_SLOT_BYTES[classIndex] - this.guardBytes, sizeClass, generation };
  }

  /**
   * Pops a slot from the lane's cache (refilling it when empty) and hands it
   * out with the generation mark `mark` (Gen.HandedOut, plus Gen.Owned for an
   * owned stack). The hot path of every spawn: no Atomics in an unshared space.
   */
  private handOut(lane: ClassLane, sizeClass: SizeClass, mark: number): StackRef {
    const addr = this.handOutAddr(lane, mark);
    const words = this.words;
    // The cache entry just popped (at index `count`) still names the slot's generation word.
    const generation = words[words[lane.entriesI32 + (words[lane.countI32] << 1) + 1]];
    return { addr, bytes: lane.refBytes, sizeClass, generation };
  }

  /** handOut without the ref: the slot's address. */
  private handOutAddr(lane: ClassLane, mark: number): number {
    let words = this.words;
    let count = words[lane.countI32];
    if (count === 0) {
      count = this.refill(lane);
      words = this.words; // a carve may have grown the buffer
    }
    count -= 1;
    words[lane.countI32] = count;
    const entry = lane.entriesI32 + (count << 1);
    // The slot is ours while cached: nobody else writes its generation, so a plain store.
    const generationI32 = words[entry + 1];
    const generation = (words[generationI32] | mark) >>> 0; // free → handed out (and owned)
    words[generationI32] = generation;
    if (this.sharedBit !== 0) this.countHandedOutShared(lane);
    else {
      const used = words[lane.usedI32] + 1;
      words[lane.usedI32] = used;
      if (used > words[lane.highWaterI32]) words[lane.highWaterI32] = used;
    }
    return words[entry];
  }

  /**
   * Takes the pool slot at `addr` back into this object's cache if its
   * generation equals `refGeneration` and its marks under `marksMask` are
   * just Gen.HandedOut (the public free passes Gen.Marks, so an owned slot is
   * refused; the owner's free passes Gen.HandedOut). AllocatorError, and no
   * change, otherwise. Cold cases live in other methods, so this one stays
   * small enough for V8 to inline.
   */
  private takeBack(lane: ClassLane, addr: number, refGeneration: unknown, marksMask: number): void {
    let stackPool = lane.current;
    if (stackPool === null || addr < stackPool.slotsStart || addr >= stackPool.slotsEnd) {
      // Off the common path: the current pool is never tagged, so only here can a slot be an affinity pool's.
      stackPool = this.poolOf(lane.classIndex, addr);
      if (stackPool.affinity !== 0) return this.takeBackTagged(lane, stackPool, addr, refGeneration, marksMask);
    }
    const offsetBytes = addr - stackPool.slotsStart;
    const slot = offsetBytes >>> stackPool.slotShift;
    if (slot << stackPool.slotShift !== offsetBytes) throw this.misalignedError(stackPool, addr);
    const words = this.words;
    const generationI32 = stackPool.generationsI32 + slot;
    const generation = words[generationI32];
    // Equal, and handed out: this very incarnation (the owner freeing by address takes the current one). A cached slot has no mark bits.
    if ((generation !== refGeneration && refGeneration !== OWNER_FREE) || (generation & marksMask) !== Gen.HandedOut)
      throw this.refusedFreeError(stackPool, slot, addr, refGeneration);
    let count = words[lane.countI32];
    if (count === lane.capacity) count = this.flush(lane);
    if (this.sharedBit !== 0) this.returnShared(lane, generationI32, stackPool, slot, addr, generation);
    else {
      words[generationI32] = ((generation & Gen.CounterMask) + Gen.Step) >>> 0; // handed out → free (cached), next incarnation
      words[lane.usedI32] -= 1;
    }
    const entry = lane.entriesI32 + (count << 1);
    words[entry] = addr;
    words[entry + 1] = generationI32;
    words[lane.countI32] = count + 1;
  }

  /**
   * A slot of a tagged pool goes straight back to its bitmap (never to a
   * cache, which would hand it to anyone): the generation check and bump as
   * in takeBack, then one Atomics.and.
   */
  private takeBackTagged(lane: ClassLane, stackPool: StackPool, addr: number, refGeneration: unknown, marksMask: number): void {
    if (this.detached) throw this.detachedError("freeStack");
    const offsetBytes = addr - stackPool.slotsStart;
    const slot = offsetBytes >>> stackPool.slotShift;
    if (slot << stackPool.slotShift !== offsetBytes) throw this.misalignedError(stackPool, addr);
    const words = this.words;
    const generationI32 = stackPool.generationsI32 + slot;
    const generation = words[generationI32];
    if (generation !== refGeneration || (generation & marksMask) !== Gen.HandedOut) throw this.refusedFreeError(stackPool, slot, addr, refGeneration);
    if (this.sharedBit !== 0) this.returnShared(lane, generationI32, stackPool, slot, addr, generation);
    else {
      words[generationI32] = ((generation & Gen.CounterMask) + Gen.Step) >>> 0;
      words[lane.usedI32] -= 1;
    }
    if (!stackPool.pool.freeIndex(slot)) bug(`AddressSpace: handed-out slot ${slot} of tagged pool ${stackPool.id} had a clear bitmap bit`);
  }

  /** See `allocAffinityStack` below. */
  #allocAffinity(sizeClass: SizeClass, tag: number): StackRef {
    const lane = this.laneOf(sizeClass);
    if (lane === null) throw new RangeError(`allocAffinityStack: ${describeValue(sizeClass)} is not a pool class (micro, small or medium)`);
    if (!Number.isInteger(tag) || tag < 1 || tag > MAX_AFFINITY_TAG) {
      throw new RangeError(`allocAffinityStack: tag must be an integer from 1 to ${MAX_AFFINITY_TAG}, received ${describeValue(tag)}`);
    }
    if (this.detached) throw this.detachedError("allocStack");
    const classIndex = lane.classIndex;
    this.syncPools();
    let stackPool: StackPool | null = null;
    let slot = -1;
    for (const candidate of this.affinityPools.get(classIndex * 256 + tag) ?? []) {
      slot = candidate.pool.allocIndex();
      if (slot >= 0) {
        stackPool = candidate;
        break;
      }
    }
    while (stackPool === null) {
      const carved = this.carvePool(classIndex, tag);
      slot = carved.pool.allocIndex();
      if (slot >= 0) stackPool = carved;
    }
    const words = this.words;
    const generationI32 = stackPool.generationsI32 + slot;
    // The bit is ours now and the slot was free: nobody else writes its generation.
    const generation = (words[generationI32] | Gen.HandedOut | Gen.Owned) >>> 0;
    words[generationI32] = generation;
    if (this.sharedBit !== 0) this.countHandedOutShared(lane);
    else {
      const used = words[lane.usedI32] + 1;
      words[lane.usedI32] = used;
      if (used > words[lane.highWaterI32]) words[lane.highWaterI32] = used;
    }
    return { addr: stackPool.slotsStart + slot * stackPool.slotBytes, bytes: lane.refBytes, sizeClass, generation };
  }

  /** See `allocOwnedStack` below (module level, not exported from the package). */
  #allocOwned(sizeClass: SizeClass, bytes: number | undefined): StackRef {
    const lane = this.laneOf(sizeClass);
    if (lane === null) return this.allocLarge(sizeClass, bytes, KIND_FLAG_OWNED);
    if (bytes !== undefined) this.checkPoolBytes(lane.classIndex, bytes);
    return this.handOut(lane, sizeClass, Gen.HandedOut | Gen.Owned);
  }

  /** See `allocOwnedSlot` below. */
  #allocOwnedAt(classIndex: number): number {
    return this.handOutAddr(this.lanes[classIndex], Gen.HandedOut | Gen.Owned);
  }

  /** See `freeOwnedSlot` below. */
  #freeOwnedAt(classIndex: number, addr: number): void {
    this.takeBack(this.lanes[classIndex], addr, OWNER_FREE, Gen.HandedOut);
  }

  /** See `freeOwnedStack` below. */
  #freeOwned(ref: StackRef): void {
    const lane = this.laneOf(ref.sizeClass);
    if (lane === null) return this.freeLarge(ref.sizeClass, ref.addr, ref.generation, true);
    this.takeBack(lane, ref.addr, ref.generation, Gen.HandedOut);
  }

  static {
    allocOwned = (space, sizeClass, bytes) => space.#allocOwned(sizeClass, bytes);
    allocAffinity = (space, sizeClass, tag) => space.#allocAffinity(sizeClass, tag);
    freeOwned = (space, ref) => space.#freeOwned(ref);
    freeOwnedAt = (space, classIndex, addr) => space.#freeOwnedAt(classIndex, addr);
    allocOwnedAt = (space, classIndex) => space.#allocOwnedAt(classIndex);
    // A brand check: runs no Proxy trap and is not fooled by a forged prototype.
    isSpace = (value) => typeof value === "object" && value !== null && #allocOwned in value;
  }

  /** The generation of the pool slot starting at `addr`; -1 if no slot of the class starts there. */
  private slotGeneration(classIndex: number, addr: number): number {
    const stackPool = this.poolContaining(classIndex, addr);
    if (stackPool === null) return -1;
    const offsetBytes = addr - stackPool.slotsStart;
    const slot = offsetBytes >>> stackPool.slotShift;
    if (slot << stackPool.slotShift !== offsetBytes) return -1;
    return stackPool.generations[slot];
  }

  /**
   * Gives this object's cached slots back to the bitmaps and unregisters it
   * from the buffer's thread table, so the slots and the table entry serve
   * other threads. Call it when a worker is done with a shared space. The
   * object can still observe (`stats`, `layout`, `isLive`, `checkMemory`)
   * but no longer allocate or free: those throw AllocatorError. Idempotent.
   */
  detach(): void {
    if (this.detached) return;
    const words = this.words;
    for (const lane of this.lanes) {
      this.releaseCached(lane, 0, words[lane.countI32]);
      words[lane.countI32] = 0;
      lane.capacity = 0;
      lane.countI32 = HDR_ZERO_I32;
    }
    const heap = this.heap;
    heap.lock();
    try {
      Atomics.store(this.header, threadTableI32(this.threadIndex), 0);
      heap.freeLocked(this.recordAddr);
    } finally {
      heap.unlock();
    }
    this.detached = true;
  }

  // ── Observation ────────────────────────────────────────────────────────────

  stats(): MemoryStats {
    const heap = this.heap.stats();
    return {
      micro: this.classStats(0),
      small: this.classStats(1),
      medium: this.classStats(2),
      large: { count: Atomics.load(this.header, HDR_LARGE_COUNT_I32), usedBytes: Atomics.load(this.header, HDR_LARGE_BYTES_I32) },
      heap: { usedBytes: heap.usedBytes, freeBytes: heap.freeBytes, largestFreeBytes: heap.largestFreeBytes },
      bufferBytes: this.buffer.byteLength,
    };
  }

  /**
   * Per affinity tag (pools reserved by `allocAffinityStack`): its class, its
   * pools, their slots, the slots handed out and where they sit. O(pools ×
   * bitmap words). Empty when no tagged pool was carved.
   */
  affinityStats(): AffinityStats[] {
    this.syncPools();
    const out: AffinityStats[] = [];
    for (const [key, pools] of [...this.affinityPools].sort((a, b) => a[0] - b[0])) {
      const capacity = pools.reduce((sum, p) => sum + p.pool.capacity, 0);
      out.push({
        tag: key & 255,
        sizeClass: POOL_CLASSES[key >>> 8],
        pools: pools.length,
        capacity,
        used: capacity - pools.reduce((sum, p) => sum + p.pool.freeCount, 0),
        lowAddr: Math.min(...pools.map((p) => p.slotsStart)),
        highAddr: Math.max(...pools.map((p) => p.slotsEnd)),
      });
    }
    return out;
  }

  /** Throws (naming the broken invariant) unless every invariant of the address space holds. */
  checkMemory(): void {
    checkMemory(this);
  }

  /**
   * Header, micro region, every pool with its handed-out slots, every heap
   * block, every thread record: plain data for a heap map. O(handed-out
   * slots + bitmap words); a snapshot when other threads allocate.
   */
  layout(): MemoryLayout {
    this.syncPools();
    if (this.shared) this.ensureWholeView();
    const header = this.header;
    const heapStats = this.heap.stats();
    const threads = this.threadLayouts();
    return {
      bufferBytes: this.buffer.byteLength,
      maxBytes: header[HDR_MAX_BYTES_I32],
      shared: this.shared,
      guardBytes: this.guardBytes,
      header: { addr: 0, bytes: HEADER_BYTES },
      microRegion: { addr: header[HDR_MICRO_REGION_BYTE_OFFSET_I32], bytes: header[HDR_MICRO_REGION_BYTES_I32] },
      heap: {
        addr: heapStats.startByteOffset,
        bytes: heapStats.endByteOffset - heapStats.startByteOffset,
        usedBytes: heapStats.usedBytes,
        freeBytes: heapStats.freeBytes,
      },
      pools: this.pools.map((stackPool) => this.poolLayout(stackPool)),
      blocks: this.heap.blocks(),
      threads,
    };
  }

  /** The address space drawn to scale as an SVG document (see heap-map.ts for the options). */
  toSVG(options: HeapMapOptions = {}): string {
    return renderHeapMap(this.layout(), options);
  }

  // ── Slot caches and counters ───────────────────────────────────────────────

  /** The lane of a pool class; null for "large" or anything that is not a size class. */
  private laneOf(sizeClass: unknown): ClassLane | null {
    return sizeClass === "micro" ? this.microLane : sizeClass === "small" ? this.smallLane : sizeClass === "medium" ? this.mediumLane : null;
  }

  /**
   * The lane's cache is empty: claim a batch of slots (up to one
   * bitmap word, one Atomics.or) from the current pool, else from another
   * pool with room, else from a newly carved pool. Returns the new count.
   */
  private refill(lane: ClassLane): number {
    if (this.detached) throw this.detachedError("allocStack");
    const classIndex = lane.classIndex;
    for (;;) {
      const stackPool = lane.current;
      if (stackPool !== null) {
        const claimed = stackPool.pool.claimBatch(CACHE_BATCH[classIndex]);
        if (claimed !== 0) return this.cacheClaimed(lane, stackPool, stackPool.pool.batchWord, claimed);
      }
      // Full (or none yet): another pool with room, else a new one. Another
      // thread may take the room between our look and our claim: look again.
      lane.current = this.poolWithRoom(classIndex) ?? this.carvePool(classIndex);
    }
  }

  /** Pushes the slots claimed in `mask` of bitmap word `wordIndex`, highest first so the lowest pops first. Returns the new count. */
  private cacheClaimed(lane: ClassLane, stackPool: StackPool, wordIndex: number, mask: number): number {
    const cache = this.words;
    const entries = lane.entriesI32;
    let count = cache[lane.countI32];
    for (let bits = mask; bits !== 0;) {
      const bit = 31 - Math.clz32(bits);
      bits ^= 1 << bit;
      const slot = (wordIndex << 5) + bit;
      const entry = entries + count * TR_ENTRY_WORDS;
      cache[entry] = stackPool.slotsStart + slot * stackPool.slotBytes;
      cache[entry + 1] = stackPool.generationsI32 + slot;
      count++;
    }
    cache[lane.countI32] = count;
    return count;
  }

  /** The cache of `classIndex` is full: give its older half back to the bitmaps. Returns the new count. */
  private flush(lane: ClassLane): number {
    if (this.detached) throw this.detachedError("freeStack");
    const cache = this.words;
    const count = cache[lane.countI32];
    const given = count >>> 1;
    this.releaseCached(lane, 0, given);
    const entries = lane.entriesI32;
    cache.copyWithin(entries, entries + given * TR_ENTRY_WORDS, entries + count * TR_ENTRY_WORDS);
    cache[lane.countI32] = count - given;
    return count - given;
  }

  /**
   * Clears the bitmap bits of cache entries [from, to) of `classIndex`: one
   * Atomics.and per run of entries in the same bitmap word. The caller
   * then drops the entries from the cache.
   */
  private releaseCached(lane: ClassLane, from: number, to: number): void {
    const cache = this.words;
    const classIndex = lane.classIndex;
    const entries = lane.entriesI32;
    let pool: StackPool | null = null;
    let wordIndex = -1;
    let mask = 0;
    for (let index = from; index < to; index++) {
      const addr = cache[entries + index * TR_ENTRY_WORDS];
      const stackPool = this.poolContaining(classIndex, addr) ?? bug(`AddressSpace: cached ${POOL_CLASSES[classIndex]} slot ${addr} is in no pool`);
      const slot = (addr - stackPool.slotsStart) >>> stackPool.slotShift;
      if (stackPool !== pool || slot >>> 5 !== wordIndex) {
        if (pool !== null) this.releaseBits(pool, wordIndex, mask);
        pool = stackPool;
        wordIndex = slot >>> 5;
        mask = 0;
      }
      mask |= 1 << (slot & 31);
    }
    if (pool !== null) this.releaseBits(pool, wordIndex, mask);
  }

  private releaseBits(stackPool: StackPool, wordIndex: number, mask: number): void {
    if (!stackPool.pool.releaseBatch(wordIndex, mask)) {
      bug(`AddressSpace: cached slots of pool ${stackPool.id} (word ${wordIndex}, mask ${mask >>> 0}) were not all allocated in the bitmap`);
    }
  }

  /** used += 1 and high-water in a shared space (an unshared one does it inline with plain stores). */
  private countHandedOutShared(lane: ClassLane): void {
    const used = Atomics.add(this.words, lane.usedI32, 1) + 1;
    if (used > this.words[lane.highWaterI32]) this.raiseHighWater(lane.highWaterI32, used);
  }

  /**
   * The generation bump and used −= 1 of a free in a shared space: the CAS
   * is the claim, so of two threads freeing one ref exactly one wins.
   */
  private returnShared(lane: ClassLane, generationI32: number, stackPool: StackPool, slot: number, addr: number, generation: number): void {
    if (Atomics.compareExchange(this.words, generationI32, generation, ((generation & Gen.CounterMask) + Gen.Step) >>> 0) !== generation) {
      throw this.refusedFreeError(stackPool, slot, addr, generation);
    }
    Atomics.sub(this.words, lane.usedI32, 1);
  }

  private raiseHighWater(highWaterI32: number, used: number): void {
    for (;;) {
      const highWater = Atomics.load(this.header, highWaterI32);
      if (used <= highWater || Atomics.compareExchange(this.header, highWaterI32, highWater, used) === highWater) return;
    }
  }

  /**
   * Registers this object in the thread table and allocates its thread
   * record (zeroed: empty caches) from the heap. Returns [index, record addr].
   */
  private registerThread(): [number, number] {
    const heap = this.heap;
    const header = this.header;
    heap.lock();
    try {
      let index = 0;
      while (index < MAX_THREADS && header[threadTableI32(index)] !== 0) index++;
      if (index === MAX_THREADS) {
        throw new AllocatorError(`AddressSpace: ${MAX_THREADS} AddressSpace objects are already attached to this buffer; detach() those no longer in use`);
      }
      const recordAddr = heap.allocLocked(THREAD_RECORD_BYTES, BLOCK_THREAD, index);
      if (recordAddr === 0) {
        throw new OutOfMemoryError(`out of memory: no room for a ${THREAD_RECORD_BYTES}-byte thread record to attach; ${this.whatIsLeft()}`);
      }
      const record = new Uint32Array(this.buffer, recordAddr, THREAD_RECORD_BYTES >>> 2);
      record.fill(0);
      record[TR_MAGIC_I32] = THREAD_RECORD_MAGIC;
      record[TR_INDEX_I32] = index;
      Atomics.store(header, threadTableI32(index), recordAddr); // publish: the record is complete
      this.ensureWholeView();
      return [index, recordAddr];
    } finally {
      heap.unlock();
    }
  }

  private threadLayouts(): ThreadLayout[] {
    const threads: ThreadLayout[] = [];
    for (let index = 0; index < MAX_THREADS; index++) {
      const addr = Atomics.load(this.header, threadTableI32(index));
      if (addr === 0) continue;
      const record = new Uint32Array(this.buffer, addr, TR_FIXED_WORDS);
      threads.push({ index, addr, cached: { micro: record[TR_COUNT_I32], small: record[TR_COUNT_I32 + 1], medium: record[TR_COUNT_I32 + 2] } });
    }
    return threads;
  }

  private poolLayout(stackPool: StackPool): PoolLayout {
    // Handed out ⇔ odd generation: split the bitmap's runs (handed out or cached) by parity.
    const generations = stackPool.generations;
    const usedRuns: Array<[number, number]> = [];
    let used = 0;
    let claimed = 0;
    for (const [first, count] of stackPool.pool.usedSlotRuns()) {
      claimed += count;
      let runStart = -1;
      for (let slot = first; slot < first + count; slot++) {
        const handedOut = (generations[slot] & 1) === 1;
        if (handedOut && runStart < 0) runStart = slot;
        else if (!handedOut && runStart >= 0) {
          usedRuns.push([runStart, slot - runStart]);
          used += slot - runStart;
          runStart = -1;
        }
      }
      if (runStart >= 0) {
        usedRuns.push([runStart, first + count - runStart]);
        used += first + count - runStart;
      }
    }
    return {
      id: stackPool.id,
      sizeClass: POOL_CLASSES[stackPool.classIndex],
      addr: stackPool.regionByteOffset,
      bytes: stackPool.regionBytes,
      base: stackPool.pool.base,
      slotsAddr: stackPool.slotsStart,
      slotSize: stackPool.slotBytes,
      slots: stackPool.pool.capacity,
      used,
      cached: claimed - used,
      usedRuns,
      placement: stackPool.heapBlock === 0 ? "micro-region" : "heap",
      affinity: stackPool.affinity,
    };
  }

  // ── Pools ──────────────────────────────────────────────────────────────────

  private poolWithRoom(classIndex: number): StackPool | null {
    this.syncPools();
    for (const stackPool of this.classPools[classIndex]) if (stackPool.affinity === 0 && stackPool.pool.hasRoom()) return stackPool;
    return null;
  }

  /**
   * A new pool for the class, from the heap: as many slots as the class has
   * (capacity doubles), clamped to [CARVE_MIN_SLOTS, CARVE_MAX_SLOTS], halved
   * while it does not fit. Returns an existing pool instead if another thread
   * freed or carved one meanwhile.
   */
  private carvePool(classIndex: number, affinity = 0): StackPool {
    const heap = this.heap;
    heap.lock();
    try {
      const withRoom = affinity === 0 ? this.poolWithRoom(classIndex) : this.affinityPoolWithRoom(classIndex, affinity);
      if (withRoom !== null) return withRoom;
      const header = this.header;
      const slotBytes = POOL_SLOT_BYTES[classIndex];
      const capacity = affinity === 0 ? header[classStatsI32(classIndex, CLASS_CAPACITY)] : this.affinityCapacity(classIndex, affinity);
      const poolId = header[HDR_POOL_COUNT_I32];
      if (poolId >= MAX_POOLS) throw this.outOfMemory(classIndex, `the pool table is full (${MAX_POOLS} pools)`);
      const minSlots = affinity === 0 ? CARVE_MIN_SLOTS[classIndex] : AFFINITY_CARVE_MIN_SLOTS[classIndex];
      const targetSlots = Math.min(Math.max(capacity, minSlots), CARVE_MAX_SLOTS[classIndex]);
      for (let slots = targetSlots; slots >= 1; slots = Math.floor(slots / 2)) {
        const regionBytes = stackPoolRegionBytes(slotBytes, slots);
        const payload = heap.allocLocked(regionBytes, BLOCK_POOL, poolId);
        if (payload !== 0) return this.installPool(classIndex, payload, regionBytes, slots, payload, affinity);
      }
      throw this.outOfMemory(classIndex, `no new pool fits (even one slot needs ${heapBlockBytesFor(stackPoolRegionBytes(slotBytes, 1))} heap bytes)`);
    } finally {
      heap.unlock();
    }
  }

  /**
   * Lays out a stack pool in [regionByteOffset, + regionBytes) and publishes
   * its record. Caller holds the heap lock (or is the constructor).
   */
  private affinityPoolWithRoom(classIndex: number, affinity: number): StackPool | null {
    this.syncPools();
    for (const stackPool of this.affinityPools.get(classIndex * 256 + affinity) ?? []) if (stackPool.pool.hasRoom()) return stackPool;
    return null;
  }

  private affinityCapacity(classIndex: number, affinity: number): number {
    let slots = 0;
    for (const stackPool of this.affinityPools.get(classIndex * 256 + affinity) ?? []) slots += stackPool.pool.capacity;
    return slots;
  }

  private installPool(classIndex: number, regionByteOffset: number, regionBytes: number, slots: number, heapBlock: number, affinity = 0): StackPool {
    const header = this.header;
    const poolId = header[HDR_POOL_COUNT_I32];
    const slotBytes = POOL_SLOT_BYTES[classIndex];
    const generationsBytes = generationBytes(slots);
    // The region may be reused heap memory: generations start from zero (even: not handed out).
    new Uint32Array(this.buffer, regionByteOffset, generationsBytes >>> 2).fill(0);
    const pool = new BitmapPool(this.buffer, regionByteOffset + generationsBytes, slotBytes, slots);
    const record = poolRecordI32(poolId);
    header[record + POOL_CLASS_I32] = classIndex;
    header[record + POOL_REGION_BYTE_OFFSET_I32] = regionByteOffset;
    header[record + POOL_REGION_BYTES_I32] = regionBytes;
    header[record + POOL_BASE_BYTE_OFFSET_I32] = pool.base;
    header[record + POOL_SLOTS_I32] = slots;
    header[record + POOL_SLOT_BYTES_I32] = slotBytes;
    header[record + POOL_HEAP_BLOCK_I32] = heapBlock;
    header[record + POOL_AFFINITY_I32] = affinity;
    if (this.guardBytes !== 0) this.fillGuards(pool.slotsByteOffset, slotBytes, slots);
    Atomics.add(header, classStatsI32(classIndex, CLASS_CAPACITY), slots);
    Atomics.add(header, classStatsI32(classIndex, CLASS_POOLS), 1);
    Atomics.store(header, HDR_POOL_COUNT_I32, poolId + 1); // publish: the record is complete
    this.syncPools();
    return this.pools[poolId];
  }

  /** Adopts the pools other threads (or this one) published since the last look. */
  private syncPools(): void {
    const count = Atomics.load(this.header, HDR_POOL_COUNT_I32);
    for (let poolId = this.pools.length; poolId < count; poolId++) this.adoptPool(poolId);
  }

  private adoptPool(poolId: number): void {
    const header = this.header;
    const record = poolRecordI32(poolId);
    const classIndex = header[record + POOL_CLASS_I32];
    const slots = header[record + POOL_SLOTS_I32];
    const regionByteOffset = header[record + POOL_REGION_BYTE_OFFSET_I32];
    const regionBytes = header[record + POOL_REGION_BYTES_I32];
    const pool = BitmapPool.attach(this.buffer, header[record + POOL_BASE_BYTE_OFFSET_I32], header[record + POOL_SLOT_BYTES_I32], slots);
    const stackPool = new StackPool(
      poolId,
      classIndex,
      pool,
      new Uint32Array(this.buffer, regionByteOffset, slots),
      regionByteOffset,
      regionBytes,
      header[record + POOL_HEAP_BLOCK_I32],
      header[record + POOL_AFFINITY_I32],
    );
    if (regionByteOffset + regionBytes > this.words.length * 4) this.ensureWholeView();
    // Another thread may have grown the buffer for this pool: its slots must be inside the frames' views.
    this.views.sync();
    this.pools.push(stackPool);
    const starts = this.classPoolStarts[classIndex];
    let insertAt = starts.length;
    while (insertAt > 0 && starts[insertAt - 1] > stackPool.slotsStart) insertAt--;
    starts.splice(insertAt, 0, stackPool.slotsStart);
    this.classPools[classIndex].splice(insertAt, 0, stackPool);
    if (stackPool.affinity !== 0) {
      const key = classIndex * 256 + stackPool.affinity;
      const tagged = this.affinityPools.get(key);
      if (tagged === undefined) this.affinityPools.set(key, [stackPool]);
      else tagged.push(stackPool);
      return;
    }
    const lane = this.lanes[classIndex];
    if (lane.current === null) lane.current = stackPool;
  }

  /** Writes the guard pattern into the last GUARD_BYTES of each of `slots` slots from `slotsStart`. */
  private fillGuards(slotsStart: number, slotBytes: number, slots: number): void {
    const u32 = this.views.u32;
    for (let slot = 0; slot < slots; slot++) {
      const guardI32 = (slotsStart + (slot + 1) * slotBytes - GUARD_BYTES) >>> 2;
      for (let word = 0; word < GUARD_BYTES >>> 2; word++) u32[guardI32 + word] = GUARD_WORD;
    }
  }

  /** Re-makes the whole-buffer view when the buffer has grown past it. */
  private ensureWholeView(): void {
    if (this.buffer.byteLength >>> 2 !== this.words.length) this.words = AddressSpace.wholeView(this.buffer);
  }

  private static wholeView(buffer: SharedArrayBuffer): Uint32Array {
    return new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }

  /**
   * The class's pool whose slots contain `addr`, or null: the current pool
   * first (the common case: the stack was just handed out from it), else a
   * binary search over the sorted starts, adopting new pools on a miss.
   */
  private poolContaining(classIndex: number, addr: number): StackPool | null {
    const current = this.lanes[classIndex].current;
    if (current !== null && addr >= current.slotsStart && addr < current.slotsEnd) return current;
    const found = this.searchPools(classIndex, addr);
    if (found !== null || Atomics.load(this.header, HDR_POOL_COUNT_I32) === this.pools.length) return found;
    this.syncPools();
    return this.searchPools(classIndex, addr);
  }

  /** poolContaining for freeStack: the pool, or a foreign-ref AllocatorError. */
  private poolOf(classIndex: number, addr: number): StackPool {
    return this.poolContaining(classIndex, addr) ?? this.throwForeign(classIndex, addr);
  }

  private throwForeign(classIndex: number, addr: number): never {
    throw this.foreignError(classIndex, addr);
  }

  private searchPools(classIndex: number, addr: number): StackPool | null {
    const starts = this.classPoolStarts[classIndex];
    let low = 0;
    let high = starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (starts[middle] <= addr) low = middle + 1;
      else high = middle - 1;
    }
    if (high < 0) return null;
    const stackPool = this.classPools[classIndex][high];
    return addr < stackPool.slotsEnd ? stackPool : null;
  }

  private classStats(classIndex: number): ClassStats {
    const header = this.header;
    const capacity = Atomics.load(header, classStatsI32(classIndex, CLASS_CAPACITY));
    const used = Atomics.load(header, classStatsI32(classIndex, CLASS_USED));
    return { capacity, used, free: capacity - used, highWater: Atomics.load(header, classStatsI32(classIndex, CLASS_HIGH_WATER)) };
  }

  // ── Large stacks ───────────────────────────────────────────────────────────

  /** allocStack of anything that is not a pool class: a large stack (`flags` 0, or KIND_FLAG_OWNED), or an invalid class. */
  private allocLarge(sizeClass: unknown, bytes: number | undefined, flags: number): StackRef {
    if (sizeClass !== "large") throw invalidSizeClass("allocStack", sizeClass);
    const requested = bytes ?? DEFAULT_LARGE_STACK_BYTES;
    if (!isPositiveInteger(requested) || requested > MAX_ADDRESS_SPACE_BYTES) {
      throw new RangeError(`allocStack: bytes must be a positive integer below 4 GiB, received ${describeValue(bytes)}`);
    }
    if (this.detached) throw this.detachedError("allocStack");
    const roundedBytes = alignUp(requested, 16);
    const header = this.header;
    const heap = this.heap;
    heap.lock();
    try {
      const generation = (header[HDR_LARGE_GENERATION_I32] + 1) >>> 0 || 1;
      const blockBytes = roundedBytes + this.guardBytes;
      const addr = heap.allocLocked(blockBytes, BLOCK_LARGE | flags, generation);
      if (addr === 0) throw this.outOfMemory(-1, "", blockBytes);
      if (this.guardBytes !== 0) this.fillGuards(addr, blockBytes, 1);
      header[HDR_LARGE_GENERATION_I32] = generation;
      header[HDR_LARGE_COUNT_I32] += 1;
      header[HDR_LARGE_BYTES_I32] += blockBytes;
      return { addr, bytes: roundedBytes, sizeClass: "large", generation };
    } finally {
      heap.unlock();
    }
  }

  /**
   * freeStack of anything that is not a pool class: a large stack, or an
   * invalid class (TypeError/RangeError). `byOwner`: the owner's free, which
   * may free an owned stack; the public one refuses it.
   */
  private freeLarge(sizeClass: unknown, addr: unknown, generation: unknown, byOwner: boolean): void {
    if (sizeClass !== "large") throw invalidSizeClass("freeStack", sizeClass, "a StackRef from allocStack, whose sizeClass is");
    if (this.detached) throw this.detachedError("freeStack");
    const header = this.header;
    const heap = this.heap;
    heap.lock();
    try {
      if (typeof addr !== "number" || typeof generation !== "number" || !heap.holds(addr, BLOCK_LARGE, generation)) {
        throw new AllocatorError(
          `freeStack: no live large stack at byte offset ${describeValue(addr)} with generation ${describeValue(generation)} (already freed, stale, or not from this address space)`,
        );
      }
      if (!byOwner && (heap.kindFlagsOf(addr) & KIND_FLAG_OWNED) !== 0) throw ownedError("large", addr);
      const payloadBytes = heap.payloadBytesOf(addr);
      heap.freeLocked(addr);
      header[HDR_LARGE_COUNT_I32] -= 1;
      header[HDR_LARGE_BYTES_I32] -= payloadBytes;
    } finally {
      heap.unlock();
    }
  }

  // ── Errors ─────────────────────────────────────────────────────────────────

  /** What the heap and the buffer have left, for OutOfMemoryError messages. Caller holds the heap lock. */
  private whatIsLeft(): string {
    return (
      `heap has ${this.heap.freeBytesLocked()} bytes free (largest free block ${this.heap.largestFreeBytesLocked()} bytes), ` +
      `buffer is ${this.buffer.byteLength} of maxBytes ${this.header[HDR_MAX_BYTES_I32]} (${this.heap.growthHeadroomBytes()} bytes left to grow)`
    );
  }

  /**
   * OutOfMemoryError naming the class, what was asked and what is left.
   * `classIndex` -1 means a large stack of `largeBytes`. Caller holds the heap lock.
   */
  private outOfMemory(classIndex: number, why: string, largeBytes = 0): OutOfMemoryError {
    const left = this.whatIsLeft();
    if (classIndex < 0) {
      return new OutOfMemoryError(`out of memory: cannot allocate a large stack of ${largeBytes} bytes: no heap block fits; ${left}`);
    }
    const name = POOL_CLASSES[classIndex];
    const capacity = this.header[classStatsI32(classIndex, CLASS_CAPACITY)];
    const cachedElsewhere = this.threadLayouts().reduce((sum, thread) => sum + thread.cached[name as PoolSizeClass], 0);
    const cachedNote = cachedElsewhere > 0 ? ` (${cachedElsewhere} of them free but cached by other threads)` : "";
    return new OutOfMemoryError(
      `out of memory: cannot allocate a ${name} stack (${POOL_SLOT_BYTES[classIndex]} bytes): all ${capacity} ${name} slots are in use${cachedNote} and ${why}; ${left}`,
    );
  }

  private foreignError(classIndex: number, addr: number): AllocatorError {
    return new AllocatorError(
      `freeStack: byte offset ${describeValue(addr)} is not in any ${POOL_CLASSES[classIndex]} pool of this address space (foreign StackRef)`,
    );
  }

  private misalignedError(stackPool: StackPool, addr: number): AllocatorError {
    return new AllocatorError(
      `freeStack: byte offset ${describeValue(addr)} is not the start of a ${POOL_CLASSES[stackPool.classIndex]} slot (pool ${stackPool.id}: ${stackPool.slotBytes}-byte slots from ${stackPool.slotsStart})`,
    );
  }

  /**
   * Why a free of the stack at `addr` with generation `refGeneration` is
   * refused: it is owned (only its owner frees it); the slot is not handed
   * out (double free: freed once since the ref was made, or a ref forged to a
   * free slot's generation); or it was freed and handed out again (stale).
   */
  private refusedFreeError(stackPool: StackPool, slot: number, addr: number, refGeneration: unknown): AllocatorError {
    const name = POOL_CLASSES[stackPool.classIndex];
    const generation = Atomics.load(stackPool.generations, slot);
    if (refGeneration === OWNER_FREE) return new AllocatorError(`freeStack: the owner's ${name} stack at byte offset ${addr} is not handed out (double free?)`);
    if (generation === refGeneration && (generation & Gen.Marks) === Gen.Marks) return ownedError(name, addr);
    if (typeof refGeneration === "number" && Number.isInteger(refGeneration) && (generation & Gen.HandedOut) === 0) {
      const freedSince = ((refGeneration & Gen.CounterMask) + Gen.Step) >>> 0 === generation;
      if (freedSince || refGeneration === generation)
        return new AllocatorError(`freeStack: ${name} stack at byte offset ${addr} is not allocated (double free?)`);
    }
    return new AllocatorError(
      `freeStack: stale StackRef for the ${name} stack at byte offset ${addr}: generation ${describeValue(refGeneration)}, the slot is at generation ${generation} (freed and handed out again)`,
    );
  }

  private detachedError(operation: string): AllocatorError {
    return new AllocatorError(`${operation}: this AddressSpace object was detached (thread-table entry ${this.threadIndex}); attach a new one to allocate`);
  }

  // ── Validation ─────────────────────────────────────────────────────────────

  private checkPoolBytes(classIndex: number, bytes: number): void {
    if (!isPositiveInteger(bytes)) throw new RangeError(`allocStack: bytes must be a positive integer, received ${describeValue(bytes)}`);
    const usable = POOL_SLOT_BYTES[classIndex] - this.guardBytes;
    if (bytes > usable) {
      const name = POOL_CLASSES[classIndex];
      const guardNote = this.guardBytes === 0 ? "" : `: the ${POOL_SLOT_BYTES[classIndex]}-byte slot less its ${this.guardBytes}-byte guard`;
      throw new RangeError(`allocStack: ${bytes} bytes do not fit a ${name} stack (${usable} bytes${guardNote}); use a bigger class or "large"`);
    }
  }

  private static resolveSizes(options: AddressSpaceOptions, neededBytes: number): { bytes: number; maxBytes: number } {
    const askedBytes = options.bytes;
    if (askedBytes !== undefined && (!isPositiveInteger(askedBytes) || askedBytes > MAX_ADDRESS_SPACE_BYTES)) {
      throw new RangeError(`AddressSpace: bytes must be a positive integer of at most ${MAX_ADDRESS_SPACE_BYTES}, received ${describeValue(askedBytes)}`);
    }
    const maxBytes = options.maxBytes ?? Math.min(Math.max(DEFAULT_MAX_BYTES, askedBytes ?? 0, neededBytes), MAX_ADDRESS_SPACE_BYTES);
    if (!isPositiveInteger(maxBytes) || maxBytes > MAX_ADDRESS_SPACE_BYTES) {
      throw new RangeError(
        `AddressSpace: maxBytes must be a positive integer of at most ${MAX_ADDRESS_SPACE_BYTES} (4 GiB - 8), received ${describeValue(maxBytes)}`,
      );
    }
    if (askedBytes !== undefined && askedBytes > maxBytes) {
      throw new RangeError(`AddressSpace: bytes ${askedBytes} exceeds maxBytes ${maxBytes}`);
    }
    if (neededBytes > maxBytes) {
      throw new RangeError(`AddressSpace: the header and pre-allocated pools need ${neededBytes} bytes, more than maxBytes ${maxBytes}`);
    }
    const defaultBytes = Math.min(alignUp(neededBytes + DEFAULT_HEAP_SLACK_BYTES, GROW_GRANULE_BYTES), maxBytes);
    return { bytes: Math.max(askedBytes ?? defaultBytes, neededBytes), maxBytes };
  }

  private static validateAttach(buffer: unknown): SharedArrayBuffer {
    if (!isSharedArrayBuffer(buffer)) {
      throw new TypeError(`AddressSpace: buffer must be a SharedArrayBuffer, received ${describeValue(buffer)}`);
    }
    const words = buffer.byteLength >= HEADER_BYTES ? new Uint32Array(buffer, 0, 4) : null;
    if (
      words === null ||
      Atomics.load(words, HDR_MAGIC_I32) !== ADDRESS_SPACE_MAGIC ||
      words[HDR_VERSION_I32] !== LAYOUT_VERSION ||
      words[HDR_HEADER_BYTES_I32] !== HEADER_BYTES
    ) {
      throw new TypeError(`AddressSpace: buffer is not a cprime-coro address space (layout version ${LAYOUT_VERSION}): its header does not match`);
    }
    if ((new Uint32Array(buffer, 0, HDR_FLAGS_I32 + 1)[HDR_FLAGS_I32] & FLAG_SHARED) === 0) {
      throw new AllocatorError(
        "AddressSpace: cannot attach: this address space was not created with { shared: true }, so its owner uses it without locks or Atomics; create the owner with { shared: true } to share it with other threads",
      );
    }
    return buffer;
  }
}

/**
 * An *owned* stack: like `space.allocStack(sizeClass, bytes)`, but marked in
 * the slot's generation word (a large stack: in its block's KIND flags) so
 * that the public `freeStack` refuses it with AllocatorError. Only
 * `freeOwnedStack` frees it. For stacks whose owner frees them itself (a
 * coroutine's, see coro/stack.ts): nobody holding a copy of the ref can free
 * the stack under its owner. Internal: not exported from the package.
 */
export function allocOwnedStack(space: AddressSpace, sizeClass: SizeClass, bytes?: number): StackRef {
  return allocOwned(space, sizeClass, bytes);
}

/**
 * Frees a stack handed out by `allocOwnedStack` (or `allocStack`): the
 * owner's path, which the owned mark does not stop. AllocatorError, and no
 * change, on a stale or foreign ref, as freeStack. Internal.
 */
/**
 * An owned stack of a pool class from a pool reserved to affinity `tag`
 * (1..255): such pools are carved apart from the class's general pools, so
 * stacks of one tag sit together in the address space, and a tagged pool
 * only ever holds stacks of its tag. Freed through `freeOwnedStack`, like
 * any owned stack (the slot goes back to its pool's bitmap, not a cache).
 * The runtime maps its channel patterns to tags; the memory layer gives the
 * number no meaning. Not exported from the package.
 */
export function allocAffinityStack(space: AddressSpace, sizeClass: SizeClass, tag: number): StackRef {
  return allocAffinity(space, sizeClass, tag);
}

/**
 * Where a stack's guard region is damaged: the offset (0..GUARD_BYTES-1) of
 * its first byte that no longer holds the pattern, or -1 when it is intact
 * (or the space is not guarded). The guard is `[ref.addr + ref.bytes, + guardBytes)`.
 */
export function guardDamage(space: AddressSpace, ref: StackRef): number {
  const guardBytes = space.guardBytes;
  if (guardBytes === 0) return -1;
  const u8 = viewsOf(space.buffer).u8;
  const start = (ref.addr + ref.bytes) >>> 0;
  for (let k = 0; k < guardBytes; k++) if (u8[start + k] !== GUARD_BYTE) return k;
  return -1;
}

/** Writes the guard pattern back over a damaged guard (after it was reported), so the space checks clean again. */
export function restoreGuard(space: AddressSpace, ref: StackRef): void {
  const guardBytes = space.guardBytes;
  if (guardBytes === 0) return;
  viewsOf(space.buffer).u8.fill(GUARD_BYTE, (ref.addr + ref.bytes) >>> 0, (ref.addr + ref.bytes + guardBytes) >>> 0);
}

export function freeOwnedStack(space: AddressSpace, ref: StackRef): void {
  freeOwned(space, ref);
}

/**
 * `allocOwnedStack` of a pool class (0 micro … 2 medium) without a ref: the
 * slot's address. The owner rebuilds the ref when somebody asks for it
 * (`refAt`). OutOfMemoryError as allocOwnedStack. Internal.
 */
export function allocOwnedSlot(space: AddressSpace, classIndex: number): number {
  return allocOwnedAt(space, classIndex);
}

/**
 * The owner's free of the pool slot of class `classIndex` (0 micro … 2
 * medium) at `addr`, without a ref: whatever incarnation is handed out
 * there is the owner's (a stack that is not dead owns its slots). Saves
 * rebuilding the ref on every coroutine's end. AllocatorError, and no
 * change, if no handed-out slot starts there. Internal.
 */
export function freeOwnedSlot(space: AddressSpace, classIndex: number, addr: number): void {
  freeOwnedAt(space, classIndex, addr);
}

/** Whether `value` is an AddressSpace object (of this build). Never throws, runs no user code. */
export function isAddressSpace(value: unknown): value is AddressSpace {
  return isSpace(value);
}

/**
 * AddressSpace: one growable SharedArrayBuffer that holds every coroutine
 * stack — micro, small and medium stacks in fixed-slot pools, large stacks in
 * the heap — and all the allocator state, so another thread can attach to it.
 *
 * Invariants (validate.ts checks them all):
 * - Addresses never move: the buffer only grows at its end, pools are never
 *   released, and a heap block is freed only by its owner.
 * - Per pool class: capacity == Σ pool slots; used == Σ (slots − freeCount)
 *   == Σ popcount(bitmaps); used ≤ highWater ≤ capacity.
 * - A slot's generation changes exactly when the slot is freed, so a
 *   `StackRef` is live ⇔ its slot is allocated and its generation matches.
 *   Large stacks take a generation from one global counter: a block reused at
 *   the same address never revives an old ref.
 * - Every pool record in the header describes a region inside the micro
 *   region or inside a heap block of kind POOL tagged with the pool's id.
 *
 * Threads: pools are lock-free (see bitmap-pool.ts); carving a pool, large
 * stacks and the heap take the heap's spin lock. Each thread's AddressSpace
 * object keeps its own cache of the pools (views, sorted bases) and refreshes
 * it when the header's pool count moves.
 *
 * Hot path: `allocStack("micro")` + `freeStack` touch one cached pool, do no
 * Map look-ups, create no object but the returned StackRef.
 */
import { AllocatorError, OutOfMemoryError, bug } from "../errors.js";
import { BitmapPool } from "./bitmap-pool.js";
import { Heap, heapBlockBytesFor, type HeapBlockInfo } from "./heap.js";
import {
  ADDRESS_SPACE_MAGIC,
  BLOCK_LARGE,
  BLOCK_POOL,
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
  GROW_GRANULE_BYTES,
  HDR_CLASS_STATS_I32,
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
  HEADER_BYTES,
  HEAP_BLOCK_HEADER_BYTES,
  HEAP_CONTROL_BYTE_OFFSET,
  LAYOUT_VERSION,
  MAX_ADDRESS_SPACE_BYTES,
  MAX_POOLS,
  MICRO_CLASS_INDEX,
  POOL_BASE_BYTE_OFFSET_I32,
  POOL_CLASSES,
  POOL_CLASS_COUNT,
  POOL_CLASS_I32,
  POOL_HEAP_BLOCK_I32,
  POOL_REGION_BYTES_I32,
  POOL_REGION_BYTE_OFFSET_I32,
  POOL_SLOTS_I32,
  POOL_SLOT_BYTES,
  POOL_SLOT_BYTES_I32,
  SIZE_CLASSES,
  alignUp,
  generationBytes,
  poolRecordI32,
  stackPoolRegionBytes,
  type PoolSizeClass,
  type SizeClass,
} from "./layout.js";
import { checkMemory } from "./validate.js";

/** A stack handed out by `allocStack`: where it is, how big, and which incarnation of the slot. */
export interface StackRef {
  /** Byte offset of the stack's first byte. */
  readonly addr: number;
  readonly bytes: number;
  readonly sizeClass: SizeClass;
  /** The slot's (or large block's) generation when handed out; a freed ref no longer matches. */
  readonly generation: number;
}

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
  /** Attach to an address space another thread created; the other options are then ignored. */
  buffer?: SharedArrayBuffer;
}

export interface ClassStats {
  capacity: number;
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
  used: number;
  /** Allocated slots as [first slot, count] runs, in order. */
  usedRuns: Array<[first: number, count: number]>;
  /** "micro-region" for the pre-allocated micro pool, "heap" for a pool carved from a heap block. */
  placement: "micro-region" | "heap";
}

/** Everything needed to draw the address space to scale. Plain data. */
export interface MemoryLayout {
  bufferBytes: number;
  maxBytes: number;
  header: { addr: number; bytes: number };
  microRegion: { addr: number; bytes: number };
  heap: { addr: number; bytes: number; usedBytes: number; freeBytes: number };
  pools: PoolLayout[];
  /** Heap blocks in address order (the 16-byte end sentinel left out). */
  blocks: HeapBlockInfo[];
}

/** One stack pool as this thread sees it: the shared BitmapPool plus cached geometry. */
class StackPool {
  readonly slotsStart: number;
  readonly slotsEnd: number;
  readonly slotBytes: number;
  constructor(
    readonly id: number,
    readonly classIndex: number,
    readonly pool: BitmapPool,
    /** One u32 per slot, bumped when the slot is freed. */
    readonly generations: Uint32Array,
    readonly regionByteOffset: number,
    readonly regionBytes: number,
    /** Payload of the heap block holding the region; 0 for the micro region. */
    readonly heapBlock: number,
  ) {
    this.slotsStart = pool.slotsByteOffset;
    this.slotBytes = pool.slotSize;
    this.slotsEnd = pool.slotsByteOffset + pool.capacity * pool.slotSize;
  }
}

function classStatsI32(classIndex: number, field: number): number {
  return HDR_CLASS_STATS_I32 + classIndex * CLASS_STATS_WORDS + field;
}

/** 0, 1, 2 for the pool classes; -1 for anything else (large or invalid). */
function poolClassIndex(sizeClass: unknown): number {
  return sizeClass === "micro" ? 0 : sizeClass === "small" ? 1 : sizeClass === "medium" ? 2 : -1;
}

function invalidSizeClass(operation: string, sizeClass: unknown): Error {
  const expected = SIZE_CLASSES.map((name) => `"${name}"`).join(", ");
  if (typeof sizeClass !== "string") {
    return new TypeError(`${operation}: sizeClass must be one of ${expected}, received ${String(sizeClass)} (${typeof sizeClass})`);
  }
  return new RangeError(`${operation}: unknown size class "${sizeClass}": expected one of ${expected}`);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function resolvePoolConfig(pools: PoolConfig | undefined): [number, number, number] {
  if (pools !== undefined && (typeof pools !== "object" || pools === null)) {
    throw new TypeError(`AddressSpace: pools must be an object like { micro: 10000 }, received ${String(pools)}`);
  }
  for (const key of Object.keys(pools ?? {})) {
    if (poolClassIndex(key) < 0) throw new RangeError(`AddressSpace: unknown pool class "${key}" in pools: expected micro, small or medium`);
  }
  return POOL_CLASSES.map((name) => {
    const slots = pools?.[name] ?? DEFAULT_POOL_SLOTS[name];
    if (typeof slots !== "number" || !Number.isInteger(slots) || slots < 0) {
      throw new RangeError(`AddressSpace: pools.${name} must be a non-negative integer, received ${String(slots)}`);
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
 * - Pool classes carve a new pool from the heap when full (the buffer grows,
 *   addresses stay); past `maxBytes`, `OutOfMemoryError` says which class,
 *   how much was asked and what is left.
 * - `new AddressSpace({ buffer })` in another thread sees the same stacks.
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
  /** Fixed view over the header: the header never grows. */
  private readonly header: Uint32Array;
  private readonly heap: Heap;
  /** Every pool this thread has adopted, by id. */
  private readonly pools: StackPool[] = [];
  /** Per class: pools sorted by slotsStart, and those starts (binary search on free). */
  private readonly classPools: StackPool[][] = [[], [], []];
  private readonly classPoolStarts: number[][] = [[], [], []];
  /** Per class: the pool allocation tries first. */
  private readonly current: Array<StackPool | null> = [null, null, null];

  constructor(options: AddressSpaceOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`AddressSpace: options must be an object, received ${String(options)}`);
    }
    if (options.buffer !== undefined) {
      this.buffer = AddressSpace.validateAttach(options.buffer);
      this.header = new Uint32Array(this.buffer, 0, HEADER_BYTES >>> 2);
      this.heap = Heap.attach(this.buffer, HEAP_CONTROL_BYTE_OFFSET);
      this.syncPools();
      return;
    }
    const slotsByClass = resolvePoolConfig(options.pools);
    const microRegionBytes = slotsByClass[MICRO_CLASS_INDEX] > 0 ? stackPoolRegionBytes(POOL_SLOT_BYTES[0], slotsByClass[0]) : 0;
    const heapStart = HEADER_BYTES + microRegionBytes;
    let neededBytes = heapStart + HEAP_BLOCK_HEADER_BYTES;
    for (let classIndex = 1; classIndex < POOL_CLASS_COUNT; classIndex++) {
      const slots = slotsByClass[classIndex];
      if (slots > 0) neededBytes += heapBlockBytesFor(stackPoolRegionBytes(POOL_SLOT_BYTES[classIndex], slots));
    }
    const { bytes, maxBytes } = AddressSpace.resolveSizes(options, neededBytes);

    this.buffer = new SharedArrayBuffer(bytes, { maxByteLength: maxBytes });
    const header = (this.header = new Uint32Array(this.buffer, 0, HEADER_BYTES >>> 2));
    header[HDR_VERSION_I32] = LAYOUT_VERSION;
    header[HDR_HEADER_BYTES_I32] = HEADER_BYTES;
    header[HDR_MAX_BYTES_I32] = maxBytes;
    header[HDR_MICRO_REGION_BYTE_OFFSET_I32] = HEADER_BYTES;
    header[HDR_MICRO_REGION_BYTES_I32] = microRegionBytes;
    header[HDR_HEAP_BYTE_OFFSET_I32] = heapStart;
    this.heap = Heap.init(this.buffer, HEAP_CONTROL_BYTE_OFFSET, heapStart, maxBytes);
    if (microRegionBytes > 0) this.installPool(MICRO_CLASS_INDEX, HEADER_BYTES, microRegionBytes, slotsByClass[0], 0);
    for (let classIndex = 1; classIndex < POOL_CLASS_COUNT; classIndex++) {
      const slots = slotsByClass[classIndex];
      if (slots === 0) continue;
      const regionBytes = stackPoolRegionBytes(POOL_SLOT_BYTES[classIndex], slots);
      const payload = this.heap.alloc(regionBytes, BLOCK_POOL, this.pools.length);
      if (payload === 0) bug(`AddressSpace: the initial ${POOL_CLASSES[classIndex]} pool does not fit the ${bytes} bytes sized for it`);
      this.installPool(classIndex, payload, regionBytes, slots, payload);
    }
    Atomics.store(header, HDR_MAGIC_I32, ADDRESS_SPACE_MAGIC);
  }

  // ── Stacks ─────────────────────────────────────────────────────────────────

  /**
   * A stack of `sizeClass`. For "large", `bytes` (default 64 KiB) is rounded
   * up to 16; for a pool class, `bytes` if given must fit the class's slot.
   */
  allocStack(sizeClass: SizeClass, bytes?: number): StackRef {
    const classIndex = poolClassIndex(sizeClass);
    if (classIndex < 0) return this.allocLarge(sizeClass, bytes);
    if (bytes !== undefined) AddressSpace.checkPoolBytes(classIndex, bytes);
    const stackPool = this.current[classIndex];
    if (stackPool !== null) {
      const slot = stackPool.pool.allocIndex();
      if (slot >= 0) return this.handOut(stackPool, slot);
    }
    return this.allocSlow(classIndex);
  }

  /** Returns a stack; AllocatorError (and no change) on a double free, a stale or a foreign ref. */
  freeStack(ref: StackRef): void {
    if (typeof ref !== "object" || ref === null) {
      throw new TypeError(`freeStack: expected a StackRef from allocStack, received ${String(ref)}`);
    }
    const classIndex = poolClassIndex(ref.sizeClass);
    if (classIndex < 0) {
      if (ref.sizeClass !== "large") throw invalidSizeClass("freeStack", ref.sizeClass);
      this.freeLarge(ref);
      return;
    }
    const addr = ref.addr;
    const stackPool = this.poolContaining(classIndex, addr);
    if (stackPool === null) throw this.foreignError(classIndex, addr);
    const slot = stackPool.pool.slotIndexOf(addr);
    if (slot < 0) throw this.misalignedError(stackPool, addr);
    const generation = stackPool.generations[slot]; // plain read: the CAS below decides
    if (generation !== ref.generation || !stackPool.pool.isSlotAllocated(slot)) throw this.staleError(stackPool, slot, ref);
    // The generation CAS is the claim: of two racing frees of one ref, one wins.
    if (Atomics.compareExchange(stackPool.generations, slot, generation, (generation + 1) >>> 0) !== generation) {
      throw this.staleError(stackPool, slot, ref);
    }
    if (!stackPool.pool.freeIndex(slot)) bug(`freeStack: slot ${slot} of pool ${stackPool.id} was claimed but not allocated`);
    Atomics.sub(this.header, classStatsI32(classIndex, CLASS_USED), 1);
  }

  /** Whether `ref` still names an allocated stack: its generation matches. O(1); never throws. */
  isLive(ref: StackRef): boolean {
    if (typeof ref !== "object" || ref === null) return false;
    const classIndex = poolClassIndex(ref.sizeClass);
    if (classIndex < 0) return ref.sizeClass === "large" && this.heap.holds(ref.addr, BLOCK_LARGE, ref.generation);
    const addr = ref.addr;
    const stackPool = this.poolContaining(classIndex, addr);
    if (stackPool === null) return false;
    const slot = stackPool.pool.slotIndexOf(addr);
    return slot >= 0 && stackPool.generations[slot] === ref.generation && stackPool.pool.isSlotAllocated(slot);
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

  /** Throws (naming the broken invariant) unless every invariant of the address space holds. */
  checkMemory(): void {
    checkMemory(this);
  }

  /** Header, micro region, every pool with its used slots, every heap block: plain data for a heap map. */
  layout(): MemoryLayout {
    this.syncPools();
    const header = this.header;
    const heapStats = this.heap.stats();
    return {
      bufferBytes: this.buffer.byteLength,
      maxBytes: header[HDR_MAX_BYTES_I32],
      header: { addr: 0, bytes: HEADER_BYTES },
      microRegion: { addr: header[HDR_MICRO_REGION_BYTE_OFFSET_I32], bytes: header[HDR_MICRO_REGION_BYTES_I32] },
      heap: {
        addr: heapStats.startByteOffset,
        bytes: heapStats.endByteOffset - heapStats.startByteOffset,
        usedBytes: heapStats.usedBytes,
        freeBytes: heapStats.freeBytes,
      },
      pools: this.pools.map((stackPool) => ({
        id: stackPool.id,
        sizeClass: POOL_CLASSES[stackPool.classIndex],
        addr: stackPool.regionByteOffset,
        bytes: stackPool.regionBytes,
        base: stackPool.pool.base,
        slotsAddr: stackPool.slotsStart,
        slotSize: stackPool.slotBytes,
        slots: stackPool.pool.capacity,
        used: stackPool.pool.capacity - stackPool.pool.freeCount,
        usedRuns: stackPool.pool.usedSlotRuns(),
        placement: stackPool.heapBlock === 0 ? "micro-region" : "heap",
      })),
      blocks: this.heap.blocks(),
    };
  }

  // ── Pool classes: slow paths ───────────────────────────────────────────────

  private handOut(stackPool: StackPool, slot: number): StackRef {
    const header = this.header;
    const usedI32 = classStatsI32(stackPool.classIndex, CLASS_USED);
    const used = Atomics.add(header, usedI32, 1) + 1;
    if (used > header[usedI32 + (CLASS_HIGH_WATER - CLASS_USED)]) this.raiseHighWater(usedI32 + (CLASS_HIGH_WATER - CLASS_USED), used);
    return {
      addr: stackPool.slotsStart + slot * stackPool.slotBytes,
      bytes: stackPool.slotBytes,
      sizeClass: POOL_CLASSES[stackPool.classIndex],
      // Plain read: the freer bumped it before its Atomics.and released the
      // slot, and our Atomics.or that claimed the slot synchronised with that.
      generation: stackPool.generations[slot],
    };
  }

  private raiseHighWater(highWaterI32: number, used: number): void {
    for (;;) {
      const highWater = Atomics.load(this.header, highWaterI32);
      if (used <= highWater || Atomics.compareExchange(this.header, highWaterI32, highWater, used) === highWater) return;
    }
  }

  /** The current pool is full (or there is none): try the class's other pools, then carve a new one. */
  private allocSlow(classIndex: number): StackRef {
    for (;;) {
      const withRoom = this.poolWithRoom(classIndex);
      const stackPool = withRoom ?? this.carvePool(classIndex);
      this.current[classIndex] = stackPool;
      const slot = stackPool.pool.allocIndex();
      if (slot >= 0) return this.handOut(stackPool, slot);
      // Another thread took the last slot between our look and our claim: look again.
    }
  }

  private poolWithRoom(classIndex: number): StackPool | null {
    this.syncPools();
    for (const stackPool of this.classPools[classIndex]) if (stackPool.pool.hasRoom()) return stackPool;
    return null;
  }

  /**
   * A new pool for the class, from the heap: as many slots as the class has
   * (capacity doubles), clamped to [CARVE_MIN_SLOTS, CARVE_MAX_SLOTS], halved
   * while it does not fit. Returns an existing pool instead if another thread
   * freed or carved one meanwhile.
   */
  private carvePool(classIndex: number): StackPool {
    const heap = this.heap;
    heap.lock();
    try {
      const withRoom = this.poolWithRoom(classIndex);
      if (withRoom !== null) return withRoom;
      const header = this.header;
      const slotBytes = POOL_SLOT_BYTES[classIndex];
      const capacity = header[classStatsI32(classIndex, CLASS_CAPACITY)];
      const poolId = header[HDR_POOL_COUNT_I32];
      if (poolId >= MAX_POOLS) throw this.outOfMemory(classIndex, `the pool table is full (${MAX_POOLS} pools)`);
      const targetSlots = Math.min(Math.max(capacity, CARVE_MIN_SLOTS[classIndex]), CARVE_MAX_SLOTS[classIndex]);
      for (let slots = targetSlots; slots >= 1; slots = Math.floor(slots / 2)) {
        const regionBytes = stackPoolRegionBytes(slotBytes, slots);
        const payload = heap.allocLocked(regionBytes, BLOCK_POOL, poolId);
        if (payload !== 0) return this.installPool(classIndex, payload, regionBytes, slots, payload);
      }
      throw this.outOfMemory(
        classIndex,
        `no new pool fits (even one slot needs ${heapBlockBytesFor(stackPoolRegionBytes(slotBytes, 1))} heap bytes)`,
      );
    } finally {
      heap.unlock();
    }
  }

  /**
   * Lays out a stack pool in [regionByteOffset, + regionBytes) and publishes
   * its record. Caller holds the heap lock (or is the constructor).
   */
  private installPool(classIndex: number, regionByteOffset: number, regionBytes: number, slots: number, heapBlock: number): StackPool {
    const header = this.header;
    const poolId = header[HDR_POOL_COUNT_I32];
    const slotBytes = POOL_SLOT_BYTES[classIndex];
    const generationsBytes = generationBytes(slots);
    // The region may be reused heap memory: generations start from zero.
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
    const pool = BitmapPool.attach(this.buffer, header[record + POOL_BASE_BYTE_OFFSET_I32], header[record + POOL_SLOT_BYTES_I32], slots);
    const stackPool = new StackPool(
      poolId,
      classIndex,
      pool,
      new Uint32Array(this.buffer, regionByteOffset, slots),
      regionByteOffset,
      header[record + POOL_REGION_BYTES_I32],
      header[record + POOL_HEAP_BLOCK_I32],
    );
    this.pools.push(stackPool);
    const starts = this.classPoolStarts[classIndex];
    let insertAt = starts.length;
    while (insertAt > 0 && starts[insertAt - 1] > stackPool.slotsStart) insertAt--;
    starts.splice(insertAt, 0, stackPool.slotsStart);
    this.classPools[classIndex].splice(insertAt, 0, stackPool);
    if (this.current[classIndex] === null) this.current[classIndex] = stackPool;
  }

  /**
   * The class's pool whose slots contain `addr`, or null: the current pool
   * first (the common case: the stack was just handed out from it), else a
   * binary search over the sorted starts, adopting new pools on a miss.
   */
  private poolContaining(classIndex: number, addr: number): StackPool | null {
    const current = this.current[classIndex];
    if (current !== null && addr >= current.slotsStart && addr < current.slotsEnd) return current;
    const found = this.searchPools(classIndex, addr);
    if (found !== null || Atomics.load(this.header, HDR_POOL_COUNT_I32) === this.pools.length) return found;
    this.syncPools();
    return this.searchPools(classIndex, addr);
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

  private allocLarge(sizeClass: unknown, bytes: number | undefined): StackRef {
    if (sizeClass !== "large") throw invalidSizeClass("allocStack", sizeClass);
    const requested = bytes ?? DEFAULT_LARGE_STACK_BYTES;
    if (!isPositiveInteger(requested) || requested > MAX_ADDRESS_SPACE_BYTES) {
      throw new RangeError(`allocStack: bytes must be a positive integer below 4 GiB, received ${String(bytes)}`);
    }
    const roundedBytes = alignUp(requested, 16);
    const header = this.header;
    this.heap.lock();
    try {
      const generation = (header[HDR_LARGE_GENERATION_I32] + 1) >>> 0 || 1;
      const addr = this.heap.allocLocked(roundedBytes, BLOCK_LARGE, generation);
      if (addr === 0) throw this.outOfMemory(-1, "", roundedBytes);
      header[HDR_LARGE_GENERATION_I32] = generation;
      header[HDR_LARGE_COUNT_I32] += 1;
      header[HDR_LARGE_BYTES_I32] += roundedBytes;
      return { addr, bytes: roundedBytes, sizeClass: "large", generation };
    } finally {
      this.heap.unlock();
    }
  }

  private freeLarge(ref: StackRef): void {
    const header = this.header;
    this.heap.lock();
    try {
      if (!this.heap.holds(ref.addr, BLOCK_LARGE, ref.generation)) {
        throw new AllocatorError(
          `freeStack: no live large stack at byte offset ${String(ref.addr)} with generation ${String(ref.generation)} (already freed, stale, or not from this address space)`,
        );
      }
      const payloadBytes = this.heap.payloadBytesOf(ref.addr);
      this.heap.freeLocked(ref.addr);
      header[HDR_LARGE_COUNT_I32] -= 1;
      header[HDR_LARGE_BYTES_I32] -= payloadBytes;
    } finally {
      this.heap.unlock();
    }
  }

  // ── Errors ─────────────────────────────────────────────────────────────────

  /**
   * OutOfMemoryError naming the class, what was asked and what is left.
   * `classIndex` -1 means a large stack of `largeBytes`. Caller holds the heap lock.
   */
  private outOfMemory(classIndex: number, why: string, largeBytes = 0): OutOfMemoryError {
    const left =
      `heap has ${this.heap.freeBytesLocked()} bytes free (largest free block ${this.heap.largestFreeBytesLocked()} bytes), ` +
      `buffer is ${this.buffer.byteLength} of maxBytes ${this.header[HDR_MAX_BYTES_I32]} (${this.heap.growthHeadroomBytes()} bytes left to grow)`;
    if (classIndex < 0) {
      return new OutOfMemoryError(`out of memory: cannot allocate a large stack of ${largeBytes} bytes: no heap block fits; ${left}`);
    }
    const name = POOL_CLASSES[classIndex];
    const capacity = this.header[classStatsI32(classIndex, CLASS_CAPACITY)];
    return new OutOfMemoryError(
      `out of memory: cannot allocate a ${name} stack (${POOL_SLOT_BYTES[classIndex]} bytes): all ${capacity} ${name} slots are in use and ${why}; ${left}`,
    );
  }

  private foreignError(classIndex: number, addr: number): AllocatorError {
    return new AllocatorError(`freeStack: byte offset ${String(addr)} is not in any ${POOL_CLASSES[classIndex]} pool of this address space (foreign StackRef)`);
  }

  private misalignedError(stackPool: StackPool, addr: number): AllocatorError {
    return new AllocatorError(
      `freeStack: byte offset ${String(addr)} is not the start of a ${POOL_CLASSES[stackPool.classIndex]} slot (pool ${stackPool.id}: ${stackPool.slotBytes}-byte slots from ${stackPool.slotsStart})`,
    );
  }

  private staleError(stackPool: StackPool, slot: number, ref: StackRef): AllocatorError {
    const name = POOL_CLASSES[stackPool.classIndex];
    if (!stackPool.pool.isSlotAllocated(slot)) {
      return new AllocatorError(`freeStack: ${name} stack at byte offset ${ref.addr} is not allocated (double free?)`);
    }
    return new AllocatorError(
      `freeStack: stale StackRef for the ${name} stack at byte offset ${ref.addr}: generation ${String(ref.generation)}, the slot is at generation ${Atomics.load(stackPool.generations, slot)} (freed and handed out again)`,
    );
  }

  // ── Validation ─────────────────────────────────────────────────────────────

  private static checkPoolBytes(classIndex: number, bytes: number): void {
    if (!isPositiveInteger(bytes)) throw new RangeError(`allocStack: bytes must be a positive integer, received ${String(bytes)}`);
    if (bytes > POOL_SLOT_BYTES[classIndex]) {
      const name = POOL_CLASSES[classIndex];
      throw new RangeError(`allocStack: ${bytes} bytes do not fit a ${name} stack (${POOL_SLOT_BYTES[classIndex]} bytes); use a bigger class or "large"`);
    }
  }

  private static resolveSizes(options: AddressSpaceOptions, neededBytes: number): { bytes: number; maxBytes: number } {
    const askedBytes = options.bytes;
    if (askedBytes !== undefined && (!isPositiveInteger(askedBytes) || askedBytes > MAX_ADDRESS_SPACE_BYTES)) {
      throw new RangeError(`AddressSpace: bytes must be a positive integer of at most ${MAX_ADDRESS_SPACE_BYTES}, received ${String(askedBytes)}`);
    }
    const maxBytes = options.maxBytes ?? Math.min(Math.max(DEFAULT_MAX_BYTES, askedBytes ?? 0, neededBytes), MAX_ADDRESS_SPACE_BYTES);
    if (!isPositiveInteger(maxBytes) || maxBytes > MAX_ADDRESS_SPACE_BYTES) {
      throw new RangeError(`AddressSpace: maxBytes must be a positive integer of at most ${MAX_ADDRESS_SPACE_BYTES} (4 GiB - 8), received ${String(maxBytes)}`);
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
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new TypeError(`AddressSpace: buffer must be a SharedArrayBuffer, received ${Object.prototype.toString.call(buffer)}`);
    }
    const words = buffer.byteLength >= HEADER_BYTES ? new Uint32Array(buffer, 0, 4) : null;
    if (words === null || Atomics.load(words, HDR_MAGIC_I32) !== ADDRESS_SPACE_MAGIC || words[HDR_VERSION_I32] !== LAYOUT_VERSION || words[HDR_HEADER_BYTES_I32] !== HEADER_BYTES) {
      throw new TypeError(`AddressSpace: buffer is not a cprime-coro address space (layout version ${LAYOUT_VERSION}): its header does not match`);
    }
    return buffer;
  }
}

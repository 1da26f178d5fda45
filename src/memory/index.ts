/**
 * The memory layer: one growable SharedArrayBuffer holding every coroutine
 * stack and all allocator state. Layers above (coro/, sched/, observe/) import
 * from here only; nothing here imports from them.
 */
export {
  DEFAULT_LARGE_STACK_BYTES,
  DEFAULT_MAX_BYTES,
  DEFAULT_POOL_SLOTS,
  HEADER_BYTES,
  HEAP_BLOCK_HEADER_BYTES,
  HEAP_CONTROL_BYTES,
  MAX_ADDRESS_SPACE_BYTES,
} from "./layout.js";
export { SIZE_CLASSES, SIZE_CLASS_BYTES, type PoolSizeClass, type SizeClass } from "./size-classes.js";
export {
  AddressSpace,
  type AddressSpaceOptions,
  type AffinityStats,
  type ClassStats,
  type MemoryLayout,
  type MemoryStats,
  type PoolConfig,
  type PoolLayout,
  type StackRef,
  type ThreadLayout,
} from "./address-space.js";
export { type HeapMapOptions } from "./heap-map.js";
export { type CacheConfig } from "./cache-sim.js";
export { BitmapPool } from "./bitmap-pool.js";
export { Heap, type HeapBlockHolds, type HeapBlockInfo, type HeapOptions, type HeapStats } from "./heap.js";
export { checkAddressSpaceBuffer, checkBitmapPool, checkHeap, checkMemory } from "./validate.js";

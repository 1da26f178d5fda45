/**
 * The address space's layout: every constant, every header field, every
 * in-buffer record format, in one file.
 *
 * An address is a byte offset into one growable `SharedArrayBuffer`, an
 * unsigned 32-bit number (so up to 4 GiB works: use `>>> 0`, never `| 0`, on
 * addresses). Typed-array indices are a different unit: a field named
 * `*_I32` is an index of a 32-bit word, `byteOffset >>> 2`. Never mix them.
 *
 * ```
 *  byte 0                                                      buffer.byteLength
 *  ┌────────────┬──────────────────────────┬──────────────────────────────────┐
 *  │ header     │ micro region             │ heap (TLSF)                      │
 *  │            │ gens │ pool meta │ slots  │ blk │ blk │ free │ ... │sentinel│
 *  └────────────┴──────────────────────────┴──────────────────────────────────┘
 *   HEADER_BYTES  the default micro pool     grows at the end; never moves
 *
 *  header:
 *   0     fields  (HDR_*_I32)           magic, version, region offsets, counters
 *   64    class stats (3 × 4 words)     capacity, used, highWater, pools per class
 *   128   heap control (HC_*_I32)       lock, bounds, byte counts, flags, magic, TLSF bitmaps and list heads, quick lists
 *   1984  pool table (MAX_POOLS × 8 words)  one record per stack pool, append-only
 *   34752 thread table (MAX_THREADS words)  byte offset of each registered thread record, 0 = free entry
 *
 *  stack pool region (micro region, or the payload of a heap block of kind POOL):
 *   ┌──────────────────────┬─────────────────────────────────────────────────┐
 *   │ generations u32×slots│ BitmapPool: meta │ summary │ bitmap │ slots ...  │
 *   └──────────────────────┴─────────────────────────────────────────────────┘
 *   generation word: bit 0 handed out │ bit 1 owned │ bits 2..31 incarnation (+1 per free)
 *   with `guard: true` each slot's last GUARD_BYTES are its guard: [slot │ frames ↓ … │ guard][next slot …]
 *
 *  heap block (16-byte header, 16-byte aligned; payload = block + 16):
 *   word 0 SIZE       block bytes, header included, multiple of 16
 *   word 1 PREV_PHYS  byte offset of the previous block, 0 for the first
 *   word 2 KIND       kind (low 8 bits) | unused tail bytes << 8 | flags << 16 (large: OWNED)
 *   word 3 TAG        large: generation; pool: pool id; thread record: its index; free: 0
 *   free blocks only: word 4 NEXT_FREE, word 5 PREV_FREE (byte offsets, 0 = none)
 *   quick blocks only: TAG its depth in its quick list, word 4 NEXT_FREE the next block of the list
 *
 *  thread record (payload of a heap block of kind THREAD: one per AddressSpace object):
 *   word 0..2   cached slots per pool class (micro, small, medium)
 *   word 3      magic "THRD"     word 4  its thread-table index
 *   then per class, CACHE_CAPACITY[class] entries of 2 words:
 *               slot byte address │ i32 index of the slot's generation word
 * ```
 *
 * Invariants (checked by `checkMemory()`, see validate.ts):
 * - A slot's generation is odd ⇔ the slot is handed out; bitmap bit set ⇔
 *   handed out or in some thread's cache (so popcount == used + Σ cached).
 *   Its owned bit is set only while it is handed out as an owned stack.
 * - Only a LARGE block carries KIND flags (OWNED); every other block's are 0.
 * - 0 < HEADER_BYTES ≤ micro region ≤ heap start < heap end ≤ buffer.byteLength ≤ maxBytes.
 * - Every region and every block starts on a 16-byte boundary, so a stack
 *   slot is aligned for any local (an f64 needs 8).
 * - The header never moves and never grows: anything a thread must find is at
 *   a fixed offset here, which is what makes attaching through `buffer` work.
 *
 * Who may change what: only memory/ writes these words. Header fields are
 * written once at initialisation except the counters (Atomics when the space
 * is shared, plain stores when it is not) and the heap control, pool table
 * and thread table, which change only under the heap lock. A thread record is
 * written only by the AddressSpace object that registered it (plain stores:
 * nobody else writes it; other threads only read it, at quiescence).
 */

// ── Per-class allocator parameters (the class table itself is size-classes.ts) ─

/** A large stack's size when `allocStack("large")` is given no `bytes`. */
export const DEFAULT_LARGE_STACK_BYTES = 65536;

/** Pre-allocated slots per pool class when `pools` does not say. */
export const DEFAULT_POOL_SLOTS: { readonly micro: number; readonly small: number; readonly medium: number } = Object.freeze({
  micro: 10_000,
  small: 1_000,
  medium: 100,
});

/**
 * Slots in a pool carved on demand: the class's capacity so far (so capacity
 * doubles and a million micro stacks need about twenty pools), clamped to
 * [min, max]. Both bounds are 1 MiB and 16 MiB of slots.
 */
export const CARVE_MIN_SLOTS: readonly number[] = Object.freeze([4096, 512, 64]);
export const CARVE_MAX_SLOTS: readonly number[] = Object.freeze([65536, 8192, 1024]);

// ── Address space bounds ──────────────────────────────────────────────────────

/** Hard limit: every address and every `addr + 8` fits in an unsigned 32-bit number. */
export const MAX_ADDRESS_SPACE_BYTES = 0x1_0000_0000 - 8;

/**
 * An address as a field stores it: the same 32 bits read as a signed integer
 * (`fromI32Address` gives the address back). Byte addresses reach 4 GiB, but
 * V8 (no pointer compression: 32-bit small integers) keeps a field as a small
 * integer only while every value it has held is below 2³¹; the first larger
 * one turns the field into a boxed double in every object of its class (16 B
 * more each), and each existing object migrates on its next use. Objects that
 * exist by the million (stacks, frames) keep their addresses this way, so
 * crossing 2 GiB costs nothing (with doubles, 10⁷ parked coroutines paid a
 * migration each on their first switch: docs/performance.md, session 10).
 * Arithmetic that ends in `>>>` may use the stored value as it is: it is the
 * same modulo 2³².
 */
export function toI32Address(addr: number): number {
  return addr | 0;
}

/** The address a field stored with `toI32Address`. */
export function fromI32Address(stored: number): number {
  return stored >>> 0;
}

/** Default growth limit: room for a million micro stacks (256 MB) with margin. */
export const DEFAULT_MAX_BYTES = 1 << 30;

/** Buffer sizes are rounded up to this when the default is computed or the heap grows. */
export const GROW_GRANULE_BYTES = 65536;

/** Heap space reserved beyond the pre-allocated pools by default, for large stacks. */
export const DEFAULT_HEAP_SLACK_BYTES = 1 << 20;

/** Alignment of every region, heap block and stack slot base. */
export const ALIGN_BYTES = 16;

export function alignUp(byteCount: number, alignBytes: number): number {
  return Math.ceil(byteCount / alignBytes) * alignBytes;
}

// ── Header fields (i32 indices from byte 0) ───────────────────────────────────

/** "CPRM" little-endian: marks a buffer laid out by AddressSpace. */
export const ADDRESS_SPACE_MAGIC = 0x4d525043;
export const LAYOUT_VERSION = 3;

export const HDR_MAGIC_I32 = 0;
export const HDR_VERSION_I32 = 1;
export const HDR_HEADER_BYTES_I32 = 2;
export const HDR_MAX_BYTES_I32 = 3;
export const HDR_MICRO_REGION_BYTE_OFFSET_I32 = 4;
export const HDR_MICRO_REGION_BYTES_I32 = 5;
export const HDR_HEAP_BYTE_OFFSET_I32 = 6;
/** Published pool records; a record is complete before this count covers it. */
export const HDR_POOL_COUNT_I32 = 7;
/** Last generation handed to a large stack: globally unique, so a reused address never revives a stale ref. */
export const HDR_LARGE_GENERATION_I32 = 8;
export const HDR_LARGE_COUNT_I32 = 9;
export const HDR_LARGE_BYTES_I32 = 10;
/** Flag bits, written once at initialisation. */
export const HDR_FLAGS_I32 = 11;
/** Always 0: a detached AddressSpace object's cache counts point here, so its every operation reaches a slow path that refuses. */
export const HDR_ZERO_I32 = 15;
/** HDR_FLAGS bit: created with `{ shared: true }`, so other threads may attach (and every operation synchronises). */
export const FLAG_SHARED = 1;
/** HDR_FLAGS bit: created with `{ guard: true }`: the last GUARD_BYTES of every slot and large block are a guard region. */
export const FLAG_GUARD = 2;

/**
 * Guard regions (`guard: true`). Frames grow down from a stack's end, so a
 * write that runs past a frame upwards (past the first frame, past the
 * slot) reaches the stack's last bytes first: those GUARD_BYTES are the
 * guard, filled with GUARD_WORD when the pool is laid out (a large stack:
 * when it is allocated) and never handed out — a StackRef's `bytes` stops
 * before its guard, so `[addr, addr + bytes)` never covers one, and slot
 * i's guard sits between slot i's frames and slot i + 1. The guard stays
 * intact while the slot is free or cached (nobody writes a free slot), so
 * checkMemory() checks every guard of the space at any quiescent moment.
 * 0xFD in every byte: MSVC's "no man's land" fill, unlikely as real data.
 */
export const GUARD_BYTES = 16;
export const GUARD_WORD = 0xfdfdfdfd;
export const GUARD_BYTE = 0xfd;

/** Per pool class: 4 words from HDR_CLASS_STATS_I32 + classIndex * CLASS_STATS_WORDS. */
export const HDR_CLASS_STATS_I32 = 16;
export const CLASS_STATS_WORDS = 4;
/** Slots in all pools of the class (grows under the heap lock). */
export const CLASS_CAPACITY = 0;
/** Slots handed out and not freed (cached slots are not counted: they are free). */
export const CLASS_USED = 1;
/** Most slots ever used at once. */
export const CLASS_HIGH_WATER = 2;
/** Number of pools of the class. */
export const CLASS_POOLS = 3;

// ── Heap control (i32 indices relative to the control block) ──────────────────

export const HEAP_CONTROL_BYTE_OFFSET = 128;

/** TLSF parameters: 16 second-level lists per power of two, 16-byte granules. */
export const TLSF_SL_LOG2 = 4;
export const TLSF_SL_COUNT = 1 << TLSF_SL_LOG2;
/** Sizes below this share first-level list 0, in 16 lists of 16 bytes each. */
export const TLSF_SMALL_BLOCK_BYTES = 256;
/** First-level lists: 0 for small blocks, then one per power of two from 2^8 to 2^31. */
export const TLSF_FL_COUNT = 25;

/** Spin lock word: 0 free, 1 held. Guards everything else in the control block and every block header (shared heaps only). */
export const HC_LOCK_I32 = 0;
export const HC_START_BYTE_OFFSET_I32 = 1;
/** End of the heap: the sentinel block sits at end - 16. */
export const HC_END_BYTE_OFFSET_I32 = 2;
/** The heap never grows the buffer past this many bytes. */
export const HC_LIMIT_BYTES_I32 = 3;
/** Bytes in allocated blocks and quick blocks, headers included. */
export const HC_USED_BYTES_I32 = 4;
/** Flag bits (HEAP_FLAG_*), written once by Heap.init. */
export const HC_FLAGS_I32 = 5;
/** HC_FLAGS bit: other Heap instances may attach, so every operation takes the lock. */
export const HEAP_FLAG_SHARED = 1;
/** "HEAP" little-endian, written last by Heap.init: marks an initialised control block (attach and checkHeap refuse garbage). */
export const HC_MAGIC_I32 = 6;
export const HEAP_MAGIC = 0x50414548;
/** Bit f set ⇔ some second-level list of first level f is non-empty. */
export const HC_FL_BITMAP_I32 = 8;
/** TLSF_FL_COUNT words: bit s of word f set ⇔ list (f, s) is non-empty. */
export const HC_SL_BITMAPS_I32 = 16;
/** TLSF_FL_COUNT × TLSF_SL_COUNT list heads (byte offsets of free blocks, 0 = empty). */
export const HC_HEADS_I32 = 48;
/**
 * Quick lists: QUICK_LISTS entries of QUICK_ENTRY_WORDS (block bytes, head).
 * A freed block of at most QUICK_MAX_BYTES goes, unmerged, onto the list of
 * its exact size (the entry its size hashes to, when that entry holds its
 * size or is empty, and holds fewer than QUICK_DEPTH blocks); an alloc of
 * that exact block size takes it back in O(1) without touching a bitmap. A
 * quick block's TAG is its depth in the list (the head's is the count), its
 * NEXT_FREE the next block. HC_USED_BYTES counts quick blocks (so neither
 * operation touches it); they are free space all the same, merged into the
 * TLSF lists by a trim, which the heap does before it would grow and before
 * it reports.
 */
export const HC_QUICK_I32 = HC_HEADS_I32 + TLSF_FL_COUNT * TLSF_SL_COUNT;
export const QUICK_LISTS = 8;
export const QUICK_ENTRY_WORDS = 2;
export const QUICK_SIZE = 0;
export const QUICK_HEAD = 1;
export const QUICK_DEPTH = 8;
export const QUICK_MAX_BYTES = 256 * 1024;
export const HEAP_CONTROL_BYTES = (HC_QUICK_I32 + QUICK_LISTS * QUICK_ENTRY_WORDS) * 4;

// ── Heap blocks ───────────────────────────────────────────────────────────────

export const HEAP_BLOCK_HEADER_BYTES = 16;
/** A free block must hold its header and the two free-list links. */
export const HEAP_MIN_BLOCK_BYTES = 32;

export const BLK_SIZE_I32 = 0;
export const BLK_PREV_PHYS_I32 = 1;
export const BLK_KIND_I32 = 2;
export const BLK_TAG_I32 = 3;
export const BLK_NEXT_FREE_I32 = 4;
export const BLK_PREV_FREE_I32 = 5;

/** Low 8 bits of the KIND word. */
export const KIND_MASK = 0xff;
/** Bits 8..15 of the KIND word: payload bytes past the request, left because too small to split off. */
export const KIND_UNUSED_TAIL_SHIFT = 8;
/** Bits 16..23 of the KIND word: flags of an allocated block. */
export const KIND_FLAGS_SHIFT = 16;
/** KIND flag of a LARGE block: an owned stack (allocOwnedStack), which the public freeStack refuses. */
export const KIND_FLAG_OWNED = 1 << KIND_FLAGS_SHIFT;

export const BLOCK_FREE = 1;
export const BLOCK_LARGE = 2;
export const BLOCK_POOL = 3;
export const BLOCK_OTHER = 4;
/** The zero-payload block at the end of the heap: it keeps "next block" lookups in bounds. */
export const BLOCK_SENTINEL = 5;
/** A thread record: one AddressSpace object's slot caches. */
export const BLOCK_THREAD = 6;
/** A free block kept, unmerged, on a quick list for a fast reuse at its exact size. */
export const BLOCK_QUICK = 7;

// ── Pool table (i32 indices relative to a record) ─────────────────────────────

export const POOL_TABLE_BYTE_OFFSET = HEAP_CONTROL_BYTE_OFFSET + HEAP_CONTROL_BYTES;
/** Pools are never released, so this bounds how many can ever be carved. */
export const MAX_POOLS = 1024;
export const POOL_RECORD_WORDS = 8;
export const POOL_CLASS_I32 = 0;
/** Start of the pool's region: its generation array. */
export const POOL_REGION_BYTE_OFFSET_I32 = 1;
export const POOL_REGION_BYTES_I32 = 2;
/** The BitmapPool's base (its metadata), inside the region after the generations. */
export const POOL_BASE_BYTE_OFFSET_I32 = 3;
export const POOL_SLOTS_I32 = 4;
export const POOL_SLOT_BYTES_I32 = 5;
/** Payload byte offset of the heap block holding the region; 0 for the micro region. */
export const POOL_HEAP_BLOCK_I32 = 6;
/**
 * The pool's affinity tag: 0 for a general pool of its class, 1..MAX_AFFINITY_TAG
 * for a pool reserved to one tag (the runtime's channel patterns). A tagged
 * pool serves only `allocAffinityStack` of its tag: its slots never enter a
 * thread's cache (they go straight back to its bitmap), so they are only ever
 * handed out to that tag. The memory layer attaches no meaning to the number.
 */
export const POOL_AFFINITY_I32 = 7;
export const MAX_AFFINITY_TAG = 255;
/** Slots of the first pool carved for a tag (then the tag's capacity so far, as for a class): 256 KiB micro, 256 KiB small, 256 KiB medium. */
export const AFFINITY_CARVE_MIN_SLOTS: readonly number[] = Object.freeze([1024, 128, 16]);

export function poolRecordI32(poolId: number): number {
  return (POOL_TABLE_BYTE_OFFSET >>> 2) + poolId * POOL_RECORD_WORDS;
}

// ── Thread table and thread records ────────────────────────────────────────────

/** One word per registered AddressSpace object: the byte offset of its thread record, 0 = free entry. */
export const THREAD_TABLE_BYTE_OFFSET = POOL_TABLE_BYTE_OFFSET + MAX_POOLS * POOL_RECORD_WORDS * 4;
/** AddressSpace objects that can be attached to one buffer at once (detach() frees an entry). */
export const MAX_THREADS = 64;

export const HEADER_BYTES = alignUp(THREAD_TABLE_BYTE_OFFSET + MAX_THREADS * 4, 64);

/** "THRD" little-endian: marks a thread record. */
export const THREAD_RECORD_MAGIC = 0x44524854;
/** Words 0..2: slots cached per pool class (index = class index). */
export const TR_COUNT_I32 = 0;
export const TR_MAGIC_I32 = 3;
export const TR_INDEX_I32 = 4;
export const TR_FIXED_WORDS = 8;
/** Words per cache entry: the slot's byte address, the i32 index of its generation word. */
export const TR_ENTRY_WORDS = 2;

/**
 * Slots a thread may cache per pool class, and how many a refill claims (at
 * most one bitmap word's worth, with one Atomics.or) or an overflow gives back.
 * Bounds what one thread can hold back from the others: 32 KiB micro, 64 KiB
 * small, 128 KiB medium.
 */
export const CACHE_CAPACITY: readonly number[] = Object.freeze([128, 32, 8]);
export const CACHE_BATCH: readonly number[] = Object.freeze([32, 16, 4]);

/** i32 index (relative to the record) of the first cache entry of each class. */
export const TR_ENTRIES_I32: readonly number[] = Object.freeze(
  CACHE_CAPACITY.map((_, classIndex) => TR_FIXED_WORDS + CACHE_CAPACITY.slice(0, classIndex).reduce((sum, capacity) => sum + capacity * TR_ENTRY_WORDS, 0)),
);
export const THREAD_RECORD_BYTES = (TR_FIXED_WORDS + CACHE_CAPACITY.reduce((sum, capacity) => sum + capacity * TR_ENTRY_WORDS, 0)) * 4;

export function threadTableI32(index: number): number {
  return (THREAD_TABLE_BYTE_OFFSET >>> 2) + index;
}

// ── BitmapPool metadata (i32 indices relative to the pool's base) ─────────────

/** "POOL" little-endian: marks an initialised BitmapPool, so attach can refuse garbage. */
export const BITMAP_POOL_MAGIC = 0x4c4f4f50;
export const BP_MAGIC_I32 = 0;
export const BP_SLOT_BYTES_I32 = 1;
export const BP_SLOTS_I32 = 2;
/** Bitmap word where the next search starts (next-fit). A racy hint, not state. */
export const BP_HINT_I32 = 3;
/** Fixed words before the summary. */
export const BP_FIXED_WORDS = 4;
/** One bitmap bit per slot, 1 = allocated; bits past the last slot are always 1. */
export const BITS_PER_WORD = 32;

/** Words of the bitmap proper. */
export function bitmapWordsFor(slots: number): number {
  return Math.ceil(slots / BITS_PER_WORD);
}

/** Words of the summary: one bit per bitmap word, 1 = that word is full; bits past the last word are always 1. */
export function summaryWordsFor(slots: number): number {
  return Math.ceil(bitmapWordsFor(slots) / BITS_PER_WORD);
}

/** Bytes from a BitmapPool's base to its first slot (fixed words, summary, bitmap; 16-aligned). */
export function bitmapPoolMetaBytes(slots: number): number {
  return alignUp((BP_FIXED_WORDS + summaryWordsFor(slots) + bitmapWordsFor(slots)) * 4, ALIGN_BYTES);
}

/** i32 index (relative to the pool base) of the first summary word. */
export const BP_SUMMARY_I32 = BP_FIXED_WORDS;

/**
 * A pool slot's generation word. Bit 0: handed out. Bit 1: handed out as an
 * owned stack (allocOwnedStack), which only its owner may free. Bits 2..31:
 * the incarnation, bumped when the slot is freed, so a ref kept past a free
 * never matches the slot again (until 2^30 frees of one slot wrap it).
 */
export const GEN_HANDED_OUT = 1;
export const GEN_OWNED = 2;
export const GEN_MARKS = GEN_HANDED_OUT | GEN_OWNED;
export const GEN_STEP = 4;

/** Bytes of a stack pool's generation array (one u32 per slot), 16-aligned. */
export function generationBytes(slots: number): number {
  return alignUp(slots * 4, ALIGN_BYTES);
}

/** Bytes of a whole stack pool region: generations, then the BitmapPool. */
export function stackPoolRegionBytes(slotBytes: number, slots: number): number {
  return generationBytes(slots) + bitmapPoolMetaBytes(slots) + slotBytes * slots;
}

/**
 * The heap: a TLSF (two-level segregated fit) allocator over the tail of the
 * address space, for everything that is not a fixed slot — large stacks and
 * the stack pools carved on demand. Allocate and free are O(1): two bitmap
 * look-ups with `Math.clz32` find a list whose every block fits, and a freed
 * block merges with its free neighbours at once. See docs/DESIGN.md "Memory"
 * for why TLSF.
 *
 * ```
 *  start                                                        end
 *  ┌─────────┬───────────┬───────────────┬─────────┬──────────┬────┐
 *  │ block   │ block     │ free block    │ block   │ free     │ S  │  S = sentinel (16 B, never free)
 *  └─────────┴───────────┴───────────────┴─────────┴──────────┴────┘
 *   each block: SIZE │ PREV_PHYS │ KIND │ TAG │ payload ...  (layout.ts)
 * ```
 *
 * Invariants (validate.ts checks every one):
 * - Blocks tile [start, end) exactly, the sentinel last; every block's
 *   PREV_PHYS is the block before it (0 for the first).
 * - No two free blocks are adjacent: a free merges with both neighbours.
 * - A free block is in exactly one list, the list its size maps to, and a
 *   list is non-empty ⇔ its bits in the first- and second-level bitmaps are set.
 * - A quick block (freed, kept unmerged for a fast reuse at its exact size)
 *   is in exactly one quick list: the one its size hashes to, whose entry
 *   records that size; a list holds at most QUICK_DEPTH blocks. Quick blocks
 *   count as free bytes; they may sit next to free blocks until a trim (the
 *   heap trims before it grows).
 * - usedBytes + freeBytes + 16 (sentinel) == end - start (freeBytes, quick
 *   blocks included, is derived from it; only usedBytes is stored).
 * - A freed block's KIND word is overwritten with FREE, so a stale reference
 *   to it never finds its old kind and tag again (merged headers included).
 *
 * Concurrency: a heap made with `{ shared: true }` changes its state
 * (control words and block headers) only while holding the spin lock word
 * HC_LOCK, so several threads can share it (`Heap.attach`). A heap made
 * without it (the default) belongs to one Heap object: `attach` refuses it,
 * and every operation skips the lock (two Atomics calls each, most of the
 * cost of an alloc+free in V8). Methods named `*Locked` expect the caller to
 * hold the lock; the others take it when the heap is shared.
 *
 * Growth: when no free block fits, the heap grows the SharedArrayBuffer at its
 * end (up to the limit) and frees the new space as one block, merged with a
 * free tail. Existing blocks never move. A growth refreshes the buffer's
 * shared typed-array views (views.ts) before the allocation returns, so no
 * frame ever writes through a view shorter than the address it was given.
 */
import { describeValue, isByteOffset, isSharedArrayBuffer, readOptions } from "./describe.js";
import { AllocatorError, bug } from "../errors.js";
import { refreshViewsOf } from "./views.js";
import {
  ALIGN_BYTES,
  BLK_KIND_I32,
  BLK_NEXT_FREE_I32,
  BLK_PREV_FREE_I32,
  BLK_PREV_PHYS_I32,
  BLK_SIZE_I32,
  BLK_TAG_I32,
  BLOCK_FREE,
  BLOCK_LARGE,
  BLOCK_OTHER,
  BLOCK_POOL,
  BLOCK_SENTINEL,
  BLOCK_QUICK,
  BLOCK_THREAD,
  GROW_GRANULE_BYTES,
  HC_END_BYTE_OFFSET_I32,
  HC_FLAGS_I32,
  HC_FL_BITMAP_I32,
  HC_HEADS_I32,
  HC_LIMIT_BYTES_I32,
  HC_LOCK_I32,
  HC_MAGIC_I32,
  HEAP_MAGIC,
  HC_QUICK_I32,
  HC_SL_BITMAPS_I32,
  HC_START_BYTE_OFFSET_I32,
  HC_USED_BYTES_I32,
  HEAP_BLOCK_HEADER_BYTES,
  HEAP_CONTROL_BYTES,
  HEAP_FLAG_SHARED,
  HEAP_MIN_BLOCK_BYTES,
  KIND_MASK,
  KIND_UNUSED_TAIL_SHIFT,
  MAX_ADDRESS_SPACE_BYTES,
  QUICK_DEPTH,
  QUICK_ENTRY_WORDS,
  QUICK_HEAD,
  QUICK_LISTS,
  QUICK_MAX_BYTES,
  QUICK_SIZE,
  TLSF_SL_COUNT,
  TLSF_SL_LOG2,
  TLSF_SMALL_BLOCK_BYTES,
  alignUp,
} from "./layout.js";

/** What a heap block holds. */
export type HeapBlockHolds = "free" | "large" | "pool" | "thread" | "other";

/** One heap block, as plain data (for heap maps and tests). */
export interface HeapBlockInfo {
  /** Byte offset of the block header. */
  addr: number;
  /** Block bytes, header included. */
  bytes: number;
  payloadAddr: number;
  /** Bytes the allocation asked for (rounded to 16); for a free block, the bytes past the header. */
  payloadBytes: number;
  free: boolean;
  holds: HeapBlockHolds;
  /** Large: its generation; pool: its pool id; thread record: its thread-table index; free: 0. */
  tag: number;
}

export interface HeapStats {
  /** Bytes in allocated blocks, headers included. */
  usedBytes: number;
  /** Bytes in free blocks, headers included. */
  freeBytes: number;
  /** Bytes of the largest free block, header included (0 when none). */
  largestFreeBytes: number;
  startByteOffset: number;
  endByteOffset: number;
  /** The heap may grow the buffer up to this many bytes. */
  limitBytes: number;
}

/** Heap block kinds a caller may allocate with. */
export type HeapAllocKind = typeof BLOCK_LARGE | typeof BLOCK_POOL | typeof BLOCK_THREAD | typeof BLOCK_OTHER;

export interface HeapOptions {
  /** Let other Heap objects (threads) attach; every operation then takes the heap's spin lock. Default false. */
  shared?: boolean;
}

const HOLDS_BY_KIND: Record<number, HeapBlockHolds> = {
  [BLOCK_FREE]: "free",
  [BLOCK_QUICK]: "free",
  [BLOCK_LARGE]: "large",
  [BLOCK_POOL]: "pool",
  [BLOCK_THREAD]: "thread",
  [BLOCK_OTHER]: "other",
};

function badKind(kind: unknown): RangeError {
  return new RangeError(
    `Heap.alloc: kind must be one of BLOCK_LARGE (${BLOCK_LARGE}), BLOCK_POOL (${BLOCK_POOL}), BLOCK_THREAD (${BLOCK_THREAD}) or BLOCK_OTHER (${BLOCK_OTHER}), received ${describeValue(kind)}`,
  );
}

/** Whether this thread may block in Atomics.wait (not on a browser's main thread). */
const CAN_WAIT = (() => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
})();

const SPINS_BEFORE_SLEEP = 100;
const SLEEP_MS = 0.05;
/** Growth asks for at least an eighth of the buffer (capped), so a long run of carves grows rarely. */
const MAX_GROW_STEP_BYTES = 64 << 20;

/**
 * The layout words the hot paths touch, as const enums: they compile to
 * literals, where an imported constant is read from memory (and checked) on
 * every use in V8. layout.ts stays the one definition: the check below
 * refuses to load if a mirror disagrees with it.
 */
const enum Blk {
  Size = 0,
  PrevPhys = 1,
  Kind = 2,
  Tag = 3,
  NextFree = 4,
  PrevFree = 5,
  HeaderBytes = 16,
  MinBytes = 32,
}
const enum Kind {
  Free = 1,
  Large = 2,
  Pool = 3,
  Other = 4,
  Sentinel = 5,
  Thread = 6,
  Quick = 7,
  Mask = 0xff,
  UnusedTailShift = 8,
}
const enum Tlsf {
  SlLog2 = 4,
  SlMask = 15,
  SmallBlockBytes = 256,
}
/** i32 offsets in the control block, and the quick-list entries. */
const enum Hc {
  Start = 1,
  End = 2,
  Used = 4,
  FlBitmap = 8,
  SlBitmaps = 16,
  Heads = 48,
  Quick = 448,
}
/** MAX_ADDRESS_SPACE_BYTES, for the argument check of alloc. */
const enum Limit {
  MaxBytes = 4294967288,
}
const enum Quick {
  EntryWords = 2,
  Size = 0,
  Head = 1,
  Depth = 8,
  MaxBytes = 262144,
}

if (
  [Blk.Size, Blk.PrevPhys, Blk.Kind, Blk.Tag, Blk.NextFree, Blk.PrevFree, Blk.HeaderBytes, Blk.MinBytes].join() !==
    [BLK_SIZE_I32, BLK_PREV_PHYS_I32, BLK_KIND_I32, BLK_TAG_I32, BLK_NEXT_FREE_I32, BLK_PREV_FREE_I32, HEAP_BLOCK_HEADER_BYTES, HEAP_MIN_BLOCK_BYTES].join() ||
  [Kind.Free, Kind.Large, Kind.Pool, Kind.Other, Kind.Sentinel, Kind.Thread, Kind.Quick, Kind.Mask, Kind.UnusedTailShift].join() !==
    [BLOCK_FREE, BLOCK_LARGE, BLOCK_POOL, BLOCK_OTHER, BLOCK_SENTINEL, BLOCK_THREAD, BLOCK_QUICK, KIND_MASK, KIND_UNUSED_TAIL_SHIFT].join() ||
  [Hc.Quick, Quick.EntryWords, Quick.Size, Quick.Head, Quick.Depth, Quick.MaxBytes, Limit.MaxBytes].join() !==
    [HC_QUICK_I32, QUICK_ENTRY_WORDS, QUICK_SIZE, QUICK_HEAD, QUICK_DEPTH, QUICK_MAX_BYTES, MAX_ADDRESS_SPACE_BYTES].join() ||
  QUICK_LISTS !== 8 ||
  [Tlsf.SlLog2, Tlsf.SlMask, Tlsf.SmallBlockBytes].join() !== [TLSF_SL_LOG2, TLSF_SL_COUNT - 1, TLSF_SMALL_BLOCK_BYTES].join() ||
  [Hc.Start, Hc.End, Hc.Used, Hc.FlBitmap, Hc.SlBitmaps, Hc.Heads].join() !==
    [HC_START_BYTE_OFFSET_I32, HC_END_BYTE_OFFSET_I32, HC_USED_BYTES_I32, HC_FL_BITMAP_I32, HC_SL_BITMAPS_I32, HC_HEADS_I32].join()
) {
  bug("heap.ts: its const-enum mirrors of layout.ts disagree with layout.ts");
}

/** Index of the lowest set bit of a non-zero word. */
function lowestSetBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/**
 * The quick list a block of `blockBytes` belongs to: a multiplicative hash
 * of its size in granules, to 3 bits (QUICK_LISTS == 8).
 */
export function quickListIndex(blockBytes: number): number {
  return Math.imul(blockBytes >>> 4, 0x9e3779b1) >>> 29;
}

/**
 * `byteCount` rounded up to 16. `-x & 15` keeps the low bits right for any
 * integer below 2^53 (ToInt32 wraps modulo 2^32), so this is exact past 2 GiB.
 */
function alignUp16(byteCount: number): number {
  return byteCount + (-byteCount & 15);
}

/** Block bytes for a request of `payloadBytes`: header plus payload rounded to 16, at least the minimum block. */
export function heapBlockBytesFor(payloadBytes: number): number {
  const blockBytes = alignUp16(payloadBytes) + HEAP_BLOCK_HEADER_BYTES;
  return blockBytes < HEAP_MIN_BLOCK_BYTES ? HEAP_MIN_BLOCK_BYTES : blockBytes;
}

/**
 * The list (first level × 16 + second level) a free block of `blockBytes` belongs in.
 * Precondition: 16 ≤ blockBytes < 2^32, a multiple of 16.
 */
export function tlsfListIndex(blockBytes: number): number {
  if (blockBytes < Tlsf.SmallBlockBytes) return blockBytes >>> 4;
  const log2 = 31 - Math.clz32(blockBytes);
  return ((log2 - 7) << Tlsf.SlLog2) | ((blockBytes >>> (log2 - Tlsf.SlLog2)) & Tlsf.SlMask);
}

/** Smallest block size that list `listIndex` holds. */
export function tlsfListLowerBound(listIndex: number): number {
  const firstLevel = listIndex >>> TLSF_SL_LOG2;
  const secondLevel = listIndex & (TLSF_SL_COUNT - 1);
  if (firstLevel === 0) return secondLevel << 4;
  return (TLSF_SL_COUNT + secondLevel) * (1 << (firstLevel + 3)); // firstLevel ≤ 24: no overflow
}

/**
 * The first list whose every block is at least `blockBytes` (the request
 * rounded up to the next list boundary), or -1 beyond the largest list.
 */
function tlsfSearchIndex(blockBytes: number): number {
  let rounded = blockBytes;
  // A shift, not `2 **`: V8 does not strength-reduce the power operator (it costs ~90 ns here).
  if (rounded >= Tlsf.SmallBlockBytes) rounded += (1 << (31 - Math.clz32(rounded) - Tlsf.SlLog2)) - 1;
  if (rounded > 0xffff_ffff) return -1;
  return tlsfListIndex(rounded);
}

/**
 * A TLSF heap whose state lives in the buffer: `Heap.init` lays it out,
 * `Heap.attach` sees it from another thread. Payload addresses are byte
 * offsets, 16-byte aligned, never 0.
 *
 * @example
 * ```ts
 * const buffer = new SharedArrayBuffer(1 << 16, { maxByteLength: 1 << 24 });
 * const heap = Heap.init(buffer, 0, HEAP_CONTROL_BYTES); // { shared: true } to let threads attach
 * const addr = heap.alloc(4096); // 0 would mean: does not fit even after growing
 * heap.free(addr);
 * ```
 */
export class Heap {
  readonly buffer: SharedArrayBuffer;
  readonly controlByteOffset: number;
  /** i32 index of the control block. */
  private readonly control: number;
  /** Fixed-length view over [0, viewBytes): re-made when the heap outgrows it. */
  private words: Uint32Array;
  private viewBytes: number;
  private readonly lockWord: Int32Array;
  /** This instance holds the lock (catches re-entrant locking, which would spin forever). */
  private held = false;
  /** Made with `{ shared: true }`: operations take the lock and re-check the view. */
  readonly shared: boolean;

  private constructor(buffer: SharedArrayBuffer, controlByteOffset: number, shared: boolean) {
    this.buffer = buffer;
    this.shared = shared;
    this.controlByteOffset = controlByteOffset;
    this.control = controlByteOffset >>> 2;
    this.viewBytes = buffer.byteLength - (buffer.byteLength % 4);
    this.words = new Uint32Array(buffer, 0, this.viewBytes >>> 2);
    this.lockWord = new Int32Array(buffer, controlByteOffset + HC_LOCK_I32 * 4, 1);
  }

  /**
   * Lays out an empty heap over [startByteOffset, buffer end), its control
   * block at `controlByteOffset` (HEAP_CONTROL_BYTES long), growing the buffer
   * up to `limitBytes` (default: the buffer's maxByteLength). With
   * `{ shared: true }` other threads may `attach` (and every operation
   * takes the lock); without it only this object may use the heap.
   */
  static init(buffer: SharedArrayBuffer, controlByteOffset: number, startByteOffset: number, limitBytes?: number, options: HeapOptions = {}): Heap {
    if (!isSharedArrayBuffer(buffer)) {
      throw new TypeError(`Heap.init: buffer must be a SharedArrayBuffer, received ${describeValue(buffer)}`);
    }
    if (!Number.isInteger(controlByteOffset) || controlByteOffset < 0 || controlByteOffset % 8 !== 0) {
      throw new RangeError(`Heap.init: controlByteOffset must be a non-negative multiple of 8, received ${describeValue(controlByteOffset)}`);
    }
    if (!Number.isInteger(startByteOffset) || startByteOffset < ALIGN_BYTES || startByteOffset % ALIGN_BYTES !== 0) {
      throw new RangeError(`Heap.init: startByteOffset must be a positive multiple of 16, received ${describeValue(startByteOffset)}`);
    }
    const endByteOffset = buffer.byteLength - (buffer.byteLength % ALIGN_BYTES);
    const controlEnd = controlByteOffset + HEAP_CONTROL_BYTES;
    if (controlEnd > startByteOffset) {
      throw new RangeError(`Heap.init: control block [${controlByteOffset}, ${controlEnd}) must lie in the buffer, before the heap at ${startByteOffset}`);
    }
    if (endByteOffset - startByteOffset < HEAP_BLOCK_HEADER_BYTES) {
      throw new RangeError(
        `Heap.init: a heap from byte offset ${startByteOffset} needs a buffer of at least ${startByteOffset + HEAP_BLOCK_HEADER_BYTES} bytes, it has ${buffer.byteLength}`,
      );
    }
    if (limitBytes !== undefined && typeof limitBytes !== "number") {
      throw new TypeError(`Heap.init: limitBytes must be a number of bytes, received ${describeValue(limitBytes)}`);
    }
    const growableLimit = buffer.growable ? buffer.maxByteLength : buffer.byteLength;
    const limit = Math.min(limitBytes ?? growableLimit, growableLimit, MAX_ADDRESS_SPACE_BYTES);
    if (!Number.isInteger(limit) || limit < endByteOffset) {
      throw new RangeError(`Heap.init: limitBytes must be an integer of at least ${endByteOffset}, received ${describeValue(limitBytes)}`);
    }
    const shared = readOptions("Heap.init options", options, ["shared"]).shared ?? false;
    if (typeof shared !== "boolean") throw new TypeError(`Heap.init: shared must be a boolean, received ${describeValue(shared)}`);
    new Uint32Array(buffer, controlByteOffset, HEAP_CONTROL_BYTES >>> 2).fill(0);
    const heap = new Heap(buffer, controlByteOffset, shared);
    const words = heap.words;
    const control = heap.control;
    words[control + HC_FLAGS_I32] = shared ? HEAP_FLAG_SHARED : 0;
    words[control + HC_START_BYTE_OFFSET_I32] = startByteOffset;
    words[control + HC_END_BYTE_OFFSET_I32] = endByteOffset;
    words[control + HC_LIMIT_BYTES_I32] = limit - (limit % ALIGN_BYTES);
    const sentinel = endByteOffset - HEAP_BLOCK_HEADER_BYTES;
    heap.writeHeader(sentinel, HEAP_BLOCK_HEADER_BYTES, 0, BLOCK_SENTINEL, 0);
    if (sentinel > startByteOffset) {
      heap.writeHeader(startByteOffset, sentinel - startByteOffset, 0, BLOCK_FREE, 0);
      words[(sentinel >>> 2) + BLK_PREV_PHYS_I32] = startByteOffset;
      heap.insertFree(startByteOffset);
    }
    Atomics.store(words, control + HC_MAGIC_I32, HEAP_MAGIC); // publish: the control block is complete
    return heap;
  }

  /**
   * The heap another thread laid out with its control block at
   * `controlByteOffset`. AllocatorError if there is none, or if it was not
   * made with `{ shared: true }` (its owner skips the lock).
   */
  static attach(buffer: SharedArrayBuffer, controlByteOffset: number): Heap {
    if (!isSharedArrayBuffer(buffer)) throw new TypeError(`Heap.attach: buffer must be a SharedArrayBuffer, received ${describeValue(buffer)}`);
    if (!isByteOffset(controlByteOffset, 8) || controlByteOffset + HEAP_CONTROL_BYTES > buffer.byteLength) {
      throw new RangeError(`Heap.attach: controlByteOffset must be a multiple of 8 inside the buffer, received ${describeValue(controlByteOffset)}`);
    }
    const words = new Uint32Array(buffer, controlByteOffset, HEAP_CONTROL_BYTES >>> 2);
    const start = words[HC_START_BYTE_OFFSET_I32];
    if (Atomics.load(words, HC_MAGIC_I32) !== HEAP_MAGIC || start < ALIGN_BYTES || start % ALIGN_BYTES !== 0) {
      throw new AllocatorError(`Heap.attach: no heap control block at byte offset ${controlByteOffset}`);
    }
    if ((words[HC_FLAGS_I32] & HEAP_FLAG_SHARED) === 0) {
      throw new AllocatorError(
        `Heap.attach: the heap at byte offset ${controlByteOffset} was not made with { shared: true }, so its owner does not lock it: create it with Heap.init(..., { shared: true }) to share it`,
      );
    }
    return new Heap(buffer, controlByteOffset, true);
  }

  // ── Locking ────────────────────────────────────────────────────────────────

  /**
   * Takes the heap lock; spins, then sleeps in short waits, while another
   * thread holds it. An unshared heap has no other thread: only the
   * re-entrancy check remains.
   */
  lock(): void {
    if (this.held) bug("Heap.lock: this thread already holds the heap lock");
    this.held = true;
    if (!this.shared) return;
    if (Atomics.compareExchange(this.lockWord, 0, 0, 1) !== 0) this.lockContended();
    this.ensureView();
  }

  unlock(): void {
    if (!this.held) bug("Heap.unlock: the heap lock is not held");
    this.held = false;
    if (this.shared) Atomics.store(this.lockWord, 0, 0);
  }

  private lockContended(): void {
    for (let spins = 0; ; spins++) {
      if (Atomics.load(this.lockWord, 0) === 0 && Atomics.compareExchange(this.lockWord, 0, 0, 1) === 0) return;
      if (spins > SPINS_BEFORE_SLEEP && CAN_WAIT) Atomics.wait(this.lockWord, 0, 1, SLEEP_MS);
    }
  }

  // ── Public operations (take the lock) ─────────────────────────────────────

  /**
   * Allocates `bytes` (rounded up to 16) and returns the payload's byte
   * offset, or 0 when no block fits even after growing to the limit.
   */
  alloc(bytes: number, kind: HeapAllocKind = Kind.Other, tag = 0): number {
    if (typeof bytes !== "number" || !(bytes > 0 && bytes <= Limit.MaxBytes) || !Number.isInteger(bytes)) {
      throw new RangeError(`Heap.alloc: bytes must be a positive integer below 4 GiB, received ${describeValue(bytes)}`);
    }
    if (kind !== Kind.Large && kind !== Kind.Pool && kind !== Kind.Thread && kind !== Kind.Other) throw badKind(kind);
    if (typeof tag !== "number" || !Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) {
      throw new RangeError(`Heap.alloc: tag must be an integer from 0 to 2^32 - 1, received ${describeValue(tag)}`);
    }
    if (!this.shared) return this.allocLocked(bytes, kind, tag);
    this.lock();
    try {
      return this.allocLocked(bytes, kind, tag);
    } finally {
      this.unlock();
    }
  }

  /** Frees the block whose payload starts at `payloadAddr`; AllocatorError (and no change) if there is none. */
  free(payloadAddr: number): void {
    if (!this.shared) return this.freeLocked(payloadAddr);
    this.lock();
    try {
      this.freeLocked(payloadAddr);
    } finally {
      this.unlock();
    }
  }

  /** Used and free bytes and the largest free block. Trims first: free space is reported merged. */
  stats(): HeapStats {
    this.lock();
    try {
      this.trimLocked();
      const words = this.words;
      const control = this.control;
      return {
        usedBytes: words[control + HC_USED_BYTES_I32],
        freeBytes: this.freeBytesLocked(),
        largestFreeBytes: this.largestFreeBytesLocked(),
        startByteOffset: words[control + HC_START_BYTE_OFFSET_I32],
        endByteOffset: words[control + HC_END_BYTE_OFFSET_I32],
        limitBytes: words[control + HC_LIMIT_BYTES_I32],
      };
    } finally {
      this.unlock();
    }
  }

  /** Every block in address order, the sentinel left out. Trims first, so quick blocks show merged into free ones. */
  blocks(): HeapBlockInfo[] {
    this.lock();
    try {
      this.trimLocked();
      const infos: HeapBlockInfo[] = [];
      const sentinel = this.endLocked() - HEAP_BLOCK_HEADER_BYTES;
      for (let block = this.words[this.control + HC_START_BYTE_OFFSET_I32]; block < sentinel; block += this.sizeOf(block)) {
        infos.push(this.describe(block));
      }
      return infos;
    } finally {
      this.unlock();
    }
  }

  /**
   * Whether `payloadAddr` is the payload of an allocated block of `kind` with
   * `tag`. Lock-free and O(1): a racing free can make the answer stale at once.
   */
  holds(payloadAddr: number, kind: number, tag: number): boolean {
    if (this.shared) this.ensureView();
    const block = this.allocatedBlockOf(payloadAddr);
    return block !== 0 && (this.words[(block >>> 2) + BLK_KIND_I32] & KIND_MASK) === kind && this.words[(block >>> 2) + BLK_TAG_I32] === tag;
  }

  // ── Operations for callers holding the lock ───────────────────────────────

  /**
   * As `alloc`, lock held by the caller, `bytes` validated by the caller.
   *
   * One flat function for the common case (the hot path of large stacks and
   * of a standalone heap): find the list, take its head, split the rest off
   * in place. When the rest stays in the block's list it takes the block's
   * place there, so churn against the free tail touches no bitmap.
   */
  allocLocked(bytes: number, kind: number, tag: number): number {
    const payloadBytes = alignUp16(bytes);
    const need = payloadBytes + Blk.HeaderBytes < Blk.MinBytes ? Blk.MinBytes : payloadBytes + Blk.HeaderBytes;
    // Pass 1 — a quick block of exactly this size, freed earlier: O(1), no bitmap.
    if (need <= Quick.MaxBytes) {
      const words = this.words;
      const control = this.control;
      const entry = control + Hc.Quick + quickListIndex(need) * Quick.EntryWords;
      const quick = words[entry + Quick.Head];
      if (quick !== 0 && words[entry + Quick.Size] === need) {
        // Its bytes are already counted in HC_USED_BYTES.
        const header = quick >>> 2;
        words[entry + Quick.Head] = words[header + Blk.NextFree];
        words[header + Blk.Kind] = kind | ((need - Blk.HeaderBytes - payloadBytes) << Kind.UnusedTailShift);
        words[header + Blk.Tag] = tag;
        return quick + Blk.HeaderBytes;
      }
    }
    return this.allocFromLists(need, payloadBytes, kind, tag);
  }

  /**
   * The TLSF part of allocLocked (kept apart so the quick path above stays
   * small enough for V8 to inline into callers).
   */
  private allocFromLists(need: number, payloadBytes: number, kind: number, tag: number): number {
    const control = this.control;
    const searchIndex = tlsfSearchIndex(need);
    if (searchIndex < 0) return 0;
    // Pass 2 — the first non-empty list at or above searchIndex (two bitmap
    // look-ups); when there is none, merge the quick blocks back, then grow
    // the buffer, and look again.
    let listIndex = this.firstListWithBlocks(searchIndex);
    if (listIndex < 0 && this.trimLocked()) listIndex = this.firstListWithBlocks(searchIndex);
    if (listIndex < 0) {
      if (!this.grow(searchIndex)) return 0;
      listIndex = this.firstListWithBlocks(searchIndex);
      if (listIndex < 0) bug(`Heap: grew for a ${need}-byte block and still found none`);
    }
    const words = this.words;
    // Pass 3 — take the list's head; split the rest off or take the block whole.
    const block = words[control + Hc.Heads + listIndex];
    const header = block >>> 2;
    const size = words[header + Blk.Size];
    const next = words[header + Blk.NextFree];
    const restBytes = size - need;
    let kept = size;
    if (restBytes >= Blk.MinBytes) {
      kept = need;
      const rest = block + need;
      const restHeader = rest >>> 2;
      words[header + Blk.Size] = need;
      words[restHeader + Blk.Size] = restBytes;
      words[restHeader + Blk.PrevPhys] = block;
      words[restHeader + Blk.Kind] = Kind.Free;
      words[restHeader + Blk.Tag] = 0;
      words[((rest + restBytes) >>> 2) + Blk.PrevPhys] = rest;
      if (tlsfListIndex(restBytes) === listIndex) {
        words[restHeader + Blk.NextFree] = next;
        words[restHeader + Blk.PrevFree] = 0;
        if (next !== 0) words[(next >>> 2) + Blk.PrevFree] = rest;
        words[control + Hc.Heads + listIndex] = rest;
      } else {
        this.popHead(listIndex, next);
        this.insertFree(rest);
      }
    } else {
      this.popHead(listIndex, next);
    }
    words[header + Blk.Kind] = kind | ((kept - Blk.HeaderBytes - payloadBytes) << Kind.UnusedTailShift);
    words[header + Blk.Tag] = tag;
    words[control + Hc.Used] += kept;
    return block + Blk.HeaderBytes;
  }

  /**
   * As `free`, lock held by the caller. A block of at most QUICK_MAX_BYTES
   * goes onto the quick list of its size when that has room (an alloc of
   * the same size takes it back at once); otherwise it is merged into the
   * TLSF lists.
   */
  freeLocked(payloadAddr: number): void {
    const block = this.allocatedBlockOf(payloadAddr);
    if (block === 0) throw this.notAllocatedError(payloadAddr);
    const words = this.words;
    const control = this.control;
    const header = block >>> 2;
    const size = words[header + Blk.Size];
    if (size <= Quick.MaxBytes) {
      const entry = control + Hc.Quick + quickListIndex(size) * Quick.EntryWords;
      const head = words[entry + Quick.Head];
      const depth = head === 0 ? 1 : words[(head >>> 2) + Blk.Tag] + 1;
      if (depth <= Quick.Depth && (head === 0 || words[entry + Quick.Size] === size)) {
        // Its bytes stay counted in HC_USED_BYTES (see layout.ts).
        words[header + Blk.Kind] = Kind.Quick;
        words[header + Blk.Tag] = depth;
        words[header + Blk.NextFree] = head;
        words[entry + Quick.Size] = size;
        words[entry + Quick.Head] = block;
        return;
      }
    }
    this.freeToLists(block, size);
  }

  /**
   * The TLSF part of freeLocked. The common case — the block's left
   * neighbour in use, its right neighbour free (the tail, or a block freed
   * before it) — is done here: the block absorbs its right neighbour and
   * takes its place in the list. Other cases go through mergeAndInsert.
   */
  private freeToLists(block: number, size: number): void {
    // Every load before the first store, so V8 need not read them twice.
    const words = this.words;
    const control = this.control;
    const header = block >>> 2;
    const prev = words[header + Blk.PrevPhys];
    const nextHeader = (block + size) >>> 2;
    const nextIsFree = (words[nextHeader + Blk.Kind] & Kind.Mask) === Kind.Free;
    const prevIsFree = prev !== 0 && (words[(prev >>> 2) + Blk.Kind] & Kind.Mask) === Kind.Free;
    const nextBytes = words[nextHeader + Blk.Size];
    const merged = size + nextBytes;
    const listIndex = tlsfListIndex(nextBytes);
    words[control + Hc.Used] -= size;
    words[header + Blk.Kind] = Kind.Free;
    words[header + Blk.Tag] = 0;
    if (!nextIsFree || prevIsFree || tlsfListIndex(merged) !== listIndex) {
      this.mergeAndInsert(block);
      return;
    }
    const nextFree = words[nextHeader + Blk.NextFree];
    const prevFree = words[nextHeader + Blk.PrevFree];
    words[header + Blk.Size] = merged;
    words[((block + merged) >>> 2) + Blk.PrevPhys] = block;
    words[header + Blk.NextFree] = nextFree;
    words[header + Blk.PrevFree] = prevFree;
    if (nextFree !== 0) words[(nextFree >>> 2) + Blk.PrevFree] = block;
    if (prevFree !== 0) words[(prevFree >>> 2) + Blk.NextFree] = block;
    else words[control + Hc.Heads + listIndex] = block;
  }

  /** The KIND flags (KIND_FLAG_*) of the allocated block at `payloadAddr`. Precondition: an allocated block. */
  kindFlagsOf(payloadAddr: number): number {
    return this.words[((payloadAddr - HEAP_BLOCK_HEADER_BYTES) >>> 2) + BLK_KIND_I32] & ~0xffff;
  }

  /** Bytes the allocation at `payloadAddr` asked for, rounded to 16. Precondition: an allocated block. */
  payloadBytesOf(payloadAddr: number): number {
    const header = (payloadAddr - HEAP_BLOCK_HEADER_BYTES) >>> 2;
    const unusedTail = (this.words[header + BLK_KIND_I32] >>> KIND_UNUSED_TAIL_SHIFT) & 0xff;
    return this.words[header + BLK_SIZE_I32] - HEAP_BLOCK_HEADER_BYTES - unusedTail;
  }

  /** Bytes of the largest free block, header included: the last non-empty TLSF list's largest, or a quick block. */
  largestFreeBytesLocked(): number {
    const words = this.words;
    let largest = 0;
    for (let entry = 0; entry < QUICK_LISTS; entry++) {
      const entryI32 = this.control + HC_QUICK_I32 + entry * QUICK_ENTRY_WORDS;
      if (words[entryI32 + QUICK_HEAD] !== 0) largest = Math.max(largest, words[entryI32 + QUICK_SIZE]);
    }
    const firstLevelMap = words[this.control + HC_FL_BITMAP_I32];
    if (firstLevelMap === 0) return largest;
    const firstLevel = 31 - Math.clz32(firstLevelMap);
    const secondLevel = 31 - Math.clz32(words[this.control + HC_SL_BITMAPS_I32 + firstLevel]);
    let block = words[this.control + HC_HEADS_I32 + firstLevel * TLSF_SL_COUNT + secondLevel];
    for (; block !== 0; block = words[(block >>> 2) + BLK_NEXT_FREE_I32]) largest = Math.max(largest, this.sizeOf(block));
    return largest;
  }

  /**
   * Merges every quick block into the TLSF lists (with its free neighbours),
   * as a free of it would without quick lists. The heap does this itself
   * before it grows; call it to see the free space in the fewest blocks.
   */
  trim(): void {
    this.lock();
    try {
      this.trimLocked();
    } finally {
      this.unlock();
    }
  }

  /** As `trim`, lock held by the caller. True if there was a quick block. */
  trimLocked(): boolean {
    const words = this.words;
    let trimmed = false;
    for (let entry = 0; entry < QUICK_LISTS; entry++) {
      const entryI32 = this.control + HC_QUICK_I32 + entry * QUICK_ENTRY_WORDS;
      for (let block = words[entryI32 + QUICK_HEAD]; block !== 0;) {
        const next = words[(block >>> 2) + BLK_NEXT_FREE_I32];
        words[this.control + HC_USED_BYTES_I32] -= this.sizeOf(block);
        words[(block >>> 2) + BLK_KIND_I32] = BLOCK_FREE;
        words[(block >>> 2) + BLK_TAG_I32] = 0;
        this.mergeAndInsert(block);
        block = next;
        trimmed = true;
      }
      words[entryI32 + QUICK_HEAD] = 0;
      words[entryI32 + QUICK_SIZE] = 0;
    }
    return trimmed;
  }

  /** Free bytes, headers included: what is not used, nor the sentinel (derived, so it cannot drift); quick blocks are free. */
  freeBytesLocked(): number {
    const words = this.words;
    const span = words[this.control + HC_END_BYTE_OFFSET_I32] - words[this.control + HC_START_BYTE_OFFSET_I32];
    let quickBytes = 0;
    for (let entry = 0; entry < QUICK_LISTS; entry++) {
      const entryI32 = this.control + HC_QUICK_I32 + entry * QUICK_ENTRY_WORDS;
      for (let block = words[entryI32 + QUICK_HEAD]; block !== 0; block = words[(block >>> 2) + BLK_NEXT_FREE_I32]) quickBytes += this.sizeOf(block);
    }
    return span - HEAP_BLOCK_HEADER_BYTES - words[this.control + HC_USED_BYTES_I32] + quickBytes;
  }

  /** Bytes the heap could still add by growing the buffer. */
  growthHeadroomBytes(): number {
    return this.words[this.control + HC_LIMIT_BYTES_I32] - this.endLocked();
  }

  // ── Free lists ─────────────────────────────────────────────────────────────

  /** The first non-empty list at or above `searchIndex`, or -1: two bitmap look-ups with Math.clz32. */
  private firstListWithBlocks(searchIndex: number): number {
    const words = this.words;
    const control = this.control;
    let firstLevel = searchIndex >>> Tlsf.SlLog2;
    let secondLevelMap = words[control + Hc.SlBitmaps + firstLevel] & (-1 << (searchIndex & Tlsf.SlMask));
    if (secondLevelMap === 0) {
      const firstLevelMap = words[control + Hc.FlBitmap] & (-1 << (firstLevel + 1));
      if (firstLevelMap === 0) return -1;
      firstLevel = lowestSetBit(firstLevelMap);
      secondLevelMap = words[control + Hc.SlBitmaps + firstLevel];
    }
    return (firstLevel << Tlsf.SlLog2) + lowestSetBit(secondLevelMap);
  }

  /** Takes the head of list `listIndex` off it; `next` is the head's successor. */
  private popHead(listIndex: number, next: number): void {
    const words = this.words;
    const control = this.control;
    words[control + Hc.Heads + listIndex] = next;
    if (next !== 0) {
      words[(next >>> 2) + Blk.PrevFree] = 0;
      return;
    }
    const firstLevel = listIndex >>> Tlsf.SlLog2;
    const secondLevelMap = words[control + Hc.SlBitmaps + firstLevel] & ~(1 << (listIndex & Tlsf.SlMask));
    words[control + Hc.SlBitmaps + firstLevel] = secondLevelMap;
    if (secondLevelMap === 0) words[control + Hc.FlBitmap] &= ~(1 << firstLevel);
  }

  private insertFree(block: number): void {
    const words = this.words;
    const control = this.control;
    const listIndex = tlsfListIndex(this.sizeOf(block));
    const head = words[control + HC_HEADS_I32 + listIndex];
    words[(block >>> 2) + BLK_NEXT_FREE_I32] = head;
    words[(block >>> 2) + BLK_PREV_FREE_I32] = 0;
    if (head !== 0) words[(head >>> 2) + BLK_PREV_FREE_I32] = block;
    words[control + HC_HEADS_I32 + listIndex] = block;
    words[control + HC_FL_BITMAP_I32] |= 1 << (listIndex >>> TLSF_SL_LOG2);
    words[control + HC_SL_BITMAPS_I32 + (listIndex >>> TLSF_SL_LOG2)] |= 1 << (listIndex & (TLSF_SL_COUNT - 1));
  }

  private removeFree(block: number): void {
    const words = this.words;
    const control = this.control;
    const listIndex = tlsfListIndex(this.sizeOf(block));
    const next = words[(block >>> 2) + BLK_NEXT_FREE_I32];
    const prev = words[(block >>> 2) + BLK_PREV_FREE_I32];
    if (next !== 0) words[(next >>> 2) + BLK_PREV_FREE_I32] = prev;
    if (prev !== 0) {
      words[(prev >>> 2) + BLK_NEXT_FREE_I32] = next;
    } else {
      words[control + HC_HEADS_I32 + listIndex] = next;
      if (next === 0) {
        const firstLevel = listIndex >>> TLSF_SL_LOG2;
        const secondLevelMap = words[control + HC_SL_BITMAPS_I32 + firstLevel] & ~(1 << (listIndex & (TLSF_SL_COUNT - 1)));
        words[control + HC_SL_BITMAPS_I32 + firstLevel] = secondLevelMap;
        if (secondLevelMap === 0) words[control + HC_FL_BITMAP_I32] &= ~(1 << firstLevel);
      }
    }
  }

  // ── Blocks ─────────────────────────────────────────────────────────────────

  /**
   * Lists the (already FREE-marked) `block`, merged with its free
   * neighbours. A merged block that stays in its neighbour's list keeps the
   * neighbour's place there: alloc/free churn at the heap's free tail then
   * touches no bitmap.
   */
  private mergeAndInsert(block: number): void {
    const words = this.words;
    const size = this.sizeOf(block);
    const next = block + size;
    const nextIsFree = (words[(next >>> 2) + BLK_KIND_I32] & KIND_MASK) === BLOCK_FREE;
    const prev = words[(block >>> 2) + BLK_PREV_PHYS_I32];
    const prevIsFree = prev !== 0 && (words[(prev >>> 2) + BLK_KIND_I32] & KIND_MASK) === BLOCK_FREE;
    if (prevIsFree) {
      // prev grows in place: it moves lists only if its size class changes.
      const prevBytes = this.sizeOf(prev);
      let merged = prevBytes + size;
      if (nextIsFree) {
        this.removeFree(next);
        merged += this.sizeOf(next);
      }
      const moves = tlsfListIndex(merged) !== tlsfListIndex(prevBytes);
      if (moves) this.removeFree(prev);
      words[(prev >>> 2) + BLK_SIZE_I32] = merged;
      words[((prev + merged) >>> 2) + BLK_PREV_PHYS_I32] = prev;
      if (moves) this.insertFree(prev);
    } else if (nextIsFree) {
      const nextBytes = this.sizeOf(next);
      const merged = size + nextBytes;
      const listIndex = tlsfListIndex(nextBytes);
      const sameList = tlsfListIndex(merged) === listIndex;
      if (!sameList) this.removeFree(next);
      words[(block >>> 2) + BLK_SIZE_I32] = merged;
      words[((block + merged) >>> 2) + BLK_PREV_PHYS_I32] = block;
      if (sameList) this.replaceInList(next, block, listIndex);
      else this.insertFree(block);
    } else {
      this.insertFree(block);
    }
  }

  /** Puts `replacement` where `listed` is in list `listIndex`; the bitmaps do not change. */
  private replaceInList(listed: number, replacement: number, listIndex: number): void {
    const words = this.words;
    const next = words[(listed >>> 2) + BLK_NEXT_FREE_I32];
    const prev = words[(listed >>> 2) + BLK_PREV_FREE_I32];
    words[(replacement >>> 2) + BLK_NEXT_FREE_I32] = next;
    words[(replacement >>> 2) + BLK_PREV_FREE_I32] = prev;
    if (next !== 0) words[(next >>> 2) + BLK_PREV_FREE_I32] = replacement;
    if (prev !== 0) words[(prev >>> 2) + BLK_NEXT_FREE_I32] = replacement;
    else words[this.control + HC_HEADS_I32 + listIndex] = replacement;
  }

  /**
   * Grows the buffer so that list `listIndex` gets a block: the tail (the
   * last block, merged with the new space if free) must reach that list's
   * lower bound. False, changing nothing, when the limit does not allow it.
   */
  private grow(listIndex: number): boolean {
    const words = this.words;
    const control = this.control;
    const end = this.endLocked();
    const oldSentinel = end - HEAP_BLOCK_HEADER_BYTES;
    const tail = words[(oldSentinel >>> 2) + BLK_PREV_PHYS_I32];
    const tailIsFree = tail !== 0 && (words[(tail >>> 2) + BLK_KIND_I32] & KIND_MASK) === BLOCK_FREE;
    const tailFreeBytes = tailIsFree ? this.sizeOf(tail) : 0;
    const deficit = Math.max(tlsfListLowerBound(listIndex) - tailFreeBytes, HEAP_MIN_BLOCK_BYTES);
    const limit = words[control + HC_LIMIT_BYTES_I32];
    if (end + deficit > limit) return false;
    const step = Math.min(Math.max(this.buffer.byteLength >>> 3, GROW_GRANULE_BYTES), MAX_GROW_STEP_BYTES);
    const newEnd = Math.min(limit, alignUp(end + Math.max(deficit, step), GROW_GRANULE_BYTES));
    if (newEnd > this.buffer.byteLength) this.buffer.grow(newEnd);
    words[control + HC_END_BYTE_OFFSET_I32] = newEnd;
    this.ensureView();
    refreshViewsOf(this.buffer); // the growth reaches every frame's views before the allocation returns (views.ts)
    const grownBytes = newEnd - end;
    const newSentinel = newEnd - HEAP_BLOCK_HEADER_BYTES;
    this.writeHeader(oldSentinel, grownBytes, tail, BLOCK_FREE, 0);
    this.writeHeader(newSentinel, HEAP_BLOCK_HEADER_BYTES, oldSentinel, BLOCK_SENTINEL, 0);
    this.mergeAndInsert(oldSentinel);
    return true;
  }

  private writeHeader(block: number, size: number, prevPhys: number, kind: number, tag: number): void {
    const header = block >>> 2;
    this.words[header + BLK_SIZE_I32] = size;
    this.words[header + BLK_PREV_PHYS_I32] = prevPhys;
    this.words[header + BLK_KIND_I32] = kind;
    this.words[header + BLK_TAG_I32] = tag;
  }

  private sizeOf(block: number): number {
    return this.words[(block >>> 2) + BLK_SIZE_I32];
  }

  private endLocked(): number {
    return this.words[this.control + HC_END_BYTE_OFFSET_I32];
  }

  /**
   * Re-makes the view when the heap (maybe grown by another thread) reaches
   * past it, and brings the buffer's shared views (views.ts) along: every
   * address this heap returns lies inside them.
   */
  private ensureView(): void {
    if (this.words[this.control + HC_END_BYTE_OFFSET_I32] > this.viewBytes) {
      this.viewBytes = this.buffer.byteLength - (this.buffer.byteLength % 4);
      this.words = new Uint32Array(this.buffer, 0, this.viewBytes >>> 2);
      refreshViewsOf(this.buffer);
    }
  }

  /**
   * The block whose payload starts at `payloadAddr` if it is allocated, else
   * 0. Checks the neighbours' links too, so an address inside some block's
   * payload is not mistaken for a block.
   */
  private allocatedBlockOf(payloadAddr: number): number {
    if (typeof payloadAddr !== "number") return 0;
    const words = this.words;
    const control = this.control;
    const start = words[control + Hc.Start];
    const sentinel = words[control + Hc.End] - Blk.HeaderBytes;
    const block = payloadAddr - Blk.HeaderBytes;
    // In range, and an integer multiple of 16 (`>>> 0` is itself only for integers in [0, 2^32)).
    if (!(block >= start && block < sentinel) || block >>> 0 !== block || (block & 15) !== 0) return 0;
    const header = block >>> 2;
    const kind = words[header + Blk.Kind] & Kind.Mask;
    if (kind !== Kind.Large && kind !== Kind.Pool && kind !== Kind.Thread && kind !== Kind.Other) return 0;
    const size = words[header + Blk.Size];
    if (size < Blk.MinBytes || (size & 15) !== 0 || block + size > sentinel) return 0;
    if (words[((block + size) >>> 2) + Blk.PrevPhys] !== block) return 0;
    const prev = words[header + Blk.PrevPhys];
    if (prev === 0 ? block !== start : prev < start || prev + words[(prev >>> 2) + Blk.Size] !== block) return 0;
    return block;
  }

  private notAllocatedError(payloadAddr: number): AllocatorError {
    const start = this.words[this.control + HC_START_BYTE_OFFSET_I32];
    const end = this.endLocked();
    if (typeof payloadAddr !== "number" || !(payloadAddr >= start && payloadAddr < end)) {
      return new AllocatorError(`Heap.free: byte offset ${describeValue(payloadAddr)} is not in the heap [${start}, ${end})`);
    }
    if (payloadAddr % ALIGN_BYTES !== 0) {
      return new AllocatorError(`Heap.free: byte offset ${payloadAddr} is not 16-byte aligned, so not a block's payload`);
    }
    return new AllocatorError(`Heap.free: byte offset ${payloadAddr} is not the payload of an allocated block (double free, or inside a block)`);
  }

  private describe(block: number): HeapBlockInfo {
    const words = this.words;
    const kind = words[(block >>> 2) + BLK_KIND_I32] & KIND_MASK;
    const bytes = this.sizeOf(block);
    const payloadAddr = block + HEAP_BLOCK_HEADER_BYTES;
    const free = kind === BLOCK_FREE || kind === BLOCK_QUICK;
    return {
      addr: block,
      bytes,
      payloadAddr,
      payloadBytes: free ? bytes - HEAP_BLOCK_HEADER_BYTES : this.payloadBytesOf(payloadAddr),
      free,
      holds: HOLDS_BY_KIND[kind] ?? bug(`Heap: block at byte offset ${block} has unknown kind ${kind}`),
      tag: words[(block >>> 2) + BLK_TAG_I32],
    };
  }
}

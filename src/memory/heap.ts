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
 * - usedBytes + freeBytes + 16 (sentinel) == end - start (freeBytes is
 *   derived from it; only usedBytes is stored).
 * - A freed block's KIND word is overwritten with FREE, so a stale reference
 *   to it never finds its old kind and tag again (merged headers included).
 *
 * Concurrency: all state (control words and block headers) changes only
 * while holding the spin lock word HC_LOCK, so several threads can share one
 * heap. Methods named `*Locked` expect the caller to hold it; the others take it.
 *
 * Growth: when no free block fits, the heap grows the SharedArrayBuffer at its
 * end (up to the limit) and frees the new space as one block, merged with a
 * free tail. Existing blocks never move.
 */
import { AllocatorError, bug } from "../errors.js";
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
  GROW_GRANULE_BYTES,
  HC_END_BYTE_OFFSET_I32,
  HC_FL_BITMAP_I32,
  HC_HEADS_I32,
  HC_LIMIT_BYTES_I32,
  HC_LOCK_I32,
  HC_SL_BITMAPS_I32,
  HC_START_BYTE_OFFSET_I32,
  HC_USED_BYTES_I32,
  HEAP_BLOCK_HEADER_BYTES,
  HEAP_CONTROL_BYTES,
  HEAP_MIN_BLOCK_BYTES,
  KIND_MASK,
  KIND_UNUSED_TAIL_SHIFT,
  MAX_ADDRESS_SPACE_BYTES,
  TLSF_SL_COUNT,
  TLSF_SL_LOG2,
  TLSF_SMALL_BLOCK_BYTES,
  alignUp,
} from "./layout.js";

/** What a heap block holds. */
export type HeapBlockHolds = "free" | "large" | "pool" | "other";

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
  /** Large: its generation; pool: its pool id; free: 0. */
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
export type HeapAllocKind = typeof BLOCK_LARGE | typeof BLOCK_POOL | typeof BLOCK_OTHER;

const HOLDS_BY_KIND: Record<number, HeapBlockHolds> = {
  [BLOCK_FREE]: "free",
  [BLOCK_LARGE]: "large",
  [BLOCK_POOL]: "pool",
  [BLOCK_OTHER]: "other",
};

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

/** Index of the lowest set bit of a non-zero word. */
function lowestSetBit(word: number): number {
  return 31 - Math.clz32(word & -word);
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
  if (blockBytes < TLSF_SMALL_BLOCK_BYTES) return blockBytes >>> 4;
  const log2 = 31 - Math.clz32(blockBytes);
  return ((log2 - 7) << TLSF_SL_LOG2) | ((blockBytes >>> (log2 - TLSF_SL_LOG2)) & (TLSF_SL_COUNT - 1));
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
  if (rounded >= TLSF_SMALL_BLOCK_BYTES) rounded += (1 << (31 - Math.clz32(rounded) - TLSF_SL_LOG2)) - 1;
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
 * const heap = Heap.init(buffer, 0, HEAP_CONTROL_BYTES);
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

  private constructor(buffer: SharedArrayBuffer, controlByteOffset: number) {
    this.buffer = buffer;
    this.controlByteOffset = controlByteOffset;
    this.control = controlByteOffset >>> 2;
    this.viewBytes = buffer.byteLength - (buffer.byteLength % 4);
    this.words = new Uint32Array(buffer, 0, this.viewBytes >>> 2);
    this.lockWord = new Int32Array(buffer, controlByteOffset + HC_LOCK_I32 * 4, 1);
  }

  /**
   * Lays out an empty heap over [startByteOffset, buffer end), its control
   * block at `controlByteOffset` (HEAP_CONTROL_BYTES long), growing the buffer
   * up to `limitBytes` (default: the buffer's maxByteLength).
   */
  static init(buffer: SharedArrayBuffer, controlByteOffset: number, startByteOffset: number, limitBytes?: number): Heap {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new TypeError(`Heap.init: buffer must be a SharedArrayBuffer, received ${Object.prototype.toString.call(buffer)}`);
    }
    if (!Number.isInteger(controlByteOffset) || controlByteOffset < 0 || controlByteOffset % 8 !== 0) {
      throw new RangeError(`Heap.init: controlByteOffset must be a non-negative multiple of 8, received ${String(controlByteOffset)}`);
    }
    if (!Number.isInteger(startByteOffset) || startByteOffset < ALIGN_BYTES || startByteOffset % ALIGN_BYTES !== 0) {
      throw new RangeError(`Heap.init: startByteOffset must be a positive multiple of 16, received ${String(startByteOffset)}`);
    }
    const endByteOffset = buffer.byteLength - (buffer.byteLength % ALIGN_BYTES);
    const controlEnd = controlByteOffset + HEAP_CONTROL_BYTES;
    if (controlEnd > startByteOffset) {
      throw new RangeError(`Heap.init: control block [${controlByteOffset}, ${controlEnd}) must lie in the buffer, before the heap at ${startByteOffset}`);
    }
    if (endByteOffset - startByteOffset < HEAP_BLOCK_HEADER_BYTES) {
      throw new RangeError(`Heap.init: a heap from byte offset ${startByteOffset} needs a buffer of at least ${startByteOffset + HEAP_BLOCK_HEADER_BYTES} bytes, it has ${buffer.byteLength}`);
    }
    const growableLimit = buffer.growable ? buffer.maxByteLength : buffer.byteLength;
    const limit = Math.min(limitBytes ?? growableLimit, growableLimit, MAX_ADDRESS_SPACE_BYTES);
    if (!Number.isInteger(limit) || limit < endByteOffset) {
      throw new RangeError(`Heap.init: limitBytes must be an integer of at least ${endByteOffset}, received ${String(limitBytes)}`);
    }
    new Uint32Array(buffer, controlByteOffset, HEAP_CONTROL_BYTES >>> 2).fill(0);
    const heap = new Heap(buffer, controlByteOffset);
    const words = heap.words;
    const control = heap.control;
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
    return heap;
  }

  /** The heap another thread laid out with its control block at `controlByteOffset`. */
  static attach(buffer: SharedArrayBuffer, controlByteOffset: number): Heap {
    const heap = new Heap(buffer, controlByteOffset);
    const start = heap.words[heap.control + HC_START_BYTE_OFFSET_I32];
    if (start < ALIGN_BYTES || start % ALIGN_BYTES !== 0) {
      throw new AllocatorError(`Heap.attach: no heap control block at byte offset ${controlByteOffset}`);
    }
    return heap;
  }

  // ── Locking ────────────────────────────────────────────────────────────────

  /** Takes the heap lock; spins, then sleeps in short waits, while another thread holds it. */
  lock(): void {
    if (this.held) bug("Heap.lock: this thread already holds the heap lock");
    if (Atomics.compareExchange(this.lockWord, 0, 0, 1) !== 0) this.lockContended();
    this.held = true;
    this.ensureView();
  }

  unlock(): void {
    if (!this.held) bug("Heap.unlock: the heap lock is not held");
    this.held = false;
    Atomics.store(this.lockWord, 0, 0);
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
  alloc(bytes: number, kind: HeapAllocKind = BLOCK_OTHER, tag = 0): number {
    if (!Number.isInteger(bytes) || bytes <= 0 || bytes > MAX_ADDRESS_SPACE_BYTES) {
      throw new RangeError(`Heap.alloc: bytes must be a positive integer below 4 GiB, received ${String(bytes)}`);
    }
    this.lock();
    try {
      return this.allocLocked(bytes, kind, tag);
    } finally {
      this.unlock();
    }
  }

  /** Frees the block whose payload starts at `payloadAddr`; AllocatorError (and no change) if there is none. */
  free(payloadAddr: number): void {
    this.lock();
    try {
      this.freeLocked(payloadAddr);
    } finally {
      this.unlock();
    }
  }

  stats(): HeapStats {
    this.lock();
    try {
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

  /** Every block in address order, the sentinel left out. */
  blocks(): HeapBlockInfo[] {
    this.lock();
    try {
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
    this.ensureView();
    const block = this.allocatedBlockOf(payloadAddr);
    return block !== 0 && (this.words[(block >>> 2) + BLK_KIND_I32] & KIND_MASK) === kind && this.words[(block >>> 2) + BLK_TAG_I32] === tag;
  }

  // ── Operations for callers holding the lock ───────────────────────────────

  /** As `alloc`, lock held by the caller, `bytes` validated by the caller. */
  allocLocked(bytes: number, kind: number, tag: number): number {
    const words = this.words;
    const need = heapBlockBytesFor(bytes);
    const listIndex = tlsfSearchIndex(need);
    if (listIndex < 0) return 0;
    let block = this.findFree(listIndex);
    if (block === 0) {
      if (!this.grow(listIndex)) return 0;
      block = this.findFree(listIndex);
      if (block === 0) bug(`Heap: grew for a ${need}-byte block and still found none`);
    }
    let size = this.sizeOf(block);
    if (size - need >= HEAP_MIN_BLOCK_BYTES) {
      this.splitOff(block, need, size - need);
      size = need;
    } else {
      this.removeFree(block);
    }
    const unusedTailBytes = size - HEAP_BLOCK_HEADER_BYTES - alignUp16(bytes);
    const header = block >>> 2;
    words[header + BLK_KIND_I32] = kind | (unusedTailBytes << KIND_UNUSED_TAIL_SHIFT);
    words[header + BLK_TAG_I32] = tag;
    const control = this.control;
    words[control + HC_USED_BYTES_I32] += size;
    return block + HEAP_BLOCK_HEADER_BYTES;
  }

  freeLocked(payloadAddr: number): void {
    const block = this.allocatedBlockOf(payloadAddr);
    if (block === 0) throw this.notAllocatedError(payloadAddr);
    const words = this.words;
    const size = this.sizeOf(block);
    const control = this.control;
    words[control + HC_USED_BYTES_I32] -= size;
    words[(block >>> 2) + BLK_KIND_I32] = BLOCK_FREE;
    words[(block >>> 2) + BLK_TAG_I32] = 0;
    this.mergeAndInsert(block);
  }

  /** Bytes the allocation at `payloadAddr` asked for, rounded to 16. Precondition: an allocated block. */
  payloadBytesOf(payloadAddr: number): number {
    const header = (payloadAddr - HEAP_BLOCK_HEADER_BYTES) >>> 2;
    const unusedTail = (this.words[header + BLK_KIND_I32] >>> KIND_UNUSED_TAIL_SHIFT) & 0xff;
    return this.words[header + BLK_SIZE_I32] - HEAP_BLOCK_HEADER_BYTES - unusedTail;
  }

  largestFreeBytesLocked(): number {
    const words = this.words;
    const firstLevelMap = words[this.control + HC_FL_BITMAP_I32];
    if (firstLevelMap === 0) return 0;
    const firstLevel = 31 - Math.clz32(firstLevelMap);
    const secondLevel = 31 - Math.clz32(words[this.control + HC_SL_BITMAPS_I32 + firstLevel]);
    let largest = 0;
    let block = words[this.control + HC_HEADS_I32 + firstLevel * TLSF_SL_COUNT + secondLevel];
    for (; block !== 0; block = words[(block >>> 2) + BLK_NEXT_FREE_I32]) largest = Math.max(largest, this.sizeOf(block));
    return largest;
  }

  /** Free bytes, headers included: what is not used, nor the sentinel (derived, so it cannot drift). */
  freeBytesLocked(): number {
    const words = this.words;
    const span = words[this.control + HC_END_BYTE_OFFSET_I32] - words[this.control + HC_START_BYTE_OFFSET_I32];
    return span - HEAP_BLOCK_HEADER_BYTES - words[this.control + HC_USED_BYTES_I32];
  }

  /** Bytes the heap could still add by growing the buffer. */
  growthHeadroomBytes(): number {
    return this.words[this.control + HC_LIMIT_BYTES_I32] - this.endLocked();
  }

  // ── Free lists ─────────────────────────────────────────────────────────────

  /** Head of the first non-empty list at or above `listIndex`, or 0. */
  private findFree(listIndex: number): number {
    const words = this.words;
    const control = this.control;
    let firstLevel = listIndex >>> TLSF_SL_LOG2;
    let secondLevelMap = words[control + HC_SL_BITMAPS_I32 + firstLevel] & (-1 << (listIndex & (TLSF_SL_COUNT - 1)));
    if (secondLevelMap === 0) {
      const firstLevelMap = words[control + HC_FL_BITMAP_I32] & (-1 << (firstLevel + 1));
      if (firstLevelMap === 0) return 0;
      firstLevel = lowestSetBit(firstLevelMap);
      secondLevelMap = words[control + HC_SL_BITMAPS_I32 + firstLevel];
    }
    return words[control + HC_HEADS_I32 + firstLevel * TLSF_SL_COUNT + lowestSetBit(secondLevelMap)];
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
   * Takes free `block` off its list, cuts it to `keepBytes` and lists the
   * rest as a new free block (whose right neighbour cannot be free). When the
   * rest maps to the same list, it simply takes the block's place there.
   */
  private splitOff(block: number, keepBytes: number, restBytes: number): void {
    const words = this.words;
    const rest = block + keepBytes;
    const listIndex = tlsfListIndex(keepBytes + restBytes);
    const sameList = tlsfListIndex(restBytes) === listIndex;
    if (!sameList) this.removeFree(block);
    words[(block >>> 2) + BLK_SIZE_I32] = keepBytes;
    this.writeHeader(rest, restBytes, block, BLOCK_FREE, 0);
    words[((rest + restBytes) >>> 2) + BLK_PREV_PHYS_I32] = rest;
    if (sameList) this.replaceInList(block, rest, listIndex);
    else this.insertFree(rest);
  }

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

  /** Re-makes the view when the heap (maybe grown by another thread) reaches past it. */
  private ensureView(): void {
    if (this.words[this.control + HC_END_BYTE_OFFSET_I32] > this.viewBytes) {
      this.viewBytes = this.buffer.byteLength - (this.buffer.byteLength % 4);
      this.words = new Uint32Array(this.buffer, 0, this.viewBytes >>> 2);
    }
  }

  /**
   * The block whose payload starts at `payloadAddr` if it is allocated, else
   * 0. Checks the neighbours' links too, so an address inside some block's
   * payload is not mistaken for a block.
   */
  private allocatedBlockOf(payloadAddr: number): number {
    if (typeof payloadAddr !== "number" || !Number.isInteger(payloadAddr) || payloadAddr % ALIGN_BYTES !== 0) return 0;
    const words = this.words;
    const start = words[this.control + HC_START_BYTE_OFFSET_I32];
    const sentinel = words[this.control + HC_END_BYTE_OFFSET_I32] - HEAP_BLOCK_HEADER_BYTES;
    const block = payloadAddr - HEAP_BLOCK_HEADER_BYTES;
    if (block < start || block >= sentinel || block + HEAP_BLOCK_HEADER_BYTES > this.viewBytes) return 0;
    const header = block >>> 2;
    const kind = words[header + BLK_KIND_I32] & KIND_MASK;
    if (kind !== BLOCK_LARGE && kind !== BLOCK_POOL && kind !== BLOCK_OTHER) return 0;
    const size = words[header + BLK_SIZE_I32];
    if (size < HEAP_MIN_BLOCK_BYTES || size % ALIGN_BYTES !== 0 || block + size > sentinel) return 0;
    if (words[((block + size) >>> 2) + BLK_PREV_PHYS_I32] !== block) return 0;
    const prev = words[header + BLK_PREV_PHYS_I32];
    if (prev === 0 ? block !== start : prev < start || prev + words[(prev >>> 2) + BLK_SIZE_I32] !== block) return 0;
    return block;
  }

  private notAllocatedError(payloadAddr: number): AllocatorError {
    const start = this.words[this.control + HC_START_BYTE_OFFSET_I32];
    const end = this.endLocked();
    if (typeof payloadAddr !== "number" || !(payloadAddr >= start && payloadAddr < end)) {
      return new AllocatorError(`Heap.free: byte offset ${String(payloadAddr)} is not in the heap [${start}, ${end})`);
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
    const free = kind === BLOCK_FREE;
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

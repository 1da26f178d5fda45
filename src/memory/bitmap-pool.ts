/**
 * BitmapPool: fixed-size slots tracked by a bitmap that lives in the buffer,
 * so several threads can allocate from one pool without a lock.
 *
 * ```
 *  base                                                    slotsByteOffset
 *  ┌──────────────┬────────────┬───────────────────┬─────┬──────┬──────┬───
 *  │ fixed words  │ summary    │ bitmap            │ pad │ slot0│ slot1│ ...
 *  │ magic, slot  │ 1 bit per  │ 1 bit per slot,   │     │      │      │
 *  │ size, slots, │ bitmap word│ 1 = allocated     │     │      │      │
 *  │ hint         │ 1 = full   │                   │     │      │      │
 *  └──────────────┴────────────┴───────────────────┴─────┴──────┴──────┴───
 * ```
 *
 * Invariants (at quiescence; `checkMemory()` tests them):
 * - Summary bit w is set ⇔ bitmap word w is all ones.
 * - Bits past the last slot (in the last bitmap word and the last summary
 *   word) are always 1, so a search never needs a bounds check.
 * - freeCount == capacity − popcount(real slot bits): it is computed, not
 *   stored, so it cannot drift.
 *
 * Concurrency: an alloc claims a zero bit with `Atomics.or` and looks at the
 * bit it got back: if another thread set it first, nothing changed and it
 * tries again. A free clears the bit with `Atomics.and`; if the bit was
 * already clear, nothing changed and the free is refused. So every slot is
 * handed out once, and `alloc()` returns null only after seeing every word
 * full. The summary is kept in step by whichever thread fills or un-fills a
 * word (`syncSummary`). Two Atomics calls per alloc+free, no counter: in V8
 * each Atomics call is a builtin call, the main cost of the hot path.
 * `claimBatch` / `releaseBatch` claim or free up to 32 slots of one word
 * with one Atomics call (releaseBatch a compare-and-swap, so a batch with a
 * slot that is not allocated changes nothing): the address space's
 * per-thread slot caches refill and flush through them.
 *
 * Misuse changes nothing: every public method refuses an index, word or
 * address outside the pool (RangeError, or AllocatorError for `free`), so
 * the padding bits and the memory past the bitmap are never written.
 *
 * Who may change what: only alloc/free touch the bitmap, the summary
 * and hint; the fixed words are written once by the constructor.
 */
import { describeValue, isSharedArrayBuffer } from "./describe.js";
import { AllocatorError } from "../errors.js";
import {
  BITMAP_POOL_MAGIC,
  BITS_PER_WORD,
  BP_HINT_I32,
  BP_MAGIC_I32,
  BP_SLOTS_I32,
  BP_SLOT_BYTES_I32,
  BP_SUMMARY_I32,
  MAX_ADDRESS_SPACE_BYTES,
  bitmapPoolMetaBytes,
  bitmapWordsFor,
  summaryWordsFor,
} from "./layout.js";

const FULL_WORD = -1;

/** Set while `attach` runs the constructor, which then reads the pool instead of initialising it. */
let attaching = false;

/** Set bits in a 32-bit word. */
export function popcount(word: number): number {
  let bits = word - ((word >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (((bits + (bits >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Index (0..31) of the lowest set bit of a non-zero word. */
function lowestSetBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/** The lowest `count` set bits of `word` (all of them if it has fewer). */
function lowestBits(word: number, count: number): number {
  let rest = word;
  for (let taken = 0; taken < count && rest !== 0; taken++) rest &= rest - 1;
  return word & ~rest;
}

/**
 * Fixed-size slots plus an allocation bitmap, both inside a SharedArrayBuffer.
 *
 * - `alloc()` is next-fit from a search hint: find-first-zero with `Math.clz32`,
 *   skipping full words through the summary level.
 * - `free()` refuses a double free, a foreign or a misaligned address with
 *   `AllocatorError` and changes nothing.
 * - `BitmapPool.attach()` sees the same pool from another thread.
 *
 * @example
 * ```ts
 * const buffer = new SharedArrayBuffer(BitmapPool.bytesNeeded(64, 100));
 * const pool = new BitmapPool(buffer, 0, 64, 100);
 * const addr = pool.alloc()!;
 * pool.free(addr);
 * ```
 */
export class BitmapPool {
  readonly base: number;
  readonly slotSize: number;
  readonly capacity: number;
  /** Byte offset of slot 0. */
  readonly slotsByteOffset: number;

  /** Fixed-length view over the metadata only (length-tracking views on a growable buffer are slow in V8). */
  private readonly meta: Int32Array;
  private readonly bitmapI32: number;
  private readonly bitmapWords: number;
  private readonly summaryWords: number;
  /** log2(slotSize) when it is a power of two, else -1 (then address → index divides). */
  private readonly slotShift: number;
  /** Always-set bits past the last slot in the last bitmap word: how many, and which. */
  private readonly paddingBits: number;
  private readonly paddingMask: number;
  /** The bitmap word of the last successful `claimBatch` (a second return value, so no object is made). */
  batchWord = 0;

  constructor(buffer: SharedArrayBuffer, base: number, slotSize: number, slots: number) {
    BitmapPool.validateGeometry(buffer, base, slotSize, slots);
    const metaWords = bitmapPoolMetaBytes(slots) >>> 2;
    this.base = base;
    this.slotSize = slotSize;
    this.capacity = slots;
    this.slotsByteOffset = base + metaWords * 4;
    this.meta = new Int32Array(buffer, base, metaWords);
    this.summaryWords = summaryWordsFor(slots);
    this.bitmapWords = bitmapWordsFor(slots);
    this.bitmapI32 = BP_SUMMARY_I32 + this.summaryWords;
    this.slotShift = (slotSize & (slotSize - 1)) === 0 ? 31 - Math.clz32(slotSize) : -1;
    this.paddingBits = this.bitmapWords * BITS_PER_WORD - slots;
    this.paddingMask = this.paddingBits === 0 ? 0 : ~((1 << (BITS_PER_WORD - this.paddingBits)) - 1);
    if (attaching) this.verifyAttached();
    else this.initialise();
  }

  /** Bytes a pool of `slots` slots of `slotSize` bytes occupies from its base: metadata and slots. */
  static bytesNeeded(slotSize: number, slots: number): number {
    BitmapPool.validateSizes(slotSize, slots);
    return bitmapPoolMetaBytes(slots) + slotSize * slots;
  }

  /** The pool another thread initialised at `base`: nothing is re-initialised. */
  static attach(buffer: SharedArrayBuffer, base: number, slotSize: number, slots: number): BitmapPool {
    attaching = true;
    try {
      return new BitmapPool(buffer, base, slotSize, slots);
    } finally {
      attaching = false;
    }
  }

  /** Slots not allocated: capacity − popcount(bitmap), O(capacity / 32); a snapshot when other threads allocate. */
  get freeCount(): number {
    let usedSlots = 0;
    const lastWord = this.bitmapWords - 1;
    for (let wordIndex = 0; wordIndex <= lastWord; wordIndex++) usedSlots += popcount(this.meta[this.bitmapI32 + wordIndex]);
    return this.capacity - (usedSlots - this.paddingBits);
  }

  /** Whether some slot is free, from the summary: O(capacity / 1024). */
  hasRoom(): boolean {
    for (let summaryIndex = 0; summaryIndex < this.summaryWords; summaryIndex++) {
      if (this.meta[BP_SUMMARY_I32 + summaryIndex] !== FULL_WORD) return true;
    }
    return false;
  }

  /** Byte address of a free slot, now allocated; null when the pool is full. */
  alloc(): number | null {
    const slot = this.allocIndex();
    return slot < 0 ? null : this.slotsByteOffset + slot * this.slotSize;
  }

  /** Claims a free slot and returns its index, or -1 when the pool is full. */
  allocIndex(): number {
    const claimed = this.claimBatch(1);
    return claimed === 0 ? -1 : (this.batchWord << 5) + lowestSetBit(claimed);
  }

  /**
   * Claims up to `maxSlots` (1..32) free slots of one bitmap word with a
   * single `Atomics.or`, the lowest free bits first. Returns the claimed bits
   * as a mask over word `batchWord` (slot = batchWord × 32 + bit), or 0 when
   * the pool is full. This is how a thread refills its slot cache: one
   * Atomics call for a whole batch.
   *
   * Reads of the bitmap are plain: a read is only a guess of which bits to
   * claim, and the `Atomics.or` that claims them says which of them were
   * still free (bits another thread set first are not ours, and or-ing a set
   * bit changes nothing).
   */
  claimBatch(maxSlots: number): number {
    if (typeof maxSlots !== "number" || !(maxSlots >= 1 && maxSlots <= BITS_PER_WORD) || maxSlots % 1 !== 0) {
      // Refused before the loop: a zero or fractional batch would claim nothing and retry forever.
      throw new RangeError(`BitmapPool.claimBatch: maxSlots must be an integer from 1 to ${BITS_PER_WORD}, received ${describeValue(maxSlots)}`);
    }
    const meta = this.meta;
    const bitmapI32 = this.bitmapI32;
    const hintWord = meta[BP_HINT_I32];
    let wordIndex = hintWord;
    for (let visited = 0; ; visited++) {
      const word = meta[bitmapI32 + wordIndex];
      if (word !== FULL_WORD) {
        let wanted = ~word;
        if (maxSlots < BITS_PER_WORD) wanted = lowestBits(wanted, maxSlots);
        const before = Atomics.or(meta, bitmapI32 + wordIndex, wanted);
        const claimed = wanted & ~before;
        if (claimed !== 0) {
          if ((before | wanted) === FULL_WORD) this.syncSummary(wordIndex);
          if (wordIndex !== hintWord) meta[BP_HINT_I32] = wordIndex;
          this.batchWord = wordIndex;
          return claimed;
        }
        continue; // other threads took those bits: look at the word again
      }
      // A summary that lags a racing free could send us round in circles: after
      // a full lap, trust only the bitmap itself.
      wordIndex = visited < this.bitmapWords ? this.nextWordWithRoom(wordIndex) : this.nextNonFullWord(wordIndex);
      if (wordIndex < 0) return 0;
    }
  }

  /**
   * Frees the slots whose bits are set in `mask`, all in bitmap word
   * `wordIndex`, with one compare-and-swap (retried only when another
   * thread changed the word meanwhile). False, changing nothing, if some of
   * them are not allocated: callers treat that as a bug, since they only
   * give back slots they own. RangeError for a word outside the bitmap, a
   * mask that is not a 32-bit integer, or bits past the last slot.
   */
  releaseBatch(wordIndex: number, mask: number): boolean {
    if (typeof wordIndex !== "number" || !(wordIndex >= 0 && wordIndex < this.bitmapWords) || wordIndex % 1 !== 0) {
      throw new RangeError(`BitmapPool.releaseBatch: wordIndex must be an integer from 0 to ${this.bitmapWords - 1}, received ${describeValue(wordIndex)}`);
    }
    if (typeof mask !== "number" || mask !== mask >> 0 || mask === 0) {
      throw new RangeError(`BitmapPool.releaseBatch: mask must be a non-zero 32-bit integer, received ${describeValue(mask)}`);
    }
    if (wordIndex === this.bitmapWords - 1 && (mask & this.paddingMask) !== 0) {
      throw new RangeError(`BitmapPool.releaseBatch: mask ${describeValue(mask)} has bits past the last of the pool's ${this.capacity} slots`);
    }
    const meta = this.meta;
    const wordI32 = this.bitmapI32 + wordIndex;
    for (let before = Atomics.load(meta, wordI32); ;) {
      if ((before & mask) !== mask) return false;
      const seen = Atomics.compareExchange(meta, wordI32, before, before & ~mask);
      if (seen === before) {
        if (before === FULL_WORD) this.syncSummary(wordIndex);
        return true;
      }
      before = seen;
    }
  }

  /** Frees the slot at `addr`; AllocatorError (and no change) if it is not an allocated slot of this pool. */
  free(addr: number): void {
    if (typeof addr !== "number") throw new TypeError(`BitmapPool.free: addr must be a byte offset (a number), received ${describeValue(addr)}`);
    const slot = this.slotIndexOf(addr);
    if (slot < 0) throw this.badAddressError("free", addr);
    if (!this.freeIndex(slot)) {
      throw new AllocatorError(`BitmapPool.free: slot at byte offset ${addr} is not allocated (double free?)`);
    }
  }

  /**
   * Clears slot `slot`'s bit; false (and no change) if it was already clear.
   * RangeError for an index outside [0, capacity) (a bit past the last slot
   * is padding that must stay set).
   */
  freeIndex(slot: number): boolean {
    if (typeof slot !== "number" || !(slot >= 0 && slot < this.capacity) || slot % 1 !== 0) {
      throw new RangeError(`BitmapPool.freeIndex: slot must be an integer from 0 to ${this.capacity - 1}, received ${describeValue(slot)}`);
    }
    const wordI32 = this.bitmapI32 + (slot >>> 5);
    const bit = 1 << (slot & 31);
    const before = Atomics.and(this.meta, wordI32, ~bit);
    if ((before & bit) === 0) return false;
    if (before === FULL_WORD) this.syncSummary(slot >>> 5);
    return true;
  }

  isAllocated(addr: number): boolean {
    if (typeof addr !== "number") return false;
    const slot = this.slotIndexOf(addr);
    return slot >= 0 && this.isSlotAllocated(slot);
  }

  /** Whether slot index `slot` is allocated; false for an index outside [0, capacity). */
  isSlotAllocated(slot: number): boolean {
    if (typeof slot !== "number" || !(slot >= 0 && slot < this.capacity) || slot % 1 !== 0) return false;
    return (this.meta[this.bitmapI32 + (slot >>> 5)] & (1 << (slot & 31))) !== 0;
  }

  /** Index of the slot starting at `addr`; -1 if outside the pool, -2 if inside but not a slot start. */
  slotIndexOf(addr: number): number {
    if (typeof addr !== "number") return -1;
    const offsetBytes = addr - this.slotsByteOffset;
    if (!(offsetBytes >= 0 && offsetBytes < this.capacity * this.slotSize)) return -1;
    const slot = this.slotShift >= 0 ? offsetBytes >>> this.slotShift : Math.floor(offsetBytes / this.slotSize);
    return slot * this.slotSize === offsetBytes ? slot : -2;
  }

  slotAddress(slot: number): number {
    return this.slotsByteOffset + slot * this.slotSize;
  }

  /** Runs of allocated slots as [first, count] pairs, in slot order: plain data for heap maps. O(capacity / 32) for full or empty words. */
  usedSlotRuns(): Array<[first: number, count: number]> {
    const runs: Array<[number, number]> = [];
    let runStart = -1;
    for (let wordIndex = 0; wordIndex < this.bitmapWords; wordIndex++) {
      const word = this.meta[this.bitmapI32 + wordIndex];
      const first = wordIndex << 5;
      if (word === FULL_WORD && runStart >= 0) continue;
      if (word === 0 && runStart < 0) continue;
      const slots = Math.min(BITS_PER_WORD, this.capacity - first);
      for (let bit = 0; bit < slots; bit++) {
        const used = (word & (1 << bit)) !== 0;
        if (used && runStart < 0) runStart = first + bit;
        else if (!used && runStart >= 0) {
          runs.push([runStart, first + bit - runStart]);
          runStart = -1;
        }
      }
    }
    if (runStart >= 0) runs.push([runStart, this.capacity - runStart]);
    return runs;
  }

  /** An AllocatorError that says why `addr` is not a slot of this pool. */
  badAddressError(operation: string, addr: number): AllocatorError {
    const slot = this.slotIndexOf(addr);
    const where = `pool at byte offset ${this.base} (${this.capacity} slots of ${this.slotSize} bytes from ${this.slotsByteOffset})`;
    if (slot === -2) return new AllocatorError(`BitmapPool.${operation}: byte offset ${addr} is not the start of a slot in the ${where}`);
    return new AllocatorError(`BitmapPool.${operation}: byte offset ${describeValue(addr)} is not in the ${where}`);
  }

  /**
   * The first bitmap word after `fromWord` (wrapping round, `fromWord` itself
   * last and never from the summary) whose summary bit says it has room; -1
   * when the summary says every word is full. Next-fit: the search goes on
   * from where the last one ended.
   */
  private nextWordWithRoom(fromWord: number): number {
    const meta = this.meta;
    const firstSummary = fromWord >>> 5;
    const fromBit = fromWord & 31;
    const aboveFrom = fromBit === 31 ? 0 : -1 << (fromBit + 1);
    for (let step = 0; step <= this.summaryWords; step++) {
      const summaryIndex = (firstSummary + step) % this.summaryWords;
      let roomy = ~meta[BP_SUMMARY_I32 + summaryIndex];
      if (step === 0) roomy &= aboveFrom;
      else if (step === this.summaryWords) roomy &= ~aboveFrom & ~(1 << fromBit);
      if (roomy !== 0) return (summaryIndex << 5) + lowestSetBit(roomy);
    }
    return this.meta[this.bitmapI32 + fromWord] !== FULL_WORD ? fromWord : -1;
  }

  /** As nextWordWithRoom, from the bitmap alone: O(words). */
  private nextNonFullWord(fromWord: number): number {
    for (let step = 1; step <= this.bitmapWords; step++) {
      const wordIndex = (fromWord + step) % this.bitmapWords;
      if (Atomics.load(this.meta, this.bitmapI32 + wordIndex) !== FULL_WORD) return wordIndex;
    }
    return -1;
  }

  /**
   * Makes summary bit `wordIndex` agree with the bitmap word. Every thread
   * that writes the summary re-reads the word afterwards, so the last writer
   * always leaves them consistent, whatever order fills and frees raced in.
   */
  private syncSummary(wordIndex: number): void {
    const meta = this.meta;
    const summaryI32 = BP_SUMMARY_I32 + (wordIndex >>> 5);
    const bit = 1 << (wordIndex & 31);
    for (;;) {
      const wantFull = Atomics.load(meta, this.bitmapI32 + wordIndex) === FULL_WORD;
      const markedFull = (Atomics.load(meta, summaryI32) & bit) !== 0;
      if (wantFull === markedFull) return;
      if (wantFull) Atomics.or(meta, summaryI32, bit);
      else Atomics.and(meta, summaryI32, ~bit);
    }
  }

  private initialise(): void {
    const meta = this.meta;
    meta.fill(0);
    meta[BP_SLOT_BYTES_I32] = this.slotSize;
    meta[BP_SLOTS_I32] = this.capacity;
    meta[BP_HINT_I32] = 0;
    // Pad bits past the last slot and past the last bitmap word as "allocated"/"full".
    const slotsInLastWord = this.capacity - (this.bitmapWords - 1) * BITS_PER_WORD;
    if (slotsInLastWord < BITS_PER_WORD) meta[this.bitmapI32 + this.bitmapWords - 1] = ~((1 << slotsInLastWord) - 1);
    const wordsInLastSummary = this.bitmapWords - (this.summaryWords - 1) * BITS_PER_WORD;
    if (wordsInLastSummary < BITS_PER_WORD) meta[BP_SUMMARY_I32 + this.summaryWords - 1] = ~((1 << wordsInLastSummary) - 1);
    Atomics.store(meta, BP_MAGIC_I32, BITMAP_POOL_MAGIC);
  }

  private verifyAttached(): void {
    const meta = this.meta;
    const found = `magic ${Atomics.load(meta, BP_MAGIC_I32) >>> 0}, slot size ${meta[BP_SLOT_BYTES_I32]}, ${meta[BP_SLOTS_I32]} slots`;
    if (Atomics.load(meta, BP_MAGIC_I32) !== BITMAP_POOL_MAGIC || meta[BP_SLOT_BYTES_I32] !== this.slotSize || meta[BP_SLOTS_I32] !== this.capacity) {
      throw new AllocatorError(`BitmapPool.attach: no pool of ${this.capacity} slots of ${this.slotSize} bytes at byte offset ${this.base} (found ${found})`);
    }
  }

  private static validateSizes(slotSize: number, slots: number): void {
    if (!Number.isInteger(slotSize) || slotSize <= 0 || slotSize % 8 !== 0) {
      throw new RangeError(`BitmapPool: slotSize must be a positive multiple of 8, received ${describeValue(slotSize)}`);
    }
    if (!Number.isInteger(slots) || slots <= 0) {
      throw new RangeError(`BitmapPool: slots must be a positive integer, received ${describeValue(slots)}`);
    }
    if (slots * slotSize > MAX_ADDRESS_SPACE_BYTES) {
      throw new RangeError(`BitmapPool: ${slots} slots of ${slotSize} bytes exceed the 4 GiB address space`);
    }
  }

  private static validateGeometry(buffer: SharedArrayBuffer, base: number, slotSize: number, slots: number): void {
    if (!isSharedArrayBuffer(buffer)) {
      throw new TypeError(`BitmapPool: buffer must be a SharedArrayBuffer, received ${describeValue(buffer)}`);
    }
    if (!Number.isInteger(base) || base < 0 || base % 8 !== 0) {
      throw new RangeError(`BitmapPool: base must be a non-negative multiple of 8, received ${describeValue(base)}`);
    }
    BitmapPool.validateSizes(slotSize, slots);
    const endByteOffset = base + bitmapPoolMetaBytes(slots) + slotSize * slots;
    if (endByteOffset > buffer.byteLength) {
      throw new RangeError(
        `BitmapPool: ${slots} slots of ${slotSize} bytes at byte offset ${base} need bytes up to ${endByteOffset}, the buffer has ${buffer.byteLength}`,
      );
    }
  }
}

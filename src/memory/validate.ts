/**
 * checkMemory: a full walk of the address space that throws on the first
 * broken invariant, saying which. Tests call it after every step of a
 * model-based run; it is O(size of the buffer's metadata), never for hot paths.
 *
 * It reads only the buffer (through the offsets in layout.ts), never an
 * AddressSpace object's caches, so it checks what every attached thread sees.
 * Run it when no thread is allocating: the lock-free counters are exact only
 * at quiescence.
 *
 * What it checks:
 * - header: magic, version, regions in order inside the buffer;
 * - heap: blocks tile [start, end) with consistent PREV_PHYS links and the
 *   sentinel last; no two adjacent free blocks; the used byte count; every
 *   free block in exactly the list its size maps to; bitmaps ⇔ non-empty lists;
 *   every quick block in exactly the quick list its size hashes to, whose
 *   entry records its size and count;
 * - each BitmapPool: magic and geometry, summary bit ⇔ full word, padding
 *   bits set, hint in range;
 * - header flags agree with the heap's (shared or not);
 * - pools: each region inside the micro region or inside its own POOL heap
 *   block, no two overlapping, every POOL block owned by exactly one pool;
 *   a slot with an odd generation (handed out) has its bitmap bit set;
 * - thread records: each table entry names its own THREAD heap block (and
 *   every THREAD block has an entry); every cached slot is a slot start of a
 *   pool of its class, cached once across all records, with its bit set, an
 *   even generation, and the right generation word;
 * - per pool: bits set == handed out + cached; per class: capacity == Σ slots,
 *   popcount(bitmaps) == used + Σ cached, used ≤ highWater ≤ capacity;
 * - large stacks: count and bytes == the LARGE blocks in the heap.
 */
import { bug } from "../errors.js";
import { isAddressSpace, type AddressSpace } from "./address-space.js";
import { describeValue, isByteOffset, isSharedArrayBuffer } from "./describe.js";
import { popcount } from "./bitmap-pool.js";
import { quickListIndex, tlsfListIndex } from "./heap.js";
import {
  ADDRESS_SPACE_MAGIC,
  ALIGN_BYTES,
  BITMAP_POOL_MAGIC,
  BITS_PER_WORD,
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
  BLOCK_QUICK,
  BLOCK_SENTINEL,
  BLOCK_THREAD,
  BP_FIXED_WORDS,
  BP_HINT_I32,
  BP_MAGIC_I32,
  BP_SLOTS_I32,
  BP_SLOT_BYTES_I32,
  BP_SUMMARY_I32,
  CLASS_CAPACITY,
  CLASS_HIGH_WATER,
  CLASS_POOLS,
  CACHE_CAPACITY,
  CLASS_STATS_WORDS,
  CLASS_USED,
  FLAG_GUARD,
  FLAG_SHARED,
  GUARD_BYTES,
  GUARD_WORD,
  MAX_AFFINITY_TAG,
  POOL_AFFINITY_I32,
  HC_END_BYTE_OFFSET_I32,
  HC_FLAGS_I32,
  HC_FL_BITMAP_I32,
  HC_HEADS_I32,
  HC_LIMIT_BYTES_I32,
  HC_MAGIC_I32,
  HEAP_CONTROL_BYTES,
  HEAP_MAGIC,
  HC_QUICK_I32,
  HC_SL_BITMAPS_I32,
  HC_START_BYTE_OFFSET_I32,
  HC_USED_BYTES_I32,
  HDR_CLASS_STATS_I32,
  HDR_FLAGS_I32,
  HDR_HEADER_BYTES_I32,
  HDR_HEAP_BYTE_OFFSET_I32,
  HDR_LARGE_BYTES_I32,
  HDR_LARGE_COUNT_I32,
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
  HEAP_FLAG_SHARED,
  HEAP_MIN_BLOCK_BYTES,
  KIND_MASK,
  KIND_UNUSED_TAIL_SHIFT,
  KIND_FLAGS_SHIFT,
  KIND_FLAG_OWNED,
  GEN_HANDED_OUT,
  GEN_MARKS,
  GEN_OWNED,
  LAYOUT_VERSION,
  MAX_POOLS,
  MAX_THREADS,
  POOL_BASE_BYTE_OFFSET_I32,
  POOL_CLASS_I32,
  POOL_HEAP_BLOCK_I32,
  POOL_REGION_BYTES_I32,
  POOL_REGION_BYTE_OFFSET_I32,
  POOL_SLOTS_I32,
  POOL_SLOT_BYTES_I32,
  QUICK_DEPTH,
  QUICK_ENTRY_WORDS,
  QUICK_HEAD,
  QUICK_LISTS,
  QUICK_SIZE,
  THREAD_RECORD_BYTES,
  THREAD_RECORD_MAGIC,
  TLSF_FL_COUNT,
  TLSF_SL_COUNT,
  TR_COUNT_I32,
  TR_ENTRIES_I32,
  TR_ENTRY_WORDS,
  TR_INDEX_I32,
  TR_MAGIC_I32,
  bitmapPoolMetaBytes,
  bitmapWordsFor,
  generationBytes,
  poolRecordI32,
  summaryWordsFor,
  threadTableI32,
} from "./layout.js";
import { POOL_CLASSES, POOL_CLASS_COUNT, POOL_SLOT_BYTES } from "./size-classes.js";

/** Throws, naming the invariant, when `ok` is false. */
function ensure(ok: boolean, what: () => string): void {
  if (!ok) bug(`checkMemory: ${what()}`);
}

function wordsOf(buffer: SharedArrayBuffer): Uint32Array {
  return new Uint32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
}

/** A heap block as the walk saw it. */
interface WalkedBlock {
  addr: number;
  bytes: number;
  kind: number;
  tag: number;
  payloadBytes: number;
}

/** Checks every BitmapPool invariant of the pool at `base`; returns its capacity and used slots. */
export function checkBitmapPool(buffer: SharedArrayBuffer, base: number): { capacity: number; used: number; slotBytes: number } {
  requireBuffer("checkBitmapPool", buffer);
  if (!isByteOffset(base, 8) || base + BP_FIXED_WORDS * 4 > buffer.byteLength) {
    throw new RangeError(`checkBitmapPool: base must be a multiple of 8 inside the buffer (${buffer.byteLength} bytes), received ${describeValue(base)}`);
  }
  const words = wordsOf(buffer);
  const meta = base >>> 2;
  const where = `BitmapPool at byte offset ${base}`;
  if (Atomics.load(words, meta + BP_MAGIC_I32) !== BITMAP_POOL_MAGIC) {
    throw new TypeError(
      `checkBitmapPool: there is no BitmapPool at byte offset ${base} (its magic word is ${words[meta + BP_MAGIC_I32]}, a pool's is ${BITMAP_POOL_MAGIC})`,
    );
  }
  const slotBytes = words[meta + BP_SLOT_BYTES_I32];
  const capacity = words[meta + BP_SLOTS_I32];
  ensure(slotBytes > 0 && slotBytes % 8 === 0 && capacity > 0, () => `${where}: bad geometry (${capacity} slots of ${slotBytes} bytes)`);
  ensure(base + bitmapPoolMetaBytes(capacity) + capacity * slotBytes <= buffer.byteLength, () => `${where}: slots run past the buffer`);
  const summaryWords = summaryWordsFor(capacity);
  const bitmapWords = bitmapWordsFor(capacity);
  const bitmap = meta + BP_SUMMARY_I32 + summaryWords;
  let usedBits = 0;
  for (let wordIndex = 0; wordIndex < bitmapWords; wordIndex++) {
    const word = words[bitmap + wordIndex] | 0;
    const realSlots = Math.min(BITS_PER_WORD, capacity - wordIndex * BITS_PER_WORD);
    const paddingMask = realSlots === BITS_PER_WORD ? 0 : ~((1 << realSlots) - 1);
    ensure((word & paddingMask) === paddingMask, () => `${where}: padding bits of bitmap word ${wordIndex} are not all set`);
    usedBits += popcount(word & ~paddingMask);
    const summaryBit = (words[meta + BP_SUMMARY_I32 + (wordIndex >>> 5)] >>> (wordIndex & 31)) & 1;
    ensure(
      summaryBit === (word === -1 ? 1 : 0),
      () => `${where}: summary bit ${wordIndex} is ${summaryBit} but bitmap word is ${word === -1 ? "" : "not "}full`,
    );
  }
  const lastSummaryWords = bitmapWords - (summaryWords - 1) * BITS_PER_WORD;
  if (lastSummaryWords < BITS_PER_WORD) {
    const paddingMask = ~((1 << lastSummaryWords) - 1);
    const lastSummary = words[meta + BP_SUMMARY_I32 + summaryWords - 1] | 0;
    ensure((lastSummary & paddingMask) === paddingMask, () => `${where}: summary padding bits are not all set`);
  }
  ensure(words[meta + BP_HINT_I32] < bitmapWords, () => `${where}: hint ${words[meta + BP_HINT_I32]} past ${bitmapWords} bitmap words`);
  return { capacity, used: usedBits, slotBytes };
}

/** Checks every heap invariant of the heap whose control block is at `controlByteOffset`; returns its blocks. */
export function checkHeap(buffer: SharedArrayBuffer, controlByteOffset: number): WalkedBlock[] {
  requireBuffer("checkHeap", buffer);
  if (!isByteOffset(controlByteOffset, 8) || controlByteOffset + HEAP_CONTROL_BYTES > buffer.byteLength) {
    throw new RangeError(
      `checkHeap: controlByteOffset must be a multiple of 8 with a control block inside the buffer (${buffer.byteLength} bytes), received ${describeValue(controlByteOffset)}`,
    );
  }
  const words = wordsOf(buffer);
  const control = controlByteOffset >>> 2;
  if (Atomics.load(words, control + HC_MAGIC_I32) !== HEAP_MAGIC) {
    throw new TypeError(`checkHeap: there is no heap control block at byte offset ${controlByteOffset} (no Heap.init wrote one there)`);
  }
  const start = words[control + HC_START_BYTE_OFFSET_I32];
  const end = words[control + HC_END_BYTE_OFFSET_I32];
  const limit = words[control + HC_LIMIT_BYTES_I32];
  ensure(
    start % ALIGN_BYTES === 0 && end % ALIGN_BYTES === 0 && start > 0 && start + HEAP_BLOCK_HEADER_BYTES <= end && end <= buffer.byteLength && end <= limit,
    () => `heap bounds: start ${start}, end ${end}, limit ${limit}, buffer ${buffer.byteLength}`,
  );

  // Pass 1 — walk the blocks in address order.
  const sentinel = end - HEAP_BLOCK_HEADER_BYTES;
  const blocks: WalkedBlock[] = [];
  const freeBlocks = new Set<number>();
  const quickBlocks = new Map<number, number>(); // block → bytes
  let quickBytes = 0;
  let usedBytes = 0;
  let freeBytes = 0;
  let prev = 0;
  let prevFree = false;
  for (let block = start; block < sentinel;) {
    const header = block >>> 2;
    const bytes = words[header + BLK_SIZE_I32];
    const kind = words[header + BLK_KIND_I32] & KIND_MASK;
    const unusedTail = (words[header + BLK_KIND_I32] >>> KIND_UNUSED_TAIL_SHIFT) & 0xff;
    const flags = (words[header + BLK_KIND_I32] >>> KIND_FLAGS_SHIFT) << KIND_FLAGS_SHIFT;
    ensure(flags === 0 || (kind === BLOCK_LARGE && flags === KIND_FLAG_OWNED), () => `heap block at ${block}: kind ${kind} with flags ${flags >>> 0}`);
    ensure(bytes >= HEAP_MIN_BLOCK_BYTES && bytes % ALIGN_BYTES === 0 && block + bytes <= sentinel, () => `heap block at ${block}: bad size ${bytes}`);
    ensure(words[header + BLK_PREV_PHYS_I32] === prev, () => `heap block at ${block}: PREV_PHYS ${words[header + BLK_PREV_PHYS_I32]}, expected ${prev}`);
    ensure(
      kind === BLOCK_FREE || kind === BLOCK_QUICK || kind === BLOCK_LARGE || kind === BLOCK_POOL || kind === BLOCK_THREAD || kind === BLOCK_OTHER,
      () => `heap block at ${block}: unknown kind ${kind}`,
    );
    const free = kind === BLOCK_FREE;
    const quick = kind === BLOCK_QUICK;
    ensure(!(free && prevFree), () => `heap blocks at ${prev} and ${block} are both free: they were not merged`);
    ensure(
      free || quick ? words[header + BLK_KIND_I32] === kind : unusedTail < HEAP_MIN_BLOCK_BYTES && unusedTail % ALIGN_BYTES === 0,
      () => `heap block at ${block}: bad unused tail ${unusedTail}`,
    );
    if (free) {
      freeBlocks.add(block);
      freeBytes += bytes;
    } else if (quick) {
      quickBlocks.set(block, bytes);
      freeBytes += bytes;
      quickBytes += bytes;
    } else {
      usedBytes += bytes;
    }
    blocks.push({ addr: block, bytes, kind, tag: words[header + BLK_TAG_I32], payloadBytes: bytes - HEAP_BLOCK_HEADER_BYTES - unusedTail });
    prev = block;
    prevFree = free;
    block += bytes;
  }
  const sentinelHeader = sentinel >>> 2;
  ensure(
    words[sentinelHeader + BLK_SIZE_I32] === HEAP_BLOCK_HEADER_BYTES && (words[sentinelHeader + BLK_KIND_I32] & KIND_MASK) === BLOCK_SENTINEL,
    () => `heap sentinel at ${sentinel} is missing`,
  );
  ensure(words[sentinelHeader + BLK_PREV_PHYS_I32] === prev, () => `heap sentinel: PREV_PHYS ${words[sentinelHeader + BLK_PREV_PHYS_I32]}, expected ${prev}`);
  ensure(
    words[control + HC_USED_BYTES_I32] === usedBytes + quickBytes,
    () => `heap usedBytes ${words[control + HC_USED_BYTES_I32]}, blocks say ${usedBytes} used + ${quickBytes} in quick blocks (counted there too)`,
  );
  ensure(
    usedBytes + freeBytes + HEAP_BLOCK_HEADER_BYTES === end - start,
    () => `heap used ${usedBytes} + free ${freeBytes} + sentinel != end - start ${end - start}`,
  );

  // Pass 2 — every free list, against the walk and the bitmaps.
  const listed = new Set<number>();
  const firstLevelMap = words[control + HC_FL_BITMAP_I32];
  for (let firstLevel = 0; firstLevel < 32; firstLevel++) {
    const secondLevelMap = firstLevel < TLSF_FL_COUNT ? words[control + HC_SL_BITMAPS_I32 + firstLevel] : 0;
    const firstLevelBit = (firstLevelMap >>> firstLevel) & 1;
    ensure(
      firstLevelBit === (secondLevelMap !== 0 ? 1 : 0),
      () => `heap first-level bit ${firstLevel} is ${firstLevelBit}, second-level map is ${secondLevelMap}`,
    );
    if (firstLevel >= TLSF_FL_COUNT) continue;
    ensure(secondLevelMap >>> TLSF_SL_COUNT === 0, () => `heap second-level map ${firstLevel} has bits past ${TLSF_SL_COUNT}`);
    for (let secondLevel = 0; secondLevel < TLSF_SL_COUNT; secondLevel++) {
      const listIndex = firstLevel * TLSF_SL_COUNT + secondLevel;
      const head = words[control + HC_HEADS_I32 + listIndex];
      const bit = (secondLevelMap >>> secondLevel) & 1;
      ensure(bit === (head !== 0 ? 1 : 0), () => `heap list ${listIndex}: bitmap bit ${bit} but head ${head}`);
      let prevFreeBlock = 0;
      for (let block = head; block !== 0; block = words[(block >>> 2) + BLK_NEXT_FREE_I32]) {
        ensure(freeBlocks.has(block) && !listed.has(block), () => `heap list ${listIndex}: ${block} is not a free block, or listed twice`);
        listed.add(block);
        const bytes = words[(block >>> 2) + BLK_SIZE_I32];
        ensure(tlsfListIndex(bytes) === listIndex, () => `heap list ${listIndex}: block ${block} of ${bytes} bytes belongs in list ${tlsfListIndex(bytes)}`);
        ensure(words[(block >>> 2) + BLK_PREV_FREE_I32] === prevFreeBlock, () => `heap list ${listIndex}: block ${block} PREV_FREE is wrong`);
        prevFreeBlock = block;
      }
    }
  }
  ensure(listed.size === freeBlocks.size, () => `heap: ${freeBlocks.size} free blocks but ${listed.size} in the free lists`);

  // Pass 3 — every quick list: quick blocks of the entry's size, hashed to it,
  // tagged with their depth (the head's is the count, at most QUICK_DEPTH).
  const quickListed = new Set<number>();
  for (let entry = 0; entry < QUICK_LISTS; entry++) {
    const entryI32 = control + HC_QUICK_I32 + entry * QUICK_ENTRY_WORDS;
    const size = words[entryI32 + QUICK_SIZE];
    const head = words[entryI32 + QUICK_HEAD];
    const count = head === 0 ? 0 : words[(head >>> 2) + BLK_TAG_I32];
    ensure(count <= QUICK_DEPTH, () => `heap quick list ${entry}: ${count} blocks, more than ${QUICK_DEPTH}`);
    let depth = count;
    for (let block = head; block !== 0; block = words[(block >>> 2) + BLK_NEXT_FREE_I32]) {
      ensure(
        quickBlocks.get(block) === size && !quickListed.has(block),
        () => `heap quick list ${entry}: ${block} is not a quick block of ${size} bytes, or listed twice`,
      );
      ensure(
        words[(block >>> 2) + BLK_TAG_I32] === depth && depth >= 1,
        () => `heap quick list ${entry}: block ${block} has depth ${words[(block >>> 2) + BLK_TAG_I32]}, expected ${depth}`,
      );
      quickListed.add(block);
      depth--;
    }
    ensure(depth === 0, () => `heap quick list ${entry}: its head says ${count} blocks, but ${count - depth} are listed`);
    ensure(
      count === 0 || quickListIndex(size) === entry,
      () => `heap quick list ${entry} holds ${size}-byte blocks, which belong in list ${quickListIndex(size)}`,
    );
  }
  ensure(quickListed.size === quickBlocks.size, () => `heap: ${quickBlocks.size} quick blocks but ${quickListed.size} in the quick lists`);
  return blocks;
}

/** A stack pool as the walk saw it: where its slots, bits and generations are. */
interface WalkedPool {
  id: number;
  classIndex: number;
  slotsStart: number;
  slotsEnd: number;
  slotBytes: number;
  /** i32 index of bitmap word 0 and of slot 0's generation. */
  bitmapI32: number;
  generationsI32: number;
  /** Bits set, slots with an odd generation (handed out), slots found in thread caches. */
  claimed: number;
  handedOut: number;
  cached: number;
  /** 0 general; else the affinity tag the pool is reserved to (its slots are never cached). */
  affinity: number;
}

/** Checks every invariant of the address space in `buffer` (see the module comment). */
export function checkAddressSpaceBuffer(buffer: SharedArrayBuffer): void {
  requireBuffer("checkAddressSpaceBuffer", buffer);
  const words = wordsOf(buffer);
  if (words.length * 4 < HEADER_BYTES || Atomics.load(words, HDR_MAGIC_I32) !== ADDRESS_SPACE_MAGIC) {
    throw new TypeError(`checkAddressSpaceBuffer: this ${buffer.byteLength}-byte SharedArrayBuffer is not a cprime-coro address space (no header magic)`);
  }
  if (words[HDR_VERSION_I32] !== LAYOUT_VERSION || words[HDR_HEADER_BYTES_I32] !== HEADER_BYTES) {
    throw new TypeError(
      `checkAddressSpaceBuffer: the buffer holds an address space of layout version ${words[HDR_VERSION_I32]} (${words[HDR_HEADER_BYTES_I32]} header bytes); this build reads version ${LAYOUT_VERSION} (${HEADER_BYTES})`,
    );
  }
  const microStart = words[HDR_MICRO_REGION_BYTE_OFFSET_I32];
  const microEnd = microStart + words[HDR_MICRO_REGION_BYTES_I32];
  const heapStart = words[HDR_HEAP_BYTE_OFFSET_I32];
  const maxBytes = words[HDR_MAX_BYTES_I32];
  ensure(
    microStart === HEADER_BYTES && microEnd === heapStart && buffer.byteLength <= maxBytes && buffer.maxByteLength === maxBytes,
    () => `regions out of order: micro [${microStart}, ${microEnd}), heap at ${heapStart}, buffer ${buffer.byteLength}, maxBytes ${maxBytes}`,
  );
  const control = HEAP_CONTROL_BYTE_OFFSET >>> 2;
  ensure(
    words[control + HC_START_BYTE_OFFSET_I32] === heapStart,
    () => `heap control says the heap starts at ${words[control + HC_START_BYTE_OFFSET_I32]}, header says ${heapStart}`,
  );
  ensure(
    words[HDR_ZERO_I32] === 0,
    () => `header word ${HDR_ZERO_I32} (always zero: detached objects read their cache counts there) is ${words[HDR_ZERO_I32]}`,
  );
  const flags = words[HDR_FLAGS_I32];
  ensure((flags & ~(FLAG_SHARED | FLAG_GUARD)) === 0, () => `header flags ${flags} has unknown bits`);
  const guarded = (flags & FLAG_GUARD) !== 0;
  const shared = (flags & FLAG_SHARED) !== 0;
  ensure(
    ((words[control + HC_FLAGS_I32] & HEAP_FLAG_SHARED) !== 0) === shared,
    () => `the header says the space is ${shared ? "" : "not "}shared, the heap's flags disagree`,
  );

  const blocks = checkHeap(buffer, HEAP_CONTROL_BYTE_OFFSET);
  const blockByPayload = new Map(blocks.map((block) => [block.addr + HEAP_BLOCK_HEADER_BYTES, block]));

  // Pools: each inside its container, geometry consistent, every slot's bit against its generation.
  const poolCount = Atomics.load(words, HDR_POOL_COUNT_I32);
  ensure(poolCount <= MAX_POOLS, () => `pool count ${poolCount} exceeds ${MAX_POOLS}`);
  const capacity = [0, 0, 0];
  const pools = [0, 0, 0];
  const ownedBlocks = new Set<number>();
  const walkedPools: WalkedPool[] = [];
  for (let poolId = 0; poolId < poolCount; poolId++) {
    const record = poolRecordI32(poolId);
    const classIndex = words[record + POOL_CLASS_I32];
    const regionStart = words[record + POOL_REGION_BYTE_OFFSET_I32];
    const regionBytes = words[record + POOL_REGION_BYTES_I32];
    const slots = words[record + POOL_SLOTS_I32];
    const heapBlock = words[record + POOL_HEAP_BLOCK_I32];
    const affinity = words[record + POOL_AFFINITY_I32];
    const where = `pool ${poolId}`;
    ensure(
      affinity <= MAX_AFFINITY_TAG && (affinity === 0 || heapBlock !== 0),
      () => `${where}: affinity tag ${affinity} (at most ${MAX_AFFINITY_TAG}, never the micro region's pool)`,
    );
    ensure(classIndex < POOL_CLASS_COUNT, () => `${where}: unknown class ${classIndex}`);
    ensure(
      words[record + POOL_SLOT_BYTES_I32] === POOL_SLOT_BYTES[classIndex],
      () => `${where}: slot bytes ${words[record + POOL_SLOT_BYTES_I32]} for class ${POOL_CLASSES[classIndex]}`,
    );
    const base = words[record + POOL_BASE_BYTE_OFFSET_I32];
    ensure(base === regionStart + generationBytes(slots), () => `${where}: BitmapPool base is not right after the generations`);
    ensure(
      regionBytes === generationBytes(slots) + bitmapPoolMetaBytes(slots) + slots * POOL_SLOT_BYTES[classIndex],
      () => `${where}: region of ${regionBytes} bytes does not match ${slots} slots`,
    );
    if (heapBlock === 0) {
      ensure(
        poolId === 0 && classIndex === 0 && regionStart === microStart && regionStart + regionBytes === microEnd,
        () => `${where}: outside the heap but not the micro region`,
      );
    } else {
      const block = blockByPayload.get(heapBlock);
      ensure(
        block !== undefined && block.kind === BLOCK_POOL && block.tag === poolId,
        () => `${where}: heap block ${heapBlock} is not a POOL block tagged ${poolId}`,
      );
      ensure(
        regionStart === heapBlock && regionBytes <= block!.payloadBytes,
        () => `${where}: region [${regionStart}, +${regionBytes}) is not inside its heap block`,
      );
      ownedBlocks.add(heapBlock);
    }
    const pool = checkBitmapPool(buffer, base);
    ensure(pool.capacity === slots && pool.slotBytes === POOL_SLOT_BYTES[classIndex], () => `${where}: record and BitmapPool disagree on geometry`);
    const walked: WalkedPool = {
      id: poolId,
      classIndex,
      slotsStart: base + bitmapPoolMetaBytes(slots),
      slotsEnd: base + bitmapPoolMetaBytes(slots) + slots * pool.slotBytes,
      slotBytes: pool.slotBytes,
      bitmapI32: (base >>> 2) + BP_SUMMARY_I32 + summaryWordsFor(slots),
      generationsI32: regionStart >>> 2,
      claimed: pool.used,
      handedOut: 0,
      cached: 0,
      affinity,
    };
    if (guarded) checkGuards(words, where, POOL_CLASSES[classIndex], walked.slotsStart, pool.slotBytes, slots);
    // A handed-out slot (odd generation) has its bit set; a clear bit means an even generation; only a handed-out slot is owned.
    for (let slot = 0; slot < slots; slot++) {
      const generation = words[walked.generationsI32 + slot];
      ensure((generation & GEN_MARKS) !== GEN_OWNED, () => `${where}: slot ${slot} is marked owned (generation ${generation}) but not handed out`);
      if ((generation & GEN_HANDED_OUT) === 0) continue;
      walked.handedOut++;
      const bitSet = (words[walked.bitmapI32 + (slot >>> 5)] >>> (slot & 31)) & 1;
      ensure(bitSet === 1, () => `${where}: slot ${slot} has an odd generation (handed out) but its bitmap bit is clear`);
    }
    walkedPools.push(walked);
    capacity[classIndex] += slots;
    pools[classIndex] += 1;
  }
  const byStart = [...walkedPools].sort((a, b) => a.slotsStart - b.slotsStart);
  for (let index = 1; index < byStart.length; index++) {
    const [before, after] = [byStart[index - 1], byStart[index]];
    ensure(
      before.generationsI32 * 4 < after.generationsI32 * 4 && before.slotsEnd <= after.generationsI32 * 4,
      () => `pools ${before.id} and ${after.id} overlap`,
    );
  }
  for (const block of blocks) {
    if (block.kind === BLOCK_POOL) {
      ensure(ownedBlocks.has(block.addr + HEAP_BLOCK_HEADER_BYTES), () => `heap POOL block at ${block.addr} belongs to no pool`);
    }
  }

  // Thread records: each in its own THREAD block; every cached slot is a free slot whose bit is set, cached once.
  const cached = checkThreadRecords(words, blocks, blockByPayload, byStart);

  // Class counters against the pools and caches.
  for (const pool of walkedPools) {
    ensure(
      pool.claimed === pool.handedOut + pool.cached,
      () => `pool ${pool.id}: ${pool.claimed} bitmap bits set, but ${pool.handedOut} slots handed out (odd generation) + ${pool.cached} cached`,
    );
  }
  for (let classIndex = 0; classIndex < POOL_CLASS_COUNT; classIndex++) {
    const stats = HDR_CLASS_STATS_I32 + classIndex * CLASS_STATS_WORDS;
    const name = POOL_CLASSES[classIndex];
    const ofClass = walkedPools.filter((pool) => pool.classIndex === classIndex);
    const claimed = ofClass.reduce((sum, pool) => sum + pool.claimed, 0);
    const used = words[stats + CLASS_USED];
    ensure(
      words[stats + CLASS_CAPACITY] === capacity[classIndex],
      () => `${name} capacity ${words[stats + CLASS_CAPACITY]}, pools hold ${capacity[classIndex]} slots`,
    );
    ensure(
      claimed === used + cached[classIndex],
      () => `${name}: bitmaps have ${claimed} slots set, but used ${used} + cached ${cached[classIndex]} = ${used + cached[classIndex]}`,
    );
    ensure(words[stats + CLASS_POOLS] === pools[classIndex], () => `${name} pool count ${words[stats + CLASS_POOLS]}, records say ${pools[classIndex]}`);
    const highWater = words[stats + CLASS_HIGH_WATER];
    ensure(
      used <= highWater && highWater <= capacity[classIndex],
      () => `${name}: not used ${used} ≤ highWater ${highWater} ≤ capacity ${capacity[classIndex]}`,
    );
  }

  // Large stacks against the LARGE blocks.
  const largeBlocks = blocks.filter((block) => block.kind === BLOCK_LARGE);
  const largeBytes = largeBlocks.reduce((sum, block) => sum + block.payloadBytes, 0);
  ensure(words[HDR_LARGE_COUNT_I32] === largeBlocks.length, () => `large count ${words[HDR_LARGE_COUNT_I32]}, heap has ${largeBlocks.length} large blocks`);
  ensure(words[HDR_LARGE_BYTES_I32] === largeBytes, () => `large bytes ${words[HDR_LARGE_BYTES_I32]}, large blocks hold ${largeBytes}`);
  if (guarded)
    for (const block of largeBlocks) checkGuards(words, `large block at ${block.addr}`, "large", block.addr + HEAP_BLOCK_HEADER_BYTES, block.payloadBytes, 1);
}

/**
 * Guarded spaces: the last GUARD_BYTES of each of `slots` stacks of `stackBytes`
 * from `start` hold GUARD_WORD (layout.ts), handed out or not.
 */
function checkGuards(words: Uint32Array, where: string, sizeClass: string, start: number, stackBytes: number, slots: number): void {
  for (let slot = 0; slot < slots; slot++) {
    const guard = start + (slot + 1) * stackBytes - GUARD_BYTES;
    for (let word = 0; word < GUARD_BYTES >>> 2; word++) {
      ensure(
        words[(guard >>> 2) + word] === GUARD_WORD,
        () =>
          `${where}: the guard of ${sizeClass} stack ${slot} at ${start + slot * stackBytes} ([${guard}, ${guard + GUARD_BYTES})) is damaged at byte +${word * 4} (word ${words[(guard >>> 2) + word] >>> 0})`,
      );
    }
  }
}

/**
 * Checks the thread table and every thread record's caches against the
 * pools (sorted by slot start); counts each pool's cached slots into it and
 * returns the cached slots per class.
 */
function checkThreadRecords(words: Uint32Array, blocks: WalkedBlock[], blockByPayload: Map<number, WalkedBlock>, poolsByStart: WalkedPool[]): number[] {
  const cached = [0, 0, 0];
  const seen = new Set<number>();
  const records = new Set<number>();
  for (let index = 0; index < MAX_THREADS; index++) {
    const recordAddr = words[threadTableI32(index)];
    if (recordAddr === 0) continue;
    const where = `thread record ${index} at ${recordAddr}`;
    const block = blockByPayload.get(recordAddr);
    ensure(block !== undefined && block.kind === BLOCK_THREAD && block.tag === index, () => `${where}: not the payload of a THREAD heap block tagged ${index}`);
    ensure(block!.payloadBytes >= THREAD_RECORD_BYTES, () => `${where}: its block holds ${block!.payloadBytes} bytes, a record needs ${THREAD_RECORD_BYTES}`);
    const record = recordAddr >>> 2;
    ensure(words[record + TR_MAGIC_I32] === THREAD_RECORD_MAGIC && words[record + TR_INDEX_I32] === index, () => `${where}: bad magic or index`);
    records.add(recordAddr);
    for (let classIndex = 0; classIndex < POOL_CLASS_COUNT; classIndex++) {
      const count = words[record + TR_COUNT_I32 + classIndex];
      const name = POOL_CLASSES[classIndex];
      ensure(count <= CACHE_CAPACITY[classIndex], () => `${where}: ${count} cached ${name} slots, more than the cache holds (${CACHE_CAPACITY[classIndex]})`);
      for (let entryIndex = 0; entryIndex < count; entryIndex++) {
        const entry = record + TR_ENTRIES_I32[classIndex] + entryIndex * TR_ENTRY_WORDS;
        const addr = words[entry];
        const pool = poolAt(poolsByStart, addr);
        ensure(pool !== null && pool.classIndex === classIndex, () => `${where}: cached ${name} slot ${addr} is in no ${name} pool`);
        ensure(
          pool!.affinity === 0,
          () => `${where}: cached ${name} slot ${addr} belongs to pool ${pool!.id}, reserved to affinity tag ${pool!.affinity} (its slots are never cached)`,
        );
        const slot = (addr - pool!.slotsStart) / pool!.slotBytes;
        ensure(Number.isInteger(slot), () => `${where}: cached ${name} address ${addr} is not a slot start`);
        ensure(!seen.has(addr), () => `${where}: ${name} slot ${addr} is cached twice`);
        seen.add(addr);
        ensure(words[entry + 1] === pool!.generationsI32 + slot, () => `${where}: cached ${name} slot ${addr} names the wrong generation word`);
        ensure((words[pool!.generationsI32 + slot] & 1) === 0, () => `${where}: cached ${name} slot ${addr} has an odd generation (handed out)`);
        ensure(((words[pool!.bitmapI32 + (slot >>> 5)] >>> (slot & 31)) & 1) === 1, () => `${where}: cached ${name} slot ${addr} has its bitmap bit clear`);
        pool!.cached++;
      }
      cached[classIndex] += count;
    }
  }
  for (const block of blocks) {
    if (block.kind === BLOCK_THREAD) {
      ensure(records.has(block.addr + HEAP_BLOCK_HEADER_BYTES), () => `heap THREAD block at ${block.addr} is in no thread-table entry`);
    }
  }
  return cached;
}

/** The pool whose slots contain `addr` (pools sorted by slot start), or null. */
function poolAt(poolsByStart: WalkedPool[], addr: number): WalkedPool | null {
  let low = 0;
  let high = poolsByStart.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (poolsByStart[middle].slotsStart <= addr) low = middle + 1;
    else high = middle - 1;
  }
  return high >= 0 && addr < poolsByStart[high].slotsEnd ? poolsByStart[high] : null;
}

/** Throws (naming the broken invariant) unless every invariant of `space` holds. */
export function checkMemory(space: AddressSpace): void {
  if (!isAddressSpace(space)) throw new TypeError(`checkMemory: expected an AddressSpace (rt.memory), received ${describeValue(space)}`);
  checkAddressSpaceBuffer(space.buffer);
}

function requireBuffer(operation: string, buffer: unknown): asserts buffer is SharedArrayBuffer {
  if (!isSharedArrayBuffer(buffer)) throw new TypeError(`${operation}: buffer must be a SharedArrayBuffer, received ${describeValue(buffer)}`);
}

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
 * - each BitmapPool: magic and geometry, summary bit ⇔ full word, padding
 *   bits set, hint in range;
 * - pools: each region inside the micro region or inside its own POOL heap
 *   block, no two overlapping, every POOL block owned by exactly one pool;
 * - per class: capacity == Σ slots, used == Σ used slots, used ≤ highWater ≤ capacity;
 * - large stacks: count and bytes == the LARGE blocks in the heap.
 */
import { bug } from "../errors.js";
import type { AddressSpace } from "./address-space.js";
import { popcount } from "./bitmap-pool.js";
import { tlsfListIndex } from "./heap.js";
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
  BLOCK_SENTINEL,
  BP_HINT_I32,
  BP_MAGIC_I32,
  BP_SLOTS_I32,
  BP_SLOT_BYTES_I32,
  BP_SUMMARY_I32,
  CLASS_CAPACITY,
  CLASS_HIGH_WATER,
  CLASS_POOLS,
  CLASS_STATS_WORDS,
  CLASS_USED,
  HC_END_BYTE_OFFSET_I32,
  HC_FL_BITMAP_I32,
  HC_HEADS_I32,
  HC_LIMIT_BYTES_I32,
  HC_SL_BITMAPS_I32,
  HC_START_BYTE_OFFSET_I32,
  HC_USED_BYTES_I32,
  HDR_CLASS_STATS_I32,
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
  HEADER_BYTES,
  HEAP_BLOCK_HEADER_BYTES,
  HEAP_CONTROL_BYTE_OFFSET,
  HEAP_MIN_BLOCK_BYTES,
  KIND_MASK,
  KIND_UNUSED_TAIL_SHIFT,
  LAYOUT_VERSION,
  MAX_POOLS,
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
  TLSF_FL_COUNT,
  TLSF_SL_COUNT,
  bitmapPoolMetaBytes,
  bitmapWordsFor,
  generationBytes,
  poolRecordI32,
  summaryWordsFor,
} from "./layout.js";

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
  const words = wordsOf(buffer);
  const meta = base >>> 2;
  const where = `BitmapPool at byte offset ${base}`;
  ensure(base % 8 === 0 && base + 32 <= buffer.byteLength, () => `${where}: base is not a multiple of 8 inside the buffer`);
  ensure(Atomics.load(words, meta + BP_MAGIC_I32) === BITMAP_POOL_MAGIC, () => `${where}: bad magic`);
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
    ensure(summaryBit === (word === -1 ? 1 : 0), () => `${where}: summary bit ${wordIndex} is ${summaryBit} but bitmap word is ${word === -1 ? "" : "not "}full`);
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
  const words = wordsOf(buffer);
  const control = controlByteOffset >>> 2;
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
  let usedBytes = 0;
  let freeBytes = 0;
  let prev = 0;
  let prevFree = false;
  for (let block = start; block < sentinel; ) {
    const header = block >>> 2;
    const bytes = words[header + BLK_SIZE_I32];
    const kind = words[header + BLK_KIND_I32] & KIND_MASK;
    const unusedTail = (words[header + BLK_KIND_I32] >>> KIND_UNUSED_TAIL_SHIFT) & 0xff;
    ensure(bytes >= HEAP_MIN_BLOCK_BYTES && bytes % ALIGN_BYTES === 0 && block + bytes <= sentinel, () => `heap block at ${block}: bad size ${bytes}`);
    ensure(words[header + BLK_PREV_PHYS_I32] === prev, () => `heap block at ${block}: PREV_PHYS ${words[header + BLK_PREV_PHYS_I32]}, expected ${prev}`);
    ensure(kind === BLOCK_FREE || kind === BLOCK_LARGE || kind === BLOCK_POOL || kind === BLOCK_OTHER, () => `heap block at ${block}: unknown kind ${kind}`);
    const free = kind === BLOCK_FREE;
    ensure(!(free && prevFree), () => `heap blocks at ${prev} and ${block} are both free: they were not merged`);
    ensure(free ? words[header + BLK_KIND_I32] === BLOCK_FREE : unusedTail < HEAP_MIN_BLOCK_BYTES && unusedTail % ALIGN_BYTES === 0, () => `heap block at ${block}: bad unused tail ${unusedTail}`);
    if (free) {
      freeBlocks.add(block);
      freeBytes += bytes;
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
  ensure(words[control + HC_USED_BYTES_I32] === usedBytes, () => `heap usedBytes ${words[control + HC_USED_BYTES_I32]}, blocks say ${usedBytes}`);
  ensure(usedBytes + freeBytes + HEAP_BLOCK_HEADER_BYTES === end - start, () => `heap used ${usedBytes} + free ${freeBytes} + sentinel != end - start ${end - start}`);

  // Pass 2 — every free list, against the walk and the bitmaps.
  const listed = new Set<number>();
  const firstLevelMap = words[control + HC_FL_BITMAP_I32];
  for (let firstLevel = 0; firstLevel < 32; firstLevel++) {
    const secondLevelMap = firstLevel < TLSF_FL_COUNT ? words[control + HC_SL_BITMAPS_I32 + firstLevel] : 0;
    const firstLevelBit = (firstLevelMap >>> firstLevel) & 1;
    ensure(firstLevelBit === (secondLevelMap !== 0 ? 1 : 0), () => `heap first-level bit ${firstLevel} is ${firstLevelBit}, second-level map is ${secondLevelMap}`);
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
  return blocks;
}

/** Checks every invariant of the address space in `buffer` (see the module comment). */
export function checkAddressSpaceBuffer(buffer: SharedArrayBuffer): void {
  const words = wordsOf(buffer);
  ensure(words.length * 4 >= HEADER_BYTES, () => `buffer of ${buffer.byteLength} bytes is smaller than the header`);
  ensure(Atomics.load(words, HDR_MAGIC_I32) === ADDRESS_SPACE_MAGIC && words[HDR_VERSION_I32] === LAYOUT_VERSION, () => "header magic or version is wrong");
  ensure(words[HDR_HEADER_BYTES_I32] === HEADER_BYTES, () => `header says ${words[HDR_HEADER_BYTES_I32]} header bytes, layout says ${HEADER_BYTES}`);
  const microStart = words[HDR_MICRO_REGION_BYTE_OFFSET_I32];
  const microEnd = microStart + words[HDR_MICRO_REGION_BYTES_I32];
  const heapStart = words[HDR_HEAP_BYTE_OFFSET_I32];
  const maxBytes = words[HDR_MAX_BYTES_I32];
  ensure(
    microStart === HEADER_BYTES && microEnd === heapStart && buffer.byteLength <= maxBytes && buffer.maxByteLength === maxBytes,
    () => `regions out of order: micro [${microStart}, ${microEnd}), heap at ${heapStart}, buffer ${buffer.byteLength}, maxBytes ${maxBytes}`,
  );
  const control = HEAP_CONTROL_BYTE_OFFSET >>> 2;
  ensure(words[control + HC_START_BYTE_OFFSET_I32] === heapStart, () => `heap control says the heap starts at ${words[control + HC_START_BYTE_OFFSET_I32]}, header says ${heapStart}`);

  const blocks = checkHeap(buffer, HEAP_CONTROL_BYTE_OFFSET);
  const blockByPayload = new Map(blocks.map((block) => [block.addr + HEAP_BLOCK_HEADER_BYTES, block]));

  // Pools: each inside its container, geometry consistent, counted per class.
  const poolCount = Atomics.load(words, HDR_POOL_COUNT_I32);
  ensure(poolCount <= MAX_POOLS, () => `pool count ${poolCount} exceeds ${MAX_POOLS}`);
  const capacity = [0, 0, 0];
  const used = [0, 0, 0];
  const pools = [0, 0, 0];
  const ownedBlocks = new Set<number>();
  const regions: Array<[start: number, end: number, id: number]> = [];
  for (let poolId = 0; poolId < poolCount; poolId++) {
    const record = poolRecordI32(poolId);
    const classIndex = words[record + POOL_CLASS_I32];
    const regionStart = words[record + POOL_REGION_BYTE_OFFSET_I32];
    const regionBytes = words[record + POOL_REGION_BYTES_I32];
    const slots = words[record + POOL_SLOTS_I32];
    const heapBlock = words[record + POOL_HEAP_BLOCK_I32];
    const where = `pool ${poolId}`;
    ensure(classIndex < POOL_CLASS_COUNT, () => `${where}: unknown class ${classIndex}`);
    ensure(words[record + POOL_SLOT_BYTES_I32] === POOL_SLOT_BYTES[classIndex], () => `${where}: slot bytes ${words[record + POOL_SLOT_BYTES_I32]} for class ${POOL_CLASSES[classIndex]}`);
    ensure(words[record + POOL_BASE_BYTE_OFFSET_I32] === regionStart + generationBytes(slots), () => `${where}: BitmapPool base is not right after the generations`);
    ensure(
      regionBytes === generationBytes(slots) + bitmapPoolMetaBytes(slots) + slots * POOL_SLOT_BYTES[classIndex],
      () => `${where}: region of ${regionBytes} bytes does not match ${slots} slots`,
    );
    if (heapBlock === 0) {
      ensure(poolId === 0 && classIndex === 0 && regionStart === microStart && regionStart + regionBytes === microEnd, () => `${where}: outside the heap but not the micro region`);
    } else {
      const block = blockByPayload.get(heapBlock);
      ensure(block !== undefined && block.kind === BLOCK_POOL && block.tag === poolId, () => `${where}: heap block ${heapBlock} is not a POOL block tagged ${poolId}`);
      ensure(regionStart === heapBlock && regionBytes <= block!.payloadBytes, () => `${where}: region [${regionStart}, +${regionBytes}) is not inside its heap block`);
      ownedBlocks.add(heapBlock);
    }
    regions.push([regionStart, regionStart + regionBytes, poolId]);
    const pool = checkBitmapPool(buffer, words[record + POOL_BASE_BYTE_OFFSET_I32]);
    ensure(pool.capacity === slots && pool.slotBytes === POOL_SLOT_BYTES[classIndex], () => `${where}: record and BitmapPool disagree on geometry`);
    capacity[classIndex] += slots;
    used[classIndex] += pool.used;
    pools[classIndex] += 1;
  }
  regions.sort((a, b) => a[0] - b[0]);
  for (let index = 1; index < regions.length; index++) {
    ensure(regions[index - 1][1] <= regions[index][0], () => `pools ${regions[index - 1][2]} and ${regions[index][2]} overlap`);
  }
  for (const block of blocks) {
    if (block.kind === BLOCK_POOL) {
      ensure(ownedBlocks.has(block.addr + HEAP_BLOCK_HEADER_BYTES), () => `heap POOL block at ${block.addr} belongs to no pool`);
    }
  }

  // Class counters against the pools.
  for (let classIndex = 0; classIndex < POOL_CLASS_COUNT; classIndex++) {
    const stats = HDR_CLASS_STATS_I32 + classIndex * CLASS_STATS_WORDS;
    const name = POOL_CLASSES[classIndex];
    ensure(words[stats + CLASS_CAPACITY] === capacity[classIndex], () => `${name} capacity ${words[stats + CLASS_CAPACITY]}, pools hold ${capacity[classIndex]} slots`);
    ensure(words[stats + CLASS_USED] === used[classIndex], () => `${name} used ${words[stats + CLASS_USED]}, bitmaps say ${used[classIndex]}`);
    ensure(words[stats + CLASS_POOLS] === pools[classIndex], () => `${name} pool count ${words[stats + CLASS_POOLS]}, records say ${pools[classIndex]}`);
    const highWater = words[stats + CLASS_HIGH_WATER];
    ensure(used[classIndex] <= highWater && highWater <= capacity[classIndex], () => `${name}: not used ${used[classIndex]} ≤ highWater ${highWater} ≤ capacity ${capacity[classIndex]}`);
  }

  // Large stacks against the LARGE blocks.
  const largeBlocks = blocks.filter((block) => block.kind === BLOCK_LARGE);
  const largeBytes = largeBlocks.reduce((sum, block) => sum + block.payloadBytes, 0);
  ensure(words[HDR_LARGE_COUNT_I32] === largeBlocks.length, () => `large count ${words[HDR_LARGE_COUNT_I32]}, heap has ${largeBlocks.length} large blocks`);
  ensure(words[HDR_LARGE_BYTES_I32] === largeBytes, () => `large bytes ${words[HDR_LARGE_BYTES_I32]}, large blocks hold ${largeBytes}`);
}

/** Throws (naming the broken invariant) unless every invariant of `space` holds. */
export function checkMemory(space: AddressSpace): void {
  checkAddressSpaceBuffer(space.buffer);
}

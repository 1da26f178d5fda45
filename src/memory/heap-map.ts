/**
 * The heap map: the address space drawn to scale as a hand-written SVG
 * document (`AddressSpace.toSVG()`), read like a memory map.
 *
 * ```
 *  0x0000000 ┃header│gens│bitmap│■■■■■■■■□□□□□■■■■■□□□□□□□□ micro slots □□□□□□□┃  ← one row = bytesPerRow bytes
 *  0x0040000 ┃□□□□□□□□□□□□□□│blk│small pool: ■■■■□□□□□□□□│ large stack ▒▒▒▒▒▒▒▒▒▒┃
 *  0x0080000 ┃▒▒▒▒▒▒│ free heap ...                                           ┃
 * ```
 *
 * Invariants of the drawing (heap-map.test.ts checks them):
 * - To scale: every byte of the buffer is drawn exactly once, at
 *   `bytesPerPixel` bytes per pixel, in rows of `bytesPerRow` bytes, so a
 *   region's rects add up to its bytes / bytesPerPixel (within rounding).
 * - Exact counts: every slot rect carries `data-slots`, and the slots of a
 *   class drawn as used (or free) add up to what `stats()` says.
 * - Bounded size: a region narrower than a few pixels is not drawn alone;
 *   it goes into a *cell* of at least `cellPx` pixels, drawn as one rect per
 *   class in it, each as wide as that class's bytes in the cell (so totals
 *   stay exact, only the order inside a cell is lost). When the drawing
 *   would still hold more than MAX_RECTS rects, cells double in size. A
 *   280 MiB space with a million slots stays a small file.
 * - Valid XML: every text (title, labels) is escaped.
 *
 * It reads only the plain data of `AddressSpace.layout()`; it knows nothing
 * about coroutines (the runtime passes its chained stack segments as
 * `highlight`).
 */
import { describeValue, readGuarded, readOptions } from "./describe.js";
import type { MemoryLayout, PoolLayout } from "./address-space.js";
import { HEAP_BLOCK_HEADER_BYTES } from "./layout.js";
import { POOL_CLASSES, type PoolSizeClass } from "./size-classes.js";

/** What `toSVG()` accepts. */
export interface HeapMapOptions {
  /** Width of the whole drawing in pixels (default 1100, at least 400). */
  width?: number;
  /** A heading drawn above the map (escaped). */
  title?: string;
  /** Byte ranges to outline on top of the map, e.g. a coroutine's chained stack segments. */
  highlight?: ReadonlyArray<{ addr: number; bytes: number; label: string }>;
  /** Names for affinity tags 1..4 in the legend (the runtime passes its channel patterns); default "affinity tag N". */
  affinityNames?: readonly string[];
}

/** What a region of the map holds: one colour each. */
type RegionKind =
  | "header"
  | "pool-meta"
  | "used-micro"
  | "free-micro"
  | "used-small"
  | "free-small"
  | "used-medium"
  | "free-medium"
  | AffinityKind
  | "guard"
  | "large"
  | "thread"
  | "other"
  | "heap-free"
  | "heap-meta";

/** Slots of a pool reserved to affinity tag 1..4 (a tag above 4 draws as 4's colour). */
type AffinityKind = "used-aff1" | "free-aff1" | "used-aff2" | "free-aff2" | "used-aff3" | "free-aff3" | "used-aff4" | "free-aff4";
const AFFINITY_USED: readonly RegionKind[] = ["used-aff1", "used-aff2", "used-aff3", "used-aff4"];
const AFFINITY_FREE: readonly RegionKind[] = ["free-aff1", "free-aff2", "free-aff3", "free-aff4"];

/** A run of bytes of one kind, in address order. Slot runs count their slots. */
interface Region {
  addr: number;
  bytes: number;
  kind: RegionKind;
  slots: number;
  /** The pool the region belongs to (its metadata or slots), -1 otherwise. */
  pool: number;
}

/** One rect of the drawing, before placement in rows. */
interface Piece {
  addr: number;
  bytes: number;
  kind: RegionKind;
  slots: number;
  pool: number;
}

const KIND_STYLE: Record<RegionKind, { fill: string; name: string }> = {
  header: { fill: "#37474f", name: "header (allocator state)" },
  "pool-meta": { fill: "#90a4ae", name: "pool metadata (generations, bitmap)" },
  "used-micro": { fill: "#1e88e5", name: "micro stacks in use" },
  "free-micro": { fill: "#bbdefb", name: "micro slots free" },
  "used-small": { fill: "#43a047", name: "small stacks in use" },
  "free-small": { fill: "#c8e6c9", name: "small slots free" },
  "used-medium": { fill: "#fb8c00", name: "medium stacks in use" },
  "free-medium": { fill: "#ffe0b2", name: "medium slots free" },
  "used-aff1": { fill: "#d81b60", name: "affinity tag 1 stacks in use" },
  "free-aff1": { fill: "#f8bbd0", name: "affinity tag 1 slots free" },
  "used-aff2": { fill: "#3949ab", name: "affinity tag 2 stacks in use" },
  "free-aff2": { fill: "#c5cae9", name: "affinity tag 2 slots free" },
  "used-aff3": { fill: "#00acc1", name: "affinity tag 3 stacks in use" },
  "free-aff3": { fill: "#b2ebf2", name: "affinity tag 3 slots free" },
  "used-aff4": { fill: "#c0ca33", name: "affinity tag 4 stacks in use" },
  "free-aff4": { fill: "#f0f4c3", name: "affinity tag 4 slots free" },
  guard: { fill: "#d50000", name: "guard regions (never handed out)" },
  large: { fill: "#8e24aa", name: "large stacks" },
  thread: { fill: "#00897b", name: "thread records (slot caches)" },
  other: { fill: "#6d4c41", name: "other heap blocks" },
  "heap-free": { fill: "#eeeeee", name: "free heap" },
  "heap-meta": { fill: "#b0bec5", name: "heap block headers, unused tails, end sentinel" },
};
const KIND_ORDER = Object.keys(KIND_STYLE) as RegionKind[];

const USED_KIND: Record<PoolSizeClass, RegionKind> = { micro: "used-micro", small: "used-small", medium: "used-medium" };
const FREE_KIND: Record<PoolSizeClass, RegionKind> = { micro: "free-micro", small: "free-small", medium: "free-medium" };

const DEFAULT_WIDTH = 1100;
const MIN_WIDTH = 400;
const MARGIN_LEFT = 86;
const MARGIN_RIGHT = 14;
const ROW_HEIGHT = 14;
const ROW_GAP = 3;
const TARGET_ROWS = 40;
/** A region narrower than this is pooled into a cell. */
const MIN_EXACT_PX = 3;
const START_CELL_PX = 4;
/** Above this many rects, cells double in size and the map is drawn again. */
export const MAX_RECTS = 12_000;

/** Text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[char]!);
}

/** A number for an attribute: at most two decimals, no trailing zeros. */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Bytes for people: "256 B", "2 KiB", "7.13 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toFixed(2))} ${units[unit]}`;
}

function hex(addr: number): string {
  return `0x${addr.toString(16).padStart(7, "0")}`;
}

function validateOptions(givenOptions: HeapMapOptions): {
  width: number;
  title: string;
  highlight: Array<{ addr: number; bytes: number; label: string }>;
  affinityNames: readonly string[];
} {
  if (typeof givenOptions !== "object" || givenOptions === null)
    throw new TypeError(`toSVG: options must be an object, received ${describeValue(givenOptions)}`);
  const options = readOptions("toSVG options", givenOptions, ["width", "title", "highlight", "affinityNames"]) as HeapMapOptions;
  const affinityNames = options.affinityNames ?? [];
  if (!readGuarded("toSVG affinityNames", () => Array.isArray(affinityNames) && affinityNames.every((name) => typeof name === "string"))) {
    throw new TypeError(`toSVG: affinityNames must be an array of strings, received ${describeValue(affinityNames)}`);
  }
  const width = options.width ?? DEFAULT_WIDTH;
  if (typeof width !== "number" || !Number.isFinite(width) || width < MIN_WIDTH) {
    throw new RangeError(`toSVG: width must be a finite number of at least ${MIN_WIDTH} pixels, received ${describeValue(width)}`);
  }
  const title = options.title ?? "Address space";
  if (typeof title !== "string") throw new TypeError(`toSVG: title must be a string, received ${describeValue(title)}`);
  const highlight = options.highlight ?? [];
  if (!readGuarded("toSVG highlight", () => Array.isArray(highlight))) {
    throw new TypeError(`toSVG: highlight must be an array of { addr, bytes, label }, received ${describeValue(highlight)}`);
  }
  const items = readGuarded("toSVG highlight", () =>
    highlight.map((item: unknown) => {
      const { addr, bytes, label } = (item ?? {}) as { addr?: unknown; bytes?: unknown; label?: unknown };
      return { item, addr, bytes, label };
    }),
  );
  return {
    width,
    title,
    affinityNames: [...affinityNames],
    highlight: items.map(({ item, addr, bytes, label }, index) => {
      if (typeof addr !== "number" || typeof bytes !== "number" || typeof label !== "string" || !(addr >= 0) || !(bytes > 0)) {
        throw new TypeError(`toSVG: highlight[${index}] must be { addr: number ≥ 0, bytes: number > 0, label: string }, received ${describeValue(item)}`);
      }
      return { addr, bytes, label };
    }),
  };
}

// ── Regions: the address space as runs of one kind ─────────────────────────────

/** Pushes a region, merged into the previous one when it continues it with the same kind and pool. */
function pushRegion(regions: Region[], region: Region): void {
  if (region.bytes <= 0) return;
  const last = regions[regions.length - 1];
  if (last !== undefined && last.kind === region.kind && last.pool === region.pool && last.addr + last.bytes === region.addr) {
    last.bytes += region.bytes;
    last.slots += region.slots;
  } else {
    regions.push({ ...region });
  }
}

/** A pool's region: its metadata, then its slots as alternating used and free runs (each slot then its guard, when guarded). */
function poolRegions(regions: Region[], pool: PoolLayout, guardBytes: number): void {
  pushRegion(regions, { addr: pool.addr, bytes: pool.slotsAddr - pool.addr, kind: "pool-meta", slots: 0, pool: pool.id });
  let slot = 0;
  const tag = Math.min(pool.affinity, 4) - 1;
  const usedKind = tag < 0 ? USED_KIND[pool.sizeClass] : AFFINITY_USED[tag];
  const freeKind = tag < 0 ? FREE_KIND[pool.sizeClass] : AFFINITY_FREE[tag];
  const slotRun = (first: number, count: number, used: boolean) => {
    const kind = used ? usedKind : freeKind;
    const addr = pool.slotsAddr + first * pool.slotSize;
    if (guardBytes === 0) return pushRegion(regions, { addr, bytes: count * pool.slotSize, kind, slots: count, pool: pool.id });
    for (let k = 0; k < count; k++) {
      const at = addr + k * pool.slotSize;
      pushRegion(regions, { addr: at, bytes: pool.slotSize - guardBytes, kind, slots: 1, pool: pool.id });
      pushRegion(regions, { addr: at + pool.slotSize - guardBytes, bytes: guardBytes, kind: "guard", slots: 0, pool: pool.id });
    }
  };
  for (const [first, count] of pool.usedRuns) {
    if (first > slot) slotRun(slot, first - slot, false);
    slotRun(first, count, true);
    slot = first + count;
  }
  if (slot < pool.slots) slotRun(slot, pool.slots - slot, false);
  const end = pool.slotsAddr + pool.slots * pool.slotSize;
  pushRegion(regions, { addr: end, bytes: pool.addr + pool.bytes - end, kind: "pool-meta", slots: 0, pool: pool.id });
}

/** Every byte of the buffer, in address order, as regions. */
function regionsOf(layout: MemoryLayout): Region[] {
  const regions: Region[] = [];
  const poolById = new Map(layout.pools.map((pool) => [pool.id, pool]));
  const none = { slots: 0, pool: -1 };
  pushRegion(regions, { addr: layout.header.addr, bytes: layout.header.bytes, kind: "header", ...none });
  const microPool = layout.pools.find((pool) => pool.placement === "micro-region");
  if (microPool !== undefined) poolRegions(regions, microPool, layout.guardBytes);
  for (const block of layout.blocks) {
    const payload = block.payloadAddr;
    if (block.holds === "free") {
      pushRegion(regions, { addr: block.addr, bytes: block.bytes, kind: "heap-free", ...none });
      continue;
    }
    pushRegion(regions, { addr: block.addr, bytes: HEAP_BLOCK_HEADER_BYTES, kind: "heap-meta", ...none });
    const pool = block.holds === "pool" ? poolById.get(block.tag) : undefined;
    let drawnTo = payload;
    if (pool !== undefined) {
      poolRegions(regions, pool, layout.guardBytes);
      drawnTo = pool.addr + pool.bytes;
    } else {
      const kind: RegionKind = block.holds === "large" ? "large" : block.holds === "thread" ? "thread" : "other";
      const guard = kind === "large" ? layout.guardBytes : 0;
      pushRegion(regions, { addr: payload, bytes: block.payloadBytes - guard, kind, ...none });
      pushRegion(regions, { addr: payload + block.payloadBytes - guard, bytes: guard, kind: "guard", ...none });
      drawnTo = payload + block.payloadBytes;
    }
    pushRegion(regions, { addr: drawnTo, bytes: block.addr + block.bytes - drawnTo, kind: "heap-meta", ...none });
  }
  const heapEnd = layout.heap.addr + layout.heap.bytes;
  const drawn = regions.length === 0 ? 0 : regions[regions.length - 1].addr + regions[regions.length - 1].bytes;
  pushRegion(regions, { addr: drawn, bytes: heapEnd - drawn, kind: "heap-meta", ...none }); // the end sentinel
  pushRegion(regions, { addr: heapEnd, bytes: layout.bufferBytes - heapEnd, kind: "heap-meta", ...none }); // < 16 bytes past the heap
  return regions;
}

// ── Pieces: regions at a pixel budget ──────────────────────────────────────────

/**
 * Regions at least `MIN_EXACT_PX` wide become pieces as they are; narrower
 * ones are gathered into cells of at least `cellBytes`, each drawn as one
 * piece per kind, as wide as that kind's bytes in the cell.
 */
function piecesOf(regions: Region[], bytesPerPixel: number, cellBytes: number): Piece[] {
  const pieces: Piece[] = [];
  let cellStart = -1;
  let cellBytesSoFar = 0;
  /** Per kind in the current cell: its bytes, slots, and its pool (-1 once two pools share the kind). */
  const inCell = new Map<RegionKind, { bytes: number; slots: number; pool: number }>();
  const flushCell = () => {
    let addr = cellStart;
    for (const kind of KIND_ORDER) {
      const share = inCell.get(kind);
      if (share === undefined) continue;
      pieces.push({ addr, bytes: share.bytes, kind, slots: share.slots, pool: share.pool });
      addr += share.bytes;
    }
    inCell.clear();
    cellStart = -1;
    cellBytesSoFar = 0;
  };
  for (const region of regions) {
    if (region.bytes >= MIN_EXACT_PX * bytesPerPixel) {
      if (cellStart >= 0) flushCell();
      pieces.push({ ...region });
      continue;
    }
    if (cellStart < 0) cellStart = region.addr;
    const share = inCell.get(region.kind) ?? { bytes: 0, slots: 0, pool: region.pool };
    share.bytes += region.bytes;
    share.slots += region.slots;
    if (share.pool !== region.pool) share.pool = -1;
    inCell.set(region.kind, share);
    cellBytesSoFar += region.bytes;
    if (cellBytesSoFar >= cellBytes) flushCell();
  }
  if (cellStart >= 0) flushCell();
  return pieces;
}

/** Splits a piece at row boundaries: [row, x, width] per row it touches. */
function rowSpans(addr: number, bytes: number, bytesPerRow: number, bytesPerPixel: number): Array<[number, number, number]> {
  const spans: Array<[number, number, number]> = [];
  let start = addr;
  const end = addr + bytes;
  while (start < end) {
    const row = Math.floor(start / bytesPerRow);
    const rowEnd = Math.min(end, (row + 1) * bytesPerRow);
    spans.push([row, (start - row * bytesPerRow) / bytesPerPixel, (rowEnd - start) / bytesPerPixel]);
    start = rowEnd;
  }
  return spans;
}

// ── The document ───────────────────────────────────────────────────────────────

/** The legend line of a pool class: slots, density, share in use. */
function poolClassLine(layout: MemoryLayout, sizeClass: PoolSizeClass): string | null {
  const pools = layout.pools.filter((pool) => pool.sizeClass === sizeClass);
  if (pools.length === 0) return null;
  const slots = pools.reduce((sum, pool) => sum + pool.slots, 0);
  const used = pools.reduce((sum, pool) => sum + pool.used, 0);
  const cached = pools.reduce((sum, pool) => sum + pool.cached, 0);
  const bytes = pools.reduce((sum, pool) => sum + pool.bytes, 0);
  const slotBytes = pools[0].slotSize;
  const perKiB = 1024 / slotBytes;
  const density = perKiB >= 1 ? `${perKiB} slots per KiB` : `${Number(perKiB.toFixed(4))} slots per KiB (${formatBytes(slotBytes)} each)`;
  return (
    `${sizeClass}: ${pools.length} pool${pools.length === 1 ? "" : "s"}, ${formatBytes(bytes)}, ${slots} slots (${density}), ` +
    `${((100 * used) / slots).toFixed(1)}% used (${used} in use, ${slots - used} free${cached > 0 ? ` of which ${cached} cached` : ""})`
  );
}

/**
 * The address space of `layout` drawn to scale as an SVG document. See the
 * module comment for what the drawing promises.
 */
export function renderHeapMap(layout: MemoryLayout, options: HeapMapOptions = {}): string {
  const { width, title, highlight, affinityNames } = validateOptions(options);
  const kindName = (kind: RegionKind): string => {
    const tag = kind.startsWith("used-aff") || kind.startsWith("free-aff") ? Number(kind.slice(8)) : 0;
    if (tag === 0 || affinityNames[tag - 1] === undefined) return KIND_STYLE[kind].name;
    return `${affinityNames[tag - 1]} ${kind.startsWith("used") ? "stacks in use" : "slots free"}`;
  };
  const mapWidth = width - MARGIN_LEFT - MARGIN_RIGHT;
  const bytesPerRow = Math.max(1024, 2 ** Math.ceil(Math.log2(Math.max(1, layout.bufferBytes / TARGET_ROWS))));
  const bytesPerPixel = bytesPerRow / mapWidth;
  const rows = Math.max(1, Math.ceil(layout.bufferBytes / bytesPerRow));
  const regions = regionsOf(layout);

  // Pieces: cells grow until the drawing fits the element budget.
  let cellPx = START_CELL_PX;
  let pieces = piecesOf(regions, bytesPerPixel, cellPx * bytesPerPixel);
  while (pieces.length + rows > MAX_RECTS) {
    cellPx *= 2;
    pieces = piecesOf(regions, bytesPerPixel, cellPx * bytesPerPixel);
  }

  const top = title.length > 0 ? 52 : 32;
  const mapHeight = rows * (ROW_HEIGHT + ROW_GAP);
  const kindTotals = new Map<RegionKind, number>();
  for (const region of regions) kindTotals.set(region.kind, (kindTotals.get(region.kind) ?? 0) + region.bytes);
  const legendKinds = KIND_ORDER.filter((kind) => (kindTotals.get(kind) ?? 0) > 0);
  const classLines = POOL_CLASSES.map((sizeClass) => poolClassLine(layout, sizeClass)).filter((line): line is string => line !== null);
  for (const tag of [...new Set(layout.pools.map((pool) => pool.affinity).filter((tag) => tag !== 0))].sort((a, b) => a - b)) {
    const pools = layout.pools.filter((pool) => pool.affinity === tag);
    const slots = pools.reduce((sum, pool) => sum + pool.slots, 0);
    const used = pools.reduce((sum, pool) => sum + pool.used, 0);
    const span = `${hex(Math.min(...pools.map((pool) => pool.addr)))}–${hex(Math.max(...pools.map((pool) => pool.addr + pool.bytes)))}`;
    classLines.push(
      `${affinityNames[tag - 1] ?? `affinity tag ${tag}`} (${pools[0].sizeClass}): ${pools.length} pool${pools.length === 1 ? "" : "s"} at ${span}, ${slots} slots, ${used} in use`,
    );
  }
  if (layout.guardBytes > 0) classLines.push(`guards: ${layout.guardBytes} bytes at the end of every slot and large stack`);
  const largeBlocks = layout.blocks.filter((block) => block.holds === "large");
  const legendTop = top + mapHeight + 18;
  const legendRows = legendKinds.length + 1 + classLines.length + (highlight.length > 0 ? 1 + highlight.length : 0);
  const height = legendTop + legendRows * 16 + 12;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${height}" viewBox="0 0 ${num(width)} ${height}" ` +
      `font-family="ui-monospace, Menlo, Consolas, monospace" font-size="11">`,
  );
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(
    `<style>${KIND_ORDER.map((kind) => `.${kind}{fill:${KIND_STYLE[kind].fill}}`).join("")}` +
      `.hl{fill:none;stroke:#d50000;stroke-width:2}.lbl{fill:#263238}.dim{fill:#607d8b}</style>`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  if (title.length > 0) out.push(`<text x="10" y="20" font-size="15" class="lbl">${escapeXml(title)}</text>`);
  out.push(
    `<text x="10" y="${top - 10}" class="dim">${escapeXml(
      `${formatBytes(layout.bufferBytes)} buffer (may grow to ${formatBytes(layout.maxBytes)})${layout.shared ? ", shared" : ""}; ` +
        `each row ${formatBytes(bytesPerRow)}, 1 px = ${num(bytesPerPixel)} bytes; regions under ${MIN_EXACT_PX} px drawn in ${cellPx} px cells`,
    )}</text>`,
  );

  // The map.
  out.push(
    `<g class="map" transform="translate(${MARGIN_LEFT},${top})" data-bytes-per-pixel="${bytesPerPixel}" data-bytes-per-row="${bytesPerRow}" data-rows="${rows}">`,
  );
  for (let row = 0; row < rows; row++) {
    out.push(`<text x="-6" y="${row * (ROW_HEIGHT + ROW_GAP) + ROW_HEIGHT - 3}" text-anchor="end" class="dim">${hex(row * bytesPerRow)}</text>`);
  }
  for (const piece of pieces) {
    const pool = piece.pool >= 0 ? ` data-pool="${piece.pool}"` : "";
    // A piece cut at row ends shares its slots between the parts by bytes, rounded so they add up.
    let bytesSoFar = 0;
    let slotsSoFar = 0;
    for (const [row, x, w] of rowSpans(piece.addr, piece.bytes, bytesPerRow, bytesPerPixel)) {
      bytesSoFar += w * bytesPerPixel;
      const slotsUpTo = Math.min(piece.slots, Math.round((piece.slots * bytesSoFar) / piece.bytes));
      const slots = slotsUpTo - slotsSoFar > 0 ? ` data-slots="${slotsUpTo - slotsSoFar}"` : "";
      slotsSoFar = slotsUpTo;
      out.push(`<rect x="${num(x)}" y="${row * (ROW_HEIGHT + ROW_GAP)}" width="${num(w)}" height="${ROW_HEIGHT}" class="${piece.kind}"${pool}${slots}/>`);
    }
  }
  out.push(`</g>`);

  // Highlights, outlined on top.
  if (highlight.length > 0) {
    out.push(`<g class="highlights" transform="translate(${MARGIN_LEFT},${top})">`);
    highlight.forEach((item, index) => {
      const label = escapeXml(`${index + 1}. ${item.label}`);
      for (const [row, x, w] of rowSpans(item.addr, item.bytes, bytesPerRow, bytesPerPixel)) {
        out.push(
          `<rect x="${num(x)}" y="${row * (ROW_HEIGHT + ROW_GAP)}" width="${num(Math.max(w, 1))}" height="${ROW_HEIGHT}" class="hl" data-label="${label}"><title>${label}</title></rect>`,
        );
      }
    });
    out.push(`</g>`);
  }

  // The legend: a swatch per kind with its bytes, then per pool class its density, then the highlights.
  out.push(`<g class="legend" transform="translate(10,${legendTop})">`);
  let line = 0;
  for (const kind of legendKinds) {
    const bytes = kindTotals.get(kind)!;
    const share = ((100 * bytes) / layout.bufferBytes).toFixed(1);
    out.push(`<rect x="0" y="${line * 16}" width="12" height="12" class="${kind}"/>`);
    out.push(`<text x="18" y="${line * 16 + 10}" class="lbl">${escapeXml(`${kindName(kind)}: ${formatBytes(bytes)} (${share}%)`)}</text>`);
    line++;
  }
  out.push(
    `<text x="0" y="${line * 16 + 10}" class="lbl">${escapeXml(
      `large: ${largeBlocks.length} stack${largeBlocks.length === 1 ? "" : "s"}, ${formatBytes(largeBlocks.reduce((sum, block) => sum + block.payloadBytes, 0))}; ` +
        `heap ${formatBytes(layout.heap.usedBytes)} used, ${formatBytes(layout.heap.freeBytes)} free; ${layout.threads.length} thread record${layout.threads.length === 1 ? "" : "s"}`,
    )}</text>`,
  );
  line++;
  for (const classLine of classLines) {
    out.push(`<text x="0" y="${line * 16 + 10}" class="lbl">${escapeXml(classLine)}</text>`);
    line++;
  }
  if (highlight.length > 0) {
    out.push(`<text x="0" y="${line * 16 + 10}" class="lbl">highlighted:</text>`);
    line++;
    highlight.forEach((item, index) => {
      out.push(`<rect x="0" y="${line * 16}" width="12" height="12" class="hl"/>`);
      out.push(
        `<text x="18" y="${line * 16 + 10}" class="lbl">${escapeXml(`${index + 1}. ${item.label}: ${formatBytes(item.bytes)} at ${hex(item.addr)}`)}</text>`,
      );
      line++;
    });
  }
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n");
}

/**
 * The heap map (AddressSpace.toSVG): well-formed XML, drawn to scale, slot
 * counts that match stats(), highlights, escaping, and a bounded size for a
 * space with a million slots.
 */
import { describe, expect, it } from "vitest";
import { AddressSpace, type StackRef } from "../../src/memory/index.js";
import { MAX_RECTS, escapeXml, formatBytes } from "../../src/memory/heap-map.js";

interface Element {
  name: string;
  attrs: Record<string, string>;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

/**
 * A small XML well-formedness check (no dependency): every tag is balanced
 * and properly nested, attributes are quoted and unique, text and attribute
 * values hold no raw `<` or stray `&`. Returns the elements in document order.
 */
function parseXml(xml: string): Element[] {
  const elements: Element[] = [];
  const open: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>|<!--[\s\S]*?-->|([^<]+)|(<)/g;
  let seenRoot = false;
  for (const match of xml.matchAll(token)) {
    const [, closing, name, attrText, selfClosing, text, strayLt] = match;
    if (strayLt !== undefined) throw new Error(`stray "<" at offset ${match.index}: ${xml.slice(match.index, match.index + 40)}`);
    if (text !== undefined) {
      if (text.replace(ENTITY, "").includes("&")) throw new Error(`unescaped "&" in text: ${text.slice(0, 60)}`);
      if (open.length === 0 && text.trim() !== "") throw new Error(`text outside the root element: ${text.slice(0, 60)}`);
      continue;
    }
    if (name === undefined) continue; // a comment
    if (closing === "/") {
      const expected = open.pop();
      if (expected !== name) throw new Error(`</${name}> closes <${expected}>`);
      continue;
    }
    if (open.length === 0 && seenRoot) throw new Error(`a second root element <${name}>`);
    seenRoot = true;
    const attrs: Record<string, string> = {};
    for (const [, key, value] of attrText.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
      if (key in attrs) throw new Error(`<${name}> repeats attribute ${key}`);
      if (value.includes("<") || value.replace(ENTITY, "").includes("&")) throw new Error(`unescaped value in ${key}="${value}"`);
      attrs[key] = value;
    }
    elements.push({ name, attrs });
    if (selfClosing !== "/") open.push(name);
  }
  if (open.length > 0) throw new Error(`unclosed <${open.join(">, <")}>`);
  if (!seenRoot) throw new Error("no root element");
  return elements;
}

function mapGeometry(elements: Element[]): { bytesPerPixel: number; bytesPerRow: number; rects: Element[] } {
  const map = elements.find((element) => element.name === "g" && element.attrs.class === "map");
  if (map === undefined) throw new Error("no map group");
  const start = elements.indexOf(map);
  const end = elements.findIndex((element, index) => index > start && element.name === "g");
  const rects = elements.slice(start + 1, end < 0 ? undefined : end).filter((element) => element.name === "rect");
  return { bytesPerPixel: Number(map.attrs["data-bytes-per-pixel"]), bytesPerRow: Number(map.attrs["data-bytes-per-row"]), rects };
}

function widthOf(rects: Element[], predicate: (rect: Element) => boolean): number {
  return rects.filter(predicate).reduce((sum, rect) => sum + Number(rect.attrs.width), 0);
}

function slotsOf(rects: Element[], kind: string): number {
  return rects.filter((rect) => rect.attrs.class === kind).reduce((sum, rect) => sum + Number(rect.attrs["data-slots"] ?? 0), 0);
}

/** A space with every kind of region: pools with gaps, carved pools, large stacks, free heap. */
function busySpace(): { space: AddressSpace; large: StackRef } {
  const space = new AddressSpace({ pools: { micro: 2000, small: 64, medium: 8 } });
  const micro = Array.from({ length: 1500 }, () => space.allocStack("micro"));
  micro.forEach((ref, index) => index % 7 === 3 && space.freeStack(ref));
  const small = Array.from({ length: 40 }, () => space.allocStack("small"));
  small.slice(10, 20).forEach((ref) => space.freeStack(ref));
  space.allocStack("medium");
  const large = space.allocStack("large", 300_000);
  space.freeStack(space.allocStack("large", 5000));
  space.allocStack("large");
  return { space, large };
}

describe("AddressSpace.toSVG()", () => {
  it("is a well-formed SVG document with a title, a map and a legend", () => {
    const { space } = busySpace();
    const svg = space.toSVG();
    const elements = parseXml(svg);
    expect(elements[0]).toMatchObject({ name: "svg", attrs: { xmlns: "http://www.w3.org/2000/svg", width: "1100" } });
    expect(elements.filter((element) => element.name === "g").map((element) => element.attrs.class)).toEqual(["map", "legend"]);
    expect(svg).toContain("micro stacks in use");
    expect(svg).toMatch(/micro: 1 pool, [\d.]+ KiB, 2000 slots \(4 slots per KiB\), [\d.]+% used/);
  });

  it("draws every byte of the buffer to scale: rects add up to bytes / bytesPerPixel", () => {
    const { space } = busySpace();
    const layout = space.layout();
    const { bytesPerPixel, bytesPerRow, rects } = mapGeometry(parseXml(space.toSVG({ width: 1400 })));
    expect(bytesPerRow / bytesPerPixel).toBeCloseTo(1400 - 86 - 14, 6);
    const rounding = (count: number) => count * 0.01 + 1e-9; // widths are written with two decimals
    expect(Math.abs(widthOf(rects, () => true) - layout.bufferBytes / bytesPerPixel)).toBeLessThan(rounding(rects.length));
    for (const pool of layout.pools) {
      const mine = rects.filter((rect) => rect.attrs["data-pool"] === String(pool.id));
      expect(Math.abs(widthOf(mine, () => true) - pool.bytes / bytesPerPixel)).toBeLessThan(rounding(mine.length));
    }
    const largeBytes = layout.blocks.filter((block) => block.holds === "large").reduce((sum, block) => sum + block.payloadBytes, 0);
    const largeRects = rects.filter((rect) => rect.attrs.class === "large");
    expect(Math.abs(widthOf(largeRects, () => true) - largeBytes / bytesPerPixel)).toBeLessThan(rounding(largeRects.length));
    for (const rect of rects) {
      expect(Number(rect.attrs.x)).toBeGreaterThanOrEqual(0);
      expect(Number(rect.attrs.x) + Number(rect.attrs.width)).toBeLessThanOrEqual(1400 - 86 - 14 + 0.02);
    }
  });

  it("the used and free slots drawn per class are the counts stats() gives", () => {
    const { space } = busySpace();
    const stats = space.stats();
    const { rects } = mapGeometry(parseXml(space.toSVG()));
    for (const sizeClass of ["micro", "small", "medium"] as const) {
      expect(slotsOf(rects, `used-${sizeClass}`)).toBe(stats[sizeClass].used);
      expect(slotsOf(rects, `free-${sizeClass}`)).toBe(stats[sizeClass].free);
    }
  });

  it("outlines highlighted ranges (split across rows) and lists them in the legend", () => {
    const { space, large } = busySpace();
    const svg = space.toSVG({ highlight: [{ addr: large.addr, bytes: large.bytes, label: "#3 worker segment 2" }] });
    const elements = parseXml(svg);
    const outlines = elements.filter((element) => element.attrs.class === "hl" && element.attrs["data-label"] !== undefined);
    expect(outlines.length).toBeGreaterThanOrEqual(1);
    expect(outlines.every((rect) => rect.attrs["data-label"] === "1. #3 worker segment 2")).toBe(true);
    const { bytesPerPixel } = mapGeometry(elements);
    expect(Math.abs(widthOf(outlines, () => true) - large.bytes / bytesPerPixel)).toBeLessThan(outlines.length * 0.01 + 1);
    expect(svg).toContain(`1. #3 worker segment 2: ${formatBytes(large.bytes)} at 0x`);
  });

  it("escapes text: a title or label with markup stays text", () => {
    const space = new AddressSpace({ pools: { micro: 10, small: 0, medium: 0 } });
    const nasty = `<script>alert("x")</script> & 'co'`;
    const svg = space.toSVG({ title: nasty, highlight: [{ addr: 0, bytes: 64, label: nasty }] });
    expect(() => parseXml(svg)).not.toThrow();
    expect(svg).not.toContain("<script>");
    expect(svg).toContain(escapeXml(nasty));
    expect(escapeXml(`a<b>&"'`)).toBe("a&lt;b&gt;&amp;&quot;&apos;");
  });

  it.each([
    ["a width below 400", { width: 100 }, RangeError, /width must be .* at least 400 .* received 100/],
    ["a width that is not a number", { width: "wide" as never }, RangeError, /received "wide"/],
    ["a highlight without a label", { highlight: [{ addr: 0, bytes: 16 }] as never }, TypeError, /highlight\[0\] must be/],
    ["a highlight list that is not an array", { highlight: 5 as never }, TypeError, /must be an array/],
    ["a title that is not a string", { title: 7 as never }, TypeError, /title must be a string/],
  ])("refuses %s", (_what, options, error, message) => {
    const space = new AddressSpace({ pools: { micro: 10, small: 0, medium: 0 } });
    expect(() => space.toSVG(options)).toThrow(error);
    expect(() => space.toSVG(options)).toThrow(message);
  });

  it("a 280 MiB space with a million slots in fragmented use stays a small file with exact counts", () => {
    const space = new AddressSpace({ pools: { micro: 1_000_000, small: 1000, medium: 100 }, maxBytes: 300 << 20 });
    const refs: StackRef[] = [];
    for (let index = 0; index < 900_000; index++) refs.push(space.allocStack("micro"));
    for (let index = 0; index < refs.length; index += 3) space.freeStack(refs[index]); // 300 000 one-slot gaps
    for (let index = 0; index < 50; index++) space.allocStack("large", 65536 + index * 1024);
    expect(space.buffer.byteLength).toBeGreaterThan(270 << 20);
    const svg = space.toSVG();
    const elements = parseXml(svg);
    expect(elements.length).toBeLessThan(MAX_RECTS + 200);
    expect(svg.length).toBeLessThan(2_000_000);
    const { rects, bytesPerPixel } = mapGeometry(elements);
    const stats = space.stats();
    expect(slotsOf(rects, "used-micro")).toBe(stats.micro.used);
    expect(slotsOf(rects, "free-micro")).toBe(stats.micro.free);
    expect(Math.abs(widthOf(rects, () => true) - space.buffer.byteLength / bytesPerPixel)).toBeLessThan(rects.length * 0.01);
  }, 30_000);
});

/**
 * Typed-array views over an address space's buffer, one set per buffer.
 *
 * The views are length-tracking (created without a length over a growable
 * SharedArrayBuffer), so they see the buffer's new bytes after it grows and
 * never need to be recreated. Indices are `byteOffset >>> log2(elementBytes)`:
 * every local is naturally aligned, so the shift is exact, and `>>>` keeps
 * byte offsets above 2 GiB unsigned.
 */
export interface BufferViews {
  readonly buffer: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly i8: Int8Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
  readonly u64: BigUint64Array;
}

const cache = new WeakMap<SharedArrayBuffer, BufferViews>();
let lastBuffer: SharedArrayBuffer | null = null;
let lastViews: BufferViews | null = null;

/** The views over `buffer`, created once per buffer. */
export function viewsOf(buffer: SharedArrayBuffer): BufferViews {
  // One-entry cache first: nearly every program has a single address space.
  if (buffer === lastBuffer) return lastViews!;
  let v = cache.get(buffer);
  if (v === undefined) {
    v = {
      buffer,
      u8: new Uint8Array(buffer),
      i8: new Int8Array(buffer),
      u16: new Uint16Array(buffer),
      i16: new Int16Array(buffer),
      u32: new Uint32Array(buffer),
      i32: new Int32Array(buffer),
      f32: new Float32Array(buffer),
      f64: new Float64Array(buffer),
      i64: new BigInt64Array(buffer),
      u64: new BigUint64Array(buffer),
    };
    cache.set(buffer, v);
  }
  lastBuffer = buffer;
  lastViews = v;
  return v;
}

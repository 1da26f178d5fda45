/**
 * Typed-array views over an address space's buffer: one `BufferViews` per
 * buffer (per thread), shared by the address space, every frame and every
 * stack of that buffer.
 *
 * Why fixed-length views: on Node 20 a length-tracking view over a growable
 * SharedArrayBuffer is ~9× slower to index (a 4-word frame header cost 41 ns
 * against 4.7 ns). A fixed-length view does not see bytes the buffer gained
 * after it was made — a store there is silently dropped, a load reads
 * `undefined` — so the views must never lag an address in use.
 *
 * Invariant: the views cover every address the memory layer has handed out
 * in this thread. The memory layer keeps it, not the callers:
 * - the heap refreshes the buffer's views whenever it grows the buffer
 *   (`refreshViewsOf`, in `Heap.grow`), so a growth in this thread is seen
 *   by every holder of the views before the allocation that caused it returns;
 * - an AddressSpace refreshes them whenever it learns of memory another
 *   thread may have grown the buffer for (a pool it adopts, a large stack or
 *   a thread record the heap returns).
 * The set is one mutable object, so a refresh reaches every frame at once:
 * nobody holds a view that can be stale, and no caller has to remember to
 * call `sync()` after allocating.
 *
 * Indices are `byteOffset >>> log2(elementBytes)`: every local is naturally
 * aligned, so the shift is exact, and `>>>` keeps offsets above 2 GiB unsigned.
 *
 * Who may change what: only `sync()` (called from this layer) replaces the
 * views; everyone else reads through the fields on each access and never
 * keeps a view across an allocation.
 */
export class BufferViews {
  u8!: Uint8Array;
  i8!: Int8Array;
  u16!: Uint16Array;
  i16!: Int16Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  f32!: Float32Array;
  f64!: Float64Array;
  i64!: BigInt64Array;
  u64!: BigUint64Array;

  /** Private: `viewsOf` makes the one set per buffer, so a refresh of the buffer's views reaches every holder. */
  private constructor(readonly buffer: SharedArrayBuffer) {
    this.remap();
  }

  /** The buffer's one set of views, made on first use (see `viewsOf`). */
  static of(buffer: SharedArrayBuffer): BufferViews {
    let v = cache.get(buffer);
    if (v === undefined) {
      v = new BufferViews(buffer);
      cache.set(buffer, v);
    }
    return v;
  }

  /** Re-creates the views if the buffer has grown since. One comparison when it has not. */
  sync(): void {
    if (this.u8.length !== this.buffer.byteLength) this.remap();
  }

  private remap(): void {
    const b = this.buffer;
    const n = b.byteLength;
    this.u8 = new Uint8Array(b, 0, n);
    this.i8 = new Int8Array(b, 0, n);
    this.u16 = new Uint16Array(b, 0, n >>> 1);
    this.i16 = new Int16Array(b, 0, n >>> 1);
    this.u32 = new Uint32Array(b, 0, n >>> 2);
    this.i32 = new Int32Array(b, 0, n >>> 2);
    this.f32 = new Float32Array(b, 0, n >>> 2);
    this.f64 = new Float64Array(b, 0, n >>> 3);
    this.i64 = new BigInt64Array(b, 0, n >>> 3);
    this.u64 = new BigUint64Array(b, 0, n >>> 3);
  }
}

const cache = new WeakMap<SharedArrayBuffer, BufferViews>();
let lastBuffer: SharedArrayBuffer | null = null;
let lastViews: BufferViews | null = null;

/** The views over `buffer`, created once per buffer and synced to its current length. */
export function viewsOf(buffer: SharedArrayBuffer): BufferViews {
  // One-entry cache first: nearly every program has a single address space.
  let v: BufferViews | undefined;
  if (buffer === lastBuffer) v = lastViews!;
  else {
    v = BufferViews.of(buffer);
    lastBuffer = buffer;
    lastViews = v;
  }
  v.sync();
  return v;
}

/** Brings the views over `buffer` up to its length, if anyone made views over it (it makes none). */
export function refreshViewsOf(buffer: SharedArrayBuffer): void {
  const v = buffer === lastBuffer ? lastViews : cache.get(buffer);
  if (v !== undefined && v !== null) v.sync();
}

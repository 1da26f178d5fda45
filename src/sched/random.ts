/**
 * The runtime's seeded random generator (sfc32): every random choice the
 * runtime makes (select's poll order) comes from here, so a seed replays a run.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, received ${String(seed)}`);
    // The state is kept as signed 32-bit integers (`| 0`), so V8 keeps the
    // fields small integers instead of boxed doubles.
    this.a = 0x9e3779b9 | 0;
    this.b = 0x243f6a88 | 0;
    this.c = 0xb7e15162 | 0;
    this.d = seed | 0;
    const hi = Math.floor(seed / 0x100000000) | 0;
    this.a ^= hi;
    for (let i = 0; i < 12; i++) this.nextI32();
  }

  /** The next output as a signed 32-bit integer (all 32 bits uniform). */
  private nextI32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextU32(): number {
    return this.nextI32() >>> 0;
  }

  /**
   * A uniform integer in [0, n), n ≤ 2^32, without modulo bias. Up to 2^30: mask to
   * the next power of two and reject what is ≥ n (fewer than two draws on
   * average; integer operations only — select draws once per case).
   */
  below(n: number): number {
    if (n <= 1) return 0;
    if (n > 0x40000000) return this.belowLarge(n);
    const mask = (0xffffffff >>> Math.clz32(n - 1)) | 0;
    let x = this.nextI32() & mask;
    while (x >= n) x = this.nextI32() & mask;
    return x;
  }

  /** below() for n up to 2^32: modulo with rejection of the biased tail. */
  private belowLarge(n: number): number {
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }
}

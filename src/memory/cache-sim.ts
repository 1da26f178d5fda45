/**
 * A two-level cache simulator over the address space's byte addresses, for
 * the cost model's optional cache model (`new Runtime({ cache })`): it says
 * which touches of the simulated memory would miss L1 and L2, so that
 * locality — where stacks sit — has a number. Model output, not a
 * measurement of the host's caches.
 *
 * Each level is set-associative with LRU replacement within a set: a line
 * address `addr >>> lineShift` maps to set `line & (sets - 1)`; a set keeps
 * its `ways` lines most-recent first. L2 is inclusive of what L1 missed (a
 * miss in L1 looks up, and fills, L2; an L1 hit does not touch L2).
 *
 * Invariants: every set holds at most `ways` distinct lines (0 = empty slot;
 * lines are stored +1); accesses ≥ l1Misses ≥ l2Misses.
 */

/** The cache model's geometry and miss costs (cycles charged per miss, model inputs). */
export interface CacheConfig {
  /** L1 bytes (default 32 KiB). */
  l1: number;
  /** L2 bytes (default 1 MiB). */
  l2: number;
  /** Line bytes (default 64). */
  line: number;
  /** Ways of L1 and L2 (default 8 and 16). */
  l1Ways: number;
  l2Ways: number;
  /** Cycles charged for a touch that misses L1 and hits L2 (default 12), and for one that misses both (default 200). */
  l1MissCycles: number;
  l2MissCycles: number;
}

export const DEFAULT_CACHE: Readonly<CacheConfig> = Object.freeze({
  l1: 32 * 1024,
  l2: 1024 * 1024,
  line: 64,
  l1Ways: 8,
  l2Ways: 16,
  l1MissCycles: 12,
  l2MissCycles: 200,
});

class Level {
  readonly sets: number;
  readonly lines: Int32Array;
  constructor(
    bytes: number,
    lineBytes: number,
    readonly ways: number,
  ) {
    this.sets = Math.max(1, Math.floor(bytes / lineBytes / ways));
    this.lines = new Int32Array(this.sets * ways);
  }

  /** Looks `line` up in its set; true on a hit. Either way it ends most recent in its set. */
  access(line: number): boolean {
    const ways = this.ways;
    const base = (line % this.sets) * ways;
    const lines = this.lines;
    const tag = line + 1;
    let i = 0;
    while (i < ways && lines[base + i] !== tag) i++;
    const hit = i < ways;
    if (!hit) i = ways - 1; // evict the least recent
    for (; i > 0; i--) lines[base + i] = lines[base + i - 1];
    lines[base] = tag;
    return hit;
  }
}

export class CacheSim {
  accesses = 0;
  l1Misses = 0;
  l2Misses = 0;
  /** Cycles the misses cost so far (the scheduler charges them as they happen). */
  missCycles = 0;
  private readonly l1: Level;
  private readonly l2: Level;
  private readonly lineShift: number;

  constructor(readonly config: Readonly<CacheConfig>) {
    this.lineShift = 31 - Math.clz32(config.line);
    this.l1 = new Level(config.l1, config.line, config.l1Ways);
    this.l2 = new Level(config.l2, config.line, config.l2Ways);
  }

  /** Touches every line of [addr, addr + bytes); returns the cycles its misses cost. */
  touch(addr: number, bytes: number): number {
    if (bytes <= 0) return 0;
    const first = addr >>> this.lineShift;
    const last = (addr + bytes - 1) >>> this.lineShift;
    let cycles = 0;
    for (let line = first; line <= last; line++) {
      this.accesses++;
      if (this.l1.access(line)) continue;
      this.l1Misses++;
      if (this.l2.access(line)) cycles += this.config.l1MissCycles;
      else {
        this.l2Misses++;
        cycles += this.config.l2MissCycles;
      }
    }
    this.missCycles += cycles;
    return cycles;
  }
}

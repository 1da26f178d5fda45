/**
 * A coroutine's stack: one or more segments in the address space, frames
 * pushed downward inside them.
 *
 * Invariants:
 * - No frame ever moves. A frame that does not fit the current segment goes
 *   into another segment chained after it (`overflow: "grow"`); the frames
 *   below stay where they are, so every `$addr` stays valid.
 * - `base` (kept as `baseAddr` plus the class in `flags`) is the stack the
 *   coroutine was spawned with; its class is the coroutine's class; `chained`
 *   are the segments added on overflow. Chained segments stay owned (cached) until the
 *   coroutine ends, so a call loop at a segment boundary allocates once
 *   (the "hot split" that made Go and Rust abandon segmented stacks).
 * - `usedBytes` = the sum of the frames on the stack (base end − sp while
 *   there is no `ext`); `highWater` = its maximum.
 * - `ext.floor` is the lowest address a frame may use in the segment `sp` is
 *   in: a chained segment's address, the base's address plus
 *   SLOT_HEADER_BYTES (the owner's header sits below the frames).
 * - Every segment is an *owned* stack (memory/address-space.ts
 *   `allocOwnedStack`; the base should be one too — the scheduler allocates
 *   it): the public `freeStack` refuses it, so nobody holding a copy of a
 *   segment's ref can free it under the running coroutine. Only `destroy()`
 *   frees them, through `freeOwnedStack`.
 * - After `destroy()` every segment is freed once and every frame is dead.
 * - A pushed frame's locals read zero until written (the slot is cleared on
 *   push: it may hold a previous coroutine's bytes).
 */
import { GuardError, StackOverflowError, bug } from "../errors.js";
import { DEFAULT_LARGE_STACK_BYTES, type AddressSpace, type SizeClass, type StackRef } from "../memory/index.js";
import { allocOwnedStack, freeOwnedSlot, freeOwnedStack, guardDamage, restoreGuard } from "../memory/address-space.js";
import { GUARD_BYTES, GUARD_WORD, fromI32Address, toI32Address } from "../memory/layout.js";
if (GUARD_BYTES !== 16) bug(`stack.ts checks a guard as four words; layout.ts says GUARD_BYTES is ${GUARD_BYTES}`);
import {
  LARGE_CLASS_INDEX,
  POOL_SLOT_BYTES,
  SIZE_CLASS_BY_INDEX,
  classForBytes,
  largerSizeClass,
  nextSizeClass,
  sizeClassIndex,
} from "../memory/size-classes.js";
import { FRAME_HEADER_BYTES, FrameBase, type FrameOwner } from "./frame.js";
import type { CoroDefImpl } from "./coro.js";
import type { BufferViews } from "./views.js";

/** What a stack needs from the coroutine that owns it. */
export interface StackOwner extends FrameOwner {
  readonly overflow: "grow" | "error";
  /** A new segment was chained: charge and count the migration. */
  onMigrate(from: SizeClass, to: SizeClass, bytes: number): void;
  /** A segment was allocated or freed (for the cost model and observers). */
  onSegment(kind: "alloc" | "free", ref: StackRef): void;
  /** Whether `onSegment` wants every freed segment's ref (an observer); when false, `onSlotFree` may stand for it. */
  readonly watchesSegments: boolean;
  /** The base pool slot of class `classIndex` was freed (the cost model): `onSegment("free")` without the ref. */
  onSlotFree(classIndex: number): void;
}

/** Who charges the cache model for a frame's lines (the scheduler, when `cache` is on). */
export interface CacheHook {
  touchFrame(addr: number, bytes: number): void;
}

/**
 * The first bytes of a stack's base segment belong to its owner, not to
 * frames: the task keeps its scalar state there (sched/task.ts, `SlotHeader`),
 * so a parked coroutine carries it in the slot it already has rather than in
 * the JavaScript heap. Frames grow down from the segment's end and stop above
 * it; a definition's class is chosen to hold its frames and this header
 * (`baseClassFor`). 16 keeps frames and the header 8-byte aligned.
 */
export const SLOT_HEADER_BYTES = 16;

/** The smallest class whose base segment holds `frameBytes` of frames, the slot header and `guardBytes` of guard. */
export function baseClassFor(frameBytes: number, guardBytes = 0): SizeClass {
  return classForBytes(frameBytes + SLOT_HEADER_BYTES + guardBytes);
}

/** Flag bits the stack owns in `CoroStack.flags` (the task owns bits 0–7 and 10+; see sched/task.ts). */
export const F_DEAD = 1 << 8;
export const F_HEADER_ONLY = 1 << 9;
const F_CLASS_SHIFT = 11;
export const F_CLASS_MASK = 3 << F_CLASS_SHIFT;

/** Class indices the stack's paths test, as literals (size-classes.ts is the table; checked below). */
const enum ClassIndex {
  Large = 3,
}
if ((ClassIndex.Large as number) !== LARGE_CLASS_INDEX) bug(`stack.ts: ClassIndex.Large is ${ClassIndex.Large}, size-classes.ts says ${LARGE_CLASS_INDEX}`);

/** The class index (0 micro … 3 large, size-classes.ts) stored in a stack's flags. */
export function classIndexOf(flags: number): number {
  return (flags & F_CLASS_MASK) >>> F_CLASS_SHIFT;
}

/**
 * What most stacks never need: frame objects (a plain generator has none),
 * chained segments, a large base's ref. Allocated on the first `push()` or
 * chain, so a parked plain coroutine carries none of it. The task layer
 * extends it with its own cold state (see `makeExt`).
 */
export class StackExt {
  /** The innermost frame object. */
  top: FrameBase | null = null;
  /** The first segment, when it is "large" (its size is not implied by the class). */
  largeBase: StackRef | null = null;
  /** Segments chained on overflow. */
  chained: StackRef[] | null = null;
  /** Segment indices (0 = base, i = chained[i - 1]) from the base to the one frames are pushed into. */
  chain: number[] | null = null;
  /** Lowest address of the segment frames are pushed into (a frame below it does not fit). */
  floor: number;
  /** Sum of the frames on the stack (without an ext it is base end − sp). */
  usedBytes: number;
  /** The most bytes of frames that were on the stack at once. */
  highWater: number;
  migrations = 0;
  constructor(floor: number, usedBytes: number) {
    this.floor = floor;
    this.usedBytes = usedBytes;
    this.highWater = usedBytes;
  }
}

/**
 * The stack is the base of the coroutine object itself (the scheduler's task
 * extends it): one object per coroutine instead of two keeps a spawn to one
 * allocation fewer and a parked coroutine lighter. The owner's hooks are
 * abstract members.
 *
 * Why so few fields: every field of a JavaScript object costs 8 bytes here
 * (Node is built without pointer compression) and a million parked
 * coroutines each carry them all. So the first segment is kept as its
 * address (its class sits in `flags`, its ref is rebuilt on demand), the
 * header-only frame's address is implied by the base, and everything a plain
 * coroutine never uses lives in the lazily allocated `ext`.
 */
export abstract class CoroStack implements StackOwner {
  abstract readonly id: number;
  abstract readonly name: string;
  abstract readonly overflow: "grow" | "error";
  abstract onMigrate(from: SizeClass, to: SizeClass, bytes: number): void;
  abstract onSegment(kind: "alloc" | "free", ref: StackRef): void;
  abstract readonly watchesSegments: boolean;
  abstract onSlotFree(classIndex: number): void;
  /** The address space the segments come from. */
  abstract readonly space: AddressSpace;
  /** Views over the space's buffer. */
  abstract readonly views: BufferViews;
  /** The cache model's hook when it is on, else null (a push then pays one test). */
  get cacheHook(): CacheHook | null {
    return null;
  }

  // The fields are `declare`d and set by the constructor, not initialised in
  // their declarations: V8 11 inlines a `super()` call only into a base class
  // without instance field initialisers, and every spawn runs this
  // constructor as `TaskImpl`'s super (docs/performance.md, session 10).
  /** Bit flags: the stack's (F_DEAD, F_HEADER_ONLY, the class) and the owner's. */
  declare flags: number;
  /**
   * `baseAddr` and `sp` as stored: see `toI32Address` (memory/layout.ts).
   * Index arithmetic that ends in `>>>` may use them as they are (it is exact
   * modulo 2³²), which saves the accessors' conversion on hot paths.
   */
  declare readonly baseI32: number;
  declare private spI32: number;
  declare ext: StackExt | null;

  /**
   * The first segment: `bytes` at `addr`, of class `classIndex` (0 micro … 3
   * large); a large one is passed as its ref too (`largeBase`: its size is not
   * implied by the class), a pool slot as its address only.
   */
  constructor(classIndex: number, addr: number, bytes: number, largeBase: StackRef | null) {
    this.flags = classIndex << F_CLASS_SHIFT;
    this.baseI32 = toI32Address(addr);
    this.spI32 = toI32Address(addr + bytes);
    this.ext = null;
    if (largeBase !== null) {
      const ext = this.makeExt((addr + SLOT_HEADER_BYTES) >>> 0, 0);
      ext.largeBase = largeBase;
      this.ext = ext;
    }
  }

  /** The constructor's arguments for a segment given as a ref. */
  static baseArgs(base: StackRef): [classIndex: number, addr: number, bytes: number, largeBase: StackRef | null] {
    const classIndex = sizeClassIndex(base.sizeClass);
    return [classIndex, base.addr, base.bytes, classIndex === ClassIndex.Large ? base : null];
  }

  /** Byte address of the first segment: the slot the coroutine was spawned with. */
  get baseAddr(): number {
    return fromI32Address(this.baseI32);
  }

  /** Byte address of the innermost frame (frames grow down from the segment's end). */
  get sp(): number {
    return fromI32Address(this.spI32);
  }

  set sp(addr: number) {
    this.spI32 = toI32Address(addr);
  }

  /** The cold state, allocated on first use. Subclasses may return a subclass of StackExt. */
  protected makeExt(floor: number, usedBytes: number): StackExt {
    return new StackExt(floor, usedBytes);
  }

  /** The cold state, allocated on first use. */
  extOf(): StackExt {
    return (this.ext ??= this.makeExt((this.baseAddr + SLOT_HEADER_BYTES) >>> 0, (this.baseEnd - this.sp) >>> 0));
  }

  get sizeClass(): SizeClass {
    return SIZE_CLASS_BY_INDEX[classIndexOf(this.flags)];
  }

  get dead(): boolean {
    return (this.flags & F_DEAD) !== 0;
  }

  /** Bytes of the first segment. */
  get baseBytes(): number {
    const cls = classIndexOf(this.flags);
    return cls === ClassIndex.Large ? this.ext!.largeBase!.bytes : POOL_SLOT_BYTES[cls] - this.space.guardBytes;
  }

  private get baseEnd(): number {
    return (this.baseAddr + this.baseBytes) >>> 0;
  }

  /** The first segment's ref (rebuilt for a pool slot; the ref itself is not kept). */
  get base(): StackRef {
    const cls = classIndexOf(this.flags);
    if (cls === ClassIndex.Large) return this.ext!.largeBase!;
    const sizeClass = SIZE_CLASS_BY_INDEX[cls];
    return this.space.refAt(sizeClass, this.baseAddr) ?? { addr: this.baseAddr, bytes: this.baseBytes, sizeClass, generation: 0 };
  }

  get top(): FrameBase | null {
    return this.ext === null ? null : this.ext.top;
  }

  /** Sum of the frames on the stack. */
  get usedBytes(): number {
    if (this.flags & F_DEAD) return 0;
    return this.ext === null ? (this.baseEnd - this.sp) >>> 0 : this.ext.usedBytes;
  }

  /**
   * The most bytes of frames that were on the stack at once. Without an ext
   * only the header-only frame was ever pushed, so it is what is used now.
   */
  get highWater(): number {
    if (this.ext !== null) return this.ext.highWater;
    return this.flags & F_HEADER_ONLY ? FRAME_HEADER_BYTES : 0;
  }

  get migrations(): number {
    return this.ext === null ? 0 : this.ext.migrations;
  }

  /** Address of a plain generator's header-only first frame (it has no JavaScript object); 0 when the first frame is a definition's. */
  get headerOnlyFrame(): number {
    return this.flags & F_HEADER_ONLY ? (this.baseEnd - FRAME_HEADER_BYTES) >>> 0 : 0;
  }

  /** Every segment this stack owns, the base first. */
  get segments(): readonly StackRef[] {
    const chained = this.ext === null ? null : this.ext.chained;
    return chained === null ? [this.base] : [this.base, ...chained];
  }

  get segmentCount(): number {
    const chained = this.ext === null ? null : this.ext.chained;
    return chained === null ? 1 : 1 + chained.length;
  }

  /** Total bytes of every segment owned. */
  get reservedBytes(): number {
    let n = this.baseBytes;
    const chained = this.ext === null ? null : this.ext.chained;
    if (chained !== null) for (const s of chained) n += s.bytes;
    return n;
  }

  /** Definition names from the innermost frame out (a header-only first frame is named after the coroutine). */
  frameNames(): string[] {
    const names: string[] = [];
    for (let f = this.top; f !== null; f = f.$$prev) names.push(f.$$defName);
    if (this.flags & F_HEADER_ONLY) names.push(this.name);
    return names;
  }

  /**
   * Writes a plain generator's header-only first frame (no JavaScript object).
   * The base slot always holds it: no class is smaller than a frame header plus the slot header.
   */
  pushHeaderOnly(): void {
    const sp = (this.spI32 - FRAME_HEADER_BYTES) | 0; // as stored (see baseI32)
    const w = sp >>> 2;
    const u32 = this.views.u32;
    u32[w] = 0;
    u32[w + 1] = 0;
    u32[w + 2] = FRAME_HEADER_BYTES;
    u32[w + 3] = this.id;
    this.spI32 = sp;
    this.flags |= F_HEADER_ONLY;
  }

  /**
   * Pushes a frame for `def` and returns it. Throws StackOverflowError under
   * `overflow: "error"` when it does not fit; then nothing has changed.
   */
  push(def: CoroDefImpl): FrameBase {
    const ext = this.extOf();
    const frameBytes = def.layout.frameBytes;
    const prevSp = this.sp;
    let entered = false;
    if (prevSp - frameBytes < ext.floor) {
      this.enterSegment(ext, frameBytes, def.name);
      entered = true;
    }
    const addr = (this.sp - frameBytes) >>> 0;
    const prev = ext.top;
    const frame = new def.FrameClass(this.views, def.layout, def.name, this, addr, prev, prevSp);
    frame.$$enteredSegment = entered;
    // The header: the simulated return address (see frame.ts).
    const u32 = this.views.u32;
    const w = addr >>> 2;
    u32[w] = def.id;
    u32[w + 1] = prev !== null ? prev.$$addr : this.headerOnlyFrame;
    u32[w + 2] = frameBytes;
    u32[w + 3] = this.id;
    // Locals start at zero, as Go's do: the slot may hold a previous coroutine's bytes.
    for (let i = w + 4, end = w + (frameBytes >>> 2); i < end; i++) u32[i] = 0;
    this.sp = addr;
    ext.top = frame;
    const cache = this.cacheHook;
    if (cache !== null) cache.touchFrame(addr, frameBytes);
    const used = ext.usedBytes + frameBytes;
    ext.usedBytes = used;
    if (used > ext.highWater) ext.highWater = used;
    return frame;
  }

  /** Pops `frame`, which must be the innermost; it is dead afterwards. */
  pop(frame: FrameBase): void {
    if (this.flags & F_DEAD) return; // destroy() already unwound everything
    const ext = this.ext;
    if (ext === null || frame !== ext.top) bug(`pop of a frame of "${frame.$$defName}" that is not the innermost`);
    frame.$$dead = true;
    ext.usedBytes -= frame.$$layout.frameBytes;
    this.sp = frame.$$prevSp;
    ext.top = frame.$$prev;
    if (frame.$$enteredSegment) {
      const chain = ext.chain!;
      chain.pop();
      ext.floor = this.floorOf(chain[chain.length - 1]);
    }
  }

  /** Frees every segment and kills every frame. Idempotent. */
  destroy(): void {
    if (this.flags & F_DEAD) return;
    const ext = this.ext;
    if (ext === null && this.space.guardBytes === 0 && !this.watchesSegments) {
      // The common end: one pool slot (large bases and chains have an ext), no frame objects, no guard, no
      // observer that wants the ref: freed by address, without rebuilding the ref.
      const cls = classIndexOf(this.flags);
      this.flags |= F_DEAD;
      freeOwnedSlot(this.space, cls, this.baseAddr);
      this.onSlotFree(cls);
      return;
    }
    const base = this.base;
    this.flags |= F_DEAD;
    if (ext !== null) {
      for (let f = ext.top; f !== null; f = f.$$prev) f.$$dead = true;
      ext.top = null;
      ext.usedBytes = 0;
    }
    if (this.space.guardBytes !== 0) for (const seg of this.segments) restoreGuard(this.space, seg); // reported already, or the task failed anyway
    freeOwnedStack(this.space, base);
    this.onSegment("free", base);
    if (ext !== null && ext.chained !== null) {
      for (const seg of ext.chained) {
        freeOwnedStack(this.space, seg);
        this.onSegment("free", seg);
      }
    }
  }

  /**
   * Guarded spaces (`guard: true`): the first segment whose guard region no
   * longer holds its pattern, as a GuardError naming the coroutine, the frame
   * next to the guard (the first frame pushed into that segment: the only one
   * a write running up out of its frame reaches the guard from without
   * crossing another frame) and the offset from that frame's base. The guard
   * is restored, so the space checks clean after the report. null when every
   * guard is intact. `when` says where it was found ("at its next switch").
   */
  guardViolation(when: string): GuardError | null {
    const space = this.space;
    if (space.guardBytes === 0) return null;
    if (this.ext === null || this.ext.chained === null) {
      // The common case, one segment: its guard's four words, no refs built.
      const u32 = this.views.u32;
      const w = (this.baseAddr + this.baseBytes) >>> 2;
      if (u32[w] === GUARD_WORD && u32[w + 1] === GUARD_WORD && u32[w + 2] === GUARD_WORD && u32[w + 3] === GUARD_WORD) return null;
    }
    const segments = this.segments;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      const offset = guardDamage(space, seg);
      if (offset < 0) continue;
      restoreGuard(space, seg);
      const guardStart = (seg.addr + seg.bytes) >>> 0;
      let frameName = this.name;
      let frameBase = (guardStart - FRAME_HEADER_BYTES) >>> 0;
      for (let f = this.top; f !== null; f = f.$$prev) {
        if (f.$$addr + f.$$layout.frameBytes === guardStart) {
          frameName = f.$$defName;
          frameBase = f.$$addr;
        }
      }
      return new GuardError(
        `guard region overwritten in coroutine #${this.id} ${this.name}: byte +${offset} of the ${space.guardBytes}-byte guard ` +
          `at ${guardStart + offset} after its ${seg.sizeClass} stack${i === 0 ? "" : ` segment ${i + 1}`} [${seg.addr}, ${guardStart}), ` +
          `offset ${guardStart + offset - frameBase} from the base of frame "${frameName}" (found ${when}; a raw write through $addr or a view ran past the stack)`,
      );
    }
    return null;
  }

  /**
   * A write at `addr` by `frame` (through a checked bytes() view, past its
   * end) that would land in one of this stack's guard regions: the GuardError
   * to throw instead of writing. null when `addr` is in no guard.
   */
  guardHit(addr: number, frame: FrameBase, what: string): GuardError | null {
    const guardBytes = this.space.guardBytes;
    if (guardBytes === 0) return null;
    for (const seg of this.segments) {
      const guardStart = (seg.addr + seg.bytes) >>> 0;
      if (addr >= guardStart && addr < guardStart + guardBytes) {
        return new GuardError(
          `guard region hit in coroutine #${this.id} ${this.name}: ${what} would write byte +${addr - guardStart} of the ${guardBytes}-byte guard ` +
            `after its ${seg.sizeClass} stack [${seg.addr}, ${guardStart}), offset ${addr - frame.$$addr} from the base of frame "${frame.$$defName}"; nothing was written`,
        );
      }
    }
    return null;
  }

  /** The stack object (itself: see the class doc); what `call()` pushes on. */
  get cstack(): this {
    return this;
  }

  /** Frames from the innermost out. */
  *frames(): IterableIterator<FrameBase> {
    for (let f = this.top; f !== null; f = f.$$prev) yield f;
  }

  private enterSegment(ext: StackExt, frameBytes: number, what: string): void {
    const chain = ext.chain ?? [0];
    const cur = this.segmentAt(chain[chain.length - 1]);
    const left = (this.sp - this.floorOf(chain[chain.length - 1])) >>> 0;
    if (this.overflow === "error") {
      throw new StackOverflowError(
        `stack overflow in coroutine #${this.id} ${this.name}: frame of "${what}" needs ${frameBytes} bytes, ` +
          `${left} bytes are left in its ${cur.bytes}-byte ${cur.sizeClass} stack (overflow: "error"; use overflow: "grow" or a larger size hint)`,
      );
    }
    ext.chain = chain;
    const chained = (ext.chained ??= []);
    // A cached segment not on the chain that holds the frame: reuse, no cost.
    let pick = -1;
    for (let i = 1; i <= chained.length; i++) {
      const seg = chained[i - 1];
      if (!chain.includes(i) && seg.bytes >= frameBytes && (pick < 0 || seg.bytes < chained[pick - 1].bytes)) pick = i;
    }
    if (pick < 0) {
      const ref = this.allocSegment(cur, frameBytes);
      chained.push(ref);
      pick = chained.length;
      ext.migrations++;
      this.onSegment("alloc", ref);
      this.onMigrate(cur.sizeClass, ref.sizeClass, frameBytes);
    }
    chain.push(pick);
    const seg = this.segmentAt(pick);
    ext.floor = this.floorOf(pick);
    this.sp = (seg.addr + seg.bytes) >>> 0;
  }

  /** The lowest address a frame may use in segment `i` (the base's slot header is not for frames). */
  private floorOf(i: number): number {
    return i === 0 ? (this.baseAddr + SLOT_HEADER_BYTES) >>> 0 : this.ext!.chained![i - 1].addr;
  }

  private segmentAt(i: number): StackRef {
    return i === 0 ? this.base : this.ext!.chained![i - 1];
  }

  /** The smallest class that holds the frame, at least one class above the current segment. */
  private allocSegment(cur: StackRef, frameBytes: number): StackRef {
    const cls = largerSizeClass(nextSizeClass(cur.sizeClass), classForBytes(frameBytes));
    if (cls !== "large") return allocOwnedStack(this.space, cls);
    const bytes = Math.max(cur.sizeClass === "large" ? cur.bytes : DEFAULT_LARGE_STACK_BYTES, (frameBytes + 15) & ~15);
    return allocOwnedStack(this.space, "large", bytes);
  }
}

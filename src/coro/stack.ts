/**
 * A coroutine's stack: one or more segments in the address space, frames
 * pushed downward inside them.
 *
 * Invariants:
 * - No frame ever moves. A frame that does not fit the current segment goes
 *   into another segment chained after it (`overflow: "grow"`); the frames
 *   below stay where they are, so every `$addr` stays valid.
 * - `base` is the stack the coroutine was spawned with; its class is the
 *   coroutine's class; `chained` are the segments added on overflow. Chained segments stay owned (cached) until the
 *   coroutine ends, so a call loop at a segment boundary allocates once
 *   (the "hot split" that made Go and Rust abandon segmented stacks).
 * - `usedBytes` = the sum of the frames on the stack; `highWater` = its maximum.
 * - After `destroy()` every segment is freed once and every frame is dead.
 * - A pushed frame's locals read zero until written (the slot is cleared on
 *   push: it may hold a previous coroutine's bytes).
 */
import { StackOverflowError, bug } from "../errors.js";
import { DEFAULT_LARGE_STACK_BYTES, SIZE_CLASS_BYTES, type AddressSpace, type SizeClass, type StackRef } from "../memory/index.js";
import { FRAME_HEADER_BYTES, FrameBase, type FrameOwner } from "./frame.js";
import type { CoroDefImpl } from "./coro.js";
import { viewsOf, type BufferViews } from "./views.js";

/** What a stack needs from the coroutine that owns it. */
export interface StackOwner extends FrameOwner {
  readonly overflow: "grow" | "error";
  /** A new segment was chained: charge and count the migration. */
  onMigrate(from: SizeClass, to: SizeClass, bytes: number): void;
  /** A segment was allocated or freed (for the cost model and observers). */
  onSegment(kind: "alloc" | "free", ref: StackRef): void;
}

const NEXT_CLASS: Record<SizeClass, SizeClass> = { micro: "small", small: "medium", medium: "large", large: "large" };

/**
 * The stack is the base of the coroutine object itself (the scheduler's task
 * extends it): one object per coroutine instead of two keeps a spawn to one
 * allocation fewer and a parked coroutine ~50 bytes lighter. The owner's
 * hooks are abstract members.
 */
export abstract class CoroStack implements StackOwner {
  abstract readonly id: number;
  abstract readonly name: string;
  abstract readonly overflow: "grow" | "error";
  abstract onMigrate(from: SizeClass, to: SizeClass, bytes: number): void;
  abstract onSegment(kind: "alloc" | "free", ref: StackRef): void;
  /** The address space the segments come from. */
  abstract readonly space: AddressSpace;

  readonly views: BufferViews;
  /** The first segment: the slot the coroutine was spawned with. */
  readonly base: StackRef;
  /** Segments chained on overflow (null until the first overflow: most stacks never chain). */
  private chained: StackRef[] | null = null;
  /** Segment indices (0 = base, i = chained[i - 1]) from the base to the one frames are pushed into. */
  private chain: number[] | null = null;
  /**
   * Address of a plain generator's header-only frame. It has no JavaScript
   * object (nobody can touch it), which keeps a spawn to the few allocations
   * it needs; 0 when the first frame is a definition's.
   */
  headerOnlyFrame = 0;
  private current: StackRef;
  /** Byte address of the innermost frame (frames grow down from the segment's end). */
  private sp: number;
  usedBytes = 0;
  highWater = 0;
  migrations = 0;
  top: FrameBase | null = null;
  dead = false;

  constructor(buffer: SharedArrayBuffer, base: StackRef) {
    this.views = viewsOf(buffer);
    this.base = base;
    this.current = base;
    this.sp = (base.addr + base.bytes) >>> 0;
  }

  get sizeClass(): SizeClass {
    return this.base.sizeClass;
  }

  /** Every segment this stack owns, the base first. */
  get segments(): readonly StackRef[] {
    return this.chained === null ? [this.base] : [this.base, ...this.chained];
  }

  get segmentCount(): number {
    return this.chained === null ? 1 : 1 + this.chained.length;
  }

  /** Total bytes of every segment owned. */
  get reservedBytes(): number {
    let n = this.base.bytes;
    if (this.chained !== null) for (const s of this.chained) n += s.bytes;
    return n;
  }

  /** Definition names from the innermost frame out (a header-only first frame is named after the coroutine). */
  frameNames(): string[] {
    const names: string[] = [];
    for (let f = this.top; f !== null; f = f.$$prev) names.push(f.$$defName);
    if (this.headerOnlyFrame !== 0) names.push(this.name);
    return names;
  }

  /**
   * Writes a plain generator's header-only first frame (no JavaScript object).
   * The base slot always holds it: no class is smaller than a header.
   */
  pushHeaderOnly(): void {
    const addr = (this.sp - FRAME_HEADER_BYTES) >>> 0;
    const w = addr >>> 2;
    const u32 = this.views.u32;
    u32[w] = 0;
    u32[w + 1] = 0;
    u32[w + 2] = FRAME_HEADER_BYTES;
    u32[w + 3] = this.id;
    this.sp = addr;
    this.headerOnlyFrame = addr;
    this.usedBytes = this.highWater = FRAME_HEADER_BYTES;
  }

  /**
   * Pushes a frame for `def` (null: a plain generator's header-only frame) and
   * returns it. Throws StackOverflowError under `overflow: "error"` when it does
   * not fit; then nothing has changed.
   */
  push(def: CoroDefImpl): FrameBase {
    const frameBytes = def.layout.frameBytes;
    const prevSp = this.sp;
    let entered = false;
    if (prevSp - frameBytes < this.current.addr) {
      this.enterSegment(frameBytes, def.name);
      entered = true;
    }
    const addr = (this.sp - frameBytes) >>> 0;
    const prev = this.top;
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
    this.top = frame;
    this.usedBytes += frameBytes;
    if (this.usedBytes > this.highWater) this.highWater = this.usedBytes;
    return frame;
  }

  /** Pops `frame`, which must be the innermost; it is dead afterwards. */
  pop(frame: FrameBase): void {
    if (this.dead) return; // destroy() already unwound everything
    if (frame !== this.top) bug(`pop of a frame of "${frame.$$defName}" that is not the innermost`);
    frame.$$dead = true;
    this.usedBytes -= frame.$$layout.frameBytes;
    this.sp = frame.$$prevSp;
    this.top = frame.$$prev;
    if (frame.$$enteredSegment) {
      const chain = this.chain!;
      chain.pop();
      this.current = this.segmentAt(chain[chain.length - 1]);
    }
  }

  /** Frees every segment and kills every frame. Idempotent. */
  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    for (let f = this.top; f !== null; f = f.$$prev) f.$$dead = true;
    this.top = null;
    this.usedBytes = 0;
    this.space.freeStack(this.base);
    this.onSegment("free", this.base);
    if (this.chained !== null) {
      for (const seg of this.chained) {
        this.space.freeStack(seg);
        this.onSegment("free", seg);
      }
    }
  }

  /** The stack object (itself: see the class doc); what `call()` pushes on. */
  get cstack(): this {
    return this;
  }

  /** Frames from the innermost out. */
  *frames(): IterableIterator<FrameBase> {
    for (let f = this.top; f !== null; f = f.$$prev) yield f;
  }

  private enterSegment(frameBytes: number, what: string): void {
    const cur = this.current;
    const left = (this.sp - cur.addr) >>> 0;
    if (this.overflow === "error") {
      throw new StackOverflowError(
        `stack overflow in coroutine #${this.id} ${this.name}: frame of "${what}" needs ${frameBytes} bytes, ` +
          `${left} bytes are left in its ${cur.bytes}-byte ${cur.sizeClass} stack (overflow: "error"; use overflow: "grow" or a larger size hint)`,
      );
    }
    const chain = (this.chain ??= [0]);
    const chained = (this.chained ??= []);
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
      this.migrations++;
      this.onSegment("alloc", ref);
      this.onMigrate(cur.sizeClass, ref.sizeClass, frameBytes);
    }
    chain.push(pick);
    this.views.sync(); // a new segment may lie in bytes the buffer just grew
    this.current = this.segmentAt(pick);
    this.sp = (this.current.addr + this.current.bytes) >>> 0;
  }

  private segmentAt(i: number): StackRef {
    return i === 0 ? this.base : this.chained![i - 1];
  }

  /** The smallest class that holds the frame, at least one class above the current segment. */
  private allocSegment(cur: StackRef, frameBytes: number): StackRef {
    let cls = NEXT_CLASS[cur.sizeClass];
    while (cls !== "large" && SIZE_CLASS_BYTES[cls] < frameBytes) cls = NEXT_CLASS[cls];
    if (cls !== "large") return this.space.allocStack(cls);
    const bytes = Math.max(cur.sizeClass === "large" ? cur.bytes : DEFAULT_LARGE_STACK_BYTES, (frameBytes + 15) & ~15);
    return this.space.allocStack("large", bytes);
  }
}

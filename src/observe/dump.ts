/**
 * rt.dump(): a goroutine dump of every live coroutine.
 *
 * Frames are read back from the address space itself — each frame header
 * holds its definition id and its caller's address (see coro/frame.ts) — so
 * the dump shows what the simulated stack really holds, locals decoded from
 * the buffer, innermost frame first. The dump is plain data (JSON.stringify
 * keeps everything; 64-bit integers are decimal strings, bytes are hex) and
 * `String(dump)` renders it as text for people.
 *
 * The task tree, as Kotlin's and Java's thread dumps show it: a coroutine's
 * parent is the coroutine running the scope that owns it, else the one that
 * spawned it; `children` are the live coroutines whose parent it is. The text
 * prints each coroutine under its parent, indented, roots first (a coroutine
 * whose parent has ended is a root).
 */
import type { ChannelPattern } from "../coro/coro.js";
import { definitionById } from "../coro/coro.js";
import { decodeLocal, FRAME_HEADER_BYTES } from "../coro/frame.js";
import type { Scheduler } from "../sched/scheduler.js";
import type { HostedScope, TaskImpl, TaskState } from "../sched/task.js";
import type { SizeClass } from "../memory/index.js";

export interface FrameDump {
  /** Definition name (a plain generator's header-only frame is named after the coroutine). */
  name: string;
  /** Byte address of the frame. */
  addr: number;
  bytes: number;
  locals: Record<string, number | boolean | string>;
}

export interface CoroutineDump {
  id: number;
  name: string;
  state: TaskState;
  /** What it waits on, since when (virtual ms), or null when it is not blocked. */
  waiting: { kind: string; on: string; sinceMs: number; forMs: number } | null;
  /** Innermost first. */
  frames: FrameDump[];
  stack: {
    sizeClass: SizeClass;
    addr: number;
    bytes: number;
    highWater: number;
    segments: { addr: number; bytes: number; sizeClass: SizeClass }[];
    /** The channel-pattern pool its first segment came from (affinity pools on). */
    pattern?: ChannelPattern;
  };
  /** Its parent in the task tree: the coroutine running the scope that owns it, else its spawner; 0 for none. */
  parent: number;
  /** Live coroutines whose parent it is, by id. */
  children: number[];
  /** The scope that owns it (`scope "fetch"`, `run(main)`), or null. */
  scope: string | null;
  /** The scopes it runs (it is their host), outermost first, each with its state. */
  scopes: { scope: string; state: string }[];
  /** Its scheduling priority, when not 0 (the effective one, a loan included). */
  priority?: number;
}

export class CoroDump {
  readonly runtime: string;
  /** Virtual milliseconds at the dump. */
  readonly nowMs: number;
  /** Model cycles at the dump (simulation output). */
  readonly cycles: number;
  readonly coroutines: CoroutineDump[];

  constructor(runtime: string, nowMs: number, cycles: number, coroutines: CoroutineDump[]) {
    this.runtime = runtime;
    this.nowMs = nowMs;
    this.cycles = cycles;
    this.coroutines = coroutines;
  }

  toString(): string {
    const n = this.coroutines.length;
    const lines = [
      `cprime-coro dump of ${this.runtime} at ${fmtMs(this.nowMs)} virtual (${this.cycles} model cycles): ${n} live coroutine${n === 1 ? "" : "s"}`,
    ];
    for (const [c, depth] of treeOrder(this.coroutines)) {
      lines.push("");
      const pad = "    ".repeat(depth);
      const w = c.waiting;
      const owner = c.scope === null ? "" : ` (${c.scope}${c.parent === 0 ? "" : ` of #${c.parent}`})`;
      lines.push(`${pad}coroutine #${c.id} ${c.name}${owner} [${c.state}${w === null ? "" : `, ${fmtMs(w.forMs)}`}]${w === null ? "" : `: ${w.on}`}`);
      for (const sc of c.scopes) lines.push(`${pad}    runs ${sc.scope}: ${sc.state}`);
      const s = c.stack;
      lines.push(
        `${pad}    stack: ${s.sizeClass}${s.pattern === undefined ? "" : ` (${s.pattern} pool)`} @${hex(s.addr)}, ${s.bytes} B, high-water ${s.highWater} B, ` +
          (s.segments.length === 1
            ? "1 segment"
            : `${s.segments.length} segments (${s.segments
                .slice(1)
                .map((g) => `${g.sizeClass} @${hex(g.addr)}`)
                .join(", ")})`),
      );
      const width = Math.max(0, ...c.frames.map((f) => f.name.length));
      for (const f of c.frames) {
        const locals = Object.entries(f.locals).map(([k, v]) => `${k}=${renderLocal(v)}`);
        lines.push(`${pad}    ${f.name.padEnd(width)}  @${hex(f.addr)} (${f.bytes} B)${locals.length > 0 ? `  ${locals.join(" ")}` : ""}`);
      }
    }
    return lines.join("\n");
  }
}

export function dumpRuntime(rt: Scheduler): CoroDump {
  const tasks = [...rt.liveTasks()].sort((a, b) => a.id - b.id);
  const nowMs = rt.now();
  const dumps = tasks.map((t) => dumpTask(rt, t, nowMs));
  const byId = new Map(dumps.map((d) => [d.id, d]));
  for (const d of dumps) byId.get(d.parent)?.children.push(d.id);
  return new CoroDump(rt.name, nowMs, rt.cycles, dumps);
}

/** The tree parent of `t`: the host of the scope that owns it, else its spawner (0: none). */
function treeParent(t: TaskImpl): number {
  const owner = t.owner;
  return owner !== null && owner.hostId !== 0 ? owner.hostId : t.parentId;
}

/** Coroutines in tree order (each after its parent, children by id), with their depth. */
function treeOrder(coroutines: readonly CoroutineDump[]): [CoroutineDump, number][] {
  const byId = new Map(coroutines.map((c) => [c.id, c]));
  const out: [CoroutineDump, number][] = [];
  const visit = (c: CoroutineDump, depth: number) => {
    out.push([c, depth]);
    for (const id of c.children) {
      const child = byId.get(id);
      if (child !== undefined && child !== c) visit(child, depth + 1);
    }
  };
  for (const c of coroutines) if (!byId.has(c.parent)) visit(c, 0);
  return out;
}

function hostedScopes(t: TaskImpl): { scope: string; state: string }[] {
  const out: { scope: string; state: string }[] = [];
  for (let s: HostedScope | null = t.hostedScope; s !== null; s = s.outer) out.unshift({ scope: s.label, state: s.summary() });
  return out;
}

function dumpTask(rt: Scheduler, t: TaskImpl, nowMs: number): CoroutineDump {
  const s = t.cstack;
  const w = t.waitOn;
  const sinceMs = rt.cyclesToMs(t.waitSince);
  return {
    id: t.id,
    name: t.name,
    state: t.state,
    waiting: w === null ? null : { kind: w.kind, on: w.describe(t), sinceMs, forMs: nowMs - sinceMs },
    frames: walkFrames(t),
    stack: {
      sizeClass: s.sizeClass,
      addr: s.baseAddr,
      bytes: s.reservedBytes,
      highWater: s.highWater,
      segments: s.segments.map((g) => ({ addr: g.addr, bytes: g.bytes, sizeClass: g.sizeClass })),
      ...(t.pattern === undefined ? {} : { pattern: t.pattern }),
    },
    parent: treeParent(t),
    children: [],
    scope: t.owner?.label ?? null,
    scopes: hostedScopes(t),
    ...(t.effectivePriority === 0 ? {} : { priority: t.effectivePriority }),
  };
}

/** Walks the frame chain through the headers in the buffer, innermost first. */
function walkFrames(t: TaskImpl): FrameDump[] {
  const s = t.cstack;
  s.views.sync();
  const u32 = s.views.u32;
  const frames: FrameDump[] = [];
  let addr = s.top !== null ? s.top.$$addr : s.headerOnlyFrame;
  // A chain longer than the stack's bytes allow would mean a corrupt header: stop rather than loop.
  for (let guard = s.reservedBytes / FRAME_HEADER_BYTES; addr !== 0 && guard > 0; guard--) {
    const w = addr >>> 2;
    const def = definitionById(u32[w]);
    const bytes = u32[w + 2];
    const locals: Record<string, number | boolean | string> = {};
    if (def !== undefined) for (const slot of def.layout.locals) locals[slot.name] = decodeLocal(s.views, addr + slot.offset, slot);
    frames.push({ name: def?.name ?? t.name, addr, bytes, locals });
    addr = u32[w + 1];
  }
  return frames;
}

/** Text form of a local: numbers as they are, bytes as 0x… hex (long ones cut, with their length). */
function renderLocal(v: number | boolean | string): string {
  if (typeof v !== "string" || /^-?\d+$/.test(v)) return String(v);
  return v.length <= 66 ? v : `${v.slice(0, 66)}… (${(v.length - 2) / 2} B)`;
}

function hex(addr: number): string {
  return `0x${addr.toString(16).padStart(8, "0")}`;
}

function fmtMs(ms: number): string {
  return `${Number(ms.toFixed(3))} ms`;
}

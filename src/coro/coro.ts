/**
 * Coroutine definitions and the metadata the CPrime compiler would compute.
 *
 * `coro(spec, body)` declares a coroutine body with typed locals and its call
 * graph. At definition time we know the frame layout; the rest of the metadata
 * (which needs the callees, possibly declared later through a thunk) is
 * computed on first use and cached:
 *
 * - `frameBytes`: header + locals, aligned to 8.
 * - `recursion`: a cycle is reachable from this definition in the declared
 *   call graph (itself included). Then the stack is unbounded.
 * - `maxStackBytes`: frame + the deepest declared call chain; null when unbounded.
 * - `callDepth`: frames in the deepest declared chain, own included (leaf = 1);
 *   Infinity when recursive.
 * - `sizeClass`: the size hint if given; else the smallest class whose slot
 *   holds `maxStackBytes`; "large" when unbounded or above the medium class.
 *
 * Invariant: a definition's metadata never changes once computed (the call
 * graph is resolved once), so a running program sees one answer.
 */
import type { SizeClass } from "../memory/index.js";
import { SIZE_CLASSES, isSizeClass } from "../memory/size-classes.js";
import { baseClassFor } from "./stack.js";
import { describeValue, readGuarded } from "../memory/describe.js";
import { frameClassFor, layoutLocals, type Frame, type FrameBase, type FrameLayout, type LocalType } from "./frame.js";

/** A plain generator function that can be spawned: a header-only frame, class micro. */
export type CoroFn<A extends unknown[] = unknown[], R = unknown> = (...args: A) => Generator<unknown, R, unknown>;

export interface CoroMetadata {
  readonly frameBytes: number;
  readonly maxStackBytes: number | null;
  readonly bounded: boolean;
  readonly callDepth: number;
  readonly recursion: boolean;
  readonly sizeClass: SizeClass;
}

/** A coroutine definition made by `coro()`. */
export interface CoroDef<A extends unknown[] = unknown[], R = unknown> {
  readonly name: string;
  readonly metadata: CoroMetadata;
  /** Phantom: carries the argument and result types; never present at run time. A method, so it is bivariant and any definition fits `CoroDef`. */
  __types?(args: A): R;
}

export interface CoroSpec<L extends Record<string, LocalType>> {
  name?: string;
  locals?: L;
  calls?: CoroDef[] | (() => CoroDef[]);
  size?: SizeClass;
  /** Scheduling priority of its coroutines (default 0; higher runs first; an integer). */
  priority?: number;
  /**
   * How its coroutines use channels (the seed's `#[channel_pattern]`): with
   * affinity pools on (`pools: { affinity: true }`) they are carved from the
   * pattern's pools. Declare "select" for a body that selects: a plain spawn
   * can infer only the other three from the ports it is given.
   */
  channelPattern?: ChannelPattern;
}

/** How a coroutine uses channels: the seed's ChannelAccessPattern (SendOnly, RecvOnly, SendRecv, MultiSelect). */
export type ChannelPattern = "sendOnly" | "recvOnly" | "sendRecv" | "select";
/** The patterns in tag order: a pattern's affinity tag (memory/address-space.ts allocAffinityStack) is its index + 1. */
export const CHANNEL_PATTERNS: readonly ChannelPattern[] = Object.freeze(["sendOnly", "recvOnly", "sendRecv", "select"]);

export function isChannelPattern(value: unknown): value is ChannelPattern {
  return typeof value === "string" && (CHANNEL_PATTERNS as readonly string[]).includes(value);
}

/** A priority must be a safe integer; the error names the value. */
export function checkPriority(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    const msg = `${what} must be an integer (higher runs first, default 0), received ${describeValue(value)}`;
    throw typeof value === "number" ? new RangeError(msg) : new TypeError(msg);
  }
  return value;
}

/**
 * A definition's body as stored. Internal, so parameters are bivariant here
 * (a method type): `CoroDefImpl<[number], R>` must fit where any definition
 * goes (`calls` lists, the registry). The public `coro()` signature is exact.
 */
interface DefBodyMethod<A extends unknown[], R> {
  call(frame: never, ...args: A): Generator<unknown, R, unknown>;
}
export type DefBody<A extends unknown[], R> = DefBodyMethod<A, R>["call"];

const GeneratorFunctionPrototype = Object.getPrototypeOf(function* () {}) as object;

/** True for `function*` (also bound): what spawn and coro accept as bodies. */
export function isGeneratorFunction(fn: unknown): fn is (...args: unknown[]) => Generator {
  if (typeof fn !== "function") return false;
  try {
    return Object.getPrototypeOf(fn) === GeneratorFunctionPrototype;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws is no generator function we can run
  }
}

export function assertSizeClass(value: unknown, what: string): asserts value is SizeClass {
  if (!isSizeClass(value)) {
    throw new TypeError(`${what} must be one of ${SIZE_CLASSES.join(", ")}, received ${describeValue(value)}`);
  }
}

/** Every definition, by id, so a frame header's definition id decodes back to its layout. Id 0 is "no definition". */
const definitions: CoroDefImpl[] = [];

export function definitionById(id: number): CoroDefImpl | undefined {
  return id === 0 ? undefined : definitions[id - 1];
}

export class CoroDefImpl<A extends unknown[] = unknown[], R = unknown> implements CoroDef<A, R> {
  readonly id: number;
  readonly layout: FrameLayout;
  readonly FrameClass: typeof FrameBase;
  readonly sizeHint: SizeClass | undefined;
  /** Priority its coroutines are spawned with (coro({ priority })); 0 by default. */
  readonly priority: number;
  /** Its declared channel pattern (coro({ channelPattern })), if any. */
  readonly channelPattern: ChannelPattern | undefined;
  #callsSpec: CoroDef[] | (() => CoroDef[]) | undefined;
  #calls: readonly CoroDefImpl[] | undefined;
  #metadata: CoroMetadata | undefined;

  constructor(
    readonly name: string,
    locals: Record<string, LocalType> | undefined,
    calls: CoroDef[] | (() => CoroDef[]) | undefined,
    size: SizeClass | undefined,
    readonly body: DefBody<A, R>,
    scheduling: { priority?: number; channelPattern?: ChannelPattern } = {},
  ) {
    this.priority = scheduling.priority ?? 0;
    this.channelPattern = scheduling.channelPattern;
    this.layout = layoutLocals(locals, name);
    this.FrameClass = frameClassFor(this.layout);
    this.sizeHint = size;
    this.#callsSpec = calls;
    definitions.push(this as CoroDefImpl);
    this.id = definitions.length;
  }

  get frameBytes(): number {
    return this.layout.frameBytes;
  }

  /** The declared callees, resolved once (a thunk is called on first use). */
  get calls(): readonly CoroDefImpl[] {
    if (this.#calls === undefined) {
      const spec = this.#callsSpec;
      const given: unknown = typeof spec === "function" ? spec() : (spec ?? []);
      const list = readGuarded(`coro "${this.name}": calls`, () => (Array.isArray(given) ? [...(given as unknown[])] : null));
      if (list === null) {
        throw new TypeError(
          `coro "${this.name}": calls must be an array of coro() definitions (or a function returning one), received ${describeValue(given)}`,
        );
      }
      for (const c of list) {
        if (!CoroDefImpl.isDef(c)) throw new TypeError(`coro "${this.name}": calls contains ${describeValue(c)}, which is not a coro() definition`);
      }
      this.#calls = Object.freeze(list as CoroDefImpl[]);
      this.#callsSpec = undefined;
    }
    return this.#calls;
  }

  get metadata(): CoroMetadata {
    if (this.#metadata === undefined) analyse(this);
    return this.#metadata!;
  }

  /** @internal set by analyse() exactly once. */
  setMetadata(m: CoroMetadata): void {
    if (this.#metadata === undefined) this.#metadata = Object.freeze(m);
  }

  hasMetadata(): boolean {
    return this.#metadata !== undefined;
  }

  toString(): string {
    return `coro ${this.name}`;
  }

  /** Whether `value` is a definition made by coro(): a brand check, so a Proxy or a forged prototype runs no trap and passes no test. */
  static isDef(value: unknown): value is CoroDefImpl {
    return typeof value === "object" && value !== null && #callsSpec in value;
  }
}

/**
 * Computes metadata for `root` and every definition reachable from it.
 * Tarjan's algorithm finds the strongly connected components; it emits them
 * callees-first, so each component's answer can use its callees' answers.
 */
function analyse(root: CoroDefImpl): void {
  const index = new Map<CoroDefImpl, number>();
  const low = new Map<CoroDefImpl, number>();
  const onStack = new Set<CoroDefImpl>();
  const stack: CoroDefImpl[] = [];
  let next = 0;

  // Iterative DFS: a deep declared chain must not overflow the JS stack.
  type Visit = { def: CoroDefImpl; calls: readonly CoroDefImpl[]; i: number };
  const visit = (def: CoroDefImpl): Visit => {
    index.set(def, next);
    low.set(def, next);
    next++;
    stack.push(def);
    onStack.add(def);
    return { def, calls: def.calls, i: 0 };
  };
  const work: Visit[] = [visit(root)];
  while (work.length > 0) {
    const top = work[work.length - 1];
    if (top.i < top.calls.length) {
      const callee = top.calls[top.i++];
      if (callee.hasMetadata()) continue; // already analysed in an earlier run
      if (!index.has(callee)) work.push(visit(callee));
      else if (onStack.has(callee)) low.set(top.def, Math.min(low.get(top.def)!, index.get(callee)!));
      continue;
    }
    work.pop();
    if (work.length > 0) {
      const parent = work[work.length - 1].def;
      low.set(parent, Math.min(low.get(parent)!, low.get(top.def)!));
    }
    if (low.get(top.def) === index.get(top.def)) {
      const component: CoroDefImpl[] = [];
      let d: CoroDefImpl;
      do {
        d = stack.pop()!;
        onStack.delete(d);
        component.push(d);
      } while (d !== top.def);
      finishComponent(component);
    }
  }
}

function finishComponent(component: CoroDefImpl[]): void {
  const members = new Set(component);
  const cyclic = component.length > 1 || component[0].calls.includes(component[0]);
  // Callees outside the component are finished (Tarjan order).
  let reachesCycle = cyclic;
  let deepestBytes = 0;
  let deepestDepth = 0;
  if (!cyclic) {
    for (const callee of component[0].calls) {
      if (members.has(callee)) continue;
      const m = callee.metadata;
      if (m.recursion) reachesCycle = true;
      else {
        deepestBytes = Math.max(deepestBytes, m.maxStackBytes!);
        deepestDepth = Math.max(deepestDepth, m.callDepth);
      }
    }
  }
  for (const def of component) {
    const frameBytes = def.frameBytes;
    const maxStackBytes = reachesCycle ? null : frameBytes + deepestBytes;
    def.setMetadata({
      frameBytes,
      maxStackBytes,
      bounded: !reachesCycle,
      callDepth: reachesCycle ? Infinity : 1 + deepestDepth,
      recursion: reachesCycle,
      sizeClass: def.sizeHint ?? (maxStackBytes === null ? "large" : baseClassFor(maxStackBytes)),
    });
  }
}

/**
 * Declares a coroutine definition with typed locals that live in its stack slot.
 *
 * @example
 * const counter = coro({ name: "counter", locals: { n: "i32" } }, function* (f, limit: number) {
 *   for (f.n = 0; f.n < limit; f.n++) yield* yieldNow();
 *   return f.n;
 * });
 * counter.metadata.sizeClass; // "micro": a 24-byte frame fits a 256-byte slot
 */
export function coro<L extends Record<string, LocalType>, A extends unknown[], R>(
  spec: CoroSpec<L>,
  body: (frame: Frame<L>, ...args: A) => Generator<unknown, R, unknown>,
): CoroDef<A, R> {
  if (spec === null || typeof spec !== "object") {
    throw new TypeError(`coro(spec, body): spec must be an object, received ${describeValue(spec)}`);
  }
  // One guarded read of each field: a getter runs once, a Proxy trap that throws is a TypeError saying so.
  const {
    name: givenName,
    locals,
    calls,
    size,
    priority,
    channelPattern,
  } = readGuarded("coro(spec, body): spec", () => ({
    name: spec.name,
    locals: spec.locals,
    calls: spec.calls,
    size: spec.size,
    priority: spec.priority,
    channelPattern: spec.channelPattern,
  }));
  const generator = readGuarded("coro(spec, body): body", () => isGeneratorFunction(body));
  const name = givenName ?? (generator ? (body as { name?: string }).name : undefined) ?? "";
  if (typeof name !== "string") throw new TypeError(`coro: name must be a string, received ${describeValue(name)}`);
  const label = name || "anonymous";
  if (!generator) {
    throw new TypeError(
      `coro "${label}": body must be a generator function (function*), received ${typeof body === "function" ? "a plain function" : describeValue(body)}`,
    );
  }
  if (size !== undefined) assertSizeClass(size, `coro "${label}": size`);
  if (calls !== undefined && typeof calls !== "function" && !readGuarded(`coro "${label}": calls`, () => Array.isArray(calls))) {
    throw new TypeError(`coro "${label}": calls must be an array of coro() definitions or a function returning one, received ${describeValue(calls)}`);
  }
  if (priority !== undefined) checkPriority(priority, `coro "${label}": priority`);
  if (channelPattern !== undefined && !isChannelPattern(channelPattern)) {
    throw new TypeError(
      `coro "${label}": channelPattern must be one of ${CHANNEL_PATTERNS.map((p) => `"${p}"`).join(", ")}, received ${describeValue(channelPattern)}`,
    );
  }
  return new CoroDefImpl<A, R>(label, locals, calls, size, body as unknown as DefBody<A, R>, { priority, channelPattern });
}

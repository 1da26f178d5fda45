/**
 * Scope benchmarks (issue 10): a scope with 1000 children, the cost of
 * opening an empty scope, and the overhead of withTimeout — each beside its
 * floor and Go's errgroup / context.WithTimeout at GOMAXPROCS=1.
 *
 * Wall time is measured; `modelCycles` is the cost model's output (busy
 * cycles per op from rt.stats()), never presented as time.
 */
import type { BenchFile, TimedCase } from "./types.js";
import { scope, spawn, withTimeout, type Operation, type Scope } from "cprime-coro";
import { goPeerCase } from "./peers/go/go-peer.js";
import { MinimalRuntime } from "./peers/minimal-channel.js";
import { runtimeCase } from "./peers/runtime-case.js";

const CHILDREN = 1000;
const TIMEOUTS_PER_CALL = 1000;
const SCOPES_PER_CALL = 1000;

// Hoisted: spawning a fresh closure costs V8 ~2 µs more per spawn (docs/DESIGN.md).
let finished = 0;
function* child(): Generator<unknown, void, unknown> {
  finished++;
}
function* spawnChildren(s: Scope): Generator<unknown, void, unknown> {
  for (let i = 0; i < CHILDREN; i++) s.spawn(child);
}
function* scopeMain(): Generator<unknown, void, unknown> {
  yield* scope(spawnChildren);
}

function checkCount(name: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${name}: ${got} children finished, expected ${want}`);
}

// ── scope/children/1000 ────────────────────────────────────────────────────

const childrenCase = (): TimedCase =>
  runtimeCase({
    name: "scope/children/1000",
    opsPerCall: CHILDREN,
    baseline: "scope/children/1000/go",
    floor: "scope/children/1000/minimal-yield-star",
    note: `rt.run(main): main opens a scope and spawns ${CHILDREN} empty children; the scope returns when all have ended (per child: spawn, run, end, the scope's bookkeeping)`,
    workload: (rt) => rt.run(scopeMain),
    check: (rt) => {
      finished = 0;
      rt.run(scopeMain);
      checkCount("scope/children/1000", finished, CHILDREN);
      if (rt.stats().live !== 0) throw new Error("scope/children/1000: coroutines left live");
    },
  });

/** The same fan-out with spawn and a join of each child: what the scope replaces. */
function* joinMain(): Generator<unknown, void, unknown> {
  const tasks = [];
  for (let i = 0; i < CHILDREN; i++) tasks.push(spawn(child));
  for (const t of tasks) yield* t.join();
}
const spawnJoinCase = (): TimedCase =>
  runtimeCase({
    name: "scope/children/1000/spawn-join",
    opsPerCall: CHILDREN,
    note: `the same ${CHILDREN} children with rt.spawn and a join of each, no scope: the scope's own cost is the difference`,
    workload: (rt) => rt.run(joinMain),
    check: (rt) => {
      finished = 0;
      rt.run(joinMain);
      checkCount("scope/children/1000/spawn-join", finished, CHILDREN);
    },
  });

/** The floor: a run queue of generators, a parent parked on a counter the children count down. */
const floorChildrenCase = (): TimedCase => {
  const rt = new MinimalRuntime();
  type MinimalTask = Parameters<MinimalRuntime["ready"]>[0];
  let left = 0;
  let parentTask: MinimalTask | null = null;
  function* minimalChild(): Generator<unknown, void, unknown> {
    finished++;
    if (--left === 0) rt.ready(parentTask!);
  }
  function* minimalParent(): Generator<unknown, void, unknown> {
    parentTask = rt.current as MinimalTask;
    left = CHILDREN;
    for (let i = 0; i < CHILDREN; i++) rt.spawn(minimalChild);
    yield; // parked until the last child readies it
  }
  return {
    name: "scope/children/1000/minimal-yield-star",
    role: "baseline",
    opsPerCall: CHILDREN,
    note: "floor: bench/peers/minimal-channel.ts's run queue; the parent parks on a counter of its children (no stacks, no cancellation, no failures)",
    setup() {
      finished = 0;
      rt.spawn(minimalParent);
      rt.run();
      checkCount("scope/children/1000/minimal-yield-star", finished, CHILDREN);
    },
    fn() {
      rt.spawn(minimalParent);
      rt.run();
    },
  };
};

/** Peer: async functions under Promise.all (structured by hand). */
const asyncChildrenCase = (): TimedCase => {
  async function asyncChild(): Promise<void> {
    finished++;
  }
  return {
    name: "scope/children/1000/async",
    role: "peer",
    baseline: "scope/children/1000",
    opsPerCall: CHILDREN,
    note: `peer: ${CHILDREN} async functions under one Promise.all`,
    async fn() {
      const all: Promise<void>[] = [];
      for (let i = 0; i < CHILDREN; i++) all.push(asyncChild());
      await Promise.all(all);
    },
  };
};

// ── scope/open-close ───────────────────────────────────────────────────────

function* emptyBody(): Generator<unknown, number, unknown> {
  return 1;
}
function* openCloseMain(): Generator<unknown, number, unknown> {
  let n = 0;
  for (let i = 0; i < SCOPES_PER_CALL; i++) n += yield* scope(emptyBody);
  return n;
}
const openCloseCase = (): TimedCase =>
  runtimeCase({
    name: "scope/open-close",
    opsPerCall: SCOPES_PER_CALL,
    note: `${SCOPES_PER_CALL} empty scopes opened and closed in a row by one coroutine (no children)`,
    workload: (rt) => rt.run(openCloseMain),
    check: (rt) => {
      if (rt.run(openCloseMain) !== SCOPES_PER_CALL) throw new Error("scope/open-close: wrong sum");
    },
  });

// ── scope/withTimeout ──────────────────────────────────────────────────────

/** An operation that completes at once (no suspension): what withTimeout wraps here. */
const READY_OP: Operation<number> = {
  [Symbol.iterator]() {
    return { next: () => ({ done: true, value: 1 }) };
  },
};
function* timeoutMain(): Generator<unknown, number, unknown> {
  let n = 0;
  for (let i = 0; i < TIMEOUTS_PER_CALL; i++) n += yield* withTimeout(1000, READY_OP);
  return n;
}
function* plainMain(): Generator<unknown, number, unknown> {
  let n = 0;
  for (let i = 0; i < TIMEOUTS_PER_CALL; i++) n += yield* READY_OP;
  return n;
}
const timeoutCase = (): TimedCase =>
  runtimeCase({
    name: "scope/withTimeout",
    opsPerCall: TIMEOUTS_PER_CALL,
    baseline: "scope/withTimeout/go",
    floor: "scope/withTimeout/none",
    note: `${TIMEOUTS_PER_CALL} × withTimeout(1000, op) around an operation that completes at once: a sub-scope, a timer set and removed`,
    workload: (rt) => rt.run(timeoutMain),
    check: (rt) => {
      if (rt.run(timeoutMain) !== TIMEOUTS_PER_CALL) throw new Error("scope/withTimeout: wrong sum");
      if (rt.now() > 1) throw new Error("scope/withTimeout: a timer was left behind (the clock moved)");
    },
  });
const noTimeoutCase = (): TimedCase =>
  runtimeCase({
    name: "scope/withTimeout/none",
    opsPerCall: TIMEOUTS_PER_CALL,
    note: "floor: the same loop with yield* op and no timeout (the overhead of withTimeout is the difference)",
    workload: (rt) => rt.run(plainMain),
    check: (rt) => {
      if (rt.run(plainMain) !== TIMEOUTS_PER_CALL) throw new Error("scope/withTimeout/none: wrong sum");
    },
  });

const bench: BenchFile = {
  title: "Scopes and deadlines",
  notes: [
    "Subject cases run rt.run(main) on a runtime made in setup; setup runs one call and checks it (children finished, nothing left live, no timer left).",
    "Floors: scope/children/1000 against a minimal yield* run queue whose parent waits on a counter (bench/peers/minimal-channel.ts); withTimeout against the same loop without the timeout.",
    "Go peers at GOMAXPROCS=1 (bench/peers/go/main.go): an errgroup (its code: WaitGroup, Once, a cancel context) with 1000 goroutines; context.WithTimeout + cancel around a call that returns at once.",
    "modelCycles is the cost model's busy cycles per op (rt.stats().busyCycles), model output, not time.",
  ],
  cases: [
    childrenCase(),
    floorChildrenCase(),
    spawnJoinCase(),
    asyncChildrenCase(),
    goPeerCase("scope/children/1000/go", `Go: errgroup.WithContext and ${CHILDREN} g.Go of an empty function, then Wait`),
    openCloseCase(),
    timeoutCase(),
    noTimeoutCase(),
    goPeerCase("scope/withTimeout/go", "Go: context.WithTimeout(ctx, time.Second), a call that returns at once, cancel()"),
  ],
};

export default bench;

/**
 * Model-based test (fast-check `fc.commands`): a Runtime and two channels
 * against a model made of arrays.
 *
 * The model, per channel: the buffered values, the queue of waiting senders
 * (with their values), the queue of waiting receivers, the closed flag; per
 * coroutine: its operation, its status and the result it must end with.
 *
 * How the real system is driven: Send, Recv and Select spawn a coroutine that
 * performs one operation and records how it ended; Advance runs the runtime to
 * quiescence (a DeadlockError just means coroutines are blocked, which the model
 * predicts exactly); TrySend, TryRecv and Close act from outside any coroutine,
 * between runs; Cancel cancels one coroutine, whatever its state.
 *
 * Why the model can follow a whole run: each coroutine does one operation in
 * its first step, and a woken coroutine only records its result, so the only
 * steps with effects on channels are the first steps of the spawned coroutines,
 * in spawn order — with timers that fall due (after(0)) firing between them,
 * and the rest of the timers firing after, in deadline order. With every cost
 * zero and clockHz 1000 the clock moves only on timer jumps, in whole ms.
 *
 * Where select picks at random among several ready cases, the model reads the
 * real choice and checks that the chosen case was ready; everything else it
 * predicts. Selects use each of (channel, direction) at most once and at most
 * one `after`, so which case a partner meets is determined by the queues.
 *
 * After every command: channel state and wait queues vs the model,
 * checkChannel() on both channels, the scheduler's held resources, every
 * task's state, the virtual clock; after Advance also every recorded result
 * and whether run() reported a deadlock.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  Channel,
  ChannelClosedError,
  after,
  checkChannel,
  recv,
  select,
  send,
  type Operation,
  type RecvResult,
  type SelectCase,
  type Task,
  type Runtime,
} from "../../src/index.js";
import { attempt, exactClockRuntime, settle, type Outcome } from "./helpers.js";
import { nodeTask, nodeValue } from "../../src/chan/wait-queue.js";
import { runs } from "../support/fc.js";

type ChanIndex = 0 | 1;
type CaseSpec = "recvA" | "sendA" | "recvB" | "sendB" | "after";
type ModelCase = { kind: "recv"; ch: ChanIndex } | { kind: "send"; ch: ChanIndex; value: number } | { kind: "after"; ms: number };
type ModelOp = { kind: "send"; ch: ChanIndex; value: number } | { kind: "recv"; ch: ChanIndex } | { kind: "select"; cases: ModelCase[]; withDefault: boolean };

/** pending: spawned, not started · woken: result decided, not yet resumed · cancelling: cancel() called, not yet run. */
type Status = "pending" | "blocked" | "woken" | "cancelling" | "done" | "cancelled";

interface Entry {
  task: number;
  value: number | undefined;
  /** Case index within its select, or -1 for a plain send/recv. */
  caseIndex: number;
}

interface ModelChan {
  cap: number;
  buf: number[];
  closed: boolean;
  sendq: Entry[];
  recvq: Entry[];
}

interface ModelTask {
  id: number;
  op: ModelOp;
  status: Status;
  expected: Outcome | null;
  timer: { deadline: number; seq: number } | null;
}

const REAL_STATE: Record<Status, Task["state"]> = {
  pending: "ready",
  blocked: "blocked",
  woken: "ready",
  cancelling: "ready",
  done: "done",
  cancelled: "cancelled",
};

type Matched = { kind: "received"; result: RecvResult<number> } | { kind: "sent" } | { kind: "closed-send" };

class Model {
  readonly chans: ModelChan[];
  readonly tasks = new Map<number, ModelTask>();
  private pending: number[] = [];
  now = 0;
  private timerSeq = 0;
  private nextValue = 1;

  constructor(caps: readonly number[]) {
    this.chans = caps.map((cap) => ({ cap, buf: [], closed: false, sendq: [], recvq: [] }));
  }

  freshValue(): number {
    return this.nextValue++;
  }

  spawned(id: number, op: ModelOp): void {
    this.tasks.set(id, { id, op, status: "pending", expected: null, timer: null });
    this.pending.push(id);
  }

  // ── the channel rules ───────────────────────────────────────────────────

  trySend(ch: ChanIndex, value: number): boolean | "closed" {
    const c = this.chans[ch];
    if (c.closed) return "closed";
    const e = c.recvq.shift();
    if (e !== undefined) {
      this.wake(e, { kind: "received", result: { ok: true, value } });
      return true;
    }
    if (c.buf.length < c.cap) {
      c.buf.push(value);
      return true;
    }
    return false;
  }

  tryRecv(ch: ChanIndex): RecvResult<number> | undefined {
    const c = this.chans[ch];
    const e = c.sendq.shift();
    if (e !== undefined) {
      let value = e.value!;
      if (c.cap > 0) {
        value = c.buf.shift()!;
        c.buf.push(e.value!);
      }
      this.wake(e, { kind: "sent" });
      return { ok: true, value };
    }
    if (c.buf.length > 0) return { ok: true, value: c.buf.shift()! };
    if (c.closed) return { ok: false, value: undefined };
    return undefined;
  }

  close(ch: ChanIndex): "closed" | undefined {
    const c = this.chans[ch];
    if (c.closed) return "closed";
    c.closed = true;
    for (let e = c.recvq.shift(); e !== undefined; e = c.recvq.shift()) this.wake(e, { kind: "received", result: { ok: false, value: undefined } });
    for (let e = c.sendq.shift(); e !== undefined; e = c.sendq.shift()) this.wake(e, { kind: "closed-send" });
    return undefined;
  }

  cancel(id: number): void {
    const t = this.tasks.get(id)!;
    if (t.status === "done" || t.status === "cancelled" || t.status === "cancelling") return;
    // Its operation already completed: the result is delivered and, with no further
    // suspension point in this coroutine, it finishes normally (no value is lost).
    if (t.status === "woken") return;
    this.detach(t);
    t.expected = null;
    t.status = "cancelling";
  }

  /** Runs what run() runs: pending first steps in order (due timers between them), then the timers. */
  advance(realOutcomes: ReadonlyMap<number, Outcome>): void {
    for (const id of this.pending) {
      const t = this.tasks.get(id)!;
      if (t.status !== "pending") continue;
      this.start(t, realOutcomes.get(id));
      this.fireDueTimers();
    }
    this.pending = [];
    for (let next = this.earliestTimer(); next !== null; next = this.earliestTimer()) {
      this.now = Math.max(this.now, next.timer!.deadline);
      this.fireDueTimers();
    }
    for (const t of this.tasks.values()) {
      if (t.status === "woken") t.status = "done";
      else if (t.status === "cancelling") t.status = "cancelled";
    }
  }

  // ── internals ───────────────────────────────────────────────────────────

  private start(t: ModelTask, realOutcome: Outcome | undefined): void {
    const op = t.op;
    const finish = (o: Outcome): void => {
      t.expected = o;
      t.status = "done";
    };
    if (op.kind === "send") {
      const sent = this.trySend(op.ch, op.value);
      if (sent === "closed") finish({ kind: "error", error: "closed" });
      else if (sent) finish({ kind: "ok", value: undefined });
      else this.block(t, [[this.chans[op.ch].sendq, { task: t.id, value: op.value, caseIndex: -1 }]]);
      return;
    }
    if (op.kind === "recv") {
      const r = this.tryRecv(op.ch);
      if (r !== undefined) finish({ kind: "ok", value: r });
      else this.block(t, [[this.chans[op.ch].recvq, { task: t.id, value: undefined, caseIndex: -1 }]]);
      return;
    }
    // Pass 1: which cases could complete now?
    const ready = op.cases.flatMap((k, i) => (this.isReady(k) ? [i] : []));
    if (ready.length === 0) {
      if (op.withDefault) return finish({ kind: "ok", value: { index: -1, ok: false, value: undefined } });
      const entries: [Entry[], Entry][] = [];
      op.cases.forEach((k, i) => {
        if (k.kind === "recv") entries.push([this.chans[k.ch].recvq, { task: t.id, value: undefined, caseIndex: i }]);
        else if (k.kind === "send") entries.push([this.chans[k.ch].sendq, { task: t.id, value: k.value, caseIndex: i }]);
        else t.timer = { deadline: this.now + k.ms, seq: this.timerSeq++ };
      });
      this.block(t, entries);
      return;
    }
    // Several ready cases: the runtime chose at random; follow it, after checking it was allowed.
    let chosen = ready[0];
    if (ready.length > 1) {
      expect(realOutcome, `select of task #${t.id} with ready cases ${ready} recorded no result`).toBeDefined();
      if (realOutcome!.kind === "error") {
        expect(realOutcome!.error).toBe("closed");
        chosen = ready.find((i) => op.cases[i].kind === "send" && this.chans[(op.cases[i] as { ch: ChanIndex }).ch].closed) ?? -1;
        expect(chosen, `select of task #${t.id} threw, but no ready case sends on a closed channel`).toBeGreaterThanOrEqual(0);
      } else {
        chosen = (realOutcome!.value as { index: number }).index;
        expect(ready, `select of task #${t.id} chose case ${chosen}, which was not ready`).toContain(chosen);
      }
    }
    const k = op.cases[chosen];
    if (k.kind === "recv") {
      const r = this.tryRecv(k.ch)!;
      finish({ kind: "ok", value: { index: chosen, ok: r.ok, value: r.value } });
    } else if (k.kind === "send") {
      if (this.trySend(k.ch, k.value) === "closed") finish({ kind: "error", error: "closed" });
      else finish({ kind: "ok", value: { index: chosen, ok: true, value: undefined } });
    }
  }

  private isReady(k: ModelCase): boolean {
    if (k.kind === "after") return false;
    const c = this.chans[k.ch];
    if (k.kind === "recv") return c.sendq.length > 0 || c.buf.length > 0 || c.closed;
    return c.closed || c.recvq.length > 0 || c.buf.length < c.cap;
  }

  private block(t: ModelTask, entries: [Entry[], Entry][]): void {
    for (const [q, e] of entries) q.push(e);
    t.status = "blocked";
  }

  /** An entry (already off its queue) was matched: its task leaves every other queue and wakes with the result. */
  private wake(e: Entry, how: Matched): void {
    const t = this.tasks.get(e.task)!;
    this.detach(t);
    t.status = "woken";
    if (how.kind === "closed-send") t.expected = { kind: "error", error: "closed" };
    else if (e.caseIndex < 0) t.expected = { kind: "ok", value: how.kind === "received" ? how.result : undefined };
    else if (how.kind === "received") t.expected = { kind: "ok", value: { index: e.caseIndex, ok: how.result.ok, value: how.result.value } };
    else t.expected = { kind: "ok", value: { index: e.caseIndex, ok: true, value: undefined } };
  }

  private detach(t: ModelTask): void {
    for (const c of this.chans) {
      c.sendq = c.sendq.filter((e) => e.task !== t.id);
      c.recvq = c.recvq.filter((e) => e.task !== t.id);
    }
    t.timer = null;
  }

  private earliestTimer(): ModelTask | null {
    let best: ModelTask | null = null;
    for (const t of this.tasks.values()) {
      const x = t.timer;
      if (x !== null && (best === null || x.deadline < best.timer!.deadline || (x.deadline === best.timer!.deadline && x.seq < best.timer!.seq))) best = t;
    }
    return best;
  }

  private fireDueTimers(): void {
    for (let t = this.earliestTimer(); t !== null && t.timer!.deadline <= this.now; t = this.earliestTimer()) {
      const op = t.op as Extract<ModelOp, { kind: "select" }>;
      this.detach(t);
      t.status = "woken";
      t.expected = { kind: "ok", value: { index: op.cases.findIndex((k) => k.kind === "after"), ok: true, value: undefined } };
    }
  }
}

interface Real {
  rt: Runtime;
  chans: Channel<number>[];
  tasks: Map<number, Task>;
  outcomes: Map<number, Outcome>;
}

function realCase(real: Real, k: ModelCase): SelectCase {
  if (k.kind === "recv") return recv(real.chans[k.ch]);
  if (k.kind === "send") return send(real.chans[k.ch], k.value);
  return after(k.ms);
}

function spawnOp(real: Real, op: ModelOp): number {
  const perform = (): Operation<unknown> => {
    if (op.kind === "send") return real.chans[op.ch].send(op.value);
    if (op.kind === "recv") return real.chans[op.ch].recv();
    return select(
      op.cases.map((k) => realCase(real, k)),
      { default: op.withDefault },
    );
  };
  let id = -1;
  const task = real.rt.spawn(function* op1() {
    yield* attempt(perform, (o) => real.outcomes.set(id, o));
  });
  id = task.id;
  real.tasks.set(id, task);
  return id;
}

function closedOr<T>(f: () => T): T | "closed" {
  try {
    return f();
  } catch (e) {
    if (e instanceof ChannelClosedError) return "closed";
    throw e;
  }
}

/** Everything observable without running the runtime. */
function compare(model: Model, real: Real): void {
  model.chans.forEach((m, i) => {
    const c = real.chans[i];
    const what = `channel ${"AB"[i]} (capacity ${m.cap})`;
    expect(c.closed, `${what} closed`).toBe(m.closed);
    expect(c.length, `${what} length`).toBe(m.buf.length);
    expect(
      [...c.sendq].map((w) => [nodeTask(w).id, nodeValue(w)]),
      `${what} sendq`,
    ).toEqual(m.sendq.map((e) => [e.task, e.value]));
    expect(
      [...c.recvq].map((w) => nodeTask(w).id),
      `${what} recvq`,
    ).toEqual(m.recvq.map((e) => e.task));
    checkChannel(c);
    expect(real.rt.holds(c), `${what} held by the scheduler`).toBe(m.sendq.length + m.recvq.length > 0);
  });
  for (const [id, t] of model.tasks) expect(real.tasks.get(id)!.state, `task #${id} state`).toBe(REAL_STATE[t.status]);
  expect(real.rt.now(), "virtual clock").toBe(model.now);
}

type Cmd = fc.Command<Model, Real>;

class SpawnCmd implements Cmd {
  constructor(
    private readonly label: string,
    private readonly make: (m: Model) => ModelOp,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const op = this.make(m);
    m.spawned(spawnOp(r, op), op);
    compare(m, r);
  }
  toString(): string {
    return this.label;
  }
}

class TrySendCmd implements Cmd {
  constructor(private readonly ch: ChanIndex) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const v = m.freshValue();
    const got = closedOr(() => r.chans[this.ch].trySend(v));
    expect(got, `trySend(${v})`).toBe(m.trySend(this.ch, v));
    compare(m, r);
  }
  toString(): string {
    return `TrySend(${"AB"[this.ch]})`;
  }
}

class TryRecvCmd implements Cmd {
  constructor(private readonly ch: ChanIndex) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    expect(r.chans[this.ch].tryRecv(), "tryRecv()").toEqual(m.tryRecv(this.ch));
    compare(m, r);
  }
  toString(): string {
    return `TryRecv(${"AB"[this.ch]})`;
  }
}

class CloseCmd implements Cmd {
  constructor(private readonly ch: ChanIndex) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    expect(
      closedOr(() => r.chans[this.ch].close()),
      "close()",
    ).toBe(m.close(this.ch));
    compare(m, r);
  }
  toString(): string {
    return `Close(${"AB"[this.ch]})`;
  }
}

class CancelCmd implements Cmd {
  constructor(private readonly pick: number) {}
  check(m: Model): boolean {
    return m.tasks.size > 0;
  }
  run(m: Model, r: Real): void {
    const ids = [...m.tasks.keys()];
    const id = ids[this.pick % ids.length];
    r.tasks.get(id)!.cancel();
    m.cancel(id);
    compare(m, r);
  }
  toString(): string {
    return `Cancel(${this.pick})`;
  }
}

class AdvanceCmd implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const deadlock = settle(r.rt);
    m.advance(r.outcomes);
    compare(m, r);
    const blocked = [...m.tasks.values()].filter((t) => t.status === "blocked").length;
    expect(deadlock?.blocked.length ?? 0, "coroutines run() reported blocked").toBe(blocked);
    for (const [id, t] of m.tasks) {
      if (t.status === "done") expect(r.outcomes.get(id), `result of task #${id}`).toEqual(t.expected);
      else expect(r.outcomes.has(id), `task #${id} (${t.status}) recorded a result`).toBe(false);
    }
  }
  toString(): string {
    return "Advance";
  }
}

const chanIndex = fc.constantFrom<ChanIndex>(0, 1);
const selectSpec = fc.record({
  cases: fc.shuffledSubarray<CaseSpec>(["recvA", "sendA", "recvB", "sendB", "after"], { minLength: 0, maxLength: 5 }),
  ms: fc.constantFrom(0, 1, 5),
  withDefault: fc.boolean(),
});

function selectCmd(spec: { cases: CaseSpec[]; ms: number; withDefault: boolean }): SpawnCmd {
  const withDefault = spec.withDefault || spec.cases.length === 0;
  return new SpawnCmd(`Select([${spec.cases.join(", ")}]${spec.cases.includes("after") ? ` after ${spec.ms}` : ""}${withDefault ? ", default" : ""})`, (m) => ({
    kind: "select",
    withDefault,
    cases: spec.cases.map((c): ModelCase => {
      if (c === "after") return { kind: "after", ms: spec.ms };
      const ch: ChanIndex = c.endsWith("A") ? 0 : 1;
      return c.startsWith("recv") ? { kind: "recv", ch } : { kind: "send", ch, value: m.freshValue() };
    }),
  }));
}

const commands = [
  { weight: 5, arbitrary: chanIndex.map((ch) => new SpawnCmd(`Send(${"AB"[ch]})`, (m) => ({ kind: "send", ch, value: m.freshValue() }))) },
  { weight: 5, arbitrary: chanIndex.map((ch) => new SpawnCmd(`Recv(${"AB"[ch]})`, () => ({ kind: "recv", ch }))) },
  { weight: 3, arbitrary: chanIndex.map((ch) => new TrySendCmd(ch)) },
  { weight: 3, arbitrary: chanIndex.map((ch) => new TryRecvCmd(ch)) },
  { weight: 1, arbitrary: chanIndex.map((ch) => new CloseCmd(ch)) },
  { weight: 4, arbitrary: selectSpec.map(selectCmd) },
  { weight: 4, arbitrary: fc.constant(new AdvanceCmd()) },
  { weight: 2, arbitrary: fc.nat().map((n) => new CancelCmd(n)) },
];
/** fc.commands draws uniformly from its list: a command's weight is how many times it is listed. */
const weighted: fc.Arbitrary<Cmd>[] = commands.flatMap(({ weight, arbitrary }) => Array<fc.Arbitrary<Cmd>>(weight).fill(arbitrary));

const capacity = fc.constantFrom(0, 1, 2, 7);

describe("Channel and select against a queue model (fc.commands)", () => {
  test("every interleaving of send, recv, try*, close, select, advance and cancel matches the model", () => {
    fc.assert(
      fc.property(
        capacity,
        capacity,
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.commands(weighted, { maxCommands: 50, size: "max" }),
        (capA, capB, seed, cmds) => {
          const model = new Model([capA, capB]);
          const real: Real = {
            rt: exactClockRuntime({ seed }),
            chans: [new Channel<number>(capA, { name: "A" }), new Channel<number>(capB, { name: "B" })],
            tasks: new Map(),
            outcomes: new Map(),
          };
          fc.modelRun(() => ({ model, real }), cmds);
          // Whatever the commands left behind, a final run must still agree with the model.
          new AdvanceCmd().run(model, real);
        },
      ),
      { numRuns: runs(300) },
    );
  });
});

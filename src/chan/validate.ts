/**
 * checkChannel(): the channel invariants as executable checks. Tests call it
 * after every step of a model-based run; it throws an Error naming the
 * violated invariant and the channel.
 */
import { describeValue } from "../describe.js";
import { Channel, isChannel, Overflow } from "./channel.js";
import { nodeTask, RECV, SEND, Waiter, type QueueNode, type WaitQueue } from "./wait-queue.js";
import { SelectWait } from "./select.js";
import { BLOCKED } from "../sched/task.js";

export function checkChannel(ch: Channel<unknown> | Channel<never>): void {
  const c = ch as Channel<unknown>;
  if (!isChannel(c)) throw new TypeError(`checkChannel(ch): ch must be a Channel, received ${describeValue(ch)}`);
  const fail = (msg: string): never => {
    throw new Error(`checkChannel(${c.describe()}): ${msg}`);
  };
  const senders = walk(c.sendq, "sendq", fail);
  const receivers = walk(c.recvq, "recvq", fail);
  if (senders.length > 0 && receivers.length > 0) {
    // Go's exception: one select waiting on both sides of the same channel.
    const first = senders[0];
    const sel = first instanceof Waiter ? first.select : null;
    const oneSelect = sel !== null && [...senders, ...receivers].every((w) => w instanceof Waiter && w.select === sel);
    if (!oneSelect) fail(`both wait queues are non-empty (${senders.length} senders, ${receivers.length} receivers)`);
  }
  if (c.count < 0 || c.count > c.capacity) fail(`buffered count ${c.count} outside 0..${c.capacity}`);
  if (c.count > 0 && receivers.length > 0) fail(`${c.count} values buffered while ${receivers.length} receivers wait`);
  if (senders.length > 0 && c.count !== c.capacity) fail(`${senders.length} senders wait while the buffer has room (${c.count}/${c.capacity})`);
  if (c.isClosed && (senders.length > 0 || receivers.length > 0)) fail("closed with waiters still queued");
  if (c.sendq.op !== SEND || c.recvq.op !== RECV) fail("the queues' sides are swapped");
  if (c.overflowPolicy !== Overflow.Suspend && senders.length > 0) fail(`${senders.length} senders wait under overflow ${JSON.stringify(c.overflow)}`);
  for (const [q, nodes] of [
    [c.sendq, senders],
    [c.recvq, receivers],
  ] as const) {
    for (const w of nodes) {
      const t = nodeTask(w);
      if (t.st !== BLOCKED) fail(`waiter of task #${t.id} is queued but the task is ${t.state}`);
      const rec = t.waitOn;
      if (w instanceof Waiter) {
        if (w.op !== q.op) fail(`a ${w.kind} waiter of task #${t.id} is in the ${q.kind} queue`);
        if (!(rec instanceof SelectWait) || rec !== w.select || rec.done)
          fail(`select waiter of task #${t.id} is queued but the task waits on ${rec === null ? "nothing" : rec.describe(t)}`);
      } else if (rec !== q) {
        fail(`task #${t.id} is linked in the ${q.kind} queue but waits on ${rec === null ? "nothing" : rec.describe(t)}`);
      }
    }
  }
  if (c.capacity > 0) {
    const buf = c.buf;
    for (let k = c.count; k < buf.length; k++) {
      if (buf[(c.head + k) % buf.length] !== undefined) fail(`buffer slot ${(c.head + k) % buf.length} outside the live range holds a value`);
    }
  }
}

function walk(q: WaitQueue, what: string, fail: (m: string) => never): QueueNode[] {
  const out: QueueNode[] = [];
  let prev: QueueNode | null = null;
  for (let w = q.head; w !== null; w = w.qnext as QueueNode | null) {
    if (w instanceof Waiter ? w.queue !== q : w.waitOn !== q) fail(`${what}: a linked node does not point back to its queue`);
    if (w.qprev !== prev) fail(`${what}: broken prev link`);
    out.push(w);
    prev = w;
    if (out.length > q.size) fail(`${what}: more waiters linked than its size ${q.size}`);
  }
  if (q.tail !== prev) fail(`${what}: tail is not the last waiter`);
  if (out.length !== q.size) fail(`${what}: size ${q.size} but ${out.length} linked`);
  return out;
}

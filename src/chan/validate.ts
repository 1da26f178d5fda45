/**
 * checkChannel(): the channel invariants as executable checks. Tests call it
 * after every step of a model-based run; it throws an Error naming the
 * violated invariant and the channel.
 */
import { Channel } from "./channel.js";
import { RECV, SEND, type Waiter, type WaitQueue } from "./wait-queue.js";
import { SelectWait } from "./select.js";
import { BLOCKED } from "../sched/task.js";

export function checkChannel(ch: Channel<unknown> | Channel<never>): void {
  const c = ch as Channel<unknown>;
  const fail = (msg: string): never => {
    throw new Error(`checkChannel(${c.describe()}): ${msg}`);
  };
  const senders = walk(c.sendq, "sendq", fail);
  const receivers = walk(c.recvq, "recvq", fail);
  if (senders.length > 0 && receivers.length > 0) {
    // Go's exception: one select waiting on both sides of the same channel.
    const sel = senders[0].select;
    const oneSelect = sel !== null && [...senders, ...receivers].every((w) => w.select === sel);
    if (!oneSelect) fail(`both wait queues are non-empty (${senders.length} senders, ${receivers.length} receivers)`);
  }
  if (c.count < 0 || c.count > c.capacity) fail(`buffered count ${c.count} outside 0..${c.capacity}`);
  if (c.count > 0 && receivers.length > 0) fail(`${c.count} values buffered while ${receivers.length} receivers wait`);
  if (senders.length > 0 && c.count !== c.capacity) fail(`${senders.length} senders wait while the buffer has room (${c.count}/${c.capacity})`);
  if (c.isClosed && (senders.length > 0 || receivers.length > 0)) fail("closed with waiters still queued");
  for (const w of senders) if (w.op !== SEND) fail(`a ${w.kind} waiter is in sendq`);
  for (const w of receivers) if (w.op !== RECV) fail(`a ${w.kind} waiter is in recvq`);
  for (const w of [...senders, ...receivers]) {
    if (w.task.st !== BLOCKED) fail(`waiter of task #${w.task.id} is queued but the task is ${w.task.state}`);
    const rec = w.task.waitOn;
    if (w.select === null ? rec !== w : !(rec instanceof SelectWait) || rec !== w.select || rec.done) {
      fail(`waiter of task #${w.task.id} is queued but the task waits on ${rec === null ? "nothing" : rec.describe()}`);
    }
  }
  if (c.capacity > 0) {
    const buf = c.buf;
    for (let k = c.count; k < buf.length; k++) {
      if (buf[(c.head + k) % buf.length] !== undefined) fail(`buffer slot ${(c.head + k) % buf.length} outside the live range holds a value`);
    }
  }
}

function walk(q: WaitQueue, what: string, fail: (m: string) => never): Waiter[] {
  const out: Waiter[] = [];
  let prev: Waiter | null = null;
  for (let w = q.head; w !== null; w = w.next) {
    if (w.queue !== q) fail(`${what}: a linked waiter does not point back to its queue`);
    if (w.prev !== prev) fail(`${what}: broken prev link`);
    out.push(w);
    prev = w;
    if (out.length > q.size) fail(`${what}: more waiters linked than its size ${q.size}`);
  }
  if (q.tail !== prev) fail(`${what}: tail is not the last waiter`);
  if (out.length !== q.size) fail(`${what}: size ${q.size} but ${out.length} linked`);
  return out;
}

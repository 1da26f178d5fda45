/**
 * The sync primitives' invariants as executable checks. The model tests call
 * them after every step; each throws an Error naming the violated invariant
 * and the primitive.
 */
import { BLOCKED, type TaskImpl } from "../sched/task.js";
import type { Mutex } from "./mutex.js";
import type { TaskQueue } from "./queue.js";
import type { WaitGroup } from "./waitgroup.js";

type Fail = (msg: string) => never;

function failer(what: string): Fail {
  return (msg) => {
    throw new Error(`${what}: ${msg}`);
  };
}

/** Walks a queue: links consistent, size right, every task BLOCKED on it. Returns the tasks in order. */
export function checkQueue(q: TaskQueue, fail: Fail): TaskImpl[] {
  const out: TaskImpl[] = [];
  let prev: TaskImpl | null = null;
  for (let t = q.head; t !== null; t = t.qnext as TaskImpl | null) {
    if (t.qprev !== prev) fail(`${q.kind} queue: broken back link at ${String(t)}`);
    if (t.st !== BLOCKED || t.waitOn !== q) fail(`${q.kind} queue: ${String(t)} is ${t.state}, not blocked on this queue`);
    out.push(t);
    prev = t;
    if (out.length > q.size) fail(`${q.kind} queue: more tasks linked than its size ${q.size}`);
  }
  if (q.tail !== prev) fail(`${q.kind} queue: tail is not the last task`);
  if (out.length !== q.size) fail(`${q.kind} queue: size ${q.size} but ${out.length} linked`);
  return out;
}

export function checkMutex(mu: Mutex): void {
  const fail = failer(`checkMutex(${mu.describe()})`);
  const waiters = checkQueue(mu.queue, fail);
  if (!mu.isLocked && mu.holder !== null) fail(`unlocked but held by ${String(mu.holder)}`);
  if (!mu.isLocked && waiters.length > 0) fail(`unlocked while ${waiters.length} tasks wait (a hand-off was missed)`);
  if (mu.holder !== null && waiters.includes(mu.holder)) fail(`its holder ${String(mu.holder)} also waits for it`);
}

export function checkWaitGroup(wg: WaitGroup): void {
  const fail = failer(`checkWaitGroup(${wg.describe()})`);
  const waiters = checkQueue(wg.queue, fail);
  if (!Number.isSafeInteger(wg.counter) || wg.counter < 0) fail(`counter ${wg.counter} is negative or not an integer`);
  if (wg.counter === 0 && waiters.length > 0) fail(`${waiters.length} tasks wait at counter zero`);
}

/**
 * The sync primitives' invariants as executable checks. The model tests call
 * them after every step; each throws an Error naming the violated invariant
 * and the primitive.
 */
import { BLOCKED, type TaskImpl } from "../sched/task.js";
import type { Mutex } from "./mutex.js";
import type { TaskQueue } from "./queue.js";
import type { WaitGroup } from "./waitgroup.js";
import type { RWMutex } from "./rwmutex.js";
import type { Semaphore } from "./semaphore.js";
import type { Once } from "./once.js";
import type { Cond } from "./cond.js";

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

export function checkRWMutex(rw: RWMutex): void {
  const fail = failer(`checkRWMutex(${rw.describe()})`);
  const writers = checkQueue(rw.writeq, fail);
  const readers = checkQueue(rw.readq, fail);
  if (rw.writer && rw.readers > 0) fail(`a writer beside ${rw.readers} readers`);
  if (!Number.isSafeInteger(rw.readers) || rw.readers < 0) fail(`reader count ${rw.readers}`);
  if (!rw.writer && rw.holder !== null) fail(`no writer but held by ${String(rw.holder)}`);
  if (writers.length > 0 && !rw.writer && rw.readers === 0) fail(`${writers.length} writers wait on a free lock (a hand-off was missed)`);
  if (readers.length > 0 && !rw.writer && writers.length === 0) fail(`${readers.length} readers wait with no writer holding or waiting`);
  if (rw.readerTasks.length > rw.readers) fail(`${rw.readerTasks.length} reader tasks for ${rw.readers} read locks`);
}

export function checkSemaphore(s: Semaphore): void {
  const fail = failer(`checkSemaphore(${s.describe()})`);
  const waiters = checkQueue(s.queue, fail);
  if (!Number.isSafeInteger(s.held) || s.held < 0 || s.held > s.size) fail(`held ${s.held} outside 0..${s.size}`);
  for (const t of waiters) {
    const n = t.resume;
    if (typeof n !== "number" || n > s.size) fail(`${String(t)} queued for ${String(n)} of ${s.size}`);
  }
  if (waiters.length > 0 && s.size - s.held >= (waiters[0].resume as number))
    fail(`the head's request (${String(waiters[0].resume)}) fits in ${s.size - s.held} free units but waits`);
}

export function checkOnce(o: Once): void {
  const fail = failer(`checkOnce(${o.describe()})`);
  const waiters = checkQueue(o.queue, fail);
  if (o.isDone && o.runner !== null) fail(`done but still running in ${String(o.runner)}`);
  if (waiters.length > 0 && o.runner === null) fail(`${waiters.length} callers wait with nobody running the function`);
  if (o.runner !== null && waiters.includes(o.runner)) fail(`the runner ${String(o.runner)} waits for itself`);
}

export function checkCond(c: Cond): void {
  checkQueue(c.queue, failer(`checkCond(${c.describe()})`));
}

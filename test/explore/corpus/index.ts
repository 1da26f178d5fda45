/**
 * A corpus of small concurrency bugs, each with its fixed version, in the
 * categories of the Go concurrency-bug study (Tu, Liu, Song, Zhang,
 * ASPLOS 2019): blocking bugs on channels alone, on locks and channels,
 * WaitGroup misuse; non-blocking bugs — atomicity and order violations
 * across a `yield*`, double close; and dining philosophers.
 *
 * Every bug is written so that a plain run (the default FIFO schedule)
 * passes unless noted (`defaultFails`): the explorer has to find another
 * interleaving. The fixed versions must run their whole budget clean.
 * Locks and WaitGroups are built from channels here (a channel of capacity
 * 1 is a mutex), as Go programs often do.
 */
import { after, Channel, recv, select, send, sleep, yieldNow, type Runtime } from "cprime-coro";
import type { ExploreOptions, Program } from "cprime-coro/test";

export type Category = "channel" | "lock+channel" | "waitgroup" | "atomicity" | "order" | "double close" | "philosophers";

export interface Bug {
  name: string;
  category: Category;
  /** What goes wrong, in a line. */
  what: string;
  buggy: Program;
  fixed: Program;
  /** Options the bug needs to be reachable at all (preemption points, jitter). */
  options?: ExploreOptions;
  /** The default (FIFO) schedule already fails: the bug needs no other interleaving. */
  defaultFails?: boolean;
  /** fast-check's fc.scheduler() version, where the bug can be written with promises. */
  promise?: { buggy: PromiseProgram; fixed: PromiseProgram };
}

/** A promise version: `tick()` is a yield point fast-check's scheduler orders; it throws on the bug. */
export type PromiseProgram = (tick: () => Promise<void>) => Promise<void>;

/** A mutex made of a channel of capacity 1: lock sends the token, unlock takes it back. */
class ChanMutex {
  private readonly ch: Channel<number>;
  constructor(name: string) {
    this.ch = new Channel<number>(1, { name });
  }
  *lock(): Generator<unknown, void, unknown> {
    yield* this.ch.send(1);
  }
  unlock(): void {
    if (this.ch.tryRecv() === undefined) throw new Error("unlock of an unlocked mutex");
  }
}

/** A WaitGroup made of a counter and a channel closed at zero. */
class ChanWaitGroup {
  private count = 0;
  private zero = new Channel<never>(0, { name: "wg" });
  add(n: number): void {
    this.count += n;
    if (this.count < 0) throw new Error("negative WaitGroup counter");
  }
  done(): void {
    this.add(-1);
    if (this.count === 0) {
      this.zero.close();
      this.zero = new Channel<never>(0, { name: "wg" });
    }
  }
  *wait(): Generator<unknown, void, unknown> {
    if (this.count === 0) return;
    yield* this.zero.recv();
  }
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

// ── channel-only blocking bugs ────────────────────────────────────────────

/** A worker sends its result on an unbuffered channel; the caller gives up at a timeout and returns: the send blocks forever. */
function timeoutLeak(capacity: number): Program {
  return (rt: Runtime) => {
    const result = new Channel<number>(capacity, { name: "result" });
    rt.spawn(function* worker() {
      yield* sleep(5);
      yield* result.send(42);
    });
    rt.spawn(function* caller() {
      yield* select([recv(result), after(6)]);
    });
  };
}

/** The first of three answers is taken, the others block forever on an unbuffered channel (Go's classic leak). */
function firstResponse(capacity: number): Program {
  return (rt: Runtime) => {
    const answers = new Channel<number>(capacity, { name: "answers" });
    for (let i = 0; i < 3; i++)
      rt.spawn(function* replica() {
        for (let k = 0; k < i; k++) yield* yieldNow();
        yield* answers.send(i);
      });
    rt.spawn(function* client() {
      yield* answers.recv();
    });
  };
}

/** A "non-blocking send" with select-default drops the value when the receiver is not there yet. */
function droppedSignal(withDefault: boolean): Program {
  return (rt: Runtime) => {
    const ready = new Channel<string>(0, { name: "ready" });
    rt.spawn(function* waiter() {
      yield* ready.recv();
    });
    rt.spawn(function* notifier() {
      if (withDefault) yield* select([send(ready, "go")], { default: true });
      else yield* ready.send("go");
    });
  };
}

/** Two producers; the first closes when it is done, while the other may still send. */
function closeTooEarly(fixed: boolean): Program {
  return (rt: Runtime) => {
    const out = new Channel<number>(4, { name: "out" });
    const done = new Channel<number>(2, { name: "done" });
    rt.spawn(function* producerA() {
      yield* yieldNow();
      yield* out.send(1);
      if (fixed) yield* done.send(1);
      else out.close();
    });
    rt.spawn(function* producerB() {
      yield* out.send(2);
      if (fixed) yield* done.send(1);
    });
    if (fixed)
      rt.spawn(function* closer() {
        yield* done.recv();
        yield* done.recv();
        out.close();
      });
  };
}

/** The last producer to finish closes; "last" is a check-then-act on a shared count, so nobody may close and the consumer waits forever. */
function missingClose(fixed: boolean): Program {
  return (rt: Runtime) => {
    const out = new Channel<number>(4, { name: "out" });
    let finished = 0;
    for (const [name, delay] of [
      ["p1", 0],
      ["p2", 2],
    ] as const)
      rt.spawn(
        {
          [name]: function* () {
            for (let k = 0; k < delay; k++) yield* yieldNow();
            yield* out.send(1);
            if (fixed) {
              finished++;
              if (finished === 2) out.close();
              return;
            }
            const seen = finished;
            yield* yieldNow();
            finished = seen + 1;
            if (finished === 2) out.close();
          },
        }[name],
      );
    rt.spawn(function* consumer() {
      for (let r = yield* out.recv(); r.ok; r = yield* out.recv());
    });
  };
}

/** A consumer checks the buffer has room, then sends: two of them fill it and the second blocks with nobody to drain. */
function checkThenSend(fixed: boolean): Program {
  return (rt: Runtime) => {
    const slots = new Channel<number>(1, { name: "slots" });
    for (const [name, delay] of [
      ["a", 0],
      ["b", 2],
    ] as const)
      rt.spawn(
        {
          [name]: function* () {
            for (let k = 0; k < delay; k++) yield* yieldNow();
            if (fixed) {
              slots.trySend(1); // the check and the send are one step
              return;
            }
            if (slots.length < slots.capacity) {
              yield* yieldNow();
              yield* slots.send(1);
            }
          },
        }[name],
      );
  };
}

// ── lock + channel blocking bugs ──────────────────────────────────────────

/** A mutex is held while sending on an unbuffered channel whose receiver first needs that mutex. */
function lockedSend(fixed: boolean): Program {
  return (rt: Runtime) => {
    const mu = new ChanMutex("mu");
    const events = new Channel<string>(0, { name: "events" });
    let state = 0;
    rt.spawn(function* reader() {
      yield* mu.lock();
      const seen = state;
      mu.unlock();
      yield* events.recv();
      check(seen >= 0, "impossible");
    });
    rt.spawn(function* writer() {
      yield* mu.lock();
      state++;
      if (fixed) {
        mu.unlock();
        yield* events.send("changed");
      } else {
        yield* events.send("changed");
        mu.unlock();
      }
    });
  };
}

/** Two locks taken in opposite orders (AB-BA). */
function lockOrder(fixed: boolean): Program {
  return (rt: Runtime) => {
    const a = new ChanMutex("A");
    const b = new ChanMutex("B");
    rt.spawn(function* t1() {
      yield* a.lock();
      yield* yieldNow();
      yield* b.lock();
      b.unlock();
      a.unlock();
    });
    rt.spawn(function* t2() {
      yield* yieldNow();
      yield* yieldNow();
      const [first, second] = fixed ? [a, b] : [b, a];
      yield* first.lock();
      yield* yieldNow();
      yield* second.lock();
      second.unlock();
      first.unlock();
    });
  };
}

/** An early return on cancellation skips the unlock; a later locker waits forever. */
function forgottenUnlock(fixed: boolean): Program {
  return (rt: Runtime) => {
    const mu = new ChanMutex("mu");
    let cancelled = false;
    rt.spawn(function* worker() {
      yield* mu.lock();
      yield* yieldNow();
      if (cancelled) {
        if (fixed) mu.unlock();
        return;
      }
      mu.unlock();
    });
    rt.spawn(function* canceller() {
      yield* yieldNow();
      cancelled = true;
    });
    rt.spawn(function* late() {
      yield* yieldNow();
      yield* yieldNow();
      yield* mu.lock();
      mu.unlock();
    });
  };
}

// ── WaitGroup misuse ──────────────────────────────────────────────────────

/** wg.add inside the spawned coroutine instead of before the spawn: wait() may return before the workers started. */
function addInsideWorker(fixed: boolean): Program {
  return (rt: Runtime) => {
    const wg = new ChanWaitGroup();
    let results = 0;
    rt.spawn(function* main() {
      for (let i = 0; i < 2; i++) {
        if (fixed) wg.add(1);
        rt.spawn(function* worker() {
          if (!fixed) wg.add(1);
          yield* yieldNow();
          results++;
          wg.done();
        });
      }
      yield* yieldNow();
      yield* wg.wait();
      check(results === 2, `wait returned with ${results} of 2 results`);
    });
  };
}

/** A worker calls done on its error path and again on its way out: the counter goes negative when the error path runs. */
function doubleDone(fixed: boolean): Program {
  return (rt: Runtime) => {
    const wg = new ChanWaitGroup();
    let claimed = false;
    wg.add(2);
    for (const name of ["w1", "w2"])
      rt.spawn(
        {
          [name]: function* () {
            const first = !claimed;
            yield* yieldNow();
            if (!first && claimed && !fixed) wg.done(); // "someone else did it": report done early…
            claimed = true;
            wg.done(); // …and again here
          },
        }[name],
      );
    rt.spawn(function* waiter() {
      yield* wg.wait();
    });
  };
}

/** A worker that fails skips done(): wait() blocks forever. */
function missingDone(fixed: boolean): Program {
  return (rt: Runtime) => {
    const wg = new ChanWaitGroup();
    const jobs = new Channel<number>(2, { name: "jobs" });
    wg.add(2);
    for (const name of ["w1", "w2"])
      rt.spawn(
        {
          [name]: function* () {
            yield* yieldNow();
            const r = jobs.tryRecv();
            if (r === undefined) {
              if (fixed) wg.done();
              return; // no job for me: leaves without done()
            }
            yield* yieldNow();
            wg.done();
          },
        }[name],
      );
    rt.spawn(function* feeder() {
      yield* jobs.send(1);
      yield* jobs.send(2);
    });
    rt.spawn(function* main() {
      yield* wg.wait();
    });
  };
}

// ── atomicity and order violations across a yield* ────────────────────────

/** Check-then-act: two withdrawals of 60 from 100 both pass the check. */
function overdraft(fixed: boolean): Program {
  return (rt: Runtime) => {
    let balance = 100;
    for (const [name, delay] of [
      ["alice", 0],
      ["bob", 1],
    ] as const)
      rt.spawn(
        {
          [name]: function* () {
            for (let k = 0; k < delay; k++) yield* yieldNow();
            if (balance >= 60) {
              if (fixed) {
                balance -= 60;
                return;
              }
              yield* yieldNow();
              balance -= 60;
            }
          },
        }[name],
      );
    return () => check(balance >= 0, `balance went negative: ${balance}`);
  };
}

/** A read-modify-write split by a channel operation that completes at once (needs a preemption point). */
function lostUpdate(fixed: boolean): Program {
  return (rt: Runtime) => {
    let count = 0;
    for (const name of ["a", "b"]) {
      const log = new Channel<number>(1, { name: `log-${name}` });
      rt.spawn(function* incr(out: Channel<number>) {
        if (fixed) {
          count++;
          yield* out.send(count);
          return;
        }
        const seen = count;
        yield* out.send(seen);
        count = seen + 1;
      }, log);
    }
    return () => check(count === 2, `lost update: count is ${count}`);
  };
}

/** Lazy initialisation checked, then done after a yield: two instances are made. */
function doubleInit(fixed: boolean): Program {
  return (rt: Runtime) => {
    let instance: object | null = null;
    let made = 0;
    for (const [name, delay] of [
      ["first", 0],
      ["second", 2],
    ] as const)
      rt.spawn(
        {
          [name]: function* () {
            for (let k = 0; k < delay; k++) yield* yieldNow();
            if (instance === null) {
              if (!fixed) yield* yieldNow(); // "connect" before publishing
              instance = {};
              made++;
            }
          },
        }[name],
      );
    return () => check(made === 1, `initialised ${made} times`);
  };
}

/** Use before init: the user reads a config the loader sets after a yield. */
function useBeforeInit(fixed: boolean): Program {
  return (rt: Runtime) => {
    let config: { port: number } | null = null;
    const loaded = new Channel<never>(0, { name: "loaded" });
    rt.spawn(function* loader() {
      yield* yieldNow();
      config = { port: 80 };
      loaded.close();
    });
    rt.spawn(function* user() {
      yield* yieldNow();
      yield* yieldNow();
      if (fixed) yield* loaded.recv();
      check(config !== null, "config used before it was loaded");
    });
  };
}

/** Order violation: a result read after a sleep that is meant to be "long enough" (jitter breaks it). */
function sleepAsSync(fixed: boolean): Program {
  return (rt: Runtime) => {
    let value = 0;
    const done = new Channel<never>(0, { name: "done" });
    rt.spawn(function* computer() {
      yield* sleep(4);
      value = 7;
      done.close();
    });
    rt.spawn(function* reader() {
      if (fixed) yield* done.recv();
      else yield* sleep(5);
      check(value === 7, "read the result before it was computed");
    });
  };
}

// ── double close ──────────────────────────────────────────────────────────

/** Two coroutines each close the channel if it is not closed yet, checking before a yield. */
function doubleClose(fixed: boolean): Program {
  return (rt: Runtime) => {
    const quit = new Channel<never>(0, { name: "quit" });
    for (const [name, delay] of [
      ["stopper1", 0],
      ["stopper2", 1],
    ] as const)
      rt.spawn(
        {
          [name]: function* () {
            for (let k = 0; k < delay; k++) yield* yieldNow();
            if (!quit.closed) {
              if (!fixed) yield* yieldNow();
              quit.close();
            }
          },
        }[name],
      );
  };
}

/** The worker closes on completion, the supervisor closes on timeout: both when they coincide. */
function closeOnTimeout(fixed: boolean): Program {
  return (rt: Runtime) => {
    const stop = new Channel<never>(0, { name: "stop" });
    rt.spawn(function* worker() {
      yield* sleep(5);
      if (!fixed || !stop.closed) stop.close();
    });
    rt.spawn(function* supervisor() {
      const r = yield* select([recv(stop), after(6)]);
      if (r.index === 1 && (!fixed || !stop.closed)) stop.close();
    });
  };
}

// ── dining philosophers ───────────────────────────────────────────────────

function philosophers(n: number, fixed: boolean): Program {
  return (rt: Runtime) => {
    const forks = Array.from({ length: n }, (_, i) => new ChanMutex(`fork${i}`));
    for (let i = 0; i < n; i++) {
      const left = i;
      const right = (i + 1) % n;
      const [first, second] = fixed ? [Math.min(left, right), Math.max(left, right)] : [left, right];
      rt.spawn(
        {
          [`philosopher${i}`]: function* () {
            for (let k = 0; k < i; k++) yield* yieldNow(); // they sit down one after the other
            yield* forks[first].lock();
            yield* yieldNow();
            yield* forks[second].lock();
            forks[second].unlock();
            forks[first].unlock();
          },
        }[`philosopher${i}`],
      );
    }
  };
}

// ── promise versions for fc.scheduler() ───────────────────────────────────

const promiseOverdraft =
  (fixed: boolean): PromiseProgram =>
  async (tick) => {
    let balance = 100;
    const withdraw = async (delay: number) => {
      for (let k = 0; k < delay; k++) await tick();
      if (balance >= 60) {
        if (!fixed) await tick();
        balance -= 60;
      }
    };
    await Promise.all([withdraw(0), withdraw(1)]);
    check(balance >= 0, `balance went negative: ${balance}`);
  };

const promiseDoubleInit =
  (fixed: boolean): PromiseProgram =>
  async (tick) => {
    let instance: object | null = null;
    let made = 0;
    const get = async (delay: number) => {
      for (let k = 0; k < delay; k++) await tick();
      if (instance === null) {
        if (!fixed) await tick();
        instance = {};
        made++;
      }
    };
    await Promise.all([get(0), get(2)]);
    check(made === 1, `initialised ${made} times`);
  };

const promiseUseBeforeInit =
  (fixed: boolean): PromiseProgram =>
  async (tick) => {
    let config: object | null = null;
    let markLoaded!: () => void;
    const loaded = new Promise<void>((r) => (markLoaded = r));
    const loader = async () => {
      await tick();
      config = {};
      markLoaded();
    };
    const user = async () => {
      await tick();
      await tick();
      if (fixed) await loaded;
      check(config !== null, "config used before it was loaded");
    };
    await Promise.all([loader(), user()]);
  };

const promiseDoubleClose =
  (fixed: boolean): PromiseProgram =>
  async (tick) => {
    let closed = false;
    const stop = async (delay: number) => {
      for (let k = 0; k < delay; k++) await tick();
      if (!closed) {
        if (!fixed) await tick();
        check(!closed, "close of a closed channel");
        closed = true;
      }
    };
    await Promise.all([stop(0), stop(1)]);
  };

const promiseLostUpdate =
  (fixed: boolean): PromiseProgram =>
  async (tick) => {
    let count = 0;
    const incr = async () => {
      if (fixed) {
        count++;
        await tick();
        return;
      }
      const seen = count;
      await tick();
      count = seen + 1;
    };
    await Promise.all([incr(), incr()]);
    check(count === 2, `lost update: count is ${count}`);
  };

const pair = <T>(f: (fixed: boolean) => T) => ({ buggy: f(false), fixed: f(true) });

export const CORPUS: readonly Bug[] = [
  {
    name: "timeout-leak",
    category: "channel",
    what: "a send with no receiver after the caller returned on a timeout",
    ...pair((f) => timeoutLeak(f ? 1 : 0)),
    options: { jitter: 2 },
  },
  {
    name: "first-response",
    category: "channel",
    what: "the first answer taken, the others blocked on an unbuffered channel",
    ...pair((f) => firstResponse(f ? 3 : 0)),
    defaultFails: true,
  },
  {
    name: "dropped-signal",
    category: "channel",
    what: "select with a default drops a signal the receiver is not yet waiting for",
    ...pair((f) => droppedSignal(!f)),
  },
  { name: "close-too-early", category: "channel", what: "one of two producers closes while the other still sends", ...pair(closeTooEarly) },
  {
    name: "missing-close",
    category: "channel",
    what: "the 'last producer closes' count is raced, nobody closes, the consumer waits forever",
    ...pair(missingClose),
  },
  {
    name: "check-then-send",
    category: "channel",
    what: "room in the buffer checked, then sent into after a yield: the second sender blocks",
    ...pair(checkThenSend),
  },
  { name: "locked-send", category: "lock+channel", what: "a mutex held while sending to a receiver that needs the mutex first", ...pair(lockedSend) },
  { name: "lock-order", category: "lock+channel", what: "two locks taken in opposite orders (AB-BA)", ...pair(lockOrder) },
  { name: "forgotten-unlock", category: "lock+channel", what: "an early return skips the unlock", ...pair(forgottenUnlock) },
  { name: "add-inside-worker", category: "waitgroup", what: "wg.add in the worker: wait returns before the workers have started", ...pair(addInsideWorker) },
  { name: "double-done", category: "waitgroup", what: "done on the error path and again on the way out: negative counter", ...pair(doubleDone) },
  { name: "missing-done", category: "waitgroup", what: "a worker leaves without done(): wait blocks forever", ...pair(missingDone) },
  { name: "overdraft", category: "atomicity", what: "check-then-act on a balance across a yield", ...pair(overdraft), promise: pair(promiseOverdraft) },
  {
    name: "lost-update",
    category: "atomicity",
    what: "read-modify-write split by a channel send",
    ...pair(lostUpdate),
    options: { preemptAtOps: true },
    promise: pair(promiseLostUpdate),
  },
  {
    name: "double-init",
    category: "atomicity",
    what: "lazy initialisation checked, then published after a yield",
    ...pair(doubleInit),
    promise: pair(promiseDoubleInit),
  },
  { name: "use-before-init", category: "order", what: "a config read before the loader set it", ...pair(useBeforeInit), promise: pair(promiseUseBeforeInit) },
  {
    name: "sleep-as-sync",
    category: "order",
    what: "a sleep taken to be long enough instead of waiting for the result",
    ...pair(sleepAsSync),
    options: { jitter: 2 },
  },
  {
    name: "double-close",
    category: "double close",
    what: "two closers check 'not closed' before a yield",
    ...pair(doubleClose),
    promise: pair(promiseDoubleClose),
  },
  {
    name: "close-on-timeout",
    category: "double close",
    what: "the worker and the supervisor both close when completion and timeout coincide",
    ...pair(closeOnTimeout),
    options: { jitter: 2 },
  },
  { name: "philosophers-2", category: "philosophers", what: "two philosophers, each takes the left fork, then the right", ...pair((f) => philosophers(2, f)) },
  {
    name: "philosophers-3",
    category: "philosophers",
    what: "three philosophers, each takes the left fork, then the right",
    ...pair((f) => philosophers(3, f)),
  },
];

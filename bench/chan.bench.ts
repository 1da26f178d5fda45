/**
 * Channel and select benchmarks (issue 4), beside async/await, js-csp,
 * effection and Go (GOMAXPROCS=1) doing the same work.
 *
 * Wall time is measured; the `modelCycles` column is the cost model's output
 * (busy cycles per op from `rt.stats()`), never presented as time.
 */
import type { BenchFile, TimedCase } from "./types.js";
import { Channel, recv, Runtime, select } from "cprime-coro";
import { createChannel, run as effectionRun, spawn as effectionSpawn } from "effection";
import csp, { type CspChannel } from "js-csp";
import { AsyncChannel } from "./peers/async-channel.js";
import { goPeerCase } from "./peers/go/go-peer.js";
import { runtimeCase } from "./peers/runtime-case.js";
import { MinimalChannel, MinimalRecvCase, MinimalRuntime, minimalSelect } from "./peers/minimal-channel.js";

// The sizes mirror bench/peers/go/main.go; change both together.
const PING_PONG_ROUND_TRIPS = 10_000;
/** The slower peers do fewer round trips per call, so a call stays short; the figure is per round trip either way. */
const PEER_ROUND_TRIPS = 1_000;
const THROUGHPUT_MESSAGES = 100_000;
const THROUGHPUT_CAPACITY = 1024;
const SELECTS_PER_CALL = 10_000;
const SELECT_CAPACITY = 16;
const SELECT_PREFILL = 8;
const FAN_IN_PRODUCERS = 100;
const FAN_IN_PER_PRODUCER = 1000;
const FAN_IN_MESSAGES = FAN_IN_PRODUCERS * FAN_IN_PER_PRODUCER;

// ── chan/pingpong/cap=0 ────────────────────────────────────────────────────

/**
 * What the ping-pong and throughput workloads need of a channel. Ours and the
 * floor's (bench/peers/minimal-channel.ts) both fit, so both run the very
 * same generator code (each case runs in its own process: no shared feedback).
 */
interface WorkloadChannel {
  send(value: number): { [Symbol.iterator](): Iterator<unknown, void, unknown> };
  recv(): { [Symbol.iterator](): Iterator<unknown, { ok: true; value: number } | { ok: false; value: undefined }, unknown> };
}

function* pinger(ping: WorkloadChannel, pong: WorkloadChannel, n: number): Generator<unknown, number, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    yield* ping.send(i);
    const r = yield* pong.recv();
    sum += r.ok ? r.value : 0;
  }
  return sum;
}

function* ponger(ping: WorkloadChannel, pong: WorkloadChannel, n: number): Generator<unknown, void, unknown> {
  for (let i = 0; i < n; i++) {
    const r = yield* ping.recv();
    yield* pong.send(r.ok ? r.value : -1);
  }
}

const pingPongCase = (): TimedCase => {
  const ping = new Channel<number>(0, { name: "ping" });
  const pong = new Channel<number>(0, { name: "pong" });
  const pingPong = (rt: Runtime) => {
    rt.spawn(ponger, ping, pong, PING_PONG_ROUND_TRIPS);
    const t = rt.spawn(pinger, ping, pong, PING_PONG_ROUND_TRIPS);
    rt.run();
    return t;
  };
  return runtimeCase({
    name: "chan/pingpong/cap=0",
    opsPerCall: PING_PONG_ROUND_TRIPS,
    baseline: "chan/pingpong/go",
    floor: "chan/pingpong/minimal-yield-star",
    target: { ns: 100, text: "≤ 100 ns; faster than Go (≈186 ns at GOMAXPROCS=1) and async/await (≈165 ns)" },
    note: `${PING_PONG_ROUND_TRIPS} round trips between two coroutines over two unbuffered channels; two spawns amortised over them`,
    workload: pingPong,
    check(rt) {
      const before = rt.stats().contextSwitches;
      const t = pingPong(rt);
      const expectedSum = (PING_PONG_ROUND_TRIPS * (PING_PONG_ROUND_TRIPS - 1)) / 2;
      if (t.result !== expectedSum) throw new Error(`chan/pingpong: the pinger got back ${String(t.result)}, expected ${expectedSum}`);
      const switches = rt.stats().contextSwitches - before;
      if (switches < 2 * PING_PONG_ROUND_TRIPS)
        throw new Error(`chan/pingpong: ${switches} context switches for ${PING_PONG_ROUND_TRIPS} round trips; a round trip must switch twice`);
    },
  });
};

// ── the floors: the same workloads on bench/peers/minimal-channel.ts ─────

const FLOOR_NOTE =
  "the floor for this API shape (bench/peers/minimal-channel.ts): a bare run queue and channels with yield* operations, " +
  "no cycle model, stacks, cancellation, deadlock detection or validation";

function floorPingPongCase(): TimedCase {
  const rt = new MinimalRuntime();
  const ping = new MinimalChannel<number>(rt, 0);
  const pong = new MinimalChannel<number>(rt, 0);
  return {
    name: "chan/pingpong/minimal-yield-star",
    role: "baseline",
    baseline: "chan/pingpong/cap=0",
    opsPerCall: PING_PONG_ROUND_TRIPS,
    note: `${FLOOR_NOTE}; ${PING_PONG_ROUND_TRIPS} round trips per call`,
    fn() {
      rt.spawn(ponger, ping, pong, PING_PONG_ROUND_TRIPS);
      rt.spawn(pinger, ping, pong, PING_PONG_ROUND_TRIPS);
      rt.run();
    },
  };
}

function floorThroughputCase(): TimedCase {
  const rt = new MinimalRuntime();
  const ch = new MinimalChannel<number>(rt, THROUGHPUT_CAPACITY);
  return {
    name: "chan/throughput/cap=1024/minimal-yield-star",
    role: "baseline",
    baseline: "chan/throughput/cap=1024",
    opsPerCall: THROUGHPUT_MESSAGES,
    note: `${FLOOR_NOTE}; ${THROUGHPUT_MESSAGES} messages per call`,
    fn() {
      rt.spawn(producer, ch, THROUGHPUT_MESSAGES);
      rt.spawn(consumer, ch, THROUGHPUT_MESSAGES);
      rt.run();
    },
  };
}

function* floorSelector(a: MinimalChannel<number>, b: MinimalChannel<number>, n: number): Generator<unknown, number, unknown> {
  let firstWins = 0;
  for (let i = 0; i < n; i++) {
    const r = yield* minimalSelect([new MinimalRecvCase(a), new MinimalRecvCase(b)]);
    if (r.index === 0) {
      firstWins++;
      a.trySend(r.value as number);
    } else b.trySend(r.value as number);
  }
  return firstWins;
}

function floorSelectCase(): TimedCase {
  const rt = new MinimalRuntime();
  const a = new MinimalChannel<number>(rt, SELECT_CAPACITY);
  const b = new MinimalChannel<number>(rt, SELECT_CAPACITY);
  for (let i = 0; i < SELECT_PREFILL; i++) {
    a.trySend(i);
    b.trySend(i);
  }
  return {
    name: "select/ready=2/minimal-yield-star",
    role: "baseline",
    baseline: "select/ready=2",
    opsPerCall: SELECTS_PER_CALL,
    note: `${FLOOR_NOTE}; select's ready path only: a random poll order over two cases, the first ready one taken`,
    fn() {
      rt.spawn(floorSelector, a, b, SELECTS_PER_CALL);
      rt.run();
    },
  };
}

function asyncPingPongCase(): TimedCase {
  const ping = new AsyncChannel<number>();
  const pong = new AsyncChannel<number>();
  const n = PING_PONG_ROUND_TRIPS;
  async function asyncPinger(): Promise<void> {
    for (let i = 0; i < n; i++) {
      await ping.send(i);
      await pong.recv();
    }
  }
  async function asyncPonger(): Promise<void> {
    for (let i = 0; i < n; i++) await pong.send(await ping.recv());
  }
  return {
    name: "chan/pingpong/async-await",
    role: "peer",
    baseline: "chan/pingpong/cap=0",
    opsPerCall: n,
    note: "two async functions over a minimal promise rendezvous channel (bench/peers/async-channel.ts)",
    fn() {
      return Promise.all([asyncPonger(), asyncPinger()]);
    },
  };
}

function jsCspPingPongCase(): TimedCase {
  const n = PEER_ROUND_TRIPS;
  function* cspPinger(ping: CspChannel<number>, pong: CspChannel<number>) {
    for (let i = 0; i < n; i++) {
      yield csp.put(ping, i);
      yield csp.take(pong);
    }
  }
  function* cspPonger(ping: CspChannel<number>, pong: CspChannel<number>) {
    for (let i = 0; i < n; i++) {
      const v = (yield csp.take(ping)) as number;
      yield csp.put(pong, v);
    }
  }
  return {
    name: "chan/pingpong/js-csp",
    role: "peer",
    baseline: "chan/pingpong/cap=0",
    opsPerCall: n,
    note: `two js-csp go-blocks, put/take on two unbuffered channels; ${n} round trips per call`,
    fn() {
      const ping = csp.chan<number>();
      const pong = csp.chan<number>();
      return new Promise<void>((resolve) => {
        let running = 2;
        const finished = () => {
          if (--running === 0) resolve();
        };
        csp.takeAsync(csp.go(cspPonger, [ping, pong]), finished);
        csp.takeAsync(csp.go(cspPinger, [ping, pong]), finished);
      });
    },
  };
}

function effectionPingPongCase(): TimedCase {
  const n = PEER_ROUND_TRIPS;
  return {
    name: "chan/pingpong/effection",
    role: "peer",
    baseline: "chan/pingpong/cap=0",
    opsPerCall: n,
    note: `effection 4: two spawned operations over two createChannel() channels, subscribed before the first send; ${n} round trips per call`,
    fn() {
      return effectionRun(function* () {
        const ping = createChannel<number, never>();
        const pong = createChannel<number, never>();
        // Subscribe first: an effection channel drops what is sent before anyone subscribes.
        const pings = yield* ping;
        const pongs = yield* pong;
        const pongTask = yield* effectionSpawn(function* () {
          for (let i = 0; i < n; i++) {
            const r = yield* pings.next();
            yield* pong.send(r.value);
          }
        });
        const pingTask = yield* effectionSpawn(function* () {
          for (let i = 0; i < n; i++) {
            yield* ping.send(i);
            yield* pongs.next();
          }
        });
        yield* pingTask;
        yield* pongTask;
      });
    },
  };
}

// ── chan/throughput/cap=1024 ───────────────────────────────────────────────

function* producer(ch: WorkloadChannel, n: number): Generator<unknown, void, unknown> {
  for (let i = 0; i < n; i++) yield* ch.send(i);
}

function* consumer(ch: WorkloadChannel, n: number): Generator<unknown, number, unknown> {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = yield* ch.recv();
    if (r.ok) sum += r.value;
  }
  return sum;
}

function checkSum(name: string, got: unknown, expected: number): void {
  if (got !== expected) throw new Error(`${name}: the consumer's checksum is ${String(got)}, expected ${expected}`);
}

const throughputCase = (): TimedCase => {
  const ch = new Channel<number>(THROUGHPUT_CAPACITY, { name: "throughput" });
  const transfer = (rt: Runtime) => {
    rt.spawn(producer, ch, THROUGHPUT_MESSAGES);
    const t = rt.spawn(consumer, ch, THROUGHPUT_MESSAGES);
    rt.run();
    return t;
  };
  return runtimeCase({
    name: "chan/throughput/cap=1024",
    opsPerCall: THROUGHPUT_MESSAGES,
    baseline: "chan/throughput/cap=1024/go",
    floor: "chan/throughput/cap=1024/minimal-yield-star",
    target: { ns: 20, text: "≤ 20 ns per message (Go ≈ 30 ns)" },
    note: `one producer, one consumer, ${THROUGHPUT_MESSAGES} messages per call through a buffered channel of 1024`,
    workload: transfer,
    check: (rt) => checkSum("chan/throughput", transfer(rt).result, (THROUGHPUT_MESSAGES * (THROUGHPUT_MESSAGES - 1)) / 2),
  });
};

// ── select/ready=2 ─────────────────────────────────────────────────────────

/** Selects over two buffered channels; the value goes back into its channel so both stay ready. Returns how often case 0 won. */
function* selector(a: Channel<number>, b: Channel<number>, n: number): Generator<unknown, number, unknown> {
  let firstWins = 0;
  for (let i = 0; i < n; i++) {
    const r = yield* select([recv(a), recv(b)]);
    if (r.index === 0) {
      firstWins++;
      a.trySend(r.value as number);
    } else b.trySend(r.value as number);
  }
  return firstWins;
}

const selectCase = (): TimedCase => {
  const a = new Channel<number>(SELECT_CAPACITY, { name: "a" });
  const b = new Channel<number>(SELECT_CAPACITY, { name: "b" });
  for (let i = 0; i < SELECT_PREFILL; i++) {
    a.trySend(i);
    b.trySend(i);
  }
  const selects = (rt: Runtime) => {
    const t = rt.spawn(selector, a, b, SELECTS_PER_CALL);
    rt.run();
    return t;
  };
  return runtimeCase({
    name: "select/ready=2",
    opsPerCall: SELECTS_PER_CALL,
    baseline: "select/ready=2/go",
    floor: "select/ready=2/minimal-yield-star",
    target: { ns: 35, text: "≤ 35 ns per select (Go ≈ 34 ns)" },
    note: "select([recv(a), recv(b)]) written inline as users write it; both channels stay non-empty (the value is put back with trySend, as the Go peer does)",
    workload: selects,
    check(rt) {
      const firstWins = selects(rt).result as number;
      const share = firstWins / SELECTS_PER_CALL;
      if (share < 0.4 || share > 0.6)
        throw new Error(`select/ready=2: case 0 won ${firstWins} of ${SELECTS_PER_CALL} selects; two ready cases must be chosen uniformly`);
      if (a.length + b.length !== 2 * SELECT_PREFILL) throw new Error("select/ready=2: the channels lost values");
    },
  });
};

// ── chan/fanin/100 ─────────────────────────────────────────────────────────

const fanInCase = (): TimedCase => {
  const ch = new Channel<number>(0, { name: "fan-in" });
  const fanIn = (rt: Runtime) => {
    for (let p = 0; p < FAN_IN_PRODUCERS; p++) rt.spawn(producer, ch, FAN_IN_PER_PRODUCER);
    const t = rt.spawn(consumer, ch, FAN_IN_MESSAGES);
    rt.run();
    return t;
  };
  return runtimeCase({
    name: "chan/fanin/100",
    opsPerCall: FAN_IN_MESSAGES,
    baseline: "chan/fanin/100/go",
    note: `${FAN_IN_PRODUCERS} producers send ${FAN_IN_PER_PRODUCER} values each into one unbuffered channel, one consumer`,
    workload: fanIn,
    check: (rt) => checkSum("chan/fanin/100", fanIn(rt).result, (FAN_IN_PRODUCERS * FAN_IN_PER_PRODUCER * (FAN_IN_PER_PRODUCER - 1)) / 2),
  });
};

const bench: BenchFile = {
  title: "Channels and select",
  notes: [
    "Every subject case spawns its coroutines on a runtime created in setup and runs them to completion in each call; the few " +
      "spawns per call are amortised over 10 000–100 000 channel operations. Setup runs one call and checks its result " +
      "(checksums, switch counts, and for select that both ready cases win about half the time).",
    "Ratios: a subject is compared with Go at GOMAXPROCS=1 (bench/peers/go/main.go: the same workloads, goroutines started inside " +
      "each timed call, median of 10 samples); the JavaScript peers are compared with the subject. The Go peer is built once into " +
      "the OS temp directory (keyed by the hash of main.go) and is skipped when go is not on PATH.",
    "Peers: async/await over a minimal promise rendezvous channel (bench/peers/async-channel.ts); js-csp go-blocks with put/take; " +
      "effection 4 channels between two spawned operations. js-csp and effection do 1000 round trips per call, the others 10 000.",
    "Floors (role baseline, `minimal-yield-star`): the same workloads on bench/peers/minimal-channel.ts, the least any runtime with " +
      'this API can do (generators, yield* operations, result objects) and nothing more. Their ratio column reads "floor ÷ ours"; ' +
      "a target below the floor cannot be met by any implementation of this API on this engine.",
    "modelCycles is the cost model's busy cycles per op (rt.stats().busyCycles), model output, not time.",
  ],
  cases: [
    pingPongCase(),
    floorPingPongCase(),
    asyncPingPongCase(),
    jsCspPingPongCase(),
    effectionPingPongCase(),
    goPeerCase("chan/pingpong/go", `Go: ${PING_PONG_ROUND_TRIPS} round trips per call over two unbuffered channels`),
    throughputCase(),
    floorThroughputCase(),
    goPeerCase("chan/throughput/cap=1024/go", `Go: ${THROUGHPUT_MESSAGES} messages per call, one producer goroutine`),
    selectCase(),
    floorSelectCase(),
    goPeerCase("select/ready=2/go", "Go: select over two buffered channels kept non-empty (value sent back)"),
    fanInCase(),
    goPeerCase("chan/fanin/100/go", `Go: ${FAN_IN_PRODUCERS} producer goroutines × ${FAN_IN_PER_PRODUCER} values, unbuffered`),
  ],
};

export default bench;

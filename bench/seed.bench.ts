/**
 * The seed's remaining designs, measured: guard regions, channel-affinity
 * pools, micro-slot packing and the seed's density claim, under the cost
 * model's cache model.
 *
 * Wall time is measured as usual; everything about caches is the cache
 * model's output (`cache: "default"`: 32 KiB 8-way L1, 1 MiB 16-way L2,
 * 64-byte lines, 12 / 200 cycles per miss) and appears only in the model
 * column and the notes, labelled as such. No case here asserts a figure.
 *
 * - seed/guard/switch/1000 vs /unguarded: the same round-robin with and
 *   without guard regions; the guard costs 16 bytes per stack (6.25% of a
 *   micro slot) and cost.guardCheck (4 cycles) per switch and end.
 * - seed/cache/pc-select/pattern-pools vs /mixed-pool: producers, consumers
 *   and selectors spawned interleaved; pattern pools carve each pattern
 *   apart (seed mapping: select → medium) or one mixed micro pool holds all.
 * - seed/cache/switch/1000/micro-packed vs /heap-blocks: 1000 coroutines in
 *   round-robin in micro slots packed 1000 per 256 KB, against a 64 KiB
 *   large stack (a fresh heap block) each.
 * - seed/density/micro: bytes of address space per micro coroutine, against
 *   the seed's "1000 per 256 KB" (262 B).
 */
import type { BenchFile, MeasuredCase, TimedCase } from "./types.js";
import { Channel, coro, recv, Runtime, select, yieldNow, type RecvPort, type RuntimeOptions, type SendPort } from "cprime-coro";

/** One cache-model figure line for a note: misses per op and per level. */
function cacheNote(rt: Runtime, ops: number): string {
  const c = rt.stats().cache;
  if (c === undefined) return "";
  const per = (n: number) => (n / ops).toFixed(3);
  return `model: ${c.accesses} line touches, ${c.l1Misses} L1 misses (${per(c.l1Misses)}/op), ${c.l2Misses} L2 misses (${per(c.l2Misses)}/op), ${c.missCycles} miss cycles`;
}

/** A timed case whose model column is busy cycles per op of one setup run, and whose note gets that run's cache figures. */
function modelled(name: string, role: TimedCase["role"], baseline: string | undefined, ops: number, note: string, workload: () => Runtime): TimedCase {
  let cycles = NaN;
  const c: TimedCase = {
    name,
    role,
    ...(baseline === undefined ? {} : { baseline }),
    opsPerCall: ops,
    note,
    setup() {
      const rt = workload();
      cycles = rt.stats().busyCycles / ops;
      const extra = cacheNote(rt, ops);
      if (extra !== "") c.note = `${note}; ${extra}`;
    },
    fn() {
      workload();
    },
    modelCycles: () => cycles,
  };
  return c;
}

// ── guards ─────────────────────────────────────────────────────────────────

const RING = 1000;
const ROUNDS = 20;

function ring(options: RuntimeOptions, large = false): Runtime {
  const rt = new Runtime({ pools: { micro: RING, small: 0, medium: 0 }, ...options });
  const def = coro({ name: "ring", size: large ? "large" : undefined }, function* () {
    for (let i = 0; i < ROUNDS; i++) yield* yieldNow();
  });
  for (let i = 0; i < RING; i++) rt.spawn(def);
  rt.run();
  return rt;
}

const SWITCHES = RING * (ROUNDS + 1);

const guardCases: TimedCase[] = [
  modelled(
    "seed/guard/switch/1000",
    "subject",
    "seed/guard/switch/1000/unguarded",
    SWITCHES,
    "guard: true; 1000 coroutines × 20 yieldNow rounds (spawn and end included); each stack 240 of its 256 slot bytes, 16-byte guard checked per switch and end",
    () => ring({ guard: true }),
  ),
  modelled("seed/guard/switch/1000/unguarded", "baseline", undefined, SWITCHES, "the same without guard regions", () => ring({})),
];

// ── pattern pools against one mixed pool ───────────────────────────────────

const PRODUCERS = 512;
const MESSAGES = 50;

function pcSelect(options: RuntimeOptions): Runtime {
  const rt = new Runtime({ ...options, cache: "default" });
  const a = new Channel<number>(4);
  const b = new Channel<number>(4);
  const producer = coro({ name: "producer", channelPattern: "sendOnly" }, function* (_f, tx: SendPort<number>, n: number) {
    for (let i = 0; i < n; i++) yield* tx.send(i);
  });
  const consumer = coro({ name: "consumer", channelPattern: "recvOnly" }, function* (_f, rx: RecvPort<number>, n: number) {
    for (let i = 0; i < n; i++) yield* rx.recv();
  });
  const selector = coro({ name: "selector", channelPattern: "select" }, function* (_f, x: RecvPort<number>, y: RecvPort<number>, n: number) {
    for (let i = 0; i < n; i++) yield* select([recv(x), recv(y)]);
  });
  // Spawned interleaved, as a server would: one mixed pool then interleaves the patterns' stacks.
  for (let p = 0; p < PRODUCERS; p++) {
    rt.spawn(producer, (p % 2 === 0 ? a : b).sender(), MESSAGES);
    if (p % 4 === 0) rt.spawn(consumer, a.receiver(), MESSAGES);
    if (p % 4 === 2) rt.spawn(selector, a.receiver(), b.receiver(), 3 * MESSAGES);
  }
  rt.run();
  return rt;
}

const MESSAGES_TOTAL = PRODUCERS * MESSAGES;

const affinityCases: TimedCase[] = [
  modelled(
    "seed/cache/pc-select/pattern-pools",
    "subject",
    "seed/cache/pc-select/mixed-pool",
    MESSAGES_TOTAL,
    "pools: { affinity: true } (seed mapping: sendOnly, recvOnly → micro pools of their own, select → a medium pool); 512 producers, 128 consumers, 128 selectors",
    () => pcSelect({ pools: { affinity: true } }),
  ),
  modelled(
    "seed/cache/pc-select/pattern-pools-select-micro",
    "subject",
    "seed/cache/pc-select/mixed-pool",
    MESSAGES_TOTAL,
    "pools: { affinity: { select: 'micro' } }: placement by pattern without the seed's larger select class",
    () => pcSelect({ pools: { affinity: { select: "micro" } } }),
  ),
  modelled(
    "seed/cache/pc-select/mixed-pool",
    "baseline",
    undefined,
    MESSAGES_TOTAL,
    "affinity off: every coroutine in the general micro pool, in spawn order",
    () => pcSelect({}),
  ),
];

// ── packed micro slots against a heap block per coroutine ──────────────────

const packingCases: TimedCase[] = [
  modelled(
    "seed/cache/switch/1000/micro-packed",
    "subject",
    "seed/cache/switch/1000/heap-blocks",
    SWITCHES,
    "1000 coroutines in micro slots packed 1000 per 256 KB; cache model on",
    () => ring({ cache: "default" }),
  ),
  modelled(
    "seed/cache/switch/1000/heap-blocks",
    "baseline",
    undefined,
    SWITCHES,
    "the same coroutines on a 64 KiB large stack each (a fresh heap block); cache model on",
    () => ring({ cache: "default", maxMemoryBytes: 1 << 30 }, true),
  ),
];

// ── the seed's density claim ───────────────────────────────────────────────

const densityCase: MeasuredCase = {
  kind: "measure",
  name: "seed/density/micro",
  role: "subject",
  unit: "bytes",
  target: { value: 262, text: 'the seed\'s "memory density 1000/256KB": 262 B of memory per micro coroutine' },
  note: "address-space bytes per micro coroutine: Δbuffer / Δslots over 100 000 micro coroutines parked at once (slot, generation word, bitmap bit, carving slack)",
  async measure() {
    const rt = new Runtime({ name: "bench-density", pools: { micro: 1, small: 0, medium: 0 }, maxMemoryBytes: 1 << 30 });
    const before = rt.stats().memory;
    const gate = new Channel<never>();
    for (let i = 0; i < 100_000; i++) {
      rt.spawn(function* (rx: RecvPort<never>) {
        yield* rx.recv();
      }, gate.receiver());
    }
    const after = rt.stats().memory;
    const value = (after.bufferBytes - before.bufferBytes) / (after.micro.capacity - before.micro.capacity);
    gate.close();
    rt.run();
    return { value, note: `${after.micro.capacity} micro slots in ${after.bufferBytes} buffer bytes; the slot itself is 256 B` };
  },
};

const file: BenchFile = {
  title: "The seed's designs: guards, affinity pools, cache model",
  notes: [
    "Every cache figure is the cost model's cache model (cache: \"default\"), a simulation: model output, not a measurement of this machine's caches. " +
      "It counts the lines touched by context switches (the innermost frame), frame pushes and channel hand-overs (the woken coroutine's frame header).",
    "Wall times are measured as everywhere else; the guard and pattern-pool cases also pay their bookkeeping in wall time.",
  ],
  cases: [...guardCases, ...affinityCases, ...packingCases, densityCase],
};

export default file;

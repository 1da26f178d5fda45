/**
 * Many coroutines on few channels: nothing lost, nothing duplicated, each
 * producer's order kept (TestChan's P×L section, TestMultiConsumer,
 * TestSelectStress), with the channel invariants checked along the way.
 */
import { describe, expect, test } from "vitest";
import { Channel, Runtime, checkChannel, recv, select, send, yieldNow, type SelectCase } from "../../src/index.js";
import { CAPACITIES, expectQuiet } from "./helpers.js";

for (const cap of CAPACITIES) {
  describe(`many producers and consumers (capacity ${cap})`, () => {
    test("10 producers × 1000 values to 10 consumers: nothing lost, nothing duplicated, each producer's order kept", () => {
      const rt = new Runtime({ seed: cap + 1 });
      const ch = new Channel<number>(cap);
      const PRODUCERS = 10;
      const PER_PRODUCER = 1000;
      const CONSUMERS = 10;
      let running = PRODUCERS;
      const seenBy: number[][] = Array.from({ length: CONSUMERS }, () => []);
      for (let p = 0; p < PRODUCERS; p++) {
        rt.spawn(function* producer() {
          for (let i = 0; i < PER_PRODUCER; i++) {
            yield* ch.send(p * PER_PRODUCER + i);
            if ((i * 7 + p) % 11 === 0) yield* yieldNow();
          }
          if (--running === 0) ch.close();
        });
      }
      for (let c = 0; c < CONSUMERS; c++) {
        rt.spawn(function* consumer() {
          for (let r = yield* ch.recv(); r.ok; r = yield* ch.recv()) {
            seenBy[c].push(r.value);
            if ((r.value + c) % 13 === 0) yield* yieldNow();
            if (r.value % 97 === 0) checkChannel(ch);
          }
        });
      }
      rt.run();
      const all = seenBy.flat().sort((x, y) => x - y);
      expect(all).toEqual(Array.from({ length: PRODUCERS * PER_PRODUCER }, (_, i) => i));
      // Values are handed out in channel order, so every consumer sees each producer's values ascending.
      for (const seen of seenBy) {
        for (let p = 0; p < PRODUCERS; p++) {
          const mine = seen.filter((v) => Math.floor(v / PER_PRODUCER) === p);
          expect(mine.every((v, i) => i === 0 || v > mine[i - 1])).toBe(true);
        }
      }
      expect(seenBy.filter((s) => s.length > 0).length).toBeGreaterThan(1); // the work was actually shared
      expectQuiet(ch);
    });
  });
}

describe("TestMultiConsumer: workers between two buffered channels", () => {
  test("every value fed in comes out exactly once, and closing cascades", () => {
    const rt = new Runtime();
    const NWORK = 23;
    const NITER = 20_000;
    const pn = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];
    const q = new Channel<number>(NWORK * 3);
    const r = new Channel<number>(NWORK * 3);
    let workers = NWORK;
    for (let w = 0; w < NWORK; w++) {
      rt.spawn(function* worker() {
        for (let v = yield* q.recv(); v.ok; v = yield* q.recv()) {
          if (pn[w % pn.length] === v.value) yield* yieldNow(); // mess with the FIFO-ish nature of the loop
          yield* r.send(v.value);
        }
        if (--workers === 0) r.close();
      });
    }
    let expectSum = 0;
    rt.spawn(function* feeder() {
      for (let i = 0; i < NITER; i++) {
        const v = pn[i % pn.length];
        expectSum += v;
        yield* q.send(v);
      }
      q.close();
    });
    let n = 0;
    let sum = 0;
    rt.spawn(function* consumer() {
      for (let v = yield* r.recv(); v.ok; v = yield* r.recv()) {
        n++;
        sum += v.value;
      }
    });
    rt.run();
    expect([n, sum]).toEqual([NITER, expectSum]);
    expect(q.closed && r.closed).toBe(true);
  });
});

describe("TestSelectStress: plain and select senders and receivers on four channels", () => {
  test("4 senders, 4 receivers, one select-sender and one select-receiver finish without deadlock", () => {
    const rt = new Runtime({ seed: 99 });
    const c = [new Channel<number>(0), new Channel<number>(0), new Channel<number>(2), new Channel<number>(3)];
    const N = 2000;
    const received = [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) {
      rt.spawn(function* () {
        for (let i = 0; i < N; i++) yield* c[k].send(k);
      });
      rt.spawn(function* () {
        for (let i = 0; i < N; i++) received[(yield* c[k].recv()).value as number]++;
      });
    }
    rt.spawn(function* selectSender() {
      const n = [0, 0, 0, 0];
      const live = [3, 2, 0, 1]; // Go's case order
      while (live.length > 0) {
        const cases: SelectCase[] = live.map((k) => send(c[k], k));
        const r = yield* select(cases);
        const k = live[r.index];
        if (++n[k] === N) live.splice(r.index, 1); // a nil channel in Go: the case drops out
      }
    });
    rt.spawn(function* selectReceiver() {
      const n = [0, 0, 0, 0];
      const live = [0, 1, 2, 3];
      while (live.length > 0) {
        const r = yield* select(live.map((k) => recv(c[k])));
        const k = live[r.index];
        expect(r.value).toBe(k);
        received[k]++;
        if (++n[k] === N) live.splice(r.index, 1);
        if (n[k] % 250 === 0) for (const ch of c) checkChannel(ch);
      }
    });
    rt.run();
    expect(received).toEqual([2 * N, 2 * N, 2 * N, 2 * N]);
    expectQuiet(...c);
  });
});

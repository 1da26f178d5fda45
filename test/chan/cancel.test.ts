/**
 * Cancelling a coroutine blocked in send, recv or select takes it off every
 * wait queue (and its select timer off the clock) at once, so a later partner
 * is never matched with it, and the scheduler stops holding the channel.
 */
import { describe, expect, test } from "vitest";
import { CancelledError, Channel, DeadlockError, Runtime, after, checkChannel, recv, select, send, sleep } from "../../src/index.js";
import { CAPACITIES, drainNow, exactClockRuntime, expectQuiet, fill, settle, waitingTaskIds } from "./helpers.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

for (const cap of CAPACITIES) {
  describe(`cancellation (capacity ${cap})`, () => {
    test("Task.cancel() of a coroutine blocked in send takes it off the send queue; its value is never received", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      fill(ch, range(cap));
      const sender = rt.spawn(function* () {
        yield* ch.send(666);
      });
      settle(rt);
      expect(ch.sendq.size).toBe(1);
      expect(rt.holds(ch)).toBe(true);
      sender.cancel();
      expect(ch.sendq.size).toBe(0);
      checkChannel(ch);
      expect(rt.holds(ch)).toBe(false);
      expect(settle(rt)).toBeNull();
      expect(sender.state).toBe("cancelled");
      // A later receiver gets the buffered values and then blocks: 666 is gone.
      const got: unknown[] = [];
      const receiver = rt.spawn(function* () {
        for (;;) got.push((yield* ch.recv()).value);
      });
      expect(settle(rt)).toBeInstanceOf(DeadlockError);
      expect(got).toEqual(range(cap));
      expect(receiver.state).toBe("blocked");
    });

    test("Task.cancel() of a coroutine blocked in recv takes it off the receive queue; a later send does not reach it", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      let got: unknown = "nothing";
      const receiver = rt.spawn(function* () {
        got = yield* ch.recv();
      });
      settle(rt);
      expect(ch.recvq.size).toBe(1);
      receiver.cancel();
      expect(ch.recvq.size).toBe(0);
      checkChannel(ch);
      expect(rt.holds(ch)).toBe(false);
      // Unbuffered: nobody is there to take it. Buffered: it stays in the buffer.
      expect(ch.trySend(1)).toBe(cap > 0);
      expect(ch.length).toBe(cap > 0 ? 1 : 0);
      expect(settle(rt)).toBeNull();
      expect(got).toBe("nothing");
      expect(receiver.state).toBe("cancelled");
    });

    test("Task.cancel() of a coroutine blocked in select leaves every queue and disarms its timeout", () => {
      const rt = exactClockRuntime();
      const a = new Channel<number>(cap);
      const b = new Channel<number>(cap);
      fill(b, range(cap));
      const chooser = rt.spawn(function* () {
        yield* select([recv(a), send(b, 99), recv(a), after(1000)]);
      });
      rt.spawn(function* () {
        yield* sleep(10);
        expect([a.recvq.size, b.sendq.size]).toEqual([2, 1]);
        chooser.cancel();
        expectQuiet(a, b);
        expect(rt.heldResources().length).toBe(0);
      });
      expect(settle(rt)).toBeNull();
      expect(chooser.state).toBe("cancelled");
      expect(rt.now()).toBe(10); // the clock never jumped to the disarmed timeout
      expect(a.trySend(1)).toBe(cap > 0);
      expect(b.length).toBe(cap); // 99 was never sent
    });

    test("a cancelled waiter in the middle of the queue is skipped; the others keep their order", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const got: string[] = [];
      const receivers = ["r1", "r2", "r3", "r4"].map((name) =>
        rt.spawn(function* () {
          got.push(`${name}=${(yield* ch.recv()).value}`);
        }),
      );
      settle(rt);
      receivers[1].cancel();
      receivers[2].cancel();
      expect(waitingTaskIds(ch.recvq)).toEqual([receivers[0].id, receivers[3].id]);
      checkChannel(ch);
      expect(ch.trySend(1)).toBe(true);
      expect(ch.trySend(2)).toBe(true);
      expect(settle(rt)).toBeNull();
      expect(got).toEqual(["r1=1", "r4=2"]);
      expectQuiet(ch);
    });

    test("a cancelled coroutine's finally block runs and may still use channels; joiners get CancelledError", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const done = new Channel<string>(0);
      const blocked = rt.spawn(function* () {
        try {
          yield* ch.recv();
        } finally {
          yield* done.send("cleaned up");
        }
      });
      let joinError: unknown;
      rt.spawn(function* () {
        try {
          yield* blocked.join();
        } catch (e) {
          joinError = e;
        }
      });
      settle(rt);
      blocked.cancel();
      let note: unknown;
      rt.spawn(function* () {
        note = (yield* done.recv()).value;
      });
      expect(settle(rt)).toBeNull();
      expect(note).toBe("cleaned up");
      expect(joinError).toBeInstanceOf(CancelledError);
      expectQuiet(ch, done);
    });

    test("cancelling a coroutine blocked on a channel that is then closed changes nothing for the close", () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const others: unknown[] = [];
      const victim = rt.spawn(function* () {
        yield* ch.recv();
      });
      rt.spawn(function* () {
        others.push(yield* ch.recv());
      });
      settle(rt);
      victim.cancel();
      ch.close();
      expectQuiet(ch);
      expect(settle(rt)).toBeNull();
      expect(others).toEqual([{ ok: false, value: undefined }]);
      expect(drainNow(ch)).toEqual([{ ok: false, value: undefined }]);
    });
  });
}

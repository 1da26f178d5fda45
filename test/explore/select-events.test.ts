import { describe, expect, test } from "vitest";
import { Channel, Runtime, recv, select, sleep, timer } from "cprime-coro";
import { explore, replay } from "cprime-coro/test";

/**
 * Under a chooser, select's event cases (a timer's channel, join, settled)
 * are candidates beside the ready channel cases: a source can tell whether
 * it is ready only by being polled, so a polled case that turns out not
 * ready leaves the candidates and the chooser picks again.
 */
describe("schedule exploration chooses among a select's event cases too", () => {
  function raceTimerAndChannel(rt: Runtime) {
    const ch = new Channel<number>(1);
    let winner = "";
    rt.spawn(function* waiter() {
      const t = timer(5);
      yield* ch.send(1); // the channel case is ready at once
      yield* sleep(5); // and so is the timer once we look
      const r = yield* select([recv(ch), recv(t.c)]);
      winner = r.index === 0 ? "channel" : "timer";
    });
    return () => {
      if (winner === "timer") throw new Error("the timer won");
    };
  }

  test("both ready: the exhaustive strategy runs both choices, finds the timer winning and replays it", () => {
    const r = explore(raceTimerAndChannel, { strategy: "exhaustive", runs: 50 });
    expect(r.ok).toBe(false);
    expect(String((r.failure!.error as Error).message)).toBe("the timer won");
    const again = replay(raceTimerAndChannel, r.failure!.token);
    expect(again.ok).toBe(false);
  });

  test("an event case that is not ready yet is never chosen: the channel always wins before the deadline", () => {
    const program = (rt: Runtime) => {
      const ch = new Channel<number>(1);
      let winner = "";
      rt.spawn(function* waiter() {
        const t = timer(50);
        yield* ch.send(1);
        const r = yield* select([recv(ch), recv(t.c)]);
        winner = r.index === 0 ? "channel" : "timer";
        t.stop();
      });
      return () => {
        if (winner !== "channel") throw new Error(`the ${winner} won before its deadline`);
      };
    };
    const r = explore(program, { strategy: "exhaustive", runs: 50 });
    expect(r.ok).toBe(true);
    expect(r.exhausted).toBe(true);
  });
});

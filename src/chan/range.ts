/**
 * Ranging over a channel: Go's `for v := range ch`.
 *
 * JavaScript cannot suspend a coroutine inside a synchronous `for…of`, so a
 * lazy `for (const v of ch)` is impossible; the loop is an operation instead:
 *
 *     yield* forEach(jobs, function* (job) { … });   // until jobs is closed and drained
 *
 * The body gets each value in order, fully typed; it may be a generator
 * function (it can `yield*` operations) or a plain function. Returning
 * `false` stops the loop early (`break`); a throw ends it and propagates.
 * The plain loop reads as well when the body is short:
 *
 *     for (let r = yield* ch.recv(); r.ok; r = yield* ch.recv()) use(r.value);
 */
import type { Operation } from "../coro/operation.js";
import { describeValue, isInstanceOf, readGuarded } from "../describe.js";
import { Channel } from "./channel.js";
import type { RecvPort } from "./ports.js";

/** What a forEach body may return: `false` stops the loop; anything else goes on. */
export type ForEachBody<T> = (value: T) => Generator<unknown, boolean | void, unknown> | boolean | void;

/**
 * Receives from `ch` until it is closed and drained (or the body returns
 * `false`), calling `body` with each value. Works on channels and on any
 * receive port (a timer's or ticker's `c` too, which never closes).
 */
export function forEach<T>(ch: Channel<T> | RecvPort<T>, body: ForEachBody<T>): Operation<void> {
  if (
    !isInstanceOf(ch, Channel) &&
    (ch === null || typeof ch !== "object" || typeof readGuarded("forEach(ch, body): ch", () => (ch as RecvPort<T>).recv) !== "function")
  ) {
    throw new TypeError(`forEach(ch, body): ch must be a Channel or a RecvPort, received ${describeValue(ch)}`);
  }
  if (typeof body !== "function") throw new TypeError(`forEach(ch, body): body must be a function, received ${describeValue(body)}`);
  return {
    *[Symbol.iterator](): Generator<unknown, void, unknown> {
      for (;;) {
        const r = yield* ch.recv();
        if (!r.ok) return;
        const out = body(r.value);
        const verdict = isGenerator(out) ? yield* out : out;
        if (verdict === false) return;
      }
    },
  };
}

function isGenerator(x: unknown): x is Generator<unknown, boolean | void, unknown> {
  return x !== null && typeof x === "object" && typeof (x as Generator).next === "function" && typeof (x as Generator)[Symbol.iterator] === "function";
}

/**
 * `call(def, ...args)`: run a definition on the current coroutine's stack.
 *
 * The callee's frame is pushed before its body starts and popped when the body
 * returns, throws or is cancelled (the `finally` below runs on `gen.return()`
 * too), so the stack always mirrors the chain of active calls. Operations the
 * callee performs suspend the whole coroutine, as in a stackful design.
 */
import { describeValue } from "../memory/describe.js";
import { CoroDefImpl, type CoroDef } from "./coro.js";
import { running } from "./context.js";
import type { Operation } from "./operation.js";
import type { CoroStack } from "./stack.js";

/** Runs `def` on this coroutine's stack: pushes its frame, pops it on return. */
export function call<A extends unknown[], R>(def: CoroDef<A, R>, ...args: A): Operation<R> {
  if (!CoroDefImpl.isDef(def)) throw new TypeError(`call(def): def must be a coro() definition, received ${describeValue(def)}`);
  return callBody(def as CoroDefImpl<A, R>, args);
}

function* callBody<A extends unknown[], R>(def: CoroDefImpl<A, R>, args: A): Generator<unknown, R, unknown> {
  const active = running.current;
  if (active === null) throw new TypeError(`call(${def.name}) must be used inside a coroutine, with yield*`);
  const stack = active.cstack;
  const frame = stack.push(def);
  try {
    return yield* def.body(frame as never, ...args);
  } catch (err) {
    recordCallChain(err, stack);
    throw err;
  } finally {
    stack.pop(frame);
  }
}

/**
 * Where an error was thrown: the definitions on the coroutine's stack at the
 * innermost `call()` it escaped from, innermost first (the last entry is the
 * coroutine itself). Recorded once, so rethrows further out do not overwrite it.
 */
export const CALL_CHAIN: unique symbol = Symbol.for("cprime-coro.callChain");

export function recordCallChain(err: unknown, stack: CoroStack): void {
  if (err === null || typeof err !== "object" || !Object.isExtensible(err) || CALL_CHAIN in err) return;
  Object.defineProperty(err, CALL_CHAIN, { value: stack.frameNames(), enumerable: false, configurable: true, writable: true });
}

/**
 * Capability ports: a send-only and a receive-only view of a channel.
 *
 * The channel lives in a private `#channel` field, so a port cannot be
 * widened: no cast, `Object.keys`, `Reflect.ownKeys` or prototype walk
 * reaches the channel or a method the port does not have. `select` needs the
 * channel behind a port; it gets it through `channelOfPort`, a function only
 * this module family can call (assigned in a static block, never exported
 * from the package).
 */
import type { Operation } from "../coro/operation.js";
import type { Channel, RecvResult } from "./channel.js";

/** Send-only capability: send, trySend, close. */
export interface SendPort<T> {
  send(value: T): Operation<void>;
  trySend(value: T): boolean;
  close(): void;
}

/** Receive-only capability: recv, tryRecv. */
export interface RecvPort<T> {
  recv(): Operation<RecvResult<T>>;
  tryRecv(): RecvResult<T> | undefined;
}

let sendPortChannel: (p: object) => Channel<unknown> | undefined;
let recvPortChannel: (p: object) => Channel<unknown> | undefined;

class SendPortImpl<T> implements SendPort<T> {
  readonly #channel: Channel<T>;
  static {
    sendPortChannel = (p) => (#channel in p ? (p.#channel as Channel<unknown>) : undefined);
  }
  constructor(ch: Channel<T>) {
    this.#channel = ch;
  }
  send(value: T): Operation<void> {
    return this.#channel.send(value);
  }
  trySend(value: T): boolean {
    return this.#channel.trySend(value);
  }
  close(): void {
    this.#channel.close();
  }
  toString(): string {
    return `SendPort(${this.#channel.describe()})`;
  }
}

class RecvPortImpl<T> implements RecvPort<T> {
  readonly #channel: Channel<T>;
  static {
    recvPortChannel = (p) => (#channel in p ? (p.#channel as Channel<unknown>) : undefined);
  }
  constructor(ch: Channel<T>) {
    this.#channel = ch;
  }
  recv(): Operation<RecvResult<T>> {
    return this.#channel.recv();
  }
  tryRecv(): RecvResult<T> | undefined {
    return this.#channel.tryRecv();
  }
  toString(): string {
    return `RecvPort(${this.#channel.describe()})`;
  }
}

// Frozen prototypes keep the surface exactly as declared (private fields are unreachable from
// outside the class body anyway).
Object.freeze(SendPortImpl.prototype);
Object.freeze(RecvPortImpl.prototype);

export function makeSendPort<T>(ch: Channel<T>): SendPort<T> {
  return Object.freeze(new SendPortImpl(ch));
}

export function makeRecvPort<T>(ch: Channel<T>): RecvPort<T> {
  return Object.freeze(new RecvPortImpl(ch));
}

/** The channel behind a port, or undefined if `p` is no port of that direction. */
export function channelOfSendPort(p: object): Channel<unknown> | undefined {
  return sendPortChannel(p);
}

export function channelOfRecvPort(p: object): Channel<unknown> | undefined {
  return recvPortChannel(p);
}

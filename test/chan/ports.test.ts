/**
 * Ports are capabilities: a RecvPort can only receive, a SendPort can only
 * send and close — whatever a holder tries: casts, Object.keys,
 * Reflect.ownKeys, getOwnPropertyNames up the prototype chain, getters,
 * JSON.stringify, or following whatever the port's methods hand back.
 */
import { describe, expect, test } from "vitest";
import { Channel, ChannelClosedError, Runtime, recv, select, send, type RecvPort, type SendPort } from "../../src/index.js";
import { CAPACITIES, settle, thrownBy } from "./helpers.js";

/** Every own key of `o` and of each object on its prototype chain up to (not including) Object.prototype. */
function keysUpTheChain(o: object): string[] {
  const keys = new Set<string>();
  for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Reflect.ownKeys(p)) keys.add(String(k));
    for (const k of Object.getOwnPropertyNames(p)) keys.add(k);
  }
  return [...keys].sort();
}

/** Getters and setters anywhere on the chain. */
function accessorsUpTheChain(o: object): string[] {
  const found: string[] = [];
  for (let p: object | null = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) if (d.get !== undefined || d.set !== undefined) found.push(k);
  }
  return found;
}

/**
 * Everything reflection can reach from `roots`: own properties (string and
 * symbol keys, values and accessor results), prototypes, and — for functions —
 * their own properties. Closures and #private fields are out of reach, which is the point.
 */
function reachable(roots: readonly unknown[]): Set<unknown> {
  const seen = new Set<unknown>();
  const stack = [...roots];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || (typeof v !== "object" && typeof v !== "function") || seen.has(v)) continue;
    if (v === Object.prototype || v === Function.prototype) continue;
    seen.add(v);
    stack.push(Object.getPrototypeOf(v));
    for (const k of Reflect.ownKeys(v)) {
      const d = Reflect.getOwnPropertyDescriptor(v, k)!;
      if ("value" in d) stack.push(d.value);
      if (d.get !== undefined) {
        try {
          stack.push(d.get.call(v));
        } catch {
          // a getter that refuses a foreign receiver reveals nothing
        }
      }
    }
  }
  return seen;
}

describe("Channel.receiver(): a RecvPort", () => {
  test("has recv and tryRecv, and no send, trySend or close even through a cast", () => {
    const ch = new Channel<number>(1);
    const rp = ch.receiver();
    const loose = rp as unknown as Record<string, unknown>;
    expect(typeof rp.recv).toBe("function");
    expect(typeof rp.tryRecv).toBe("function");
    for (const k of ["send", "trySend", "close", "channel", "ch", "sender", "receiver", "capacity", "length", "closed"]) {
      expect(loose[k], k).toBeUndefined();
    }
  });

  test("shows no channel to Object.keys, Reflect.ownKeys, getOwnPropertyNames, getters or JSON.stringify", () => {
    const ch = new Channel<number>(1, { name: "secret" });
    const rp = ch.receiver();
    expect(Object.keys(rp)).toEqual([]);
    expect(Reflect.ownKeys(rp)).toEqual([]);
    expect(Object.getOwnPropertyNames(rp)).toEqual([]);
    expect(Object.getOwnPropertySymbols(rp)).toEqual([]);
    expect(JSON.stringify(rp)).toBe("{}");
    expect(keysUpTheChain(rp)).toEqual(["constructor", "recv", "toString", "tryRecv"]);
    expect(accessorsUpTheChain(rp)).toEqual([]);
    expect(reachable([rp]).has(ch)).toBe(false);
  });

  test("is frozen, and so is its prototype: nobody can graft a send onto it", () => {
    const ch = new Channel<number>(1);
    const rp = ch.receiver();
    expect(Object.isFrozen(rp)).toBe(true);
    expect(Object.isFrozen(Object.getPrototypeOf(rp))).toBe(true);
    expect(thrownBy(() => ((rp as unknown as Record<string, unknown>).send = () => undefined))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => ((Object.getPrototypeOf(rp) as Record<string, unknown>).close = () => undefined))).toBeInstanceOf(TypeError);
  });

  test("its constructor wraps only what it is given: it cannot pull the channel out of an existing port", () => {
    const ch = new Channel<number>(1);
    const rp = ch.receiver();
    const Ctor = rp.constructor as new (x: unknown) => RecvPort<number>;
    expect(Reflect.ownKeys(Ctor).sort()).toEqual(["length", "name", "prototype"]);
    expect(reachable([Ctor]).has(ch)).toBe(false);
  });

  test("the operation its recv() returns does not lead back to the channel", () => {
    // Reflection on the returned operation must not reach the channel either:
    // `(rp.recv() as any).ch.close()` would let a receiver close the channel.
    const ch = new Channel<number>(1);
    const rp = ch.receiver();
    expect(reachable([rp.recv()]).has(ch), "rp.recv() exposes the Channel (e.g. as .ch)").toBe(false);
  });

  test("a select case built from it does not lead back to the channel", () => {
    // `recv(rp).channel.close()` would let a receiver close (or send on) the channel.
    const ch = new Channel<number>(1);
    const rp = ch.receiver();
    const c = recv(rp);
    expect(reachable([c]).has(ch), "recv(rp) exposes the Channel (as .channel)").toBe(false);
  });

  test("receives what the channel's senders send", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(1);
    const rp = ch.receiver();
    const got: unknown[] = [];
    rt.spawn(function* () {
      got.push(yield* rp.recv());
      got.push(rp.tryRecv());
    });
    rt.spawn(function* () {
      yield* ch.send(1);
      ch.close();
    });
    rt.run();
    expect(got).toEqual([
      { ok: true, value: 1 },
      { ok: false, value: undefined },
    ]);
  });
});

describe("Channel.sender(): a SendPort", () => {
  test("has send, trySend and close, and no recv or tryRecv even through a cast", () => {
    const ch = new Channel<number>(1);
    const sp = ch.sender();
    const loose = sp as unknown as Record<string, unknown>;
    for (const k of ["send", "trySend", "close"]) expect(typeof loose[k], k).toBe("function");
    for (const k of ["recv", "tryRecv", "channel", "ch", "receiver", "sender", "length", "buf"]) expect(loose[k], k).toBeUndefined();
  });

  test("shows no channel to Object.keys, Reflect.ownKeys, getOwnPropertyNames, getters or JSON.stringify", () => {
    const ch = new Channel<number>(1);
    const sp = ch.sender();
    expect(Reflect.ownKeys(sp)).toEqual([]);
    expect(Object.getOwnPropertyNames(sp)).toEqual([]);
    expect(JSON.stringify(sp)).toBe("{}");
    expect(keysUpTheChain(sp)).toEqual(["close", "constructor", "send", "toString", "trySend"]);
    expect(accessorsUpTheChain(sp)).toEqual([]);
    expect(reachable([sp]).has(ch)).toBe(false);
    expect(Object.isFrozen(sp)).toBe(true);
  });

  test("the operation its send() returns does not lead back to the channel", () => {
    const ch = new Channel<number>(1);
    const sp = ch.sender();
    expect(reachable([sp.send(1)]).has(ch), "sp.send(v) exposes the Channel (e.g. as .ch)").toBe(false);
    expect(ch.length).toBe(0); // building the operation sends nothing
  });

  test("a select case built from it does not lead back to the channel", () => {
    const ch = new Channel<number>(1);
    const sp = ch.sender();
    expect(reachable([send(sp, 1)]).has(ch), "send(sp, v) exposes the Channel (as .channel)").toBe(false);
  });

  test("sends, trySends and closes the channel it was made from", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(1);
    const sp = ch.sender();
    rt.spawn(function* () {
      yield* sp.send(1);
    });
    rt.run();
    expect(sp.trySend(2)).toBe(false);
    expect(ch.tryRecv()).toEqual({ ok: true, value: 1 });
    expect(sp.trySend(2)).toBe(true);
    sp.close();
    expect(ch.closed).toBe(true);
    expect(thrownBy(() => sp.trySend(3))).toBeInstanceOf(ChannelClosedError);
    expect(thrownBy(() => sp.close())).toBeInstanceOf(ChannelClosedError);
  });
});

describe("ports in select", () => {
  for (const cap of CAPACITIES) {
    test(`select accepts a RecvPort in recv() and a SendPort in send() (capacity ${cap})`, () => {
      const rt = new Runtime();
      const ch = new Channel<number>(cap);
      const rp: RecvPort<number> = ch.receiver();
      const sp: SendPort<number> = ch.sender();
      const got: unknown[] = [];
      rt.spawn(function* () {
        got.push(yield* select([recv(rp)]));
      });
      rt.spawn(function* () {
        got.push(yield* select([send(sp, 7)]));
      });
      expect(settle(rt)).toBeNull();
      expect(got).toContainEqual({ index: 0, ok: true, value: 7 });
      expect(got).toContainEqual({ index: 0, ok: true, value: undefined });
    });
  }

  test("select rejects a port of the wrong direction with a TypeError", () => {
    const ch = new Channel<number>(1);
    const rp = ch.receiver();
    const sp = ch.sender();
    const e1 = thrownBy(() => send(rp as unknown as SendPort<number>, 1));
    const e2 = thrownBy(() => recv(sp as unknown as RecvPort<number>));
    expect(e1).toBeInstanceOf(TypeError);
    expect(e2).toBeInstanceOf(TypeError);
    expect((e1 as Error).message).toContain("RecvPort");
    expect((e2 as Error).message).toContain("SendPort");
    expect(ch.length).toBe(0);
  });

  test("an object that merely looks like a port is not accepted", () => {
    const ch = new Channel<number>(1);
    const fake = Object.create(Object.getPrototypeOf(ch.receiver())) as RecvPort<number>;
    expect(thrownBy(() => recv(fake))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => recv({ recv: () => ch.recv(), tryRecv: () => ch.tryRecv() }))).toBeInstanceOf(TypeError);
  });
});

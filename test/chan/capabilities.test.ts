/**
 * Ports are capabilities: from a receive port and everything public (the
 * runtime, its tasks, their wait records and touched resources, dumps,
 * deadlock reports, select cases, held resources), no reflection reaches the
 * channel or a send port. The walk follows every own property (string and
 * symbol keys, enumerable or not), runs every getter on the prototype chain,
 * and enters arrays, Maps and Sets — what an attacker in the same process can do.
 */
import { describe, expect, test } from "vitest";
import { Channel, Runtime, after, recv, select, sleep } from "../../src/index.js";
import { channelOfSendPort } from "../../src/chan/ports.js";

function reachable(roots: unknown[], limit = 200_000): Set<object> {
  const seen = new Set<object>();
  const queue: unknown[] = [...roots];
  while (queue.length > 0 && seen.size < limit) {
    const v = queue.pop();
    if (v === null || (typeof v !== "object" && typeof v !== "function")) continue;
    const o = v as object;
    if (seen.has(o)) continue;
    seen.add(o);
    if (typeof o === "function") continue; // a closure's variables are out of reflection's reach
    if (ArrayBuffer.isView(o) || o instanceof SharedArrayBuffer || o instanceof ArrayBuffer) continue;
    if (o instanceof Map) for (const [k, x] of o) queue.push(k, x);
    if (o instanceof Set) for (const x of o) queue.push(x);
    for (let p: object | null = o; p !== null && p !== Object.prototype && p !== Array.prototype; p = Object.getPrototypeOf(p)) {
      for (const key of Reflect.ownKeys(p)) {
        const d = Object.getOwnPropertyDescriptor(p, key)!;
        if ("value" in d) {
          if (p === o) queue.push(d.value);
        } else if (d.get !== undefined) {
          try {
            queue.push(d.get.call(o));
          } catch {
            // a getter that refuses (a finished task's frame, say) hands out nothing
          }
        }
      }
    }
  }
  return seen;
}

describe("a RecvPort never leads to its channel", () => {
  test("through tasks, wait records, touched resources, dumps, reports and held resources", () => {
    const rt = new Runtime();
    const ch = new Channel<number>(0, { name: "secret" });
    const port = ch.receiver();
    const other = new Channel<number>(0, { name: "other" });
    // Consumers park in a plain recv and in a select on the port; a producer touched the channel and sleeps.
    rt.spawn(function* plain(p: typeof port) {
      yield* p.recv();
    }, port);
    rt.spawn(function* selecting(p: typeof port) {
      yield* select([recv(p), recv(other), after(1e6)]);
    }, port);
    rt.spawn(function* producer(c: Channel<number>) {
      c.trySend(1); // nobody ready yet: touches the channel
      yield* sleep(1e5);
    }, ch);
    rt.spawn(function* monitor() {
      yield* sleep(10);
      const roots = [rt, port, rt.tasks(), rt.dump(), rt.deadlocks(), rt.heldResources(), recv(port), rt.stats()];
      for (const o of reachable(roots)) {
        expect(o instanceof Channel, `a Channel is reachable: ${String(o)}`).toBe(false);
        expect(channelOfSendPort(o), "a SendPort is reachable").toBeUndefined();
      }
      expect(rt.holds(port)).toBe(true);
      rt.tasks()
        .filter((t) => t.name !== "monitor")
        .forEach((t) => t.cancel());
    });
    rt.run();
  });

  test("the walk does find a channel when one is reachable (the test can fail)", () => {
    const ch = new Channel<number>();
    const found = [...reachable([{ nested: [new Map([["k", new Set([ch])]])] }])].some((o) => o instanceof Channel);
    expect(found).toBe(true);
  });
});

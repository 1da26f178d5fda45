/**
 * Where the bytes of a parked coroutine go: `npm run bench:heap-census [-- n]`.
 *
 * Takes a V8 heap snapshot before and after parking n coroutines (default
 * 20 000) and prints, per object kind (snapshot node type and constructor or
 * internal name), how many objects and bytes each parked coroutine added —
 * for cprime-coro blocked in recv on one channel, cprime-coro asleep on a
 * timer, and async functions awaiting a pending promise. Sizes are V8's
 * shallow ("self") sizes; the coroutine's 256 B stack slot in the
 * SharedArrayBuffer is outside the JS heap and not in these tables.
 */
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import { Channel, Runtime, sleep } from "cprime-coro";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

type Census = Map<string, { count: number; bytes: number }>;

const exposed = (globalThis as { gc?: () => void }).gc;
if (typeof exposed !== "function") throw new Error("run with --expose-gc");
const gc: () => void = exposed;

function census(): Census {
  gc();
  gc();
  const file = v8.writeHeapSnapshot(path.join(os.tmpdir(), `census-${process.pid}-${Date.now()}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  rmSync(file);
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = f.length;
  const iType = f.indexOf("type");
  const iName = f.indexOf("name");
  const iSize = f.indexOf("self_size");
  const out: Census = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    let name = snap.strings[snap.nodes[i + iName]];
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = "(string)";
    else if (type === "number") name = "(heap number)";
    else if (name.length > 60) name = name.slice(0, 57) + "…";
    const key = `${type}: ${name}`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

function report(title: string, before: Census, after: Census, n: number): void {
  const rows: { key: string; count: number; bytes: number }[] = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, count: (a.count - b.count) / n, bytes: (a.bytes - b.bytes) / n });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(`\n${title}: ${total.toFixed(1)} B of JS heap per coroutine (shallow sizes, snapshot diff, n = ${n})`);
  console.log("  objects/coroutine  bytes/coroutine  kind");
  for (const r of rows) {
    if (Math.abs(r.bytes) < 2) continue;
    console.log(`  ${r.count.toFixed(2).padStart(17)}  ${r.bytes.toFixed(1).padStart(15)}  ${r.key}`);
  }
}

function* parkedRecv(ch: Channel<number>): Generator<unknown, void, unknown> {
  yield* ch.recv();
}

function* sleeper(ms: number): Generator<unknown, void, unknown> {
  yield* sleep(ms);
}

async function parkedAsync(wakers: ((v: number) => void)[]): Promise<void> {
  await new Promise<number>((w) => wakers.push(w));
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);

  {
    const rt = new Runtime({ name: "census", seed: 1 });
    const warm = new Channel<number>(0);
    for (let i = 0; i < 1000; i++) rt.spawn(parkedRecv, warm);
    rt.spawn(function* () {
      warm.close();
    });
    rt.run();
    const ch = new Channel<number>(0);
    let after: Census | null = null;
    const before = census();
    for (let i = 0; i < n; i++) rt.spawn(parkedRecv, ch);
    rt.spawn(function* last() {
      after = census();
      ch.close();
    });
    rt.run();
    report("cprime-coro, parked in recv on one channel", before, after!, n);
  }

  {
    const rt = new Runtime({ name: "census-timers", seed: 1 });
    rt.spawn(sleeper, 1);
    rt.run();
    let after: Census | null = null;
    const before = census();
    for (let i = 0; i < n; i++) rt.spawn(sleeper, 1 + i);
    rt.spawn(function* last() {
      after = census();
    });
    rt.run();
    report("cprime-coro, asleep on a timer", before, after!, n);
  }

  {
    const wakers: ((v: number) => void)[] = [];
    const all: Promise<void>[] = [];
    const before = census();
    for (let i = 0; i < n; i++) all.push(parkedAsync(wakers));
    const after = census();
    report("async function awaiting its own pending promise (incl. the resolver array and the Promise.all array)", before, after, n);
    for (const w of wakers) w(0);
    await Promise.all(all);
  }
}

void main();

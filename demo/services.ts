/**
 * The services behind the handlers: lookup workers (class small) and body
 * parsers (class large). Each takes jobs from its queue until the queue is
 * closed and answers on the job's reply channel, which has room for one
 * value, so an answer to a handler that already gave up never blocks.
 *
 * Their classes come from their declared call graphs, as a compiler would
 * compute them: a lookup service calls cacheLookup and dbQuery (with a row
 * buffer in its frame) → decodeRow: a few hundred bytes, so small. The body
 * parser calls parseValue, which calls itself once per nesting level: the
 * stack is unbounded, so large.
 */
import { bytes, call, coro, sleep, type CoroDef } from "../src/index.js";
import type { LookupJob, ParseOutcome, Row, Server } from "./server.js";

/** Virtual time charged for work that is not a channel operation or a switch. */
const CACHE_HIT_MS = 0.02;
const PARSE_MS_PER_LEVEL = 0.05;

const PLANS = ["free", "pro", "team", "enterprise"];
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

// ── lookup services (small) ─────────────────────────────────────────────────

const cacheLookup = coro({ name: "cacheLookup", locals: { key: "u32", hit: "bool" } }, function* (f, cache: Map<number, Row>, key: number) {
  f.key = key;
  yield* sleep(CACHE_HIT_MS);
  const row = cache.get(key);
  f.hit = row !== undefined;
  return row;
});

const decodeRow = coro({ name: "decodeRow", locals: { fields: "u8" } }, function* (f, raw: Uint8Array) {
  const text = DECODER.decode(raw);
  const fields = text.split(";");
  f.fields = fields.length;
  return { key: Number(fields[0].slice(5)), plan: fields[1].slice(5) } satisfies Row;
});

/** Reads a row into a buffer in its frame, then decodes it; null for an unknown key. */
const dbQuery = coro(
  { name: "dbQuery", locals: { key: "u32", len: "u16", row: bytes(384) }, calls: [decodeRow] },
  function* (f, job: LookupJob, knownKeys: number) {
    f.key = job.key;
    yield* sleep(job.dbMs);
    if (job.key >= knownKeys) return null;
    const r = ENCODER.encodeInto(`user:${job.key};plan:${PLANS[job.key % PLANS.length]};since:2019`, f.$bytes("row"));
    f.len = r.written;
    return yield* call(decodeRow, f.$bytes("row").subarray(0, f.len));
  },
);

/** A lookup service: takes jobs until the queue closes; cache first, then the database. */
export const lookupService = coro(
  { name: "lookupService", locals: { served: "u32", key: "u32" }, calls: [cacheLookup, dbQuery] },
  function* (f, srv: Server, knownKeys: number) {
    try {
      f.served = 0;
      for (let r = yield* srv.lookups.recv(); r.ok; r = yield* srv.lookups.recv()) {
        const job = r.value;
        f.key = job.key;
        let row: Row | null | undefined = yield* call(cacheLookup, srv.cache, job.key);
        if (row === undefined) {
          row = yield* call(dbQuery, job, knownKeys);
          if (row !== null) remember(srv, row);
        }
        job.reply.trySend(row); // capacity 1: never blocks, even if the handler gave up
        f.served++;
      }
    } finally {
      srv.census.ended(lookupService);
    }
  },
);

function remember(srv: Server, row: Row): void {
  srv.cache.set(row.key, row);
  if (srv.cache.size > srv.config.cacheEntries) srv.cache.delete(srv.cache.keys().next().value!);
}

// ── the recursive body parser (large) ───────────────────────────────────────

class MalformedBodyError extends Error {}

interface ParseStats {
  nodes: number;
  depth: number;
}

const SCALAR = /-?\d+(?:\.\d+)?|"[^"]*"|true|false|null/y;

/**
 * Parses one value starting at `pos` and returns where it ends. A container
 * calls itself once per element, so the stack holds one frame per nesting
 * level — and the definition is recursive, so its stack is unbounded: large.
 */
const parseValue: CoroDef<[string, number, number, ParseStats], number> = coro(
  { name: "parseValue", locals: { depth: "u16", kind: "u8", items: "u16", pos: "u32" }, calls: () => [parseValue] },
  function* (f, src: string, pos: number, depth: number, stats: ParseStats) {
    f.depth = depth;
    f.pos = pos;
    f.items = 0;
    stats.nodes++;
    if (depth > stats.depth) stats.depth = depth;
    const open = src[pos];
    if (open !== "[" && open !== "{") {
      SCALAR.lastIndex = pos;
      if (!SCALAR.test(src)) throw new MalformedBodyError(`unexpected ${JSON.stringify(src[pos] ?? "end of body")} at ${pos}`);
      return SCALAR.lastIndex;
    }
    f.kind = open === "[" ? 1 : 2;
    const close = open === "[" ? "]" : "}";
    f.pos++;
    yield* sleep(PARSE_MS_PER_LEVEL); // this level's work, done with every outer frame still on the stack
    if (src[f.pos] === close) return f.pos + 1;
    for (;;) {
      if (f.kind === 2) {
        SCALAR.lastIndex = f.pos;
        if (src[f.pos] !== '"' || !SCALAR.test(src) || src[SCALAR.lastIndex] !== ":") throw new MalformedBodyError(`expected "key": at ${f.pos}`);
        f.pos = SCALAR.lastIndex + 1;
      }
      f.pos = yield* call(parseValue, src, f.pos, depth + 1, stats);
      f.items++;
      const next = src[f.pos];
      if (next === close) return f.pos + 1;
      if (next !== ",") throw new MalformedBodyError(`expected "," or "${close}" at ${f.pos}, found ${JSON.stringify(next ?? "end of body")}`);
      f.pos++;
    }
  },
);

/** A parser worker on a large stack: parses bodies until the queue closes. */
export const bodyParser = coro({ name: "bodyParser", locals: { parsed: "u32", nodes: "u32" }, calls: [parseValue] }, function* (f, srv: Server) {
  try {
    f.parsed = f.nodes = 0;
    for (let r = yield* srv.parses.recv(); r.ok; r = yield* srv.parses.recv()) {
      const job = r.value;
      const stats: ParseStats = { nodes: 0, depth: 0 };
      let outcome: ParseOutcome;
      try {
        const end = yield* call(parseValue, job.body, 0, 1, stats);
        if (end !== job.body.length) throw new MalformedBodyError(`trailing ${JSON.stringify(job.body.slice(end, end + 8))} at ${end}`);
        outcome = { ok: true, nodes: stats.nodes, depth: stats.depth };
      } catch (err) {
        if (!(err instanceof MalformedBodyError)) throw err;
        outcome = { ok: false, error: err.message };
      }
      job.reply.trySend(outcome);
      f.parsed++;
      f.nodes += stats.nodes;
    }
  } finally {
    srv.census.ended(bodyParser);
  }
});

/**
 * The simulated web server's front end, and what its coroutines share.
 *
 *   listener ──accept queue──▶ acceptor ──spawn──▶ handler, one per request      (all micro)
 *                                                    │ select against after(time left)
 *                       parse jobs ◀─────────────────┼─────────────────▶ lookup jobs
 *                 bodyParser (large, services.ts)    │         lookupService (small, services.ts)
 *                                                    └─spawn──▶ audit, per served POST (under-declared)
 *
 * A handler's few locals fit a 256-byte micro slot. `audit` does not declare
 * that it calls `formatAuditRecord`, whose frame holds a 1 KiB line buffer:
 * its metadata says micro, the frame does not fit, and the stack chains a
 * small segment — a migration. A profile of the run records that, and a run
 * given the profile spawns audits in small directly.
 *
 * Request/response: a handler sends a job that carries its own reply channel
 * (capacity 1, so a service answering after the handler gave up never
 * blocks), and waits for the reply in a select against `after(time left)`;
 * the losing case leaves no trace. Every request ends exactly one way:
 * served (200), failed (400 malformed body, 404 unknown key) or shed (503:
 * its deadline passed while it waited for a parser or a lookup).
 *
 * Every definition's body reports its end to the census in a `finally`
 * (see census.ts), which is how the demo counts live coroutines per class.
 * Locals start at zero (the runtime clears a frame's slot bytes on push).
 */
import { Channel, after, bytes, call, coro, recv, select, send, sleep, spawn, type Runtime } from "../src/index.js";
import type { Census } from "./census.js";
import type { Request } from "./workload.js";

export interface ServerConfig {
  /** A request is shed when it has no answer this many virtual ms after it arrived. */
  deadlineMs: number;
  lookupServices: number;
  parsers: number;
  /** Capacity of the accept queue between listener and acceptor. */
  backlog: number;
  cacheEntries: number;
  /** Virtual ms between monitor ticks (progress, snapshots). */
  tickMs: number;
}

export const DEFAULT_CONFIG: ServerConfig = {
  deadlineMs: 30,
  lookupServices: 32,
  parsers: 2,
  backlog: 256,
  cacheEntries: 4_000,
  tickMs: 5,
};

/** Virtual time an audit record takes to reach the disk. */
const AUDIT_WRITE_MS = 0.2;
const ENCODER = new TextEncoder();

// ── the requests' outcomes ──────────────────────────────────────────────────

type Outcome = "served" | "shedParse" | "shedLookup" | "malformedBody" | "unknownKey";

/** Counts every answer; closes `allAnswered` when the last request is answered. */
export class Tally {
  served = 0;
  shedParse = 0;
  shedLookup = 0;
  malformedBody = 0;
  unknownKey = 0;
  audited = 0;
  readonly latencies: number[] = [];
  answered = 0;

  constructor(
    readonly requests: number,
    readonly allAnswered: Channel<never>,
  ) {
    if (requests === 0) allAnswered.close();
  }

  answer(outcome: Outcome, latencyMs: number): void {
    this[outcome]++;
    if (outcome === "served") this.latencies.push(latencyMs);
    if (++this.answered === this.requests) this.allAnswered.close();
  }

  get shed(): number {
    return this.shedParse + this.shedLookup;
  }
  get failed(): number {
    return this.malformedBody + this.unknownKey;
  }
}

// ── jobs and what they share ────────────────────────────────────────────────

export interface Row {
  key: number;
  plan: string;
}
export interface LookupJob {
  key: number;
  dbMs: number;
  reply: Channel<Row | null>;
}
export type ParseOutcome = { ok: true; nodes: number; depth: number } | { ok: false; error: string };
export interface ParseJob {
  body: string;
  reply: Channel<ParseOutcome>;
}

/** What every coroutine of one run can see. */
export interface Server {
  readonly rt: Runtime;
  readonly config: ServerConfig;
  readonly requests: readonly Request[];
  readonly accept: Channel<Request>;
  readonly lookups: Channel<LookupJob>;
  readonly parses: Channel<ParseJob>;
  /** Closed when every request is answered: the monitor's signal to shut the services down. */
  readonly allAnswered: Channel<never>;
  /** A shared cache of rows, oldest evicted first. */
  readonly cache: Map<number, Row>;
  readonly tally: Tally;
  readonly census: Census;
}

const TIMED_OUT = Symbol("timed out");

/**
 * Request/response with a deadline: hand `job` to `queue`, then wait for its
 * reply — each step a select against the time left.
 */
function* ask<J extends { reply: Channel<unknown> }>(
  srv: Server,
  queue: Channel<J>,
  job: J,
  deadlineMs: number,
): Generator<unknown, ReplyOf<J> | typeof TIMED_OUT, unknown> {
  const queued = yield* select([send(queue, job), after(Math.max(0, deadlineMs - srv.rt.now()))]);
  if (queued.index === 1) return TIMED_OUT;
  const answered = yield* select([recv(job.reply), after(Math.max(0, deadlineMs - srv.rt.now()))]);
  if (answered.index === 1) return TIMED_OUT;
  return answered.value as ReplyOf<J>;
}

type ReplyOf<J> = J extends { reply: Channel<infer R> } ? R : never;

// ── definitions: micro ──────────────────────────────────────────────────────

/** Turns arrivals into connections on the accept queue, at their arrival times. */
export const listener = coro({ name: "listener", locals: { next: "u32" } }, function* (f, srv: Server) {
  try {
    for (f.next = 0; f.next < srv.requests.length; f.next++) {
      const req = srv.requests[f.next];
      const wait = req.arrivalMs - srv.rt.now();
      if (wait > 0) yield* sleep(wait);
      yield* srv.accept.send(req);
    }
    srv.accept.close();
  } finally {
    srv.census.ended(listener);
  }
});

/** Spawns one handler coroutine per accepted connection. */
export const acceptor = coro({ name: "acceptor", locals: { accepted: "u32" } }, function* (f, srv: Server) {
  try {
    f.accepted = 0;
    for (let r = yield* srv.accept.recv(); r.ok; r = yield* srv.accept.recv()) {
      srv.census.spawned(spawn(handler, srv, r.value));
      f.accepted++;
    }
  } finally {
    srv.census.ended(acceptor);
  }
});

/** One request, start to answer: parse the body if any, look the key up, answer or give up at the deadline. */
export const handler = coro(
  { name: "handler", locals: { id: "u32", arrivedMs: "f64", deadlineMs: "f64", status: "u16" } },
  function* (f, srv: Server, req: Request) {
    try {
      f.id = req.id;
      f.arrivedMs = req.arrivalMs;
      f.deadlineMs = req.arrivalMs + srv.config.deadlineMs;
      let outcome: Outcome | null = null;
      if (req.body !== null) {
        const parsed = yield* ask(srv, srv.parses, { body: req.body, reply: new Channel<ParseOutcome>(1) }, f.deadlineMs);
        if (parsed === TIMED_OUT) outcome = "shedParse";
        else if (!parsed.ok) outcome = "malformedBody";
      }
      if (outcome === null) {
        const row = yield* ask(srv, srv.lookups, { key: req.key, dbMs: req.dbMs, reply: new Channel<Row | null>(1) }, f.deadlineMs);
        outcome = row === TIMED_OUT ? "shedLookup" : row === null ? "unknownKey" : "served";
      }
      f.status = STATUS[outcome];
      srv.tally.answer(outcome, srv.rt.now() - f.arrivedMs);
      if (req.method === "POST" && outcome === "served") srv.census.spawned(spawn(audit, srv, req.id, f.status));
    } finally {
      srv.census.ended(handler);
    }
  },
);

const STATUS: Record<Outcome, number> = { served: 200, shedParse: 503, shedLookup: 503, malformedBody: 400, unknownKey: 404 };

/** Formats one audit line into a 1 KiB buffer in its own frame: too big for a micro slot. */
export const formatAuditRecord = coro(
  { name: "formatAuditRecord", locals: { len: "u32", line: bytes(1024) } },
  function* (f, id: number, status: number, atMs: number) {
    const text = `${atMs.toFixed(3)} request=${id} status=${status} audit=ok`;
    const r = ENCODER.encodeInto(text, f.$bytes("line"));
    f.len = r.written;
    return f.len;
  },
);

/**
 * Writes an audit record for a served POST. Deliberately under-declared: its
 * `calls` leaves out formatAuditRecord, so its metadata says micro, and the
 * 1 KiB frame chains a small segment at run time (a migration) until a profile
 * raises its class.
 */
export const audit = coro(
  { name: "audit", locals: { id: "u32", status: "u16", len: "u32" }, calls: [] },
  function* (f, srv: Server, id: number, status: number) {
    try {
      f.id = id;
      f.status = status;
      f.len = yield* call(formatAuditRecord, id, status, srv.rt.now());
      yield* sleep(AUDIT_WRITE_MS); // append and fsync
      srv.tally.audited++;
    } finally {
      srv.census.ended(audit);
    }
  },
);

/**
 * explore() over worker threads: the runs of a random or pct exploration
 * are dealt out round-robin (worker w of N runs w, w+N, w+2N, … of the same
 * numbered runs a single thread would run, with the same seeds), each
 * worker builds its own runtimes, and the first failure stops the others
 * through a shared flag checked between runs. The failing worker shrinks
 * and narrates its failure itself.
 *
 * A worker cannot receive a function, so the program is named by its
 * module and export: `{ module: "./programs.js", export: "bank" }`. The
 * worker imports this package's `cprime-coro/test` entry (the same file the
 * caller loaded, ESM or CommonJS) and runs exploreWorkerMain. Errors come
 * back structured-cloned (their class becomes Error; name and message stay).
 */
import { Worker } from "node:worker_threads";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describeValue } from "../describe.js";
import { checkExploreOptions, exploreSampled, type Checked, type ExploreResult } from "./explore.js";
import type { Program } from "./run.js";

/** A program a worker can import: the module (path or URL) and the name of its export. */
export interface ProgramRef {
  module: string | URL;
  export: string;
}

interface WorkerJob {
  entry: string;
  tsx: boolean;
  moduleUrl: string;
  exportName: string;
  options: Record<string, unknown>;
  first: number;
  stride: number;
  runs: number;
  stop: SharedArrayBuffer;
}

declare const __filename: string | undefined;

/** This package's `cprime-coro/test` entry as a file URL, and whether it is TypeScript (the sources, under tsx or vitest). */
function testEntry(): { url: string; ts: boolean } {
  const here = typeof __filename === "string" ? pathToFileURL(__filename).href : import.meta.url;
  const file = new URL(here).pathname;
  if (file.endsWith(".ts")) return { url: new URL("../test.ts", here).href, ts: true };
  return { url: new URL(file.endsWith(".cjs") ? "./test.cjs" : "./test.js", here).href, ts: false };
}

function moduleUrlOf(ref: ProgramRef): string {
  const m = ref.module;
  if (m instanceof URL) return m.href;
  if (typeof m === "string" && m.length > 0) return /^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m) ? m : pathToFileURL(path.resolve(m)).href;
  throw new TypeError(`explore(program): program.module must be a module path or URL, received ${describeValue(m)}`);
}

/** The worker's bootstrap (CommonJS, evaluated): register tsx for TypeScript, import the entry, run the job. */
const BOOTSTRAP = `
const { workerData, parentPort } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) (await import("tsx/esm/api")).register();
  const entry = await import(workerData.entry);
  parentPort.postMessage(await entry.exploreWorkerMain(workerData));
})().catch((err) => parentPort.postMessage({ crashed: String(err && err.stack || err) }));
`;

export function exploreInWorkers(ref: ProgramRef, c: Checked, workers: unknown): Promise<ExploreResult> {
  if (typeof workers !== "number" || !Number.isSafeInteger(workers) || workers < 1 || workers > 256) {
    return Promise.reject(new RangeError(`explore option workers must be an integer from 1 to 256, received ${describeValue(workers)}`));
  }
  if (c.strategy === "exhaustive")
    return Promise.reject(new TypeError("explore with workers: the exhaustive search runs in one thread (its runs depend on each other); use random or pct"));
  if (typeof ref.export !== "string")
    return Promise.reject(new TypeError(`explore(program): program.export must be the name of an export, received ${describeValue(ref.export)}`));
  let moduleUrl: string;
  try {
    moduleUrl = moduleUrlOf(ref);
  } catch (err) {
    return Promise.reject(err);
  }
  const entry = testEntry();
  const stop = new SharedArrayBuffer(4);
  const { workers: _w, ...options } = c.raw;
  const jobs: Promise<ExploreResult>[] = [];
  for (let w = 0; w < workers; w++) {
    const runs = Math.floor(c.runs / workers) + (w < c.runs % workers ? 1 : 0);
    const job: WorkerJob = {
      entry: entry.url,
      tsx: entry.ts || moduleUrl.endsWith(".ts"),
      moduleUrl,
      exportName: ref.export,
      options,
      first: w,
      stride: workers,
      runs,
      stop,
    };
    jobs.push(runWorker(job));
  }
  return Promise.all(jobs).then((results) => {
    const runs = results.reduce((n, r) => n + r.runs, 0);
    const failed = results.find((r) => !r.ok);
    return failed === undefined ? { ok: true, runs, exhausted: false } : { ok: false, runs, exhausted: false, failure: failed.failure };
  });
}

function runWorker(job: WorkerJob): Promise<ExploreResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: job });
    worker.once("message", (m: ExploreResult | { crashed: string }) => {
      void worker.terminate();
      if ("crashed" in m) reject(new Error(`an exploration worker failed: ${m.crashed}`));
      else resolve(m);
    });
    worker.once("error", reject);
  });
}

/**
 * The worker side of explore() with a ProgramRef: imports the program and
 * runs this worker's share. Exported for the worker's bootstrap only.
 */
export async function exploreWorkerMain(job: WorkerJob): Promise<ExploreResult> {
  const mod = (await import(job.moduleUrl)) as Record<string, unknown>;
  const program = mod[job.exportName];
  if (typeof program !== "function")
    throw new TypeError(`${job.moduleUrl} has no program export ${JSON.stringify(job.exportName)} (found ${describeValue(program)})`);
  const c = checkExploreOptions(job.options);
  c.runs = job.runs;
  const flag = new Int32Array(job.stop);
  const result =
    job.runs === 0 ? { ok: true, runs: 0, exhausted: false } : exploreSampled(program as Program, c, job.first, job.stride, () => Atomics.load(flag, 0) !== 0);
  if (!result.ok) Atomics.store(flag, 0, 1);
  if (result.failure !== undefined) result.failure = { ...result.failure, error: cloneable(result.failure.error) };
  return result;
}

/** Errors survive structured cloning; other thrown values are described. */
function cloneable(e: unknown): unknown {
  if (e instanceof Error) {
    const copy = new Error(e.message);
    copy.name = e.name;
    copy.stack = e.stack;
    return copy;
  }
  return describeValue(e);
}

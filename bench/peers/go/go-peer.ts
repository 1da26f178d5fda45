/**
 * Runs the Go peer (bench/peers/go/main.go) and turns its output into
 * MeasuredCase results.
 *
 * - `go` is looked up on PATH when a case is measured; without it every Go
 *   case reports `{ skipped: "go not installed" }` instead of failing the run.
 * - The binary is built once into os.tmpdir(), under a name keyed by the hash
 *   of main.go and the Go version, so repeated bench runs start at once and an
 *   edited main.go is rebuilt. The build writes to a temporary name and
 *   renames, so two runs racing never execute a half-written binary.
 * - Each case runs the binary for its one benchmark (`-run name`), at the
 *   moment the runner measures it, so Go and the subject it is compared with
 *   are measured in the same run, on the same machine, one after the other.
 * - GOMAXPROCS is 1 (the program also sets it), to match one JavaScript thread.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MeasuredCase } from "../../types.js";

const MAIN_GO = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.go");

interface ExecResult {
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const detail = stderr.trim() || stdout.trim();
        reject(Object.assign(error, { message: `${error.message}${detail ? `: ${detail}` : ""}` }));
      } else resolve({ stdout, stderr });
    });
  });
}

/** The environment for go and the peer: GOMAXPROCS=1, and a build cache even where HOME is unset. */
function goEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GOMAXPROCS: "1" };
  if (env.GOCACHE === undefined && env.HOME === undefined && env.XDG_CACHE_HOME === undefined) {
    env.GOCACHE = path.join(os.tmpdir(), "cprime-coro-gocache");
  }
  return env;
}

/** `go version` output, or null when go is not on PATH. */
async function goVersion(): Promise<string | null> {
  try {
    return (await exec("go", ["version"], goEnv(), 30_000)).stdout.trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

let built: Promise<{ binary: string; version: string } | null> | null = null;

/** Builds main.go once per process (and once per main.go/Go version across runs). Null without go. */
function buildPeer(): Promise<{ binary: string; version: string } | null> {
  built ??= (async () => {
    const version = await goVersion();
    if (version === null) return null;
    const hash = createHash("sha256").update(readFileSync(MAIN_GO)).update(version).digest("hex").slice(0, 16);
    const dir = path.join(os.tmpdir(), "cprime-coro-go-peer");
    const binary = path.join(dir, `peer-${hash}${process.platform === "win32" ? ".exe" : ""}`);
    if (!existsSync(binary)) {
      mkdirSync(dir, { recursive: true });
      const partial = `${binary}.${process.pid}.tmp`;
      await exec("go", ["build", "-o", partial, MAIN_GO], goEnv(), 300_000);
      renameSync(partial, binary);
    }
    return { binary, version };
  })();
  return built;
}

/** Parses `name median ns/op s1,s2,...` lines. */
export function parsePeerOutput(stdout: string): Map<string, { median: number; samples: number[] }> {
  const results = new Map<string, { median: number; samples: number[] }>();
  for (const line of stdout.split("\n")) {
    const m = /^(\S+) ([\d.]+) ns\/op(?: (\S+))?$/.exec(line.trim());
    if (m === null) continue;
    const samples = m[3] === undefined ? [] : m[3].split(",").map(Number).filter(Number.isFinite);
    results.set(m[1], { median: Number(m[2]), samples });
  }
  return results;
}

/**
 * A MeasuredCase that runs one benchmark of the Go peer. `name` is both the
 * case name and the benchmark's name in main.go.
 */
export function goPeerCase(name: string, note: string, baseline?: string): MeasuredCase {
  return {
    kind: "measure",
    name,
    role: "peer",
    unit: "ns/op",
    ...(baseline === undefined ? {} : { baseline }),
    note,
    async measure() {
      const peer = await buildPeer();
      if (peer === null) return { skipped: "go not installed" };
      const { stdout } = await exec(peer.binary, ["-run", name, "-procs", "1"], goEnv(), 120_000);
      const result = parsePeerOutput(stdout).get(name);
      if (result === undefined) throw new Error(`the Go peer printed no line for ${name}: ${JSON.stringify(stdout.slice(0, 300))}`);
      return {
        value: result.median,
        ...(result.samples.length > 0 ? { samples: result.samples } : {}),
        note: `${peer.version.replace(/^go version /, "")}, GOMAXPROCS=1, median of ${result.samples.length} samples`,
      };
    },
  };
}

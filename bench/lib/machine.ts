/** What machine the numbers came from. */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import os from "node:os";
import type { MachineInfo } from "./results.js";

function osName(): string {
  try {
    const release = readFileSync("/etc/os-release", "utf8");
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1];
    if (pretty) return `${pretty} (${os.type()} ${os.release()})`;
  } catch {
    // Not Linux, or no os-release: fall through.
  }
  return `${os.type()} ${os.release()}`;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim().replace(/\s+/g, " ") || "unknown",
    logicalCores: cpus.length,
    availableParallelism: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    v8: process.versions.v8,
    os: osName(),
    arch: process.arch,
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === "function",
    subject: subjectPath(),
  };
}

/** Where "cprime-coro" resolves for the benchmarks: the built package, unless run without bench/tsconfig.json. */
function subjectPath(): string {
  const file = fileURLToPath(import.meta.resolve("cprime-coro"));
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("dist") ? `${rel} (the built package, as users import it)` : `${rel} (sources through tsx, not the built package)`;
}

export function machineLine(m: MachineInfo): string {
  const gib = (m.memoryBytes / 1024 ** 3).toFixed(1);
  return `${m.cpuModel}, ${m.logicalCores} logical cores, ${gib} GiB, Node ${m.node} (V8 ${m.v8}), ${m.os} ${m.arch}`;
}

/**
 * Where the instructions of one operation go:
 * `tsx bench/instructions/attribute.ts <dir> <case> <subject> [top]`.
 *
 * Reads the callgrind_annotate outputs that `npm run bench:instructions --
 * --annotate <dir>` kept for the case's two sizes and prints, per function,
 * (self Ir at n2 − self Ir at n1) / (n2 − n1) — the per-operation share of
 * each function — and the same summed into groups: JIT-compiled JavaScript
 * (callgrind sees it as anonymous addresses), the write barrier
 * (RecordWrite stubs and the remembered set), the garbage collector
 * (scavenger, mark-compact, sweeper, allocation slow paths), the generator
 * and iterator builtins, inline caches, allocation builtins, and the rest.
 *
 * Run the driver with `--node-flag --perf-basic-prof` too and the JIT code's
 * addresses are named through node's /tmp/perf-<pid>.map (the pid is in the
 * annotate header): `JS *step scheduler.ts:494`, and so on.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

/** The JIT code map node wrote with --perf-basic-prof (/tmp/perf-<pid>.map): [start, end, name], sorted. */
function perfMap(pid: string): [number, number, string][] | null {
  const file = `/tmp/perf-${pid}.map`;
  if (!existsSync(file)) return null;
  const rows: [number, number, string][] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m !== null) rows.push([parseInt(m[1], 16), parseInt(m[1], 16) + parseInt(m[2], 16), m[3]]);
  }
  return rows.sort((a, b) => a[0] - b[0]);
}

function lookup(map: [number, number, string][], addr: number): string | null {
  let lo = 0;
  let hi = map.length - 1;
  let found: [number, number, string] | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid][0] <= addr) {
      found = map[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found !== null && addr < found[1] ? found[2] : null;
}

function parse(file: string): Map<string, number> {
  const out = new Map<string, number>();
  const text = readFileSync(file, "utf8");
  const pid = /\(PID (\d+)/.exec(text)?.[1];
  const map = pid === undefined ? null : perfMap(pid);
  for (const line of text.split("\n")) {
    const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+(.*)$/.exec(line);
    if (m === null || m[2].startsWith("PROGRAM TOTALS")) continue;
    let name = m[2].replace(/ \[[^\]]*\]$/, "").replace(/^\?\?\?:/, "");
    const addr = /^0x([0-9a-f]+)/.exec(name);
    if (addr !== null && map !== null) {
      const js = lookup(map, parseInt(addr[1], 16));
      if (js !== null) name = `JS ${js.replace(/file:\/\/\S*\/([^/\s]+)/, "$1")}`;
    }
    out.set(name, (out.get(name) ?? 0) + Number(m[1].replace(/,/g, "")));
  }
  return out;
}

const GROUPS: [string, RegExp][] = [
  ["JIT-compiled JavaScript (anonymous code addresses)", /^(0x[0-9a-f]+('\d+)?|JS .*)$/],
  ["write barrier (RecordWrite stubs, remembered set)", /RecordWrite|WriteBarrier|RememberedSet|SlotSet|EphemeronKeyBarrier|MarkingBarrier/],
  [
    "garbage collector (scavenge, mark-compact, sweep, evacuation)",
    /Scaveng|MarkCompact|Sweep|Evacuat|Marking|ConcurrentMarking|Heap::|GCTracer|ObjectVisitor|BodyDescriptor|IterateAndScavenge|MemoryChunk|PagedSpace|NewSpace|SemiSpace|LargeObjectSpace|Worklist|MinorMC|IncrementalMarking|LocalHeap|HeapObject::|Page::|UpdateTypedSlot|PointersUpdating/,
  ],
  ["allocation builtins (new objects, arrays, contexts)", /Builtins_(Fast)?New|Allocate|Builtins_CreateShallow|Builtins_CloneObject|Builtins_ArrayConstructor/],
  [
    "generator and iterator builtins (resume, suspend, yield*)",
    /Generator|Iterator|Builtins_Resume|Builtins_Suspend|AsyncFunction|Await|Promise|Microtask|RunMicrotasks/,
  ],
  [
    "inline caches and property access builtins",
    /IC|Builtins_Load|Builtins_Store|Builtins_KeyedLoad|Builtins_KeyedStore|Builtins_Define|LookupIC|Builtins_GetProperty|Builtins_SetProperty/,
  ],
  [
    "call and interpreter builtins",
    /Builtins_Call|Builtins_Interpreter|Builtins_Construct|Builtins_JSEntry|Builtins_ArgumentsAdaptor|Builtins_Baseline|Builtins_.*Trampoline/,
  ],
  ["C library (malloc, memcpy)", /malloc|free|memcpy|memmove|memset|_int_/],
];

function group(name: string): string {
  for (const [g, re] of GROUPS) if (re.test(name)) return g;
  return "other (runtime, compiler, builtins)";
}

function main(): void {
  const [dir, caseName, subject, topText] = process.argv.slice(2);
  if (dir === undefined || caseName === undefined || subject === undefined) {
    console.error("usage: tsx bench/instructions/attribute.ts <annotate dir> <case> <subject> [top]");
    process.exit(2);
  }
  const top = Number(topText ?? 25);
  const files = readdirSync(dir).filter((f) => f.startsWith(`${caseName}.${subject}.`) && f.endsWith(".0.callgrind.txt"));
  const sizes = files.map((f) => Number(f.split(".")[2])).sort((a, b) => a - b);
  if (sizes.length < 2) throw new Error(`need two sizes of ${caseName} ${subject} in ${dir}, found ${files.join(", ") || "none"}`);
  const [n1, n2] = [sizes[0], sizes[sizes.length - 1]];
  const a = parse(path.join(dir, `${caseName}.${subject}.${n1}.0.callgrind.txt`));
  const b = parse(path.join(dir, `${caseName}.${subject}.${n2}.0.callgrind.txt`));
  const d = n2 - n1;
  const rows: { name: string; perOp: number }[] = [];
  for (const name of new Set([...a.keys(), ...b.keys()])) rows.push({ name, perOp: ((b.get(name) ?? 0) - (a.get(name) ?? 0)) / d });
  const total = rows.reduce((s, r) => s + r.perOp, 0);
  const groups = new Map<string, number>();
  for (const r of rows) groups.set(group(r.name), (groups.get(group(r.name)) ?? 0) + r.perOp);
  console.log(
    `${caseName} ${subject}: ${total.toFixed(0)} Ir per op (self cost, (I(${n2}) − I(${n1})) / ${d}, functions above callgrind_annotate's threshold)`,
  );
  console.log("\nby group:");
  for (const [g, v] of [...groups].sort((x, y) => y[1] - x[1]))
    console.log(`  ${v.toFixed(0).padStart(7)}  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${g}`);
  console.log(`\ntop ${top} functions:`);
  rows.sort((x, y) => y.perOp - x.perOp);
  for (const r of rows.slice(0, top)) console.log(`  ${r.perOp.toFixed(1).padStart(8)}  ${r.name.slice(0, 110)}`);
}

main();

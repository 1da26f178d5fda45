#!/usr/bin/env node
/**
 * Checks the built package the way a user gets it: packed by npm, installed
 * under its own name, imported from ESM and required from CommonJS, and
 * type-checked by a TypeScript consumer under `moduleResolution: "node16"` as
 * both an ES module (.mts) and a CommonJS module (.cts).
 *
 * Run after `npm run build` (the `check:package` script does both). Needs no
 * network: the tarball is unpacked into a temporary consumer's node_modules,
 * and the package's own runtime dependencies (if it ever has any) are linked
 * from this repository's node_modules.
 *
 * What must hold:
 * - `import * as m from "cprime-coro"` and `require("cprime-coro")` expose the
 *   same export names, and neither is empty.
 * - Those names are exactly the value exports of src/index.ts (read with the
 *   TypeScript compiler API at check time, so the list never goes stale).
 * - Every export of src/index.ts, types included, resolves through the
 *   published .d.ts (ESM) and .d.cts (CJS) files, and they type-check.
 * - The `cprime-coro/test` subpath (src/test.ts) likewise: the same names
 *   from ESM and CJS, exactly src/test.ts's value exports, types that check,
 *   and an exploration that drives a program built from the root entry's
 *   classes (both entries share one copy of the runtime in either format).
 */

import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const started = performance.now();

/** @type {{ ok: boolean; what: string; detail?: string }[]} */
const results = [];
function check(ok, what, detail) {
  results.push({ ok, what, detail });
  console.log(`${ok ? "  ok  " : "  FAIL"} ${what}${detail ? `\n        ${detail.split("\n").join("\n        ")}` : ""}`);
  return ok;
}

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Export names of src/index.ts, split into values (exist at run time) and type-only. */
function sourceExports(entryFile = "index.ts") {
  const entry = path.join(root, "src", entryFile);
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry);
  const moduleSymbol = file && checker.getSymbolAtLocation(file);
  if (!moduleSymbol) throw new Error(`cannot read the exports of ${entry}`);
  const values = [];
  const types = [];
  for (const sym of checker.getExportsOfModule(moduleSymbol)) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    // `export type { X }` and `export { type X }` name values that do not exist at run time.
    const isTypeOnlyExport = sym.declarations?.some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
    if (target.flags & ts.SymbolFlags.Value && !isTypeOnlyExport) values.push(sym.name);
    else types.push(sym.name);
  }
  return { values: values.sort(), types: types.sort() };
}

function diff(a, b) {
  const setB = new Set(b);
  return a.filter((x) => !setB.has(x));
}

const work = mkdtempSync(path.join(tmpdir(), "cprime-coro-check-"));
try {
  console.log(`check-package: ${pkg.name}@${pkg.version}`);

  // 0. The build is there.
  const distFiles = [
    "dist/index.js",
    "dist/index.cjs",
    "dist/index.d.ts",
    "dist/index.d.cts",
    "dist/test.js",
    "dist/test.cjs",
    "dist/test.d.ts",
    "dist/test.d.cts",
  ];
  const missing = distFiles.filter((f) => !existsSync(path.join(root, f)));
  if (!check(missing.length === 0, "built files exist", missing.length ? `missing ${missing.join(", ")}: run \`npm run build\` first` : undefined)) {
    throw new Error("no build");
  }

  // 1. Pack exactly what npm would publish, and install it under its name.
  const packJson = run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], root);
  const packed = JSON.parse(packJson.slice(packJson.indexOf("[")))[0];
  const tarball = path.join(work, packed.filename);
  const published = packed.files.map((f) => f.path);
  check(
    distFiles.every((f) => published.includes(f)),
    `npm pack: ${packed.filename} (${packed.files.length} files, ${packed.size} bytes)`,
    distFiles.every((f) => published.includes(f)) ? undefined : `the tarball lacks ${diff(distFiles, published).join(", ")}`,
  );
  const leaked = published.filter((f) => /^(src|test|bench|scripts|node_modules|reports)\//.test(f));
  check(leaked.length === 0, "tarball holds no sources, tests or reports", leaked.length ? leaked.join(", ") : undefined);

  const consumer = path.join(work, "consumer");
  const installed = path.join(consumer, "node_modules", pkg.name);
  mkdirSync(path.join(consumer, "node_modules"), { recursive: true });
  run("tar", ["-xzf", tarball, "-C", work], work);
  cpSync(path.join(work, "package"), installed, { recursive: true });
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    const from = path.join(root, "node_modules", dep);
    if (!existsSync(from)) throw new Error(`runtime dependency ${dep} is not installed in ${root}/node_modules`);
    mkdirSync(path.dirname(path.join(consumer, "node_modules", dep)), { recursive: true });
    symlinkSync(from, path.join(consumer, "node_modules", dep), "dir");
  }
  writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "commonjs" }));

  // 2. Import it by name, from ESM and from CommonJS, in fresh processes.
  writeFileSync(path.join(consumer, "esm.mjs"), `import * as m from ${JSON.stringify(pkg.name)};\nconsole.log(JSON.stringify(Object.keys(m).sort()));\n`);
  writeFileSync(
    path.join(consumer, "cjs.cjs"),
    `const m = require(${JSON.stringify(pkg.name)});\n` +
      `require(${JSON.stringify(`${pkg.name}/package.json`)});\n` +
      `console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "__esModule").sort()));\n`,
  );
  const load = (file) => {
    try {
      return { names: JSON.parse(run(process.execPath, [file], consumer)), error: null };
    } catch (e) {
      return {
        names: [],
        error: String(e.stderr || e.message)
          .trim()
          .split("\n")
          .slice(0, 6)
          .join("\n"),
      };
    }
  };
  const esm = load("esm.mjs");
  const cjs = load("cjs.cjs");
  check(esm.error === null && esm.names.length > 0, `ESM: import * from "${pkg.name}" → ${esm.names.length} exports`, esm.error ?? undefined);
  check(cjs.error === null && cjs.names.length > 0, `CJS: require("${pkg.name}") → ${cjs.names.length} exports`, cjs.error ?? undefined);
  const onlyEsm = diff(esm.names, cjs.names);
  const onlyCjs = diff(cjs.names, esm.names);
  check(
    onlyEsm.length === 0 && onlyCjs.length === 0,
    "ESM and CJS builds export the same names",
    [onlyEsm.length ? `only in ESM: ${onlyEsm.join(", ")}` : "", onlyCjs.length ? `only in CJS: ${onlyCjs.join(", ")}` : ""].filter(Boolean).join("\n") ||
      undefined,
  );

  // 3. The runtime names are exactly src/index.ts's value exports.
  const source = sourceExports();
  const absent = diff(source.values, esm.names);
  const extra = diff(esm.names, source.values);
  check(
    absent.length === 0 && extra.length === 0,
    `exports match src/index.ts (${source.values.length} values, ${source.types.length} types)`,
    [absent.length ? `missing at run time: ${absent.join(", ")}` : "", extra.length ? `not exported by src/index.ts: ${extra.join(", ")}` : ""]
      .filter(Boolean)
      .join("\n") || undefined,
  );

  // 4. Types: a consumer under node16 resolution, as ESM (.mts → index.d.ts) and CJS (.cts → index.d.cts).
  const all = [...source.values, ...source.types].sort();
  const typeImport = all.length ? `import type { ${all.join(", ")} } from ${JSON.stringify(pkg.name)};\n` : "";
  const touchValues = (ns) => `export const values: unknown[] = [${source.values.map((v) => `${ns}.${v}`).join(", ")}];\n`;
  writeFileSync(path.join(consumer, "esm.mts"), `${typeImport}import * as m from ${JSON.stringify(pkg.name)};\n${touchValues("m")}`);
  writeFileSync(path.join(consumer, "cjs.cts"), `${typeImport}import m = require(${JSON.stringify(pkg.name)});\n${touchValues("m")}`);
  const options = {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2024.d.ts"],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ["node"],
    typeRoots: [path.join(root, "node_modules", "@types")],
  };
  // One program for both files (the lib files load once); diagnostics are attributed per file.
  const program = ts.createProgram([path.join(consumer, "esm.mts"), path.join(consumer, "cjs.cts")], options);
  const format = (diagnostics) =>
    ts
      .formatDiagnostics(diagnostics.slice(0, 8), {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => consumer,
        getNewLine: () => "\n",
      })
      .trim();
  for (const [file, flavour, dts, mode] of [
    ["esm.mts", "ESM", "index.d.ts", ts.ModuleKind.ESNext],
    ["cjs.cts", "CJS", "index.d.cts", ts.ModuleKind.CommonJS],
  ]) {
    const resolved = ts.resolveModuleName(pkg.name, path.join(consumer, file), options, ts.sys, undefined, undefined, mode).resolvedModule?.resolvedFileName;
    const rightFile = resolved !== undefined && resolved.endsWith(`/node_modules/${pkg.name}/dist/${dts}`);
    // The consumer file, plus the package's declaration files of this flavour (.d.cts for CJS).
    const ownFiles = program
      .getSourceFiles()
      .filter(
        (sf) =>
          sf.fileName === path.join(consumer, file) || (sf.fileName.startsWith(installed + path.sep) && sf.fileName.endsWith(".d.cts") === (flavour === "CJS")),
      );
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...ownFiles.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
    ];
    check(
      diagnostics.length === 0 && rightFile,
      `types (${flavour}, moduleResolution node16): ${file} resolves to dist/${dts} and type-checks`,
      diagnostics.length ? format(diagnostics) : rightFile ? undefined : `"${pkg.name}" resolved to ${resolved ?? "nothing"}`,
    );
  }

  // 5. The published types show the API and nothing internal (the scheduler core, wait queues, internal helpers).
  // Every declaration file: the entries' and the chunk of types they share.
  for (const dts of readdirSync(path.join(installed, "dist")).filter((f) => f.endsWith(".d.ts") || f.endsWith(".d.cts"))) {
    const text = readFileSync(path.join(installed, "dist", dts), "utf8");
    const internal = [
      /\b(park|wake|wakeWithError|requeue|charge|chargeMigration|chargeSegment|joinStart|sleepFor|waitForPromise|liveTasks|readyTasks|cancelTask)\(/g,
      /\b(recvq|sendq|timers|promiseWaits|observer|chooser|switchCosts|channelOpCycles)\??\s*:/g,
      /declare (class|function) (TaskImpl|Scheduler|WaitQueue|Waiter|SelectWait|ChannelRef|Controller|bug)\b/g,
    ].flatMap((re) => [...text.matchAll(re)].map((m) => m[0]));
    check(internal.length === 0, `types (${dts}) show no internal members`, internal.length ? [...new Set(internal)].join(", ") : undefined);
  }

  // 5b. The cprime-coro/test subpath: names, a real exploration, types — from ESM and from CommonJS.
  const sub = `${pkg.name}/test`;
  const testSource = sourceExports("test.ts");
  const probe = (req) =>
    `const rt0 = ${req("")};\nconst t = ${req("/test")};\n` +
    `const r = t.explore((rt) => { const ch = new rt0.Channel(0); rt.spawn(function* a() { yield* ch.send(1); }); rt.spawn(function* b() { const v = yield* ch.recv(); if (v.value === 1) return; }); rt.spawn(function* c() { yield* ch.recv(); }); }, { strategy: "exhaustive" });\n` +
    `console.log(JSON.stringify({ names: Object.keys(t).filter((k) => k !== "__esModule").sort(), kind: r.failure && r.failure.kind, replayed: r.failure ? t.replay((rt) => { const ch = new rt0.Channel(0); rt.spawn(function* a() { yield* ch.send(1); }); rt.spawn(function* b() { const v = yield* ch.recv(); if (v.value === 1) return; }); rt.spawn(function* c() { yield* ch.recv(); }); }, r.failure.shrunkToken).kind : null }));\n`;
  writeFileSync(
    path.join(consumer, "sub-esm.mjs"),
    `import * as m0 from ${JSON.stringify(pkg.name)};\nimport * as m1 from ${JSON.stringify(sub)};\n` + probe((p) => (p === "" ? "m0" : "m1")),
  );
  writeFileSync(
    path.join(consumer, "sub-cjs.cjs"),
    probe((p) => `require(${JSON.stringify(pkg.name + p)})`),
  );
  for (const [file, flavour] of [
    ["sub-esm.mjs", "ESM"],
    ["sub-cjs.cjs", "CJS"],
  ]) {
    let out;
    let error = null;
    try {
      out = JSON.parse(run(process.execPath, [file], consumer));
    } catch (e) {
      error = String(e.stderr || e.message)
        .trim()
        .split("\n")
        .slice(0, 6)
        .join("\n");
    }
    const names = out?.names ?? [];
    const missingNames = diff(testSource.values, names);
    const extraNames = diff(names, testSource.values);
    check(
      error === null && missingNames.length === 0 && extraNames.length === 0,
      `${flavour}: "${sub}" exports exactly src/test.ts's ${testSource.values.length} values`,
      error ??
        ([missingNames.length ? `missing: ${missingNames.join(", ")}` : "", extraNames.length ? `extra: ${extraNames.join(", ")}` : ""]
          .filter(Boolean)
          .join("\n") ||
          undefined),
    );
    check(
      error === null && out.kind === "deadlock" && out.replayed === "deadlock",
      `${flavour}: "${sub}" explores a program made of the root entry's channels (one runtime copy) and replays its failure`,
      error ?? (out.kind === "deadlock" && out.replayed === "deadlock" ? undefined : JSON.stringify(out)),
    );
  }
  const testAll = [...testSource.values, ...testSource.types].sort();
  const testTypes = `import type { ${testAll.join(", ")} } from ${JSON.stringify(sub)};\nexport type All = [${testAll.filter((n) => !testSource.values.includes(n)).join(", ")}];\n`;
  writeFileSync(
    path.join(consumer, "sub.mts"),
    `${testTypes}import * as t from ${JSON.stringify(sub)};\nexport const values: unknown[] = [${testSource.values.map((v) => `t.${v}`).join(", ")}];\n`,
  );
  writeFileSync(
    path.join(consumer, "sub.cts"),
    `${testTypes}import t = require(${JSON.stringify(sub)});\nexport const values: unknown[] = [${testSource.values.map((v) => `t.${v}`).join(", ")}];\n`,
  );
  const subProgram = ts.createProgram([path.join(consumer, "sub.mts"), path.join(consumer, "sub.cts")], options);
  for (const [file, flavour, dts, mode] of [
    ["sub.mts", "ESM", "test.d.ts", ts.ModuleKind.ESNext],
    ["sub.cts", "CJS", "test.d.cts", ts.ModuleKind.CommonJS],
  ]) {
    const resolved = ts.resolveModuleName(sub, path.join(consumer, file), options, ts.sys, undefined, undefined, mode).resolvedModule?.resolvedFileName;
    const rightFile = resolved !== undefined && resolved.endsWith(`/node_modules/${pkg.name}/dist/${dts}`);
    const sf = subProgram.getSourceFile(path.join(consumer, file));
    const diagnostics = [...subProgram.getSyntacticDiagnostics(sf), ...subProgram.getSemanticDiagnostics(sf)];
    check(
      diagnostics.length === 0 && rightFile,
      `types (${flavour}, moduleResolution node16): "${sub}" resolves to dist/${dts} and type-checks`,
      diagnostics.length ? format(diagnostics) : rightFile ? undefined : `"${sub}" resolved to ${resolved ?? "nothing"}`,
    );
  }

  // 6. Both builds in one process: they cannot share coroutine state, and say so instead of "not inside a coroutine".
  writeFileSync(
    path.join(consumer, "mixed.mjs"),
    `import { createRequire } from "node:module";\n` +
      `import * as esm from ${JSON.stringify(pkg.name)};\n` +
      `const cjs = createRequire(import.meta.url)(${JSON.stringify(pkg.name)});\n` +
      `const rt = new esm.Runtime();\n` +
      `const ch = new cjs.Channel(1);\n` +
      `let message = "no error";\n` +
      `rt.spawn(function* () { try { yield* ch.send(1); } catch (e) { message = e.message; } });\n` +
      `rt.run();\n` +
      `console.log(message);\n`,
  );
  let mixed;
  try {
    mixed = run(process.execPath, ["mixed.mjs"], consumer).trim();
  } catch (e) {
    mixed = String(e.stderr || e.message).trim();
  }
  check(
    /CommonJS build of cprime-coro/.test(mixed) && /ESM build/.test(mixed) && !/must be used inside a coroutine/.test(mixed),
    "ESM and CommonJS builds in one process: a CJS channel in an ESM coroutine is refused with a message naming both builds",
    mixed,
  );
} catch (e) {
  if (!results.some((r) => !r.ok)) check(false, "check-package could not finish", String(e?.stack ?? e));
} finally {
  rmSync(work, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok).length;
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  failed === 0
    ? `check-package: ${results.length} checks passed in ${seconds} s`
    : `check-package: ${failed} of ${results.length} checks FAILED (${seconds} s)`,
);
process.exit(failed === 0 ? 0 : 1);

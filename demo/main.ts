/**
 * `npm run demo`: the command line around runDemo (demo.ts). Prints the
 * introduction, a progress line per pass, the summary box and the files.
 */
import { readFileSync } from "node:fs";
import { Runtime, type ProfileData } from "../src/index.js";
import { HELP, UsageError, parseArgs, type CliArgs } from "./args.js";
import { DEFAULT_OPTIONS, runDemo, type DemoResult } from "./demo.js";
import { formatFiles, formatIntro, formatSummary, ProgressLine } from "./report.js";
import { DEFAULT_CONFIG } from "./server.js";

function main(argv: readonly string[]): number {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`demo: ${err.message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let profileIn: ProfileData | null = null;
  if (args.profileIn !== null) {
    try {
      profileIn = JSON.parse(readFileSync(args.profileIn, "utf8")) as ProfileData;
      new Runtime({ profile: profileIn }); // refuses anything that is not a saved profile, with a message that says so
    } catch (err) {
      process.stderr.write(`demo: cannot use the profile ${args.profileIn}: ${message(err)}\n`);
      return 2;
    }
  }

  const out = process.stdout;
  out.write(formatIntro(args.requests, args.seed, DEFAULT_CONFIG, args.secondPass ? 2 : 1) + "\n\n");
  const progress = new ProgressLine(out);
  const started = performance.now();
  let result: DemoResult;
  try {
    result = runDemo({
      ...DEFAULT_OPTIONS,
      requests: args.requests,
      seed: args.seed,
      outDir: args.outDir,
      profileIn,
      secondPass: args.secondPass,
      onPassStart: (pass, label) => progress.passStarted(pass, label),
      onProgress: (p) => progress.update(p),
    });
  } catch (err) {
    // A folder that cannot be written is the user's to fix; anything else is a bug and keeps its stack.
    if ((err as NodeJS.ErrnoException).syscall === undefined) throw err;
    process.stderr.write(`\ndemo: cannot write to ${args.outDir}: ${message(err)}\n`);
    return 2;
  }
  out.write("\n" + formatSummary(result) + "\n");
  const files = formatFiles(result);
  if (files !== "") out.write("\n" + files + "\n");
  out.write(`\n  Whole demo: ${((performance.now() - started) / 1000).toFixed(1)} s wall (measured).\n`);
  return result.passes.some((p) => p.result.figures.deadlock !== null) ? 1 : 0;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// `npm run demo | head` closes the pipe early: stop quietly, as command-line tools do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(0);
});

process.exitCode = main(process.argv.slice(2));

/**
 * Command-line options of `npm run bench`.
 *
 *   --filter <substring>  only cases whose name contains it (case-insensitive;
 *                         repeat for several). Their baselines run too, so
 *                         ratios stay computable.
 *   --quick               short time per case, for smoke runs.
 *   --time <ms>           time budget per timed case (default 1000, quick 100).
 *   --out <dir>           where benchmarks.{md,json,svg} go (default docs/).
 *   --dir <dir>           where to look for *.bench.ts (default bench/).
 *   --no-write            print only; write no report files.
 *   --rounds <n>          measure every case n times, interleaved, and keep
 *                         each case's best round (default 3, quick 1).
 *   --in-process          measure every case in this one process (default:
 *                         each case in a fresh child process, see run.ts).
 *   --child <file> --case <name>
 *                         internal: measure one case and print its result.
 *   --help
 */

export interface RunnerOptions {
  filter: string[];
  quick: boolean;
  timeMs: number;
  warmupMs: number;
  /** Minimum samples per timed case, whatever the time budget. */
  minSamples: number;
  /** A sample should last at least this long, so the timer's own cost and grain are negligible. */
  minSampleNs: number;
  outDir: string;
  benchDir: string;
  write: boolean;
  help: boolean;
  inProcess: boolean;
  rounds: number;
  /** Internal (child mode): the bench file and case to measure. */
  child: { file: string; caseName: string } | null;
}

export const USAGE = `Usage: npm run bench -- [options]

  --filter <text>   only cases whose name contains <text> (case-insensitive, repeatable);
                    the baselines they name run too
  --quick           short runs (${100} ms per case) for a smoke test
  --time <ms>       time budget per timed case (default 1000)
  --out <dir>       report directory (default docs/)
  --dir <dir>       directory holding *.bench.ts (default bench/)
  --no-write        print results only, write no report files
  --rounds <n>      measure every case n times, interleaved; keep each case's best round (default 3, quick 1)
  --in-process      measure all cases in one process (default: a fresh process per case)
  --help            this text
`;

export class UsageError extends Error {
  override name = "UsageError";
}

export function parseArgs(argv: readonly string[], defaults: { outDir: string; benchDir: string }): RunnerOptions {
  const options: RunnerOptions = {
    filter: [],
    quick: false,
    timeMs: NaN,
    warmupMs: NaN,
    minSamples: 10,
    minSampleNs: 20_000,
    outDir: defaults.outDir,
    benchDir: defaults.benchDir,
    write: true,
    help: false,
    inProcess: false,
    rounds: NaN,
    child: null,
  };
  let childFile: string | null = null;
  let childCase: string | null = null;

  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const eq = raw.indexOf("=");
    const flag = raw.startsWith("--") && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith("--") && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return next;
    };

    switch (flag) {
      case "--filter":
        options.filter.push(value());
        break;
      case "--quick":
        options.quick = true;
        break;
      case "--time": {
        const text = value();
        const ms = Number(text);
        if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--time must be a positive number of ms, received ${text}`);
        options.timeMs = ms;
        break;
      }
      case "--out":
        options.outDir = value();
        break;
      case "--dir":
        options.benchDir = value();
        break;
      case "--no-write":
        options.write = false;
        break;
      case "--rounds": {
        const text = value();
        const n = Number(text);
        if (!Number.isInteger(n) || n < 1 || n > 20) throw new UsageError(`--rounds must be an integer from 1 to 20, received ${text}`);
        options.rounds = n;
        break;
      }
      case "--in-process":
        options.inProcess = true;
        break;
      case "--child":
        childFile = value();
        break;
      case "--case":
        childCase = value();
        break;
      case "--help":
      case "-h":
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${raw}`);
    }
  }

  if ((childFile === null) !== (childCase === null)) throw new UsageError("--child and --case go together");
  if (childFile !== null && childCase !== null) options.child = { file: childFile, caseName: childCase };
  if (Number.isNaN(options.rounds)) options.rounds = options.quick ? 1 : 3;
  if (Number.isNaN(options.timeMs)) options.timeMs = options.quick ? 100 : 1000;
  options.warmupMs = Math.min(250, options.timeMs / 4);
  if (options.quick) options.minSamples = 3;
  return options;
}

/**
 * The demo's command line: a few flags, parsed by hand. Bad input is a
 * UsageError whose message names the flag and the value; main.ts prints it
 * with the help text.
 */
import { DEFAULT_OPTIONS } from "./demo.js";

export interface CliArgs {
  requests: number;
  seed: number;
  outDir: string;
  profileIn: string | null;
  secondPass: boolean;
  help: boolean;
}

export class UsageError extends Error {}

export const HELP = `Usage: npm run demo -- [options]

Simulates a web server on cprime-coro: ${DEFAULT_OPTIONS.requests.toLocaleString("en-US")} requests, one micro handler
coroutine each, small lookup services, large recursive body parsers, select
with deadlines. Runs twice by default: pass 1 collects a profile, pass 2
applies it (the under-declared definition stops migrating).

Options:
  --requests N       requests to simulate (default ${DEFAULT_OPTIONS.requests})
  --seed N           seed of the workload and the runtime (default ${DEFAULT_OPTIONS.seed}); same seed, same run
  --out DIR          where to write heapmap.svg, trace.json, profile.json, dump.txt
                     (default ${DEFAULT_OPTIONS.outDir})
  --profile-in FILE  apply a saved profile (a profile.json) to pass 1
  --no-second-pass   run once
  --help             print this text
`;

export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = {
    requests: DEFAULT_OPTIONS.requests,
    seed: DEFAULT_OPTIONS.seed,
    outDir: DEFAULT_OPTIONS.outDir!,
    profileIn: null,
    secondPass: DEFAULT_OPTIONS.secondPass,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // --flag=value is accepted as well as --flag value.
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = flag !== arg ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--requests":
        args.requests = integer(flag, value(), 1);
        break;
      case "--seed":
        args.seed = integer(flag, value(), 0);
        break;
      case "--out":
        args.outDir = value();
        break;
      case "--profile-in":
        args.profileIn = value();
        break;
      case "--no-second-pass":
        args.secondPass = false;
        break;
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return args;
}

function integer(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer ≥ ${min}, received ${JSON.stringify(text)}`);
  }
  return n;
}

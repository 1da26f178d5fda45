/**
 * The README's examples and the guides' examples run clean with the leak
 * detector on (issue 9): every runtime they make — the default one and each
 * `new Runtime(options)` — gets `detectLeaks: true`, so a false report would
 * stop the example with a DeadlockError.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { transformSync } from "esbuild";
import { describe, expect, test, vi } from "vitest";

vi.mock("cprime-coro", async (importOriginal) => {
  const m = await importOriginal<typeof import("../../src/index.js")>();
  class LeakCheckedRuntime extends m.Runtime {
    constructor(options: import("../../src/index.js").RuntimeOptions = {}) {
      super({ detectLeaks: true, ...options });
    }
  }
  m.resetDefaultRuntime({ detectLeaks: true });
  return { ...m, Runtime: LeakCheckedRuntime };
});

const root = join(import.meta.dirname, "../..");
/** Examples that show a leak on purpose, and expect it reported. */
const LEAKY_ON_PURPOSE = new Set(["dump.ts"]);

describe("examples run clean with detectLeaks on", () => {
  const examples = readdirSync(join(root, "docs/examples")).filter((f) => f.endsWith(".ts") && !LEAKY_ON_PURPOSE.has(f));
  test.each(examples)("docs/examples/%s", async (file) => {
    const mod = (await import(`../../docs/examples/${file}`)) as { main(): string[] | Promise<string[]> };
    await expect(Promise.resolve().then(() => mod.main())).resolves.toBeDefined();
  });

  test("README's first example", async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const block = /## A first example\n\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const m = await import("cprime-coro");
    const lines: unknown[][] = [];
    const log = (...args: unknown[]) => lines.push(args);
    // The example's code, with its import bound to the (mocked) package and console.log captured.
    const ts = block![1].replace(/^import .*$/m, "").replaceAll("console.log", "log");
    const body = transformSync(ts, { loader: "ts" }).code;
    const run = new Function("m", "log", `const { spawn, run, Channel, sleep } = m;\n${body}`) as (m: unknown, log: (...args: unknown[]) => void) => void;
    run(m, log);
    expect(lines).toEqual([1, 2, 3, 4, 5].map((i) => ["got", i]));
  });
});

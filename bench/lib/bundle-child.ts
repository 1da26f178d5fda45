/**
 * Bundles a driver's child script (bench/instructions, bench/scale) into one
 * ESM file whose `cprime-coro` import is the built package (dist/index.js),
 * left external: the child measures what users import, and module loading
 * costs the same in every subject.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

/** Writes `<outDir>/child.mjs` from `entry`; returns its path. `root` is the repository root. */
export async function bundleChild(entry: string, outDir: string, root: string): Promise<string> {
  const outfile = path.join(outDir, "child.mjs");
  const dist = path.join(root, "dist/index.js");
  if (!existsSync(dist)) throw new Error("dist/index.js is missing: run without --no-build (or `npm run build`)");
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
    plugins: [
      {
        name: "subject-is-the-built-package",
        setup(b) {
          b.onResolve({ filter: /^cprime-coro$/ }, () => ({ path: dist, external: true }));
        },
      },
    ],
  });
  return outfile;
}

import { defineConfig } from "tsup";

export default defineConfig({
  // Two entries, the root and the `cprime-coro/test` subpath, sharing one chunk of code in both formats:
  // the explorer must drive the very Runtime and Channel classes the program imports from the root.
  entry: ["src/index.ts", "src/test.ts"],
  format: ["esm", "cjs"],
  splitting: true,
  // `@internal` members (shared between our modules, not part of the API) stay out of the published types.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: "node20",
  treeshake: true,
});

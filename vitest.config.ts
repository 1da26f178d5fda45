import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Examples in docs/ import the package by name, as users do.
    alias: [
      { find: /^cprime-coro\/test$/, replacement: fileURLToPath(new URL("./src/test.ts", import.meta.url)) },
      { find: /^cprime-coro$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The JSON report is what .ci/run counts; the default reporter is for people.
    reporters: ["default", ["json", { outputFile: "reports/vitest.json" }]],
    testTimeout: 60_000,
    pool: "forks",
    setupFiles: ["test/support/fc-setup.ts"],
  },
});

// The linter: typescript-eslint's recommended rules, plus the few habits this
// codebase relies on (see ../shared/STYLE.md). Formatting is Prettier's job.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "reports/**", "out/**", "test/memory/memory-worker.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: "readonly",
        process: "readonly",
        setTimeout: "readonly",
        setImmediate: "readonly",
        clearTimeout: "readonly",
        URL: "readonly",
        globalThis: "readonly",
        performance: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["rig", "self"] }],
      "prefer-const": "error",
      // A coroutine body that never suspends is still a coroutine (function*), by design.
      "require-yield": "off",
    },
  },
);

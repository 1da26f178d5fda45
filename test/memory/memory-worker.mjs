// Worker entry in plain JS: Node 20 cannot start a worker on a .ts file even
// with `execArgv: ["--import", "tsx"]`, so register tsx's loader here and
// import the TypeScript worker through it.
import { register } from "tsx/esm/api";

register();
await import("./memory-worker.ts");

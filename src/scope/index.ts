// The scope layer's public names (re-exported from the package root).
export { scope, type Scope, type ScopeOptions } from "./scope.js";
export type { Context } from "./context.js";
export { withTimeout, withDeadline } from "./timeout.js";

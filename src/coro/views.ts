/**
 * The typed-array views over an address space's buffer belong to the memory
 * layer (src/memory/views.ts), which refreshes them whenever the buffer
 * grows; re-exported here for the layers that reach them through coro/.
 */
export { BufferViews, viewsOf } from "../memory/views.js";

// Programs for the exploration report's throughput figures, on the built package (what users run).
import { Channel } from "../dist/index.js";

function* producer(ch) {
  for (let i = 0; i < 10; i++) yield* ch.send(i);
}
function* consumer(ch) {
  for (let i = 0; i < 10; i++) yield* ch.recv();
}

/**
 * Four coroutines, forty channel operations: two producers and two consumers
 * of ten values each on one buffered channel. The generator functions are
 * hoisted (module-level), as they would be in a test suite.
 */
export function pipeline(rt) {
  const ch = new Channel(1, { name: "pipe" });
  rt.spawn(producer, ch);
  rt.spawn(producer, ch);
  rt.spawn(consumer, ch);
  rt.spawn(consumer, ch);
}

/** The same with the generator functions written inline: V8 makes a new closure, prototype and map for each (≈9 µs apiece). */
export function pipelineInline(rt) {
  const ch = new Channel(1, { name: "pipe" });
  for (let p = 0; p < 2; p++)
    rt.spawn(function* producerInline() {
      for (let i = 0; i < 10; i++) yield* ch.send(i);
    });
  for (let c = 0; c < 2; c++)
    rt.spawn(function* consumerInline() {
      for (let i = 0; i < 10; i++) yield* ch.recv();
    });
}

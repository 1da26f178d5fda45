import { test, expect } from "vitest";
import { Channel, Runtime } from "../src/index.js";
test("x", () => {
  const rt = new Runtime();
  const ch = new Channel<number>(0);
  rt.spawn(function* () {
    yield* ch.send(666);
  });
  try {
    rt.run();
  } catch (e) {
    console.log(String(e));
  }
  console.log(rt.heldResources(), rt.holds(ch), rt.tasks().length);
});

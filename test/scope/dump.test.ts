/** Dumps show the task tree: parent, children, the owning scope, the scopes a coroutine runs. */
import { describe, expect, test } from "vitest";
import { Runtime, scope, sleep } from "../../src/index.js";

describe("the task tree in dumps", () => {
  function program() {
    const rt = new Runtime();
    rt.spawn(function* main() {
      yield* scope(
        function* (s) {
          for (const n of [1, 2, 3])
            s.spawn(function* fetch() {
              yield* sleep(10 * n);
            });
          s.spawn(function* parser() {
            yield* scope(
              function* (inner) {
                inner.spawn(function* tokenizer() {
                  yield* sleep(50);
                });
              },
              { name: "parse" },
            );
          });
          yield* sleep(100);
        },
        { name: "fetch", limit: 2 },
      );
    });
    rt.spawn(function* unrelated() {
      yield* sleep(5);
    });
    rt.run({ until: 1 });
    return rt;
  }

  test("JSON: each coroutine's parent, children and owning scope; each host's scopes with their state", () => {
    const d = program().dump();
    const by = new Map(d.coroutines.map((c) => [c.name + c.id, c]));
    const main = by.get("main1")!;
    expect(main.parent).toBe(0);
    expect(main.scope).toBeNull();
    expect(main.children).toEqual([3, 4, 5, 6]);
    expect(main.scopes).toEqual([{ scope: 'scope "fetch"', state: "4 children, 2 queued, limit 2" }]);
    expect(by.get("fetch3")).toMatchObject({ parent: 1, scope: 'scope "fetch"', children: [] });
    expect(by.get("fetch5")!.waiting!.kind).toBe("scope-slot");
    const tokenizer = d.coroutines.find((c) => c.name === "tokenizer");
    expect(tokenizer).toBeUndefined(); // the parser is queued: it has not started, so its scope does not exist yet
    expect(JSON.parse(JSON.stringify(d))).toEqual(JSON.parse(JSON.stringify({ ...d })));
  });

  test("text: children indented under their parent, roots first, the owning scope beside each", () => {
    const rt = program();
    rt.run({ until: 25 }); // two fetches ended: the parser started and opened its scope
    const text = String(rt.dump());
    expect(text).toMatch(/^coroutine #1 main \[blocked, [\d.]+ ms\]: sleep until 100 ms$/m);
    expect(text).toMatch(/^ {4}runs scope "fetch": 2 children, limit 2$/m);
    expect(text).toMatch(/^ {4}coroutine #5 fetch \(scope "fetch" of #1\) \[blocked/m);
    expect(text).toMatch(/^ {4}coroutine #6 parser \(scope "fetch" of #1\) \[blocked, [\d.]+ ms\]: wait for 1 child of scope "parse"$/m);
    expect(text).toMatch(/^ {8}runs scope "parse": 1 child$/m);
    expect(text).toMatch(/^ {8}coroutine #7 tokenizer \(scope "parse" of #6\) \[blocked/m);
    // Roots in id order, each followed by its subtree.
    const order = [...text.matchAll(/coroutine #(\d+)/g)].map((m) => Number(m[1]));
    expect(order).toEqual([1, 5, 6, 7]);
  });
});

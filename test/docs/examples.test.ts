import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";

// Every example in docs/examples runs here and must print what its `// expect:` line says;
// every guide that embeds an example must embed it verbatim.
const root = join(import.meta.dirname, "../../docs");
const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts"));

describe("docs/examples", () => {
  test.each(examples)("%s prints what its expect line says", async (file) => {
    const text = readFileSync(join(root, "examples", file), "utf8");
    const expectLine = /^\/\/ expect: (.*)$/m.exec(text);
    expect(expectLine, `${file} needs a // expect: line`).not.toBeNull();
    const mod = (await import(`../../docs/examples/${file}`)) as { main(): string[] | Promise<string[]> };
    const out = await mod.main();
    expect(out.join(" | ")).toBe(expectLine![1]);
  });

  test("guides embed the examples verbatim", () => {
    const guides = readdirSync(join(root, "guides")).filter((f) => f.endsWith(".md"));
    let embedded = 0;
    for (const g of guides) {
      const md = readFileSync(join(root, "guides", g), "utf8");
      for (const m of md.matchAll(/<!-- example: (\S+) -->\n```ts\n([\s\S]*?)```/g)) {
        const file = readFileSync(join(root, "..", m[1]), "utf8");
        expect(m[2], `${g} embeds ${m[1]}`).toBe(file);
        embedded++;
      }
    }
    expect(embedded).toBeGreaterThan(0);
  });
});

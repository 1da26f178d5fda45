import { describe, expect, test } from "vitest";
import { explore } from "cprime-coro/test";

const programs = new URL("./fixtures/programs.ts", import.meta.url);

describe("explore() over worker threads", () => {
  test("finds the bug from two workers, shrunk and narrated in the worker that found it", async () => {
    const r = await explore({ module: programs, export: "overdraft" }, { workers: 2, runs: 200 });
    expect(r.ok).toBe(false);
    expect(r.failure!.kind).toBe("error");
    expect(String((r.failure!.error as Error).message)).toMatch(/balance went negative/);
    expect(r.failure!.shrunkToken).toMatch(/^cc1\./);
    expect(r.failure!.narrative).toMatch(/step 1: #\d withdraw/);
  }, 30_000);

  test("runs the whole budget, shared between the workers, when nothing fails", async () => {
    const r = await explore({ module: programs, export: "pipeline" }, { workers: 2, runs: 50 });
    expect(r).toMatchObject({ ok: true, runs: 50 });
  }, 30_000);

  test("refuses a function with workers, an exhaustive search and a missing export", async () => {
    expect(() => explore(() => {}, { workers: 2 })).toThrow(/needs the program as \{ module, export \}/);
    await expect(explore({ module: programs, export: "overdraft" }, { workers: 2, strategy: "exhaustive" })).rejects.toThrow(/one thread/);
    await expect(explore({ module: programs, export: "nope" }, { workers: 1, runs: 2 })).rejects.toThrow(/no program export "nope"/);
  }, 30_000);
});

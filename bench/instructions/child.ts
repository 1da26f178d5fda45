/**
 * One subject process of the instruction-count driver (run.ts runs it under
 * callgrind): `child.mjs <case> <subject> <n>` runs the case's warm-up, then n
 * operations, checks both checksums and exits 0. Bundled by run.ts with
 * esbuild; "cprime-coro" stays external and resolves to the built dist/.
 */
import { CASES, type SubjectName } from "./cases.js";

async function main(): Promise<void> {
  const [caseName, subjectName, nText] = process.argv.slice(2);
  const c = CASES.find((x) => x.name === caseName);
  if (c === undefined) throw new Error(`no instruction case named ${JSON.stringify(caseName)}`);
  const subject = c.subjects[subjectName as SubjectName];
  if (subject === undefined) throw new Error(`case ${caseName} has no subject ${JSON.stringify(subjectName)}`);
  const n = Number(nText);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`n must be a positive integer, received ${JSON.stringify(nText)}`);
  for (const size of [c.warmup, n]) {
    const got = await subject.run(size);
    const want = c.expect(size);
    if (!(Math.abs(got - want) <= (c.tolerance ?? 0) * size)) {
      throw new Error(`${caseName}/${subjectName}: n=${size} returned checksum ${got}, expected ${want}${c.tolerance ? ` ± ${c.tolerance * size}` : ""}`);
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

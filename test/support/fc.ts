/** The suite's fast-check settings: one seed, one scale (see fc-setup.ts). */

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, received ${JSON.stringify(raw)}`);
  return n;
}

/** The seed of every property in the suite (FC_SEED overrides it). */
export const FC_SEED: number = Math.trunc(envNumber("FC_SEED", 20_261_201));

/** The scale applied to every property's run count (FC_RUNS, default 1). */
export const FC_SCALE: number = envNumber("FC_RUNS", 1);

/** `n` runs, scaled by FC_RUNS (at least one). */
export function runs(n: number): number {
  return Math.max(1, Math.round(n * FC_SCALE));
}

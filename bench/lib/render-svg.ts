/**
 * docs/benchmarks.svg: one horizontal bar per case with a median in ns/op, grouped
 * by file, on a shared log scale; subjects, baselines and peers in different
 * colours. Hand-written SVG, no dependencies. Byte-valued cases are left to the
 * tables; cases without a value are listed with the reason.
 */

import * as f from "./format.js";
import type { CaseResult, Role, RunReport } from "./results.js";

const COLOURS: Record<Role, string> = { subject: "#2563eb", baseline: "#6b7280", peer: "#ea580c" };

const WIDTH = 980;
const LABEL_W = 360;
const BAR_X = LABEL_W + 10;
const BAR_W = 440;
const ROW_H = 20;
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function clip(text: string, max: number): string {
  return [...text].length <= max ? text : [...text].slice(0, max - 1).join("") + "…";
}

/** Axis label for a power of ten in ns: 1 ns, 100 ns, 1 µs, 10 ms. */
function decadeLabel(ns: number): string {
  for (const [scale, unit] of [
    [1e9, "s"],
    [1e6, "ms"],
    [1e3, "µs"],
  ] as const) {
    if (ns >= scale) return `${Number((ns / scale).toPrecision(3))} ${unit}`;
  }
  return `${Number(ns.toPrecision(3))} ns`;
}

function charted(c: CaseResult): boolean {
  return c.unit === "ns/op" && c.status === "ok" && c.value !== null && c.value > 0;
}

export function renderSvg(report: RunReport): string {
  const values = report.files.flatMap((file) => file.cases.filter(charted).map((c) => c.value as number));
  const lo = values.length ? 10 ** Math.floor(Math.log10(Math.min(...values))) : 1;
  let hi = values.length ? 10 ** Math.ceil(Math.log10(Math.max(...values))) : 1000;
  if (hi <= lo) hi = lo * 10;
  const decades = Math.round(Math.log10(hi / lo));
  const x = (ns: number) => BAR_X + (BAR_W * Math.log10(Math.max(ns, lo) / lo)) / decades;

  const body: string[] = [];
  let y = 78;
  for (const file of report.files) {
    const cases = file.cases.filter((c) => c.unit === "ns/op");
    if (cases.length === 0) continue;
    y += 10;
    body.push(`<text x="12" y="${y + 14}" font-weight="600" font-size="13">${esc(file.title)}</text>`);
    y += ROW_H + 4;
    for (const c of cases) {
      const label = clip(c.name, 52);
      body.push(`<text x="${LABEL_W}" y="${y + 14}" text-anchor="end" font-family="${MONO}" font-size="11"><title>${esc(c.name)}</title>${esc(label)}</text>`);
      if (charted(c)) {
        const v = c.value as number;
        const w = Math.max(1, x(v) - BAR_X);
        const tip = `${c.name} (${c.role}): ${f.duration(v)}/op${c.baseline?.ratio != null ? `, ${f.ratio(c)}` : ""}`;
        body.push(
          `<rect x="${BAR_X}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_H - 6}" rx="2" fill="${COLOURS[c.role]}"><title>${esc(tip)}</title></rect>`,
          `<text x="${(BAR_X + w + 6).toFixed(1)}" y="${y + 14}" font-size="11">${esc(f.duration(v))}</text>`,
        );
      } else {
        const why = c.status === "ok" ? "no value" : `${c.status}: ${c.reason ?? ""}`;
        body.push(`<text x="${BAR_X}" y="${y + 14}" font-size="11" fill="#6b7280" font-style="italic">${esc(clip(why, 90))}</text>`);
      }
      y += ROW_H;
    }
  }
  if (values.length === 0) {
    body.push(`<text x="12" y="${y + 20}" font-size="12" fill="#6b7280">No case produced a time per operation in this run.</text>`);
    y += 30;
  }
  const height = y + 16;

  // Decade grid and axis labels.
  const grid: string[] = [];
  for (let d = 0; d <= decades; d++) {
    const gx = BAR_X + (BAR_W * d) / decades;
    grid.push(
      `<line x1="${gx.toFixed(1)}" y1="62" x2="${gx.toFixed(1)}" y2="${height - 10}" stroke="#e5e7eb" stroke-width="1"/>`,
      `<text x="${gx.toFixed(1)}" y="56" text-anchor="middle" font-size="10" fill="#374151">${esc(decadeLabel(lo * 10 ** d))}</text>`,
    );
  }

  const legend = (Object.keys(COLOURS) as Role[])
    .map((role, i) => {
      const lx = 12 + i * 100;
      return `<rect x="${lx}" y="30" width="12" height="12" rx="2" fill="${COLOURS[role]}"/><text x="${lx + 17}" y="40" font-size="11">${role}</text>`;
    })
    .join("");

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" fill="#111827">`,
    `<title>cprime-coro benchmarks: median wall time per operation</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="600">Median wall time per operation (log scale, lower is better)</text>`,
    `<text x="${WIDTH - 12}" y="20" text-anchor="end" font-size="10" fill="#6b7280">${esc(`${report.machine.cpuModel} · Node ${report.machine.node} · ${report.date.slice(0, 10)}`)}</text>`,
    legend,
    `<text x="${WIDTH - 12}" y="40" text-anchor="end" font-size="10" fill="#6b7280">Measured wall time only; modelled cycles are in benchmarks.md.</text>`,
    ...grid,
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}

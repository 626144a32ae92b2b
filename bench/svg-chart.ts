/** A small line chart as SVG text: log-scale y, linear x, one colour per series. No dependencies. */

export interface Series {
  label: string;
  /** Points sorted by x. */
  points: { x: number; y: number }[];
  dashed?: boolean;
  color: string;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Horizontal reference lines (targets). */
  marks?: { y: number; label: string }[];
}

const W = 820;
const H = 440;
const M = { left: 70, right: 250, top: 40, bottom: 50 };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function niceLogTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min && v <= max) ticks.push(v);
    }
  }
  return ticks;
}

export function renderChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const ys = [...all.map((p) => p.y), ...(spec.marks ?? []).map((m) => m.y)].filter((y) => y > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.min(1, ...ys)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(10, ...ys)));
  const xMax = Math.max(1, ...all.map((p) => p.x)) * 1.1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + (x / xMax) * pw;
  const sy = (y: number) => M.top + ph - ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(spec.title)}</text>`);
  for (const t of niceLogTicks(yMin, yMax)) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`);
  }
  const xStep = 10 ** Math.floor(Math.log10(xMax / 2));
  const step = xMax / xStep > 10 ? xStep * (xMax / xStep > 25 ? 5 : 2) : xStep;
  for (let x = 0; x <= xMax; x += step) {
    out.push(`<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${sx(x).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  for (const m of spec.marks ?? []) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(m.y).toFixed(1)}" y2="${sy(m.y).toFixed(1)}" stroke="#c00" stroke-dasharray="2 4"/>`);
    out.push(`<text x="${M.left + pw - 4}" y="${(sy(m.y) - 4).toFixed(1)}" text-anchor="end" fill="#c00">${esc(m.label)}</text>`);
  }
  spec.series.forEach((s, i) => {
    const d = s.points.map((p, j) => `${j ? "L" : "M"}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`).join(" ");
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    for (const p of s.points) out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = M.top + 10 + i * 18;
    out.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${W - M.right + 42}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

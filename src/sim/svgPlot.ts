/** Minimal dependency-free SVG line charts for the sweep report. */

export type Series = { name: string; points: [number, number][] };
export type LineChart = { title: string; xLabel: string; yLabel: string; series: Series[]; xTicks?: number[] };

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());

/** Renders a line chart (fixed 640x400) with axes, ticks, a legend and one polyline per series. */
export function renderLineChart(chart: LineChart): string {
  const W = 640;
  const H = 400;
  const m = { left: 70, right: 160, top: 40, bottom: 55 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = chart.series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => Number.isFinite(y));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let yMin = Math.min(0, ...ys);
  let yMax = Math.max(...ys);
  if (!(yMax > yMin)) yMax = yMin + 1;
  yMax += (yMax - yMin) * 0.05;
  yMin = yMin < 0 ? yMin - (yMax - yMin) * 0.05 : yMin;
  const sx = (x: number): number => m.left + (xMax > xMin ? ((x - xMin) / (xMax - xMin)) * pw : pw / 2);
  const sy = (y: number): number => m.top + ph - ((y - yMin) / (yMax - yMin)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>`);
  for (const t of niceTicks(yMin, yMax)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of chart.xTicks ?? niceTicks(xMin, xMax)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="black"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="black"/>`);
  parts.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="black"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  parts.push(`<text x="18" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 18 ${m.top + ph / 2})">${esc(chart.yLabel)}</text>`);
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ")}"/>`);
      for (const p of pts) parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = m.top + 10 + i * 20;
    parts.push(`<line x1="${m.left + pw + 15}" y1="${ly}" x2="${m.left + pw + 40}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${m.left + pw + 46}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** SVG to PNG with @resvg/resvg-js when it is installed; null otherwise (the report then links SVG only). */
export function svgToPng(svg: string): Buffer | null {
  try {
    const path = "@resvg/resvg-js";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Resvg } = require(path) as { Resvg: new (svg: string, opts?: object) => { render(): { asPng(): Buffer } } };
    return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" }, fitTo: { mode: "width", value: 960 } }).render().asPng();
  } catch {
    return null;
  }
}

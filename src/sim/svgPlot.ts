/** Minimal dependency-free SVG line charts, for the simulator's sweep report and the performance report. */

export type Series = { name: string; points: [number, number][]; dashed?: boolean };
export type LineChart = {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Tick positions on the x axis (default: the data's x values). */
  xTicks?: number[];
};

const COLORS = ["#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#ff7f0e", "#8c564b"];

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** 1, 2, 5 x powers of ten covering [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

function linTicks(lo: number, hi: number, n = 5): number[] {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

const label = (v: number): string =>
  v >= 1e6
    ? `${Number((v / 1e6).toPrecision(3)).toLocaleString("en-US")}M`
    : v >= 1e4
      ? `${Number((v / 1e3).toPrecision(3))}k`
      : Number(v.toPrecision(3)).toLocaleString("en-US");

/** Renders a 760 x 440 chart: axes (linear or logarithmic), grid, ticks, one polyline with markers per series, a
 * legend on the right. */
export function renderLineChart(p: LineChart): string {
  const W = 760;
  const H = 440;
  const m = { left: 78, right: 220, top: 42, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = p.series.flatMap((s) => s.points.map((q) => q[0]));
  const ys = p.series.flatMap((s) => s.points.map((q) => q[1])).filter((y) => Number.isFinite(y) && (!p.yLog || y > 0));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (p.yLog) {
    y0 = 10 ** Math.floor(Math.log10(y0));
    y1 = 10 ** Math.ceil(Math.log10(y1));
  } else {
    y0 = Math.min(0, y0);
    y1 = y1 + (y1 - y0) * 0.08 || 1;
  }
  if (!(x1 > x0)) [x0, x1] = [x0 - 1, x1 + 1];
  const tx = (x: number) => (p.xLog ? Math.log10(x) : x);
  const ty = (y: number) => (p.yLog ? Math.log10(y) : y);
  const pad = (tx(x1) - tx(x0)) * 0.04;
  const sx = (x: number) => m.left + ((tx(x) - tx(x0) + pad) / (tx(x1) - tx(x0) + 2 * pad)) * pw;
  const sy = (y: number) => m.top + ph - ((ty(y) - ty(y0)) / (ty(y1) - ty(y0))) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of p.yLog ? logTicks(y0, y1) : linTicks(y0, y1)) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`);
  }
  for (const t of p.xTicks ?? [...new Set(xs)].sort((a, b) => a - b)) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 19}" text-anchor="middle">${label(t)}</text>`);
  }
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="black"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="black"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle">${esc(p.xLabel)}${p.xLog ? " (log scale)" : ""}</text>`);
  const yl = `${esc(p.yLabel)}${p.yLog ? " (log scale)" : ""}`;
  out.push(`<text x="20" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 20 ${m.top + ph / 2})">${yl}</text>`);
  p.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((q) => Number.isFinite(q[1]) && (!p.yLog || q[1] > 0)).sort((a, b) => a[0] - b[0]);
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    if (pts.length) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((q) => `${sx(q[0]).toFixed(1)},${sy(q[1]).toFixed(1)}`).join(" ")}"/>`);
      for (const q of pts) out.push(`<circle cx="${sx(q[0]).toFixed(1)}" cy="${sy(q[1]).toFixed(1)}" r="3.5" fill="${color}"/>`);
    }
    const ly = m.top + 12 + i * 22;
    out.push(`<line x1="${m.left + pw + 14}" y1="${ly}" x2="${m.left + pw + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${m.left + pw + 46}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
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

// Time-series charts as inline SVG, drawn without a browser. Scales, ticks and path geometry come
// from d3-scale and d3-shape: small, well-kept modules that compute numbers and path strings in
// plain Node (no DOM, no canvas), so the SVG is a string the report embeds and a test can read.
// (vega's headless toSVG would also work, but brings a whole runtime and its own loader for a
// handful of line charts.) Each series is a <g data-series=… data-points=…> so a test can check
// what was drawn.
import { scaleLinear, scaleUtc } from "d3-scale";
import { curveStepAfter, line } from "d3-shape";
import { escapeHtml } from "./html";
import type { Period } from "./types";

export interface SeriesPoint {
  /** Epoch milliseconds. */
  t: number;
  v: number;
  /** A result's outcome: colours its marker or bar. */
  outcome?: string;
}

export interface Series {
  id: string;
  label: string;
  color: string;
  kind: "line" | "step" | "bars";
  /** The data: one point per record (data-points counts these). */
  points: SeriesPoint[];
  /** What to draw when it is not the points themselves (the age's sawtooth). */
  drawn?: SeriesPoint[];
}

/** A horizontal line at a fixed value: the schedule, an alarm's threshold. */
export interface ReferenceLine {
  id: string;
  label: string;
  value: number;
  color: string;
}

export type Unit = "hours" | "count" | "bytes" | "percent";

export interface ChartSpec {
  id: string;
  title: string;
  caption: string;
  unit: Unit;
  period: Period;
  series: Series[];
  refs?: ReferenceLine[];
}

export const OUTCOME_COLORS: Record<string, string> = {
  success: "#2e7d32",
  match: "#2e7d32",
  partial: "#ef8f00",
  mismatch: "#c62828",
  failure: "#c62828",
};

const WIDTH = 760;
const HEIGHT = 200;
const M = { top: 10, right: 14, bottom: 24, left: 66 };
/** Above this many points a series is one path, not one element per point. */
const MAX_MARKS = 120;

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/** Values in the unit the axis shows, and that unit's name (bytes scale to binary units). */
function axisUnit(spec: ChartSpec): { divisor: number; label: string } {
  if (spec.unit === "hours") return { divisor: 1, label: "hours" };
  if (spec.unit === "percent") return { divisor: 1, label: "%" };
  if (spec.unit === "count") return { divisor: 1, label: "" };
  const max = Math.max(0, ...spec.series.flatMap((s) => s.points.map((p) => p.v)));
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (max / 1024 ** i >= 1024 && i < units.length - 1) i++;
  return { divisor: 1024 ** i, label: units[i] };
}

export function chartSvg(spec: ChartSpec): string {
  const { divisor, label } = axisUnit(spec);
  const x = scaleUtc()
    .domain([spec.period.from, spec.period.to])
    .range([M.left, WIDTH - M.right]);
  const values = [
    ...spec.series.flatMap((s) => (s.drawn ?? s.points).map((p) => p.v / divisor)),
    ...(spec.refs ?? []).map((r) => r.value / divisor),
  ];
  const top = spec.unit === "percent" ? 100 : Math.max(1, ...values) * 1.05;
  const y = scaleLinear()
    .domain([0, top])
    .nice(4)
    .range([HEIGHT - M.bottom, M.top]);
  const yFormat = y.tickFormat(4, spec.unit === "count" ? ",~f" : "~f");
  const xFormat = x.tickFormat();
  const clip = `clip-${spec.id}`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(spec.title)}" data-chart="${spec.id}">`,
    `<defs><clipPath id="${clip}"><rect x="${M.left}" y="${M.top}" width="${WIDTH - M.left - M.right}" height="${HEIGHT - M.top - M.bottom}"/></clipPath></defs>`,
  ];
  // Grid and axes.
  // A count has no fractions to mark.
  const yTicks = y.ticks(4).filter((v) => spec.unit !== "count" || Number.isInteger(v));
  for (const v of yTicks) {
    const py = fmt(y(v));
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${WIDTH - M.right}" y1="${py}" y2="${py}"/>`,
      `<text class="tick" x="${M.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeHtml(yFormat(v))}</text>`,
    );
  }
  for (const t of x.ticks(6))
    parts.push(
      `<text class="tick" x="${fmt(x(t))}" y="${HEIGHT - 6}" text-anchor="middle">${escapeHtml(xFormat(t))}</text>`,
    );
  parts.push(
    `<line class="axis" x1="${M.left}" x2="${WIDTH - M.right}" y1="${HEIGHT - M.bottom}" y2="${HEIGHT - M.bottom}"/>`,
    `<text class="unit" x="12" y="${M.top + 4}" dominant-baseline="hanging">${escapeHtml(label)}</text>`,
  );
  for (const r of spec.refs ?? []) {
    const py = fmt(y(r.value / divisor));
    parts.push(
      `<g data-ref="${r.id}" data-value="${fmt(r.value / divisor)}"><line x1="${M.left}" x2="${WIDTH - M.right}" y1="${py}" y2="${py}" stroke="${r.color}" stroke-dasharray="5 3"/></g>`,
    );
  }
  parts.push(`<g clip-path="url(#${clip})">`);
  for (const s of spec.series) parts.push(seriesSvg(s, x, y, divisor));
  parts.push("</g>");
  if (spec.series.every((s) => s.points.length === 0))
    parts.push(
      `<text class="empty" x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no records in the period</text>`,
    );
  parts.push("</svg>");
  return parts.join("");
}

type XScale = (t: number) => number;
type YScale = (v: number) => number;

function seriesSvg(s: Series, x: XScale, y: YScale, divisor: number): string {
  const max = Math.max(0, ...s.points.map((p) => p.v));
  const last = s.points.at(-1)?.v ?? 0;
  const attrs = `data-series="${s.id}" data-points="${s.points.length}" data-max="${max}" data-last="${last}"`;
  const px = (p: SeriesPoint) => x(p.t);
  const py = (p: SeriesPoint) => y(p.v / divisor);
  const body: string[] = [];
  if (s.kind === "bars") {
    const base = fmt(y(0));
    if (s.points.length <= MAX_MARKS)
      for (const p of s.points)
        body.push(
          `<rect x="${fmt(px(p) - 2)}" y="${fmt(Math.min(py(p), y(0) - 1))}" width="4" height="${fmt(Math.max(1, y(0) - py(p)))}" fill="${OUTCOME_COLORS[p.outcome ?? ""] ?? s.color}"/>`,
        );
    else if (s.points.length > 0)
      body.push(
        `<path d="${s.points.map((p) => `M${fmt(px(p))},${base}V${fmt(Math.min(py(p), y(0) - 1))}`).join("")}" stroke="${s.color}" stroke-width="1" fill="none"/>`,
      );
  } else {
    const drawn = s.drawn ?? s.points;
    const gen = line<SeriesPoint>().x(px).y(py);
    if (s.kind === "step") gen.curve(curveStepAfter);
    const d = drawn.length > 0 ? gen(drawn) : null;
    // Hundreds of runs draw a dense sawtooth: thinner and lighter, it reads as a band.
    const dense = s.drawn !== undefined && drawn.length > 2 * MAX_MARKS;
    if (d)
      body.push(
        `<path d="${d}" stroke="${s.color}" stroke-width="${dense ? 0.75 : 1.5}"${dense ? ' stroke-opacity="0.55"' : ""} fill="none"/>`,
      );
    if (s.points.length <= MAX_MARKS)
      for (const p of s.points)
        body.push(
          `<circle cx="${fmt(px(p))}" cy="${fmt(py(p))}" r="3" fill="${OUTCOME_COLORS[p.outcome ?? ""] ?? s.color}"/>`,
        );
  }
  return `<g ${attrs}>${body.join("")}</g>`;
}

/** The chart's legend, as HTML beside the SVG (it wraps and prints better than SVG text). */
export function legendHtml(spec: ChartSpec): string {
  const items = [
    ...spec.series.map(
      (s) =>
        `<li><span class="swatch" style="background:${s.color}"></span>${escapeHtml(s.label)} (${s.points.length})</li>`,
    ),
    ...(spec.refs ?? []).map(
      (r) =>
        `<li><span class="swatch dashed" style="border-color:${r.color}"></span>${escapeHtml(r.label)}</li>`,
    ),
  ];
  return `<ul class="legend">${items.join("")}</ul>`;
}

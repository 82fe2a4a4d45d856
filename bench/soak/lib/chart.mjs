// A hand-written SVG line chart of the timeline: API RSS, API heap used and the
// stable CLI's RSS on the left axis (MiB), p99 latency on the right axis (ms),
// time on the x axis; the warm-up end and the two windows compared are marked.

const W = 960;
const H = 480;
const M = { left: 70, right: 70, top: 56, bottom: 84 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const esc = (text) =>
  String(text).replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]);

/** A "nice" step so that range/step gives about `count` ticks. */
function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * power) return m * power;
  return 10 * power;
}

function axisMax(values, floor) {
  const max = Math.max(floor, ...values.filter(Number.isFinite));
  const step = niceStep(max, 5);
  return { max: Math.ceil((max * 1.05) / step) * step, step };
}

/**
 * @param {object} o
 * @param {Array<{t:number, apiRss?:number, apiHeap?:number, cliRss?:number, p99?:number}>} o.points  t in s, memory in bytes
 * @param {string} o.title
 * @param {number} o.durationS
 * @param {number} o.warmupS
 * @param {[number, number][]} o.windows  the baseline and end windows, in s
 */
export function renderChart({ points, title, subtitle, durationS, warmupS, windows }) {
  const MiB = 1024 * 1024;
  const series = [
    { key: "apiRss", label: "API RSS (MiB)", color: "#1f77b4", axis: "left", scale: 1 / MiB },
    { key: "apiHeap", label: "API heap used (MiB)", color: "#2ca02c", axis: "left", scale: 1 / MiB },
    {
      key: "apiLiveHeap",
      label: "API live heap, after GC (MiB)",
      color: "#0b4f0b",
      axis: "left",
      scale: 1 / MiB,
      dash: "5 3",
    },
    { key: "cliRss", label: "stable CLI RSS (MiB)", color: "#9467bd", axis: "left", scale: 1 / MiB },
    { key: "p99", label: "p99 latency (ms, right axis)", color: "#d62728", axis: "right", scale: 1 },
  ];
  const tMax = Math.max(durationS, ...points.map((p) => p.t));
  const xStep = niceStep(tMax, 10);
  const left = axisMax(
    points.flatMap((p) => [p.apiRss, p.apiHeap, p.cliRss].filter((v) => v !== undefined).map((v) => v / MiB)),
    16,
  );
  const right = axisMax(
    points.map((p) => p.p99).filter((v) => v !== undefined),
    10,
  );
  const x = (t) => M.left + (t / tMax) * PW;
  const y = (v, axis) => M.top + PH - (v / (axis === "left" ? left.max : right.max)) * PH;
  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">${esc(subtitle ?? "")}</text>`,
  );
  // the compared windows, shaded
  for (const [from, to] of windows ?? []) {
    out.push(
      `<rect x="${x(from).toFixed(1)}" y="${M.top}" width="${Math.max(1, x(to) - x(from)).toFixed(1)}" height="${PH}" fill="#f2f2f2"/>`,
    );
  }
  // grid and left ticks
  for (let v = 0; v <= left.max + 1e-9; v += left.step) {
    const yy = y(v, "left").toFixed(1);
    out.push(
      `<line x1="${M.left}" y1="${yy}" x2="${M.left + PW}" y2="${yy}" stroke="#e0e0e0"/>`,
      `<text x="${M.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`,
    );
  }
  for (let v = 0; v <= right.max + 1e-9; v += right.step) {
    const yy = y(v, "right").toFixed(1);
    out.push(
      `<line x1="${M.left + PW}" y1="${yy}" x2="${M.left + PW + 5}" y2="${yy}" stroke="#d62728"/>`,
      `<text x="${M.left + PW + 8}" y="${yy}" dominant-baseline="middle" fill="#d62728">${fmt(v)}</text>`,
    );
  }
  for (let t = 0; t <= tMax + 1e-9; t += xStep) {
    const xx = x(t).toFixed(1);
    out.push(
      `<line x1="${xx}" y1="${M.top + PH}" x2="${xx}" y2="${M.top + PH + 5}" stroke="#333"/>`,
      `<text x="${xx}" y="${M.top + PH + 18}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  // axes and labels
  out.push(
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + PH}" stroke="#333"/>`,
    `<line x1="${M.left + PW}" y1="${M.top}" x2="${M.left + PW}" y2="${M.top + PH}" stroke="#d62728"/>`,
    `<line x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top + PH}" stroke="#333"/>`,
    `<text x="${M.left + PW / 2}" y="${M.top + PH + 36}" text-anchor="middle">time since start (s)</text>`,
    `<text transform="translate(18 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">memory (MiB)</text>`,
    `<text transform="translate(${W - 14} ${M.top + PH / 2}) rotate(90)" text-anchor="middle" fill="#d62728">p99 latency (ms)</text>`,
  );
  if (warmupS > 0) {
    const xx = x(warmupS).toFixed(1);
    out.push(
      `<line x1="${xx}" y1="${M.top}" x2="${xx}" y2="${M.top + PH}" stroke="#888" stroke-dasharray="4 4"/>`,
      `<text x="${Number(xx) + 4}" y="${M.top + 12}" fill="#666">end of warm-up</text>`,
    );
  }
  // the series
  for (const s of series) {
    const coords = points
      .filter((p) => Number.isFinite(p[s.key]))
      .map((p) => `${x(p.t).toFixed(1)},${y(p[s.key] * s.scale, s.axis).toFixed(1)}`);
    if (coords.length > 0) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.8" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""} points="${coords.join(" ")}"/>`,
      );
    }
  }
  // legend
  series.forEach((s, i) => {
    const lx = M.left - 50 + (i % 3) * 300;
    const ly = H - 22 + Math.floor(i / 3) * 16;
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
      `<text x="${lx + 28}" y="${ly}">${esc(s.label)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

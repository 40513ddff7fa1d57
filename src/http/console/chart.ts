/**
 * The console's throughput chart (runs in the browser): a small inline SVG drawn by hand, one line
 * per rate, a time axis of the series' span and a value axis from zero to the highest rate.
 */

/** One chart point: its time (epoch ms), and the values its series keys name. */
export interface ChartPoint {
  t: number;
}

/** One line of the chart: the key of its value in each point. */
export interface ChartSeries<P extends ChartPoint> {
  key: keyof P & string;
  label: string;
  color: string;
}

const SVG = 'http://www.w3.org/2000/svg';
const PAD = { left: 48, right: 12, top: 12, bottom: 22 };

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A round value at or above `max` for the top of the value axis (1, 2 or 5 times a power of ten). */
export function niceCeiling(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** The chart of `points` (oldest first), `width` × `height` pixels, with a legend. */
export function rateChart<P extends ChartPoint>(points: P[], series: Array<ChartSeries<P>>, width = 640, height = 180): SVGElement {
  const value = (p: P, key: keyof P) => Number(p[key]) || 0;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  const w = width - PAD.left - PAD.right;
  const h = height - PAD.top - PAD.bottom;
  const top = niceCeiling(Math.max(0, ...points.flatMap((p) => series.map((s) => value(p, s.key)))));
  const t0 = points.length > 0 ? points[0].t : 0;
  const span = points.length > 1 ? points[points.length - 1].t - t0 : 1;
  const x = (t: number) => PAD.left + ((t - t0) / span) * w;
  const y = (v: number) => PAD.top + h - (v / top) * h;
  for (const v of [0, top / 2, top]) {
    root.append(svg('line', { x1: PAD.left, x2: PAD.left + w, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, `${v}/s`));
  }
  const seconds = Math.round(span / 1000);
  root.append(svg('text', { x: PAD.left, y: height - 6, class: 'axis' }, points.length > 1 ? `−${seconds} s` : 'waiting for samples'));
  root.append(svg('text', { x: PAD.left + w, y: height - 6, 'text-anchor': 'end', class: 'axis' }, 'now'));
  series.forEach((s, i) => {
    if (points.length > 1) {
      const path = points.map((p) => `${x(p.t).toFixed(1)},${y(value(p, s.key)).toFixed(1)}`).join(' ');
      root.append(svg('polyline', { points: path, fill: 'none', stroke: s.color, 'stroke-width': 1.5, 'data-series': s.key }));
    }
    const lx = PAD.left + 8 + i * 110;
    root.append(svg('rect', { x: lx, y: PAD.top, width: 10, height: 3, fill: s.color }));
    root.append(svg('text', { x: lx + 14, y: PAD.top + 5, class: 'legend' }, s.label));
  });
  return root;
}

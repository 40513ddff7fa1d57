/**
 * The SVG chart of a result file, drawn with vega-lite (compiled to vega, rendered headless in Node):
 * one panel per figure, a bar per target at the median of its valid runs, a dot per valid run.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { MATRIX, metricValue } from './matrix-scenarios.js';
import type { MatrixFile } from './report.js';

/** One point of the chart: a valid run's value of one figure. */
interface Point {
  panel: string;
  target: string;
  value: number;
  rep: number;
}

function pointsOf(file: MatrixFile): Point[] {
  const points: Point[] = [];
  for (const s of file.scenarios.length ? file.scenarios : MATRIX) {
    for (const metric of s.metrics) {
      const panel = `${s.title} — ${metric.unit}${metric.better === 'lower' ? ' (lower is better)' : ''}`;
      for (const r of file.runs) {
        if (!r.valid || !r.result || r.scenario !== s.id) continue;
        const value = metricValue(r.result, metric);
        if (Number.isFinite(value)) points.push({ panel, target: r.target, value, rep: r.rep });
      }
    }
  }
  return points;
}

/** The vega-lite specification of the chart of `file`. */
export function chartSpec(file: MatrixFile): TopLevelSpec {
  const order = [...new Set(pointsOf(file).map((p) => p.panel))];
  const y = { field: 'target', type: 'nominal', sort: file.targets, title: null } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `stomp-broker benchmarks ${file.date} (commit ${file.commit})`,
      subtitle: `${file.machine.cores} cores, Node ${file.machine.node}; bar = median of valid runs, dot = one run` },
    data: { values: pointsOf(file) },
    facet: { row: { field: 'panel', type: 'nominal', sort: order, title: null,
      header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold' } } },
    spec: {
      width: 420, height: { step: 16 },
      layer: [
        { mark: { type: 'bar', opacity: 0.5 },
          encoding: { y, x: { aggregate: 'median', field: 'value', type: 'quantitative', title: null },
            color: { field: 'target', type: 'nominal', sort: file.targets, legend: null } } },
        { mark: { type: 'point', filled: true, color: '#08519c', size: 25 },
          encoding: { y, x: { field: 'value', type: 'quantitative' }, tooltip: [{ field: 'rep' }, { field: 'value' }] } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** Renders the chart of `file` as an SVG document. */
export async function chartSvg(file: MatrixFile): Promise<string> {
  const compiled = vl.compile(chartSpec(file)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

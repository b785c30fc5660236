/**
 * The report's training curves: one value per batch for every experiment (the loss, the total
 * gradient norm), smoothed in the page by an exponential moving average whose strength a slider
 * sets, the raw curve faint behind; an overview strip below whose brush zooms the main chart
 * (double-click resets); a crosshair that lists every experiment's value at the batch under the
 * pointer. Built as Vega-Lite, compiled twice (log and linear y), the data swapped in by the page.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentMetrics, RecordedNumber } from '../record/metrics.js';
import { decodeNumber } from '../record/metrics.js';

/** One batch of one experiment. `raw` may be 0 or non-finite; the page drops what a log axis cannot show. */
export interface CurvePoint {
  series: string;
  /** The batch's index from the start of training, from 1. */
  x: number;
  raw: number | null;
}

export interface CurveChart {
  id: string;
  title: string;
  /** What the y axis holds. */
  measure: string;
  /** Its series are experiments (the report's checkboxes filter it), or one experiment's layers. */
  filterable: boolean;
  points: CurvePoint[];
  /** The two compiled variants' Vega-Lite specs; the data ('points') is filled in by the page. */
  log: TopLevelSpec;
  linear: TopLevelSpec;
}

/** Beyond this many batches an experiment's curve is thinned (every k-th batch, the last always). */
export const maxPointsPerExperiment = 1500;

/** Vega-Lite reads dots and brackets in field names as paths. */
function fieldName(name: string): string {
  return name.replace(/([.[\]\\])/g, '\\$1');
}

function finite(value: RecordedNumber): number | null {
  const decoded = decodeNumber(value);
  return Number.isFinite(decoded) ? decoded : null;
}

/** Every batch of a series, or every k-th beyond maxPointsPerExperiment (the last always). */
function thinned<T>(batches: readonly T[], point: (batch: T, x: number) => CurvePoint): CurvePoint[] {
  const stride = Math.max(1, Math.ceil(batches.length / maxPointsPerExperiment));
  return batches.flatMap((batch, i) => (i % stride === 0 || i === batches.length - 1 ? [point(batch, i + 1)] : []));
}

function curvePoints(experiments: readonly ExperimentMetrics[], pick: (batch: ExperimentMetrics['batches'][number]) => RecordedNumber): CurvePoint[] {
  return experiments.flatMap((e) => thinned(e.batches, (batch, x) => ({ series: e.summary.name, x, raw: finite(pick(batch)) })));
}

function spec(title: string, measure: string, names: readonly string[], scale: 'log' | 'linear', filterable = true, seriesTitle = 'experiment'): TopLevelSpec {
  const width = 900;
  const color = {
    field: 'series', type: 'nominal', title: seriesTitle, scale: { scheme: names.length > 10 ? 'tableau20' : 'tableau10', domain: [...names] },
    legend: { symbolOpacity: 1, symbolStrokeWidth: 3, labelLimit: 230 },
  };
  const valid = scale === 'log' ? 'isValid(datum.smooth) && datum.smooth > 0' : 'isValid(datum.smooth)';
  const x = { field: 'x', type: 'quantitative', title: 'batch', scale: { domain: { param: 'brush' }, nice: false, zero: false } };
  const y = (field: string) => ({ field, type: 'quantitative', title: `${measure}${scale === 'log' ? ' (log scale)' : ''}`, scale: scale === 'log' ? { type: 'log' } : { type: 'linear', zero: false } });
  return {
    title: { text: title, subtitle: 'smoothed (exponential moving average; the raw values faint behind); drag across the strip below to zoom, double-click it to reset', anchor: 'start' },
    ...(filterable ? { params: [{ name: 'shown', value: [...names] }] } : {}),
    datasets: { points: [] },
    data: { name: 'points' },
    transform: [{ filter: filterable ? `indexof(shown, datum.series) >= 0 && ${valid}` : valid }],
    vconcat: [
      {
        width,
        height: 340,
        layer: [
          { transform: [{ filter: scale === 'log' ? 'isValid(datum.raw) && datum.raw > 0' : 'isValid(datum.raw)' }], mark: { type: 'line', strokeWidth: 1, opacity: 0.25, clip: true }, encoding: { x, y: y('raw'), color, detail: { field: 'series' } } },
          { mark: { type: 'line', strokeWidth: 2, clip: true }, encoding: { x, y: y('smooth'), color } },
          {
            transform: [{ pivot: 'series', value: 'smooth', groupby: ['x'] }],
            params: [{ name: 'hover', select: { type: 'point', fields: ['x'], nearest: true, on: 'pointerover', clear: 'pointerout' } }],
            mark: { type: 'rule', color: '#555', clip: true },
            encoding: {
              x,
              opacity: { condition: { param: 'hover', value: 0.5, empty: false }, value: 0 },
              tooltip: [{ field: 'x', type: 'quantitative', title: 'batch' }, ...names.map((name) => ({ field: fieldName(name), type: 'quantitative', title: name, format: '.4~g' }))],
            },
          },
        ],
      },
      {
        width,
        height: 60,
        params: [{ name: 'brush', select: { type: 'interval', encodings: ['x'] } }],
        mark: { type: 'line', strokeWidth: 1 },
        encoding: { x: { field: 'x', type: 'quantitative', title: 'batch — drag here to zoom', scale: { nice: false, zero: false } }, y: { ...y('smooth'), title: null, axis: { tickCount: 2 } }, color },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** The curves charts of a run: training loss and total gradient norm per batch; none without batch records. */
export function curveCharts(experiments: readonly ExperimentMetrics[]): CurveChart[] {
  const withBatches = experiments.filter((e) => e.batches.length > 0);
  if (withBatches.length === 0) return [];
  const names = withBatches.map((e) => e.summary.name);
  const make = (id: string, title: string, measure: string, pick: (batch: ExperimentMetrics['batches'][number]) => RecordedNumber): CurveChart => ({
    id, title, measure, filterable: true, points: curvePoints(withBatches, pick), log: spec(title, measure, names, 'log'), linear: spec(title, measure, names, 'linear'),
  });
  return [
    make('curve-loss', 'Training loss per batch', 'training loss', (b) => b.loss),
    make('curve-norm', 'Total gradient norm per batch (before clipping)', 'total gradient L2 norm', (b) => b.totalGradientNorm),
  ];
}

/**
 * One experiment's per-layer curves: the gradient norm of every layer's recurrent weights per
 * batch (the head's too), smoothed like the others. Null without batch records or with one layer.
 */
export function layerCurveChart(metrics: ExperimentMetrics, id: string, layerWeights: readonly string[]): CurveChart | null {
  if (metrics.batches.length === 0 || layerWeights.length < 2) return null;
  const series = [...layerWeights, 'fc.weight'];
  const points = series.flatMap((name) => thinned(metrics.batches, (batch, x) => ({ series: name, x, raw: batch.gradientNorms[name] === undefined ? null : finite(batch.gradientNorms[name]) })));
  const title = `Gradient norm of each layer per batch — ${metrics.summary.name}`;
  const measure = 'gradient L2 norm';
  return { id, title, measure, filterable: false, points, log: spec(title, measure, series, 'log', false, 'weights'), linear: spec(title, measure, series, 'linear', false, 'weights') };
}

/** Every curves chart of a report: the run's (loss, total norm) and each experiment's per-layer one, keyed for the page. */
export function allCurveCharts(experiments: readonly ExperimentMetrics[], layerWeights: (metrics: ExperimentMetrics) => readonly string[], idOf: (name: string) => string): { run: CurveChart[]; byExperiment: Map<string, CurveChart> } {
  const byExperiment = new Map<string, CurveChart>();
  for (const e of experiments) {
    const chart = layerCurveChart(e, `${idOf(e.summary.name)}-layers`, layerWeights(e));
    if (chart !== null) byExperiment.set(e.summary.name, chart);
  }
  return { run: curveCharts(experiments), byExperiment };
}

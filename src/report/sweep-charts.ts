/**
 * A sweep's pictures: phase diagrams over its first two axes (one per measure: the per-step
 * ratio at initialisation and after training, the per-layer ratio, the validation loss over
 * chance, the verdict), or, with one axis, lines along it. Points that differ only in their seed
 * (the `training.seed` axis) are one cell: the geometric mean of the ratios (the arithmetic mean
 * of the loss ratio) with the spread across seeds written in the cell; further axes beyond two are
 * aggregated the same way, and the subtitle says so.
 *
 * Colour for ratios is a diverging scale on log2 around 1 (blue: the gradient shrinks per step or
 * layer, red: it grows), so the order–chaos boundary shows as the change of hue.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatNumber } from '../diagnose/sentences.js';
import type { SweepAxisRecord, SweepRecord } from '../record/run-format.js';
import type { SweepRow } from '../record/sweep-table.js';
import { chartHeight, chartWidth, frame } from './chart-kinds.js';
import { verdictColors } from './comparison-charts.js';
import type { NamedChart } from './experiment-charts.js';

/** The seed axis: aggregated over, never drawn along. */
export const seedField = 'training.seed';

interface Measure {
  key: keyof SweepRow;
  /** The row's mean-field prediction of the same quantity (at initialisation), whose crossing of 1 the diagram draws. */
  predicted?: 'predictedPerStep' | 'predictedPerLayer';
  file: string;
  title: string;
  colorTitle: string;
  kind: 'ratio' | 'loss';
}

const measures: Measure[] = [
  { key: 'perStepRatioAtInitialisation', predicted: 'predictedPerStep', file: 'sweep_phase_per_step_at_init.png', title: 'Gradient ratio per step back through time, at initialisation', colorTitle: 'per-step ratio', kind: 'ratio' },
  { key: 'perStepRatio', predicted: 'predictedPerStep', file: 'sweep_phase_per_step.png', title: 'Gradient ratio per step back through time, after training', colorTitle: 'per-step ratio', kind: 'ratio' },
  { key: 'perLayerRatioAtInitialisation', predicted: 'predictedPerLayer', file: 'sweep_phase_per_layer_at_init.png', title: 'Gradient ratio per layer down the stack, at initialisation', colorTitle: 'per-layer ratio', kind: 'ratio' },
  { key: 'validationLossOverChance', file: 'sweep_phase_loss.png', title: 'Validation loss over the chance level, after training', colorTitle: 'loss / chance', kind: 'loss' },
];

/** A cell of the diagram: the points sharing the drawn axes' values. */
interface Cell {
  x: number | string;
  y: number | string | null;
  rows: SweepRow[];
}

function numericAxis(axis: SweepAxisRecord): boolean {
  return axis.values.every((value) => typeof value === 'number');
}

/** Mean and spread of a measure over a cell's rows (finite values only). */
function aggregate(rows: readonly SweepRow[], key: keyof SweepRow, kind: Measure['kind']): { mean: number; low: number; high: number; count: number } | null {
  const values = rows.map((row) => row[key]).filter((value): value is number => typeof value === 'number' && Number.isFinite(value) && (kind === 'loss' || value > 0));
  if (values.length === 0) return null;
  const mean = kind === 'ratio'
    ? Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length)
    : values.reduce((sum, value) => sum + value, 0) / values.length;
  return { mean, low: Math.min(...values), high: Math.max(...values), count: values.length };
}

/** The most frequent verdict of a cell, and how many of its points gave it. */
function commonVerdict(rows: readonly SweepRow[], key: 'verdict' | 'verdictAtInitialisation'): { verdict: string; count: number } | null {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const verdict = row.status === 'failed' ? 'failed' : row[key];
    if (verdict !== null) counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
  }
  let best: { verdict: string; count: number } | null = null;
  for (const [verdict, count] of counts) if (best === null || count > best.count) best = { verdict, count };
  return best;
}

/** Cell edges along a numeric axis: halfway between neighbouring values (on a log axis, geometrically). */
function edges(values: readonly number[], log: boolean): Map<number, [number, number]> {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const middle = (a: number, b: number): number => (log ? Math.sqrt(a * b) : (a + b) / 2);
  const result = new Map<number, [number, number]>();
  sorted.forEach((value, i) => {
    const before = i > 0 ? middle(sorted[i - 1], value) : sorted.length > 1 ? (log ? value / Math.sqrt(sorted[1] / sorted[0]) : value - (sorted[1] - sorted[0]) / 2) : value - 0.5;
    const after = i < sorted.length - 1 ? middle(value, sorted[i + 1]) : sorted.length > 1 ? (log ? value * Math.sqrt(sorted[i] / sorted[i - 1]) : value + (sorted[i] - sorted[i - 1]) / 2) : value + 0.5;
    result.set(value, [before, after]);
  });
  return result;
}

/** A log axis where the values are positive and span more than a factor 8 (layer counts 1…20, learning rates). */
function wantsLog(values: readonly number[]): boolean {
  return values.every((value) => value > 0) && Math.max(...values) / Math.min(...values) > 8;
}

/** A line the diagram draws over the grid (theory's χ = 1 boundary), in the drawn axes' units. */
export interface Overlay {
  label: string;
  points: { x: number; y: number }[];
}

/**
 * Where mean-field theory puts the boundary on the grid: for each value of the y axis, the x where
 * the predicted ratio (`predicted`, recorded in each point's summary; for one layer √χ, so ratio 1
 * is χ = 1, the order–chaos boundary) crosses 1, interpolated in its logarithm between
 * neighbouring grid values (linearly in x, or in ln x on a log axis). The prediction varies
 * smoothly with the gain, so this is theory's own line, not a fit to the measurement. Null when
 * the points carry no prediction or it does not cross 1 in the grid.
 */
export function predictedBoundary(xAxis: SweepAxisRecord, yAxis: SweepAxisRecord, cells: readonly { x: number | string; y: number | string | null; rows: readonly SweepRow[] }[], predicted: 'predictedChi' | 'predictedPerStep' | 'predictedPerLayer'): Overlay | null {
  if (!numericAxis(xAxis) || !numericAxis(yAxis)) return null;
  const xLog = wantsLog(xAxis.values as number[]);
  const yEdges = edges(yAxis.values as number[], wantsLog(yAxis.values as number[]));
  const points: { x: number; y: number }[] = [];
  for (const y of yAxis.values as number[]) {
    const line = cells
      .filter((cell) => cell.y === y)
      .map((cell) => ({ x: cell.x as number, chi: aggregate(cell.rows, predicted, 'ratio')?.mean ?? null }))
      .filter((point): point is { x: number; chi: number } => point.chi !== null)
      .sort((a, b) => a.x - b.x);
    for (let i = 1; i < line.length; i++) {
      const [a, b] = [Math.log(line[i - 1].chi), Math.log(line[i].chi)];
      if (a === b || Math.sign(a) === Math.sign(b)) continue;
      const fraction = a / (a - b);
      const [xa, xb] = [line[i - 1].x, line[i].x];
      const x = xLog ? Math.exp(Math.log(xa) + fraction * (Math.log(xb) - Math.log(xa))) : xa + fraction * (xb - xa);
      // Across the whole row of cells: a staircase where the boundary moves with y.
      const [low, high] = yEdges.get(y)!;
      points.push({ x, y: low }, { x, y: high });
      break;
    }
  }
  const what = predicted === 'predictedPerLayer' ? 'a ratio of 1 per layer' : predicted === 'predictedPerStep' ? 'a ratio of 1 per step' : 'χ = 1';
  return points.length === 0 ? null : { label: `where mean-field theory predicts ${what} at initialisation`, points };
}

/**
 * The phase diagrams (two drawn axes) or the line plots (one) of a sweep. Over the ratio diagrams
 * a dashed line marks where mean-field theory puts χ = 1, when the points carry a prediction.
 */
export function sweepCharts(sweep: SweepRecord, rows: readonly SweepRow[], suiteName: string): NamedChart[] {
  const drawn = sweep.axes.map((axis, index) => ({ axis, index })).filter(({ axis }) => axis.field !== seedField && axis.values.length > 1);
  if (drawn.length === 0 || rows.length === 0) return [];
  const [xAxis, yAxis] = drawn;
  const aggregatedOver = sweep.axes.filter((axis) => axis !== xAxis.axis && axis !== yAxis?.axis && axis.values.length > 1).map((axis) => axis.field);
  const cells = new Map<string, Cell>();
  for (const row of rows) {
    const x = row.values[xAxis.index] as number | string;
    const y = yAxis === undefined ? null : (row.values[yAxis.index] as number | string);
    const key = JSON.stringify([x, y]);
    const cell = cells.get(key) ?? { x, y, rows: [] };
    cell.rows.push(row);
    cells.set(key, cell);
  }
  const note = aggregatedOver.length === 0 ? undefined : `each cell: the mean over ${aggregatedOver.join(', ')} (geometric for ratios), the range across them below the mean`;
  const base = [...new Set(rows.map((row) => row.base))].join(', ');
  if (yAxis === undefined) return [lineChart(xAxis.axis, [...cells.values()], suiteName, base, note)];
  const charts = measures
    .filter((measure) => [...cells.values()].some((cell) => aggregate(cell.rows, measure.key, measure.kind) !== null))
    .map((measure) => phaseDiagram(measure, xAxis.axis, yAxis.axis, [...cells.values()], suiteName, base, note,
      measure.predicted === undefined ? null : predictedBoundary(xAxis.axis, yAxis.axis, [...cells.values()], measure.predicted)));
  charts.push(verdictDiagram(xAxis.axis, yAxis.axis, [...cells.values()], suiteName, base, note));
  return charts;
}

interface Placement {
  x: string;
  y: string;
  x0?: number; x1?: number; y0?: number; y1?: number;
  xValue: number | string;
  yValue: number | string;
}

function placements(xAxis: SweepAxisRecord, yAxis: SweepAxisRecord): { encodeX: Record<string, unknown>; encodeY: Record<string, unknown>; place: (cell: Cell) => Placement } {
  const numericX = numericAxis(xAxis);
  const numericY = numericAxis(yAxis);
  const xLog = numericX && wantsLog(xAxis.values as number[]);
  const yLog = numericY && wantsLog(yAxis.values as number[]);
  const xEdges = numericX ? edges(xAxis.values as number[], xLog) : null;
  const yEdges = numericY ? edges(yAxis.values as number[], yLog) : null;
  const xTitle = xAxis.field;
  const yTitle = yAxis.field;
  const encodeX = numericX
    ? { x: { field: 'x0', type: 'quantitative', title: xTitle, scale: { type: xLog ? 'log' : 'linear', ...(xLog ? {} : { zero: false }), nice: false, domain: [Math.min(...[...xEdges!.values()].map((e) => e[0])), Math.max(...[...xEdges!.values()].map((e) => e[1]))] }, axis: { values: xAxis.values, grid: false, labelExpr: "format(datum.value, '.4~g')" } }, x2: { field: 'x1' } }
    : { x: { field: 'x', type: 'ordinal', title: xTitle, sort: xAxis.values.map(String) } };
  const encodeY = numericY
    ? { y: { field: 'y0', type: 'quantitative', title: yTitle, scale: { type: yLog ? 'log' : 'linear', ...(yLog ? {} : { zero: false }), nice: false, domain: [Math.min(...[...yEdges!.values()].map((e) => e[0])), Math.max(...[...yEdges!.values()].map((e) => e[1]))] }, axis: { values: yAxis.values, grid: false, labelExpr: "format(datum.value, '.4~g')" } }, y2: { field: 'y1' } }
    : { y: { field: 'y', type: 'ordinal', title: yTitle, sort: yAxis.values.map(String) } };
  return {
    encodeX,
    encodeY,
    place: (cell) => ({
      x: String(cell.x),
      y: String(cell.y),
      xValue: cell.x,
      yValue: cell.y ?? '',
      ...(xEdges !== null ? { x0: xEdges.get(cell.x as number)![0], x1: xEdges.get(cell.x as number)![1] } : {}),
      ...(yEdges !== null ? { y0: yEdges.get(cell.y as number)![0], y1: yEdges.get(cell.y as number)![1] } : {}),
    }),
  };
}

/** The text centre of a cell, for the labels. */
function centreEncoding(xAxis: SweepAxisRecord, yAxis: SweepAxisRecord, encodeX: Record<string, unknown>, encodeY: Record<string, unknown>): Record<string, unknown> {
  const x = numericAxis(xAxis) ? { ...(encodeX.x as object), field: 'xc' } : encodeX.x;
  const y = numericAxis(yAxis) ? { ...(encodeY.y as object), field: 'yc' } : encodeY.y;
  return { x, y };
}

function centre(placement: Placement, xAxis: SweepAxisRecord, yAxis: SweepAxisRecord): { xc?: number; yc?: number } {
  const xLog = numericAxis(xAxis) && wantsLog(xAxis.values as number[]);
  const yLog = numericAxis(yAxis) && wantsLog(yAxis.values as number[]);
  return {
    ...(placement.x0 !== undefined ? { xc: xLog ? Math.sqrt(placement.x0 * placement.x1!) : (placement.x0 + placement.x1!) / 2 } : {}),
    ...(placement.y0 !== undefined ? { yc: yLog ? Math.sqrt(placement.y0 * placement.y1!) : (placement.y0 + placement.y1!) / 2 } : {}),
  };
}

function phaseDiagram(measure: Measure, xAxis: SweepAxisRecord, yAxis: SweepAxisRecord, cells: readonly Cell[], suiteName: string, base: string, note: string | undefined, overlay: Overlay | null): NamedChart {
  const { encodeX, encodeY, place } = placements(xAxis, yAxis);
  const values = cells.map((cell) => {
    const stats = aggregate(cell.rows, measure.key, measure.kind);
    const placement = place(cell);
    return {
      ...placement,
      ...centre(placement, xAxis, yAxis),
      colour: stats === null ? null : measure.kind === 'ratio' ? Math.log2(stats.mean) : stats.mean,
      label: stats === null ? '—' : formatNumber(stats.mean),
      spread: stats === null || stats.count < 2 ? '' : `${formatNumber(stats.low)}–${formatNumber(stats.high)}`,
      points: stats?.count ?? 0,
    };
  });
  const colours = values.map((value) => value.colour).filter((value): value is number => value !== null);
  const reach = Math.max(0.1, ...colours.map(Math.abs));
  const colour = measure.kind === 'ratio'
    ? { field: 'colour', type: 'quantitative', title: [measure.colorTitle, '(log colour)'], scale: { scheme: 'redblue', reverse: true, domain: [-reach, reach], domainMid: 0 }, legend: { labelExpr: "format(pow(2, datum.value), '.2~g')" } }
    : { field: 'colour', type: 'quantitative', title: measure.colorTitle, scale: { scheme: 'viridis', reverse: true, domain: [0, Math.max(1.2, ...colours)] } };
  const text = centreEncoding(xAxis, yAxis, encodeX, encodeY);
  const tooltip = [
    { field: 'xValue', title: xAxis.field }, { field: 'yValue', title: yAxis.field },
    { field: 'label', title: measure.colorTitle }, { field: 'spread', title: 'range' }, { field: 'points', title: 'points' },
  ];
  const layers: Record<string, unknown>[] = [
    { mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1 }, encoding: { ...encodeX, ...encodeY, color: colour, tooltip } },
    { mark: { type: 'text', fontSize: 12, dy: -6 }, encoding: { ...text, text: { field: 'label' } } },
    { mark: { type: 'text', fontSize: 9, dy: 8, opacity: 0.8 }, encoding: { ...text, text: { field: 'spread' } } },
  ];
  if (overlay !== null && numericAxis(xAxis) && numericAxis(yAxis) && measure.kind === 'ratio') {
    layers.push({
      data: { values: overlay.points.map((point, order) => ({ ox: point.x, oy: point.y, order })) },
      mark: { type: 'line', color: '#000000', strokeWidth: 2.5, strokeDash: [8, 5] },
      encoding: { x: { ...(encodeX.x as object), field: 'ox' }, y: { ...(encodeY.y as object), field: 'oy' }, order: { field: 'order', type: 'quantitative' } },
    });
  }
  return {
    file: measure.file,
    caption: `${measure.title}: ${suiteName}${overlay !== null && measure.kind === 'ratio' ? ` (dashed: ${overlay.label})` : ''}`,
    spec: {
      ...frame({ title: `${measure.title} - ${suiteName}`, subtitle: `${base} over ${xAxis.field} × ${yAxis.field}; blue: the gradient shrinks, red: it grows${overlay !== null && measure.kind === 'ratio' ? `; dashed: ${overlay.label}` : ''}`, xTitle: xAxis.field, yTitle: yAxis.field }, note ?? '', chartWidth, chartHeight),
      data: { values },
      layer: layers,
    } as unknown as TopLevelSpec,
  };
}

function verdictDiagram(xAxis: SweepAxisRecord, yAxis: SweepAxisRecord, cells: readonly Cell[], suiteName: string, base: string, note: string | undefined): NamedChart {
  const { encodeX, encodeY, place } = placements(xAxis, yAxis);
  const values = cells.map((cell) => {
    const common = commonVerdict(cell.rows, 'verdict');
    const atInit = commonVerdict(cell.rows, 'verdictAtInitialisation');
    const placement = place(cell);
    return {
      ...placement,
      ...centre(placement, xAxis, yAxis),
      verdict: common?.verdict ?? 'none',
      label: common === null ? '—' : `${common.verdict}${cell.rows.length > 1 ? ` ${common.count}/${cell.rows.length}` : ''}`,
      init: atInit === null ? '' : `init: ${atInit.verdict}`,
    };
  });
  const kinds = Object.keys(verdictColors);
  const text = centreEncoding(xAxis, yAxis, encodeX, encodeY);
  return {
    file: 'sweep_phase_verdict.png',
    caption: `The verdict at every point (most frequent across seeds): ${suiteName}`,
    spec: {
      ...frame({ title: `Verdict - ${suiteName}`, subtitle: `${base} over ${xAxis.field} × ${yAxis.field}; the most frequent verdict after training, and at initialisation below it`, xTitle: xAxis.field, yTitle: yAxis.field }, note ?? '', chartWidth, chartHeight),
      data: { values },
      layer: [
        { mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1, opacity: 0.85 }, encoding: { ...encodeX, ...encodeY, color: { field: 'verdict', type: 'nominal', title: 'verdict', scale: { domain: [...kinds, 'failed', 'none'], range: [...kinds.map((kind) => verdictColors[kind as keyof typeof verdictColors]), '#000000', '#cccccc'] } }, tooltip: [{ field: 'xValue', title: xAxis.field }, { field: 'yValue', title: yAxis.field }, { field: 'label', title: 'verdict' }, { field: 'init', title: 'at initialisation' }] } },
        { mark: { type: 'text', fontSize: 11, dy: -6, color: '#ffffff' }, encoding: { ...text, text: { field: 'label' } } },
        { mark: { type: 'text', fontSize: 9, dy: 8, color: '#ffffff' }, encoding: { ...text, text: { field: 'init' } } },
      ],
    } as unknown as TopLevelSpec,
  };
}

function lineChart(axis: SweepAxisRecord, cells: readonly Cell[], suiteName: string, base: string, note: string | undefined): NamedChart {
  const numeric = numericAxis(axis);
  const values = measures.filter((measure) => measure.kind === 'ratio').flatMap((measure) => cells.map((cell) => {
    const stats = aggregate(cell.rows, measure.key, measure.kind);
    return stats === null ? null : { x: cell.x, measure: measure.title, mean: stats.mean, low: stats.low, high: stats.high };
  }).filter((value) => value !== null));
  const x = numeric
    ? { field: 'x', type: 'quantitative', title: axis.field, scale: wantsLog(axis.values as number[]) ? { type: 'log' } : { type: 'linear', zero: false } }
    : { field: 'x', type: 'ordinal', title: axis.field, sort: axis.values.map(String) };
  const colour = { field: 'measure', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1 } };
  return {
    file: 'sweep_lines.png',
    caption: `The ratios along ${axis.field} (band: the range across seeds): ${suiteName}`,
    spec: {
      ...frame({ title: `Gradient ratios along ${axis.field} - ${suiteName}`, subtitle: `${base}; line: the geometric mean, band: the range across seeds; 1 is neither vanishing nor exploding`, xTitle: axis.field, yTitle: 'ratio' }, note ?? '', chartWidth, chartHeight),
      data: { values },
      layer: [
        { mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'low', type: 'quantitative', scale: { type: 'log' }, title: 'ratio per step or layer (log)' }, y2: { field: 'high' }, color: colour } },
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color: colour, tooltip: [{ field: 'x', title: axis.field }, { field: 'measure' }, { field: 'mean', format: '.3g' }, { field: 'low', format: '.3g' }, { field: 'high', format: '.3g' }] } },
        { data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#555555' }, encoding: { y: { field: 'one', type: 'quantitative' } } },
      ],
    } as unknown as TopLevelSpec,
  };
}

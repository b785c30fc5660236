/**
 * The few kinds of chart every plot is made of, as Vega-Lite specs: lines on a log axis, a
 * heatmap with a log colour scale, horizontal bars on a log axis, plain bars, and a table. Each
 * marks zero and non-finite values visibly (log-scale.ts) and carries tooltips; line charts let
 * a reader toggle series by clicking the legend (in the HTML report).
 */
import { scheme } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { RecordedNumber } from '../record/metrics.js';
import { logAxis, logTickLabelExpression, narrowLogTicks } from './log-scale.js';
import { textWidth } from './text-width.js';

/** Layout size in CSS pixels (×1.5 when rasterised): the original's 10×6 in. */
export const chartWidth = 1000;
export const chartHeight = 600;

export interface ChartText {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
}

export const subtitleFontSize = 12;
/** Widest subtitle line, in pixels: the standard chart less its margins. */
const subtitleLineWidth = chartWidth - 40;

/**
 * Subtitle parts as lines, long parts broken after "; " or ", ": a line wider than the chart
 * would make the "fit" layout shrink the plot itself.
 */
function subtitleLines(...parts: (string | undefined)[]): string[] | undefined {
  const lines: string[] = [];
  for (const part of parts) {
    if (part === undefined || part === '') continue;
    let line = '';
    for (const piece of part.split(/(?<=[;,] )/)) {
      if (line !== '' && textWidth({ fontSize: subtitleFontSize }, line + piece) > subtitleLineWidth) {
        lines.push(line.trimEnd());
        line = '';
      }
      line += piece;
    }
    if (line !== '') lines.push(line.trimEnd());
  }
  return lines.length > 0 ? lines : undefined;
}

interface Frame {
  title: { text: string; subtitle?: string[] };
  width: number;
  height: number;
  autosize: { type: 'fit'; contains: 'padding' };
}

/** Axis properties for a log axis over the given domain: consistent tick labels, enough ticks within a decade. */
function logAxisLabels(domain: readonly [number, number]): { labelExpr?: string; values?: number[] } {
  const labelExpr = logTickLabelExpression(domain[0], domain[1]);
  const values = narrowLogTicks(domain[0], domain[1]);
  return { ...(labelExpr === undefined ? {} : { labelExpr }), ...(values === null ? {} : { values }) };
}

export function frame(text: ChartText, note: string, width = chartWidth, height = chartHeight): Frame {
  return {
    title: { text: text.title, subtitle: subtitleLines(text.subtitle, note) },
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
  };
}

export interface LinePoint {
  series: string;
  x: number;
  value: RecordedNumber | number | null;
  /** Optional second grouping drawn as dash style (e.g. train / validation). */
  dash?: string;
  /** A band around the value (the spread over seeds): drawn as a shaded area from low to high. */
  low?: number;
  high?: number;
}

/**
 * Replaces the lines of experiments that differ only in their seed by one line per group — the
 * geometric mean on log axes, the arithmetic mean on linear ones — with the min–max band around
 * it. Points of experiments in no group pass unchanged.
 */
export function aggregateSeeds(points: readonly LinePoint[], groups: readonly { label: string; members: readonly string[] }[], mean: 'geometric' | 'arithmetic'): LinePoint[] {
  if (groups.length === 0) return [...points];
  const groupOf = new Map(groups.flatMap((group) => group.members.map((member) => [member, group.label] as const)));
  const kept = points.filter((p) => !groupOf.has(p.series));
  const buckets = new Map<string, { series: string; x: number; dash?: string; values: number[] }>();
  for (const p of points) {
    const label = groupOf.get(p.series);
    if (label === undefined) continue;
    const key = JSON.stringify([label, p.x, p.dash ?? '']);
    const bucket = buckets.get(key) ?? buckets.set(key, { series: label, x: p.x, dash: p.dash, values: [] }).get(key)!;
    const value = p.value === null ? Number.NaN : Number(p.value);
    if (Number.isFinite(value) && (mean === 'arithmetic' || value > 0)) bucket.values.push(value);
  }
  for (const { series, x, dash, values } of buckets.values()) {
    if (values.length === 0) continue;
    const average = mean === 'geometric'
      ? Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length)
      : values.reduce((sum, v) => sum + v, 0) / values.length;
    kept.push({ series, x, value: average, low: Math.min(...values), high: Math.max(...values), ...(dash !== undefined ? { dash } : {}) });
  }
  return kept;
}

export interface LineOptions {
  xInteger?: boolean;
  seriesTitle?: string;
  dashTitle?: string;
  /** Series (diverged runs) whose values above the others' range go on the top line, off scale. */
  offScaleSeries?: ReadonlySet<string>;
  /** Horizontal reference lines, e.g. the chance level. */
  references?: readonly { value: number; label: string }[];
  /**
   * Every series of the run in its order, when this chart shows only some of them: each keeps
   * the colour it has where all are drawn.
   */
  colorOrder?: readonly string[];
}

/**
 * Series with enough colours — tableau10, or tableau20 beyond ten (classics draws 17) — in the
 * order the series come, which is the run's order of experiments: an experiment keeps its colour
 * from chart to chart.
 */
function seriesColorScale(series: readonly string[], colorOrder?: readonly string[]): { scheme: string; domain: string[] } | { domain: string[]; range: string[] } {
  const ordered = [...new Set(series)];
  const all = colorOrder === undefined ? ordered : [...new Set([...colorOrder, ...ordered])];
  const colors = scheme(all.length > 10 ? 'tableau20' : 'tableau10') as string[];
  if (colorOrder === undefined) return { scheme: all.length > 10 ? 'tableau20' : 'tableau10', domain: ordered };
  return { domain: ordered, range: ordered.map((name) => colors[all.indexOf(name) % colors.length]) };
}


/** "a = b" for every group of series whose points are the same to 6 digits (drawn on top of each other). */
export function coincidingSeries(points: readonly LinePoint[]): string[] {
  const signature = new Map<string, string[]>();
  for (const p of points) {
    const value = p.value === null ? 'null' : typeof p.value === 'number' ? p.value.toPrecision(6) : p.value;
    (signature.get(p.series) ?? signature.set(p.series, []).get(p.series)!).push(`${p.dash ?? ''}@${p.x}:${value}`);
  }
  const bySignature = new Map<string, string[]>();
  for (const [series, parts] of signature) {
    const key = parts.sort().join('|');
    (bySignature.get(key) ?? bySignature.set(key, []).get(key)!).push(series);
  }
  return [...bySignature.values()].filter((group) => group.length > 1).map((group) => group.join(' = '));
}

/**
 * Lines on a log y axis, one per series; zeros and non-finite values as marked points on the
 * floor and ceiling lines; a diverged run's values beyond the others' range on the ceiling too.
 */
export function logLines(text: ChartText, points: readonly LinePoint[], options: LineOptions = {}): TopLevelSpec {
  const offScale = options.offScaleSeries ?? new Set<string>();
  const axis = logAxis(
    [...points.filter((p) => !offScale.has(p.series)).flatMap((p) => [p.value, p.low, p.high]), ...(options.references ?? []).map((r) => r.value)],
    points.filter((p) => offScale.has(p.series)).map((p) => p.value),
  );
  const rows = points.flatMap((p) => {
    const placed = axis.place(p.value, offScale.has(p.series));
    const band = p.low !== undefined && p.high !== undefined && p.low > 0 && Number.isFinite(p.high) ? { low: p.low, high: p.high } : {};
    return placed === null ? [] : [{ series: p.series, x: p.x, y: placed.position, kind: placed.kind, value: placed.label, dash: p.dash ?? '', ...band }];
  });
  const banded = points.some((p) => p.low !== undefined);
  const seriesCount = new Set(points.map((p) => p.series)).size;
  const useDash = points.some((p) => p.dash !== undefined);
  const coinciding = coincidingSeries(points);
  const x = { field: 'x', type: 'quantitative' as const, title: text.xTitle, axis: options.xInteger === true ? { tickMinStep: 1, format: 'd' } : {}, scale: { nice: false, zero: false } };
  const y = { field: 'y', type: 'quantitative' as const, title: `${text.yTitle} (log scale)`, scale: { type: 'log' as const, domain: axis.domain, nice: false }, axis: logAxisLabels(axis.domain) };
  const color = { field: 'series', type: 'nominal' as const, title: options.seriesTitle ?? 'series', scale: seriesColorScale(points.map((p) => p.series), options.colorOrder), legend: seriesCount > 1 ? { orient: 'right' as const } : null };
  const tooltip = [
    { field: 'series', type: 'nominal' as const, title: options.seriesTitle ?? 'series' },
    ...(useDash ? [{ field: 'dash', type: 'nominal' as const, title: options.dashTitle ?? 'kind' }] : []),
    { field: 'x', type: 'quantitative' as const, title: text.xTitle },
    { field: 'value', type: 'nominal' as const, title: text.yTitle },
  ];
  // Reference lines first, so the curves are drawn over them.
  const references: object[] = [];
  for (const reference of options.references ?? []) {
    references.push({ data: { values: [{ y: reference.value, label: reference.label }] }, mark: { type: 'rule', strokeDash: [8, 4], color: '#444', strokeWidth: 1.5 }, encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: { field: 'label', type: 'nominal' } } });
    references.push({ data: { values: [{ y: reference.value, label: reference.label }] }, mark: { type: 'text', align: 'right', dx: -4, dy: -7, color: '#333', fontSize: 11 }, encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 'width' }, text: { field: 'label' } } });
  }
  // Markers only where they stay apart; on long profiles they would hide the dash styles.
  const pointsPerSeries = rows.length / Math.max(1, seriesCount);
  const layers: object[] = [
    ...references,
    {
      transform: [{ filter: "datum.kind === 'value'" }],
      params: [{ name: 'pick', select: { type: 'point', fields: ['series'] }, bind: 'legend' }],
      mark: { type: 'line', point: pointsPerSeries <= 40 ? { size: seriesCount > 6 ? 18 : 30 } : false, strokeWidth: 2 },
      encoding: {
        x, y, color, tooltip,
        ...(useDash ? { strokeDash: { field: 'dash', type: 'nominal', title: options.dashTitle ?? 'kind' } } : {}),
        opacity: { condition: { param: 'pick', value: 1 }, value: 0.12 },
      },
    },
  ];
  if (banded) {
    // Right after the lines, so the legend keeps the lines' symbols.
    layers.splice(references.length + 1, 0, { transform: [{ filter: 'isValid(datum.low)' }], mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, color, ...(useDash ? { detail: { field: 'dash' } } : {}) } });
  }
  // Generous invisible targets, so hovering near a point shows its values.
  layers.push({ transform: [{ filter: "datum.kind === 'value'" }], mark: { type: 'point', size: 500, opacity: 0.01, filled: true }, encoding: { x, y, tooltip, color } });
  if (axis.hasZeros) {
    layers.push({ data: { values: [{ y: axis.floor }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#888' }, encoding: { y: { field: 'y', type: 'quantitative' } } });
    layers.push({ data: { values: [{ y: axis.floor, label: '0 (underflow)' }] }, mark: { type: 'text', align: 'left', dx: 4, dy: -7, color: '#555', fontSize: 11 }, encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } } });
    layers.push({ transform: [{ filter: "datum.kind === 'zero'" }], mark: { type: 'point', shape: 'triangle-down', filled: true, size: 110 }, encoding: { x, y, color, tooltip } });
  }
  if (axis.hasNonFinite || axis.hasOffScale) {
    const label = [axis.hasNonFinite ? 'NaN / ∞' : '', axis.hasOffScale ? 'off scale' : ''].filter((part) => part !== '').join(', ');
    layers.push({ data: { values: [{ y: axis.ceiling }] }, mark: { type: 'rule', strokeDash: [2, 3], color: '#c00' }, encoding: { y: { field: 'y', type: 'quantitative' } } });
    layers.push({ data: { values: [{ y: axis.ceiling, label }] }, mark: { type: 'text', align: 'left', dx: 4, dy: -7, color: '#c00', fontSize: 11 }, encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } } });
  }
  if (axis.hasNonFinite) {
    layers.push({ transform: [{ filter: "datum.kind === 'nonfinite'" }], mark: { type: 'point', shape: 'cross', filled: true, size: 160, color: '#c00' }, encoding: { x, y, tooltip } });
  }
  if (axis.hasOffScale) {
    layers.push({ transform: [{ filter: "datum.kind === 'offscale'" }], mark: { type: 'point', shape: 'triangle-up', filled: true, size: 110 }, encoding: { x, y, color, tooltip } });
  }
  const notes = [axis.note, banded ? 'experiments repeated with several seeds: geometric mean, the band from the lowest to the highest' : '', ...coinciding.map((group) => `identical curves, drawn on top of each other: ${group}`)].filter((note) => note !== '').join('; ');
  return { ...frame(text, notes), data: { values: rows }, layer: layers, resolve: { scale: { y: 'shared' } } } as unknown as TopLevelSpec;
}

/** Lines on a linear axis (accuracy, fractions). */
export function linearLines(text: ChartText, points: readonly LinePoint[], options: { domain?: [number, number]; percent?: boolean; seriesTitle?: string; dashTitle?: string; xInteger?: boolean; colorOrder?: readonly string[] } = {}): TopLevelSpec {
  const rows = points.filter((p) => p.value !== null && Number.isFinite(Number(p.value))).map((p) => ({
    series: p.series, x: p.x, y: Number(p.value), dash: p.dash ?? '', ...(p.low !== undefined && p.high !== undefined ? { low: p.low, high: p.high } : {}),
  }));
  const useDash = points.some((p) => p.dash !== undefined);
  const banded = points.some((p) => p.low !== undefined);
  const format = options.percent === true ? '.0%' : '';
  return {
    ...frame(text, banded ? 'experiments repeated with several seeds: mean, the band from the lowest to the highest' : ''),
    data: { values: rows },
    layer: [
      ...(banded ? [{ transform: [{ filter: 'isValid(datum.low)' }], mark: { type: 'area', opacity: 0.18 }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, strokeDash: { value: [1, 0] }, ...(useDash ? { detail: { field: 'dash' } } : {}) } }] : []),
      { mark: { type: 'line', point: { size: 20 }, strokeWidth: 2 }, params: [{ name: 'pick', select: { type: 'point', fields: ['series'] }, bind: 'legend' }] },
      { mark: { type: 'point', size: 500, filled: true }, encoding: { opacity: { value: 0.01 } } },
    ],
    encoding: {
      x: { field: 'x', type: 'quantitative', title: text.xTitle, axis: options.xInteger === true ? { tickMinStep: 1, format: 'd' } : {}, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: text.yTitle, axis: { format }, scale: options.domain !== undefined ? { domain: options.domain } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: options.seriesTitle ?? 'series', scale: seriesColorScale(rows.map((r) => r.series), options.colorOrder) },
      ...(useDash ? { strokeDash: { field: 'dash', type: 'nominal', title: options.dashTitle ?? 'kind' } } : {}),
      opacity: { condition: { param: 'pick', value: 1 }, value: 0.12 },
      tooltip: [
        { field: 'series', type: 'nominal', title: options.seriesTitle ?? 'series' },
        ...(useDash ? [{ field: 'dash', type: 'nominal', title: options.dashTitle ?? 'kind' }] : []),
        { field: 'x', type: 'quantitative', title: text.xTitle },
        { field: 'y', type: 'quantitative', title: text.yTitle, format: options.percent === true ? '.1%' : '.4g' },
      ],
    },
  } as unknown as TopLevelSpec;
}

export interface HeatCell {
  row: string;
  column: number;
  value: RecordedNumber | number | null;
}

/**
 * A heatmap with a log colour scale (viridis) and a colour bar; exact zeros in black and
 * non-finite cells in red, said in the subtitle. Rows are drawn in the order given, top first.
 */
export function logHeatmap(text: ChartText & { colorTitle: string }, cells: readonly HeatCell[], rowOrder: readonly string[]): TopLevelSpec {
  const axis = logAxis(cells.map((c) => c.value));
  const rows = cells.flatMap((c) => {
    const placed = axis.place(c.value);
    return placed === null ? [] : [{ row: c.row, column: c.column, v: placed.kind === 'value' ? placed.position : null, kind: placed.kind, value: placed.label }];
  });
  const columns = new Set(cells.map((c) => c.column)).size;
  const height = Math.max(chartHeight, Math.min(4000, rowOrder.length * 15 + 140));
  const notes: string[] = [];
  if (axis.hasZeros) notes.push('black cells: exactly 0 (underflow)');
  if (axis.hasNonFinite) notes.push('red cells: NaN or infinite');
  const x = { field: 'column', type: 'ordinal' as const, title: text.xTitle, axis: { labelAngle: 0, labelOverlap: 'parity' as const, values: columns > 60 ? undefined : undefined } };
  const y = { field: 'row', type: 'ordinal' as const, title: text.yTitle, sort: [...rowOrder], axis: { labelLimit: 260, labelFontSize: rowOrder.length > 50 ? 9 : 11 } };
  const tooltip = [
    { field: 'row', type: 'nominal' as const, title: text.yTitle },
    { field: 'column', type: 'ordinal' as const, title: text.xTitle },
    { field: 'value', type: 'nominal' as const, title: text.colorTitle },
  ];
  const [low, high] = [axis.domain[0] < axis.floor ? axis.floor * 10 : axis.domain[0], axis.domain[1]];
  return {
    ...frame(text, notes.join('; '), chartWidth, height),
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'value'" }],
        mark: { type: 'rect' },
        encoding: {
          x, y, tooltip,
          color: { field: 'v', type: 'quantitative', title: [text.colorTitle, '(log scale)'], scale: { type: 'log', scheme: 'viridis', domain: [Math.max(low, 1e-300), high] }, legend: { orient: 'right', gradientLength: Math.min(height - 160, 420), titleLimit: 300, labelExpr: logTickLabelExpression(low, high) } },
        },
      },
      { transform: [{ filter: "datum.kind === 'zero'" }], mark: { type: 'rect', color: '#000' }, encoding: { x, y, tooltip } },
      { transform: [{ filter: "datum.kind === 'nonfinite'" }], mark: { type: 'rect', color: '#d62728' }, encoding: { x, y, tooltip } },
    ],
  } as unknown as TopLevelSpec;
}

export interface Bar {
  label: string;
  value: RecordedNumber | number | null;
  group?: string;
}

/** Horizontal bars on a log x axis, one per label in the order given; tall enough for every label. */
export function logBars(text: ChartText, bars: readonly Bar[]): TopLevelSpec {
  const axis = logAxis(bars.map((b) => b.value));
  const rows = bars.flatMap((b) => {
    const placed = axis.place(b.value);
    return placed === null ? [] : [{ label: b.label, x: placed.position, x0: axis.domain[0], kind: placed.kind, value: placed.label, group: b.group ?? '' }];
  });
  const height = Math.max(chartHeight, Math.min(4000, bars.length * 16 + 150));
  const y = { field: 'label', type: 'ordinal' as const, title: text.yTitle, sort: bars.map((b) => b.label), axis: { labelLimit: 300, labelFontSize: bars.length > 50 ? 10 : 11 } };
  const x = { field: 'x', type: 'quantitative' as const, title: `${text.xTitle} (log scale)`, scale: { type: 'log' as const, domain: axis.domain, nice: false }, axis: logAxisLabels(axis.domain) };
  const tooltip = [{ field: 'label', type: 'nominal' as const, title: text.yTitle }, { field: 'value', type: 'nominal' as const, title: text.xTitle }];
  const grouped = bars.some((b) => b.group !== undefined);
  const layers: object[] = [
    {
      transform: [{ filter: "datum.kind === 'value'" }],
      mark: { type: 'bar', height: { band: 0.8 } },
      encoding: { y, x, x2: { field: 'x0' }, tooltip, color: grouped ? { field: 'group', type: 'nominal', title: 'part' } : { value: '#4c78a8' } },
    },
  ];
  if (axis.hasZeros) {
    layers.push({ transform: [{ filter: "datum.kind === 'zero'" }], mark: { type: 'point', shape: 'triangle-left', filled: true, size: 90, color: '#000' }, encoding: { y, x, tooltip } });
    layers.push({ transform: [{ filter: "datum.kind === 'zero'" }], mark: { type: 'text', align: 'left', dx: 8, fontSize: 10 }, encoding: { y, x, text: { value: '0 (underflow)' } } });
  }
  if (axis.hasNonFinite) {
    layers.push({ transform: [{ filter: "datum.kind === 'nonfinite'" }], mark: { type: 'point', shape: 'cross', filled: true, size: 120, color: '#c00' }, encoding: { y, x, tooltip } });
  }
  return { ...frame(text, axis.note, chartWidth, height), data: { values: rows }, layer: layers } as unknown as TopLevelSpec;
}

/** Vertical bars on a linear axis, grouped by `group` side by side. */
export function groupedBars(text: ChartText & { groupTitle: string }, bars: readonly Bar[], options: { domain?: [number, number]; percent?: boolean; note?: string } = {}): TopLevelSpec {
  const rows = bars.filter((b) => b.value !== null).map((b) => ({ label: b.label, y: Number(b.value), group: b.group ?? '' }));
  const spec = {
    ...frame(text, options.note ?? ''),
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'label', type: 'ordinal', title: text.xTitle, sort: [...new Set(bars.map((b) => b.label))], axis: { labelAngle: 0 } },
      xOffset: { field: 'group', type: 'nominal' },
      y: { field: 'y', type: 'quantitative', title: text.yTitle, scale: options.domain !== undefined ? { domain: options.domain } : options.note !== undefined ? { domain: [0, 1] } : { zero: true, nice: true }, axis: { format: options.percent === true ? '.0%' : '' } },
      color: { field: 'group', type: 'nominal', title: text.groupTitle },
      tooltip: [{ field: 'label', type: 'nominal', title: text.xTitle }, { field: 'group', type: 'nominal', title: text.groupTitle }, { field: 'y', type: 'quantitative', title: text.yTitle, format: options.percent === true ? '.1%' : '.4g' }],
    },
  };
  if (options.note === undefined) return spec as unknown as TopLevelSpec;
  // An all-zero bar chart looks empty: say so across the plot as well.
  return {
    ...frame(text, options.note),
    layer: [
      { data: spec.data, mark: spec.mark, encoding: spec.encoding },
      { data: { values: [{ text: options.note }] }, mark: { type: 'text', fontSize: 16, color: '#555' }, encoding: { text: { field: 'text' }, x: { value: chartWidth / 2 }, y: { value: chartHeight / 2 } } },
    ],
  } as unknown as TopLevelSpec;
}

export interface TableColumn {
  title: string;
}

const tableFontSize = 13;
/** Room between columns; also slack for a browser that sets the table in another sans-serif. */
const tableColumnGap = 24;

/**
 * A table drawn as a chart (for the PNG set). Each column is as wide as its longest text, so
 * nothing overlaps; a table wider than the standard chart makes the chart wider.
 */
export function textTable(title: string, subtitle: string, columns: readonly TableColumn[], rows: readonly { cells: string[]; colors?: (string | null)[] }[]): TopLevelSpec {
  const widths = columns.map((column, i) => Math.ceil(Math.max(
    textWidth({ fontSize: tableFontSize, fontWeight: 'bold' }, column.title),
    ...rows.map((r) => textWidth({ fontSize: tableFontSize }, r.cells[i])),
  )) + tableColumnGap);
  const starts: number[] = [];
  let position = 0;
  for (const width of widths) {
    starts.push(position);
    position += width;
  }
  const width = Math.max(chartWidth, position);
  const rowHeight = 30;
  const height = Math.max(200, (rows.length + 1) * rowHeight + 20);
  const header = columns.map((c, i) => ({ row: 0, x: starts[i], text: c.title }));
  const body = rows.flatMap((r, rowIndex) => r.cells.map((cell, i) => ({ row: rowIndex + 1, x: starts[i], text: cell, color: r.colors?.[i] ?? '#222' })));
  const rowScale = { domain: Array.from({ length: rows.length + 1 }, (_, i) => i) };
  const y = { field: 'row', type: 'ordinal', axis: null, scale: rowScale };
  // Pixel positions: the x scale maps [0, width] onto the plot's own width.
  const x = { field: 'x', type: 'quantitative', axis: null, scale: { domain: [0, width], nice: false, zero: true } };
  return {
    title: { text: title, subtitle: subtitleLines(subtitle) },
    width,
    height,
    autosize: { type: 'pad' },
    layer: [
      { data: { values: rows.map((_, i) => ({ row: i + 1 })).filter((r) => r.row % 2 === 1) }, mark: { type: 'rect', color: '#f3f3f3' }, encoding: { y, x: { value: 0 }, x2: { value: 'width' } } },
      { data: { values: header }, mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: tableFontSize, fontWeight: 'bold' }, encoding: { y, x, text: { field: 'text' } } },
      { data: { values: body }, mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: tableFontSize }, encoding: { y, x, text: { field: 'text' }, color: { field: 'color', type: 'nominal', scale: null } } },
    ],
    config: { view: { stroke: null } },
  } as unknown as TopLevelSpec;
}

/**
 * The same chart with a `shown` parameter (every series at first) and a filter on it, so the
 * report's experiment checkboxes can hide series in every chart at once. Only for charts whose
 * top-level data has a `series` field naming experiments.
 */
export function filterableBySeries(spec: TopLevelSpec, names: readonly string[]): TopLevelSpec {
  const base = spec as unknown as { params?: unknown[]; transform?: unknown[] };
  return {
    ...spec,
    params: [...(base.params ?? []), { name: 'shown', value: [...names] }],
    transform: [{ filter: 'indexof(shown, datum.series) >= 0' }, ...(base.transform ?? [])],
  } as unknown as TopLevelSpec;
}

export interface HistogramCell {
  /** The facet: which tensor. */
  tensor: string;
  /** Where in training (the batch's index from the start). */
  batch: number;
  /** The bin: its order (higher: larger magnitude) and its label ("1e-6", "0", "NaN/∞"). */
  order: number;
  label: string;
  /** Share of the tensor's values in this bin. */
  share: number;
}

/**
 * Histograms over training, one heatmap strip per tensor (its magnitude bins up the y axis, the
 * recorded batches along x, the share of values in colour). Zeros and non-finite values have
 * their own rows at the bottom and top, so nothing is dropped.
 */
export function histogramStrips(text: ChartText, cells: readonly HistogramCell[], tensors: readonly string[]): TopLevelSpec {
  const labels = [...new Map(cells.map((c) => [c.order, c.label])).entries()].sort((a, b) => b[0] - a[0]).map(([, label]) => label);
  // Tall enough for the bin labels, and together at least the standard chart's height.
  const stripHeight = Math.max(40, Math.min(120, labels.length * 7), Math.ceil((chartHeight - 60) / Math.max(1, tensors.length)));
  return {
    title: { text: text.title, subtitle: subtitleLines(text.subtitle) },
    data: { values: cells },
    facet: { row: { field: 'tensor', type: 'nominal', sort: [...tensors], title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelFontSize: 11 } } },
    spec: {
      width: chartWidth - 200,
      height: stripHeight,
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'batch', type: 'ordinal', title: text.xTitle, axis: { labelOverlap: 'parity', labelAngle: 0 } },
        y: { field: 'label', type: 'ordinal', title: null, sort: labels, axis: { labelOverlap: 'greedy', labelFontSize: 9 } },
        color: { field: 'share', type: 'quantitative', title: ['share of', 'the values'], scale: { scheme: 'viridis', type: 'sqrt', domain: [0, 1] }, legend: { format: '.0%' } },
        tooltip: [
          { field: 'tensor', type: 'nominal' },
          { field: 'batch', type: 'ordinal', title: text.xTitle },
          { field: 'label', type: 'nominal', title: `${text.yTitle} from` },
          { field: 'share', type: 'quantitative', title: 'share', format: '.1%' },
        ],
      },
    },
    resolve: { scale: { y: 'shared', x: 'shared' } },
    spacing: 4,
  } as unknown as TopLevelSpec;
}

/**
 * The charts of one experiment: the original program's five (same file names, same titles:
 * `Gradient Norms - VANILLA (no_mitigation)`) and ours — the gradient through time as a
 * layer × step heatmap and as profiles, and activation saturation per layer.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord, ExperimentMetrics, RecordedNumber } from '../record/metrics.js';
import { groupedBars, histogramStrips, logBars, logHeatmap, logLines } from './chart-kinds.js';
import type { HeatCell, HistogramCell, LinePoint } from './chart-kinds.js';
import { recurrentWeightNames } from '../diagnose/parameter-layers.js';
import type { MagnitudeHistogram } from '../record/histogram.js';
import { binLowerEdge } from '../record/histogram.js';

export interface NamedChart {
  /** File name of the PNG (no folder). */
  file: string;
  /** Short caption for the report. */
  caption: string;
  spec: TopLevelSpec;
  /** Its `series` are experiment names: the report's experiment checkboxes filter it. */
  filterable?: boolean;
}

/** At most this many recorded batches across a histogram strip (every k-th beyond it). */
const maxHistogramColumns = 120;

/** One tensor's histogram at one batch as heatmap cells; shares of all its values. */
function histogramCells(tensor: string, batch: number, histogram: MagnitudeHistogram | undefined): HistogramCell[] {
  if (histogram === undefined) return [];
  const total = histogram.zeros + histogram.nonFinite + histogram.counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return [];
  const cells: HistogramCell[] = histogram.counts.flatMap((count, i) => {
    const bin = histogram.firstBin + i;
    return count === 0 ? [] : [{ tensor, batch, order: bin, label: binLowerEdge(bin).toExponential(0).replace('e+', 'e'), share: count / total }];
  });
  // Beyond any magnitude bin: exactly 0 below, NaN/∞ above.
  if (histogram.zeros > 0) cells.push({ tensor, batch, order: -1e6, label: '0', share: histogram.zeros / total });
  if (histogram.nonFinite > 0) cells.push({ tensor, batch, order: 1e6, label: 'NaN/∞', share: histogram.nonFinite / total });
  return cells;
}

/** Only what a file name may hold: a label read back from a run folder cannot point elsewhere. */
function fileSafe(label: string): string {
  return label.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/**
 * Each experiment's file-name suffix: `{model_type}_{mitigation}` as the original names its plots,
 * with the experiment's name added wherever two experiments of the run share that pair, so no
 * picture overwrites another.
 */
export function plotSuffixes(experiments: readonly ExperimentMetrics[]): Map<string, string> {
  const base = (metrics: ExperimentMetrics): string => fileSafe(`${metrics.summary.modelType}_${metrics.summary.mitigation}`);
  const uses = new Map<string, number>();
  for (const metrics of experiments) uses.set(base(metrics), (uses.get(base(metrics)) ?? 0) + 1);
  return new Map(experiments.map((metrics) => {
    const suffix = base(metrics);
    return [metrics.summary.name, uses.get(suffix)! > 1 ? `${suffix}_${fileSafe(metrics.summary.name)}` : suffix];
  }));
}

function titleFor(what: string, metrics: ExperimentMetrics): string {
  return `${what} - ${metrics.summary.modelType.toUpperCase()} (${metrics.summary.mitigation})`;
}

function describeRun(metrics: ExperimentMetrics): string {
  const s = metrics.summary;
  const status = s.status === 'diverged' && s.divergence !== null ? ` — DIVERGED at epoch ${s.divergence.epoch}, batch ${s.divergence.batch} (${s.divergence.reason})` : '';
  return `experiment ${s.name}: ${s.numLayers} layers, ${s.steps} steps, ${s.epochsCompleted} epoch${s.epochsCompleted === 1 ? '' : 's'}${status}`;
}

/** The last epoch that recorded ‖dL/dh_t‖, and the first. */
function hiddenEpochs(epochs: readonly EpochRecord[]): { first: EpochRecord | null; last: EpochRecord | null } {
  const recorded = epochs.filter((e) => e.meanHiddenGradientNorms !== null);
  return { first: recorded[0] ?? null, last: recorded.at(-1) ?? null };
}

/** The charts of one experiment; `suffix` ends every file name (see plotSuffixes). */
export function experimentCharts(metrics: ExperimentMetrics, suffix: string): NamedChart[] {
  const { summary, epochs, batches } = metrics;
  const run = describeRun(metrics);
  const charts: NamedChart[] = [];

  // Per batch where the batches were read (a diverged run's few batches are its whole story), on
  // one batch axis with each epoch's mean at its last batch.
  const epochEnd = new Map<number, number>();
  let trained = 0;
  for (const e of epochs) epochEnd.set(e.epoch, (trained += e.batches));
  const perBatch = (pick: (b: (typeof batches)[number]) => RecordedNumber, series: string): LinePoint[] => batches.map((b, i) => ({ series, x: i + 1, value: pick(b) }));
  const perEpoch = (pick: (e: EpochRecord) => RecordedNumber, series: string): LinePoint[] => epochs.map((e) => ({ series, x: batches.length > 0 ? epochEnd.get(e.epoch)! : e.epoch, value: pick(e) }));
  const xTitle = batches.length > 0 ? 'batch (epoch means at their epoch\'s last batch)' : 'epoch';
  charts.push({
    file: `training_loss_${suffix}.png`,
    caption: 'Training loss per batch and its mean per epoch',
    spec: logLines({ title: titleFor('Training Loss', metrics), subtitle: run, xTitle, yTitle: 'training loss' },
      [...perBatch((b) => b.loss, 'per batch'), ...perEpoch((e) => e.meanLoss, 'epoch mean')], { seriesTitle: 'loss', xInteger: true }),
  });

  charts.push({
    file: `grad_norms_${suffix}.png`,
    caption: 'Total gradient norm (per batch and epoch mean) and smallest layer gradient norm per epoch, before clipping',
    spec: logLines({ title: titleFor('Gradient Norms', metrics), subtitle: `${run}; norms before any clipping; smallest layer counts exact zeros`, xTitle, yTitle: 'gradient L2 norm' }, [
      ...perBatch((b) => b.totalGradientNorm, 'total gradient norm per batch'),
      ...perEpoch((e) => e.meanTotalGradientNorm, 'total gradient norm, epoch mean'),
      ...perEpoch((e) => e.meanMinLayerGradientNorm, 'smallest layer gradient norm, epoch mean'),
    ], { xInteger: true }),
  });

  const lastEpoch = epochs.at(-1);
  charts.push({
    file: `grad_per_layer_${suffix}.png`,
    caption: 'Each parameter\'s mean gradient norm in the last epoch, input layer at the top',
    spec: logBars({ title: titleFor('Gradient Norm per Layer', metrics), subtitle: `${run}; mean over the batches of epoch ${lastEpoch?.epoch ?? '—'}`, xTitle: 'mean gradient L2 norm', yTitle: 'parameter' },
      summary.parameterNames.map((name) => ({ label: name, value: lastEpoch?.meanGradientNorms[name] ?? null }))),
  });

  const heatCells: HeatCell[] = epochs.flatMap((e) => summary.parameterNames.map((name) => ({ row: name, column: e.epoch, value: e.meanGradientNorms[name] ?? null })));
  charts.push({
    file: `grad_heatmap_${suffix}.png`,
    caption: 'Mean gradient norm of every parameter (rows) in every epoch (columns)',
    spec: logHeatmap({ title: titleFor('Gradient Norm Heatmap', metrics), subtitle: run, xTitle: 'epoch', yTitle: 'parameter', colorTitle: 'mean gradient L2 norm' }, heatCells, summary.parameterNames),
  });

  // The original's "last 10 batches": the total norms of the last epoch's final batches.
  const lastBatches: { x: number; value: RecordedNumber }[] = batches.length > 0
    ? batches.slice(-10).map((b, i, all) => ({ x: i - all.length + 1, value: b.totalGradientNorm }))
    : (lastEpoch?.lastTotalGradientNorms ?? []).map((value, i, all) => ({ x: i - all.length + 1, value }));
  charts.push({
    file: `grad_norms_last_10_${suffix}.png`,
    caption: 'Total gradient norm of the last 10 training batches',
    spec: logLines({ title: titleFor('Gradient Norms (Last 10 Batches)', metrics), subtitle: `${run}; 0 is the final batch`, xTitle: 'batch, counted back from the last', yTitle: 'total gradient L2 norm' },
      lastBatches.map((b) => ({ series: 'total gradient norm', x: b.x, value: b.value })), { xInteger: true }),
  });

  const { first, last } = hiddenEpochs(epochs);
  const layerName = (layer: number): string => `layer ${layer}${layer === 0 ? ' (bottom)' : layer === summary.numLayers - 1 ? ' (top)' : ''}`;
  const layerOrder = Array.from({ length: summary.numLayers }, (_, layer) => layerName(summary.numLayers - 1 - layer));
  const timeCells: HeatCell[] = last?.meanHiddenGradientNorms?.flatMap((norms, layer) => norms.map((value, t) => ({ row: layerName(layer), column: t + 1, value }))) ?? [];
  // One layer makes a one-row heatmap: the profile below draws the same numbers better.
  if (summary.numLayers > 1) charts.push({
    file: `grad_through_time_${suffix}.png`,
    caption: '‖∂L/∂h_t‖ for every layer and time step (last epoch): the gradient flowing back through time',
    spec: logHeatmap({
      title: titleFor('Gradient Through Time ‖∂L/∂h_t‖', metrics),
      subtitle: last === null ? `${run}; not recorded` : `${run}; mean over the recorded batches of epoch ${last.epoch}; the loss is read at the right`,
      xTitle: 'time step t', yTitle: 'layer', colorTitle: '‖∂L/∂h_t‖',
    }, timeCells, layerOrder),
  });

  const profile: LinePoint[] = [];
  const addProfile = (record: EpochRecord | null, label: string): void => {
    const norms = record?.meanHiddenGradientNorms;
    if (norms === null || norms === undefined) return;
    const layers = summary.numLayers > 1 ? [0, summary.numLayers - 1] : [0];
    for (const layer of layers) norms[layer].forEach((value, t) => profile.push({ series: `‖∂L/∂h_t‖, ${layerName(layer)}`, dash: label, x: t + 1, value }));
    // What the verdict judges: the gradient arriving at the input (the last step's loss alone, where every step has one).
    const input = record?.meanLastStepProbe?.inputGradientNorms ?? record?.meanInputGradientNorms ?? null;
    const probe = record?.meanLastStepProbe != null;
    input?.forEach((value, t) => profile.push({ series: `‖∂L/∂x_t‖, input${probe ? ' (last step\'s loss)' : ''}`, dash: label, x: t + 1, value }));
  };
  addProfile(first, `epoch ${first?.epoch ?? ''}`);
  if (last !== null && last !== first) addProfile(last, `epoch ${last.epoch}`);
  charts.push({
    file: `grad_time_profile_${suffix}.png`,
    caption: '‖∂L/∂x_t‖ at the input (what the verdict judges) and ‖∂L/∂h_t‖ in the bottom and top layer against t, first and last epoch',
    spec: logLines({ title: titleFor('Gradient Through Time, Profile', metrics), subtitle: `${run}; a straight falling line on this log axis is exponential decay back through time`, xTitle: 'time step t', yTitle: 'gradient L2 norm' },
      profile, { xInteger: true, seriesTitle: 'gradient', dashTitle: 'epoch' }),
  });

  // Magnitude histograms over training, for each layer's recurrent weights and the head.
  const recorded = batches.map((b, i) => ({ b, index: i + 1 })).filter(({ b }) => b.histograms !== undefined);
  if (recorded.length > 0) {
    const stride = Math.max(1, Math.ceil(recorded.length / maxHistogramColumns));
    const shown = recorded.filter((_, i) => i % stride === 0 || i === recorded.length - 1);
    // The head first and the bottom layer last, as in the layer × step heatmap.
    const tensors = ['fc.weight', ...recurrentWeightNames(summary.parameterNames).reverse()];
    for (const kind of ['gradient', 'weight'] as const) {
      const cells = shown.flatMap(({ b, index }) => tensors.flatMap((tensor) => histogramCells(tensor, index, b.histograms![kind][tensor])));
      charts.push({
        file: `${kind === 'gradient' ? 'grad' : 'weight'}_histograms_${suffix}.png`,
        caption: kind === 'gradient' ? 'Magnitude histograms of each layer\'s recurrent-weight gradient over training' : 'Magnitude histograms of each layer\'s recurrent weights over training',
        spec: histogramStrips({
          title: titleFor(kind === 'gradient' ? 'Gradient Histograms' : 'Weight Histograms', metrics),
          subtitle: `${run}; |${kind === 'gradient' ? 'gradient' : 'weight'}| in half-decade bins (bottom row: exactly 0, top row: NaN/∞), before clipping and the update`,
          xTitle: 'batch', yTitle: kind === 'gradient' ? '|gradient|' : '|weight|',
        }, cells, tensors),
      });
    }
  }

  const saturation = (record: EpochRecord | undefined, label: string) => (record?.meanSaturatedFraction ?? []).map((value, layer) => ({ label: String(layer), value, group: label }));
  const firstEpoch = epochs[0];
  const saturationBars = [...saturation(firstEpoch, `epoch ${firstEpoch?.epoch ?? ''}`), ...(lastEpoch !== undefined && lastEpoch !== firstEpoch ? saturation(lastEpoch, `epoch ${lastEpoch.epoch}`) : [])];
  const relu = summary.cell === 'rnn' && summary.nonlinearity === 'relu';
  const rule = relu ? 'dead: a ReLU unit that is 0 for every sequence and step of a batch' : 'saturated: |tanh| > 0.99 (LSTM: tanh of the cell, GRU: the candidate state)';
  const none = saturationBars.length > 0 && saturationBars.every((bar) => bar.value === 0) ? `no ${relu ? 'dead' : 'saturated'} units in any layer` : undefined;
  charts.push({
    file: `saturation_${suffix}.png`,
    caption: relu ? 'Fraction of dead ReLU units per layer (0 for a whole batch)' : 'Fraction of saturated activations per layer (tanh, LSTM cell, GRU candidate |·| > 0.99)',
    spec: groupedBars({
      title: titleFor('Saturated or Dead Units per Layer', metrics),
      subtitle: `${run}; ${rule}, where almost no gradient passes`,
      xTitle: 'layer (0 = bottom)', yTitle: relu ? 'fraction of units dead' : 'fraction of activations saturated', groupTitle: 'epoch',
    }, saturationBars, { percent: true, note: none }),
  });
  return charts;
}

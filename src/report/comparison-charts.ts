/**
 * Charts that put a suite's experiments side by side: where along the depth and back through
 * time each one's gradient dies, the loss and accuracy curves, and the verdicts.
 */
import { formatNumber, learningLabels } from '../diagnose/sentences.js';
import { recurrentWeightNames } from '../diagnose/parameter-layers.js';
import type { ExperimentMetrics, RecordedNumber, VerdictKind } from '../record/metrics.js';
import { decodeNumber } from '../record/metrics.js';
import { aggregateSeeds, linearLines, logLines, textTable } from './chart-kinds.js';
import type { LinePoint } from './chart-kinds.js';
import type { NamedChart } from './experiment-charts.js';

export const verdictColors: Record<VerdictKind, string> = {
  vanishing: '#1f5fbf',
  exploding: '#d62728',
  healthy: '#2ca02c',
  diverged: '#8c2d04',
  borderline: '#b8860b',
  inconclusive: '#7f7f7f',
};

/** The verdicts drawn as a table, for the PNGs (the report page has the table itself). */
export const verdictTableFile = 'compare_verdicts.png';

/** ‖∂L/∂x_t‖ per step in the last epoch that recorded it: the probe's when the loss is read at every step. */
export function arrivalProfile(metrics: ExperimentMetrics): RecordedNumber[] | null {
  const recorded = metrics.epochs.filter((epoch) => epoch.meanInputGradientNorms != null || epoch.meanLastStepProbe != null).at(-1);
  if (recorded === undefined) return null;
  return recorded.meanLastStepProbe?.inputGradientNorms ?? recorded.meanInputGradientNorms ?? null;
}

function measure(metrics: ExperimentMetrics, name: string): string {
  const value = metrics.summary.verdict.measures[name];
  return value === null || value === undefined ? '—' : formatNumber(decodeNumber(value));
}

/**
 * The comparison charts of a run (or of several runs). `seedGroups` lists experiments that
 * differ only in their seed: each group is drawn as one mean line with its spread as a band.
 */
export function comparisonCharts(experiments: readonly ExperimentMetrics[], suiteName: string, seedGroups: readonly { label: string; members: readonly string[] }[] = []): NamedChart[] {
  const geometric = (points: LinePoint[]): LinePoint[] => aggregateSeeds(points, seedGroups, 'geometric');
  // Every chart colours a series by its place among all of them, so a chart of some keeps the colours.
  const colorOrder = [...new Set(geometric(experiments.map((e) => ({ series: e.summary.name, x: 0, value: 1 }))).map((p) => p.series))];
  const charts: NamedChart[] = [];
  const depth: LinePoint[] = [];
  for (const e of experiments) {
    const last = e.epochs.at(-1);
    if (last === undefined) continue;
    recurrentWeightNames(e.summary.parameterNames).forEach((name, layer) => depth.push({ series: e.summary.name, x: layer, value: last.meanGradientNorms[name] ?? null }));
  }
  // A suite of one-layer nets has no depth to draw.
  if (experiments.some((e) => e.summary.numLayers > 1)) charts.push({
    file: 'compare_depth_profile.png',
    filterable: true,
    caption: 'Gradient norm of each layer\'s recurrent weights (last epoch), one line per experiment',
    spec: logLines({
      title: `Gradient Through Depth - ${suiteName}`,
      subtitle: 'mean L2 norm of each layer\'s recurrent weight gradient (weight_hh) in the last epoch; layer 0 is next to the input',
      xTitle: 'layer (0 = bottom, next to the input)', yTitle: 'mean gradient L2 norm of weight_hh',
    }, geometric(depth), { xInteger: true, seriesTitle: 'experiment', colorOrder }),
  });

  // What the verdict judges through time: the gradient arriving at the input, k steps before the
  // answer, relative to the last step's (the last-step probe where the loss is read at every step),
  // so experiments of different scales and lengths share one axis.
  const time: LinePoint[] = [];
  // Different sequence lengths get their own dash, so a T = 200 curve is not read as a T = 50 one.
  const lengths = new Set(experiments.map((e) => e.summary.steps));
  for (const e of experiments) {
    const profile = arrivalProfile(e)?.map(decodeNumber);
    if (profile === undefined || profile.length === 0) continue;
    const last = profile[profile.length - 1];
    const dash = lengths.size > 1 ? `T = ${e.summary.steps}` : undefined;
    profile.forEach((value, t) => time.push({ series: e.summary.name, x: profile.length - 1 - t, value: last === 0 ? null : value / last, dash }));
  }
  charts.push({
    file: 'compare_time_profile.png',
    filterable: true,
    caption: '‖∂L/∂x_t‖, the gradient arriving at the input k steps before the answer, relative to the last step (last recorded epoch)',
    spec: logLines({
      title: `Gradient Through Time - ${suiteName}`,
      subtitle: 'what the verdict judges: ‖∂L/∂x‖ k steps back over its value at the last step (for losses read at every step, the last step\'s loss alone)',
      xTitle: 'steps back from the answer (k)', yTitle: '‖∂L/∂x‖ relative to the last step',
    }, geometric(time), { xInteger: true, seriesTitle: 'experiment', dashTitle: 'sequence length', colorOrder }),
  });

  // One panel per sequence length as well: each length on its own axis of steps back.
  if (lengths.size > 1) {
    for (const length of [...lengths].sort((a, b) => a - b)) {
      const members = new Set(experiments.filter((e) => e.summary.steps === length).map((e) => e.summary.name));
      const panel = time.filter((p) => members.has(p.series)).map((p) => ({ ...p, dash: undefined }));
      if (panel.length === 0) continue;
      charts.push({
        file: `compare_time_profile_T${length}.png`,
        filterable: true,
        caption: `The same for the experiments of sequence length ${length} alone`,
        spec: logLines({
          title: `Gradient Through Time, T = ${length} - ${suiteName}`,
          subtitle: '‖∂L/∂x‖ k steps back over its value at the last step, for the experiments of this sequence length',
          xTitle: 'steps back from the answer (k)', yTitle: '‖∂L/∂x‖ relative to the last step',
        }, geometric(panel), { xInteger: true, seriesTitle: 'experiment', colorOrder }),
      });
    }
  }

  const loss: LinePoint[] = experiments.flatMap((e) => e.epochs.flatMap((epoch): LinePoint[] => [
    { series: e.summary.name, dash: 'training', x: epoch.epoch, value: epoch.meanLoss },
    ...(epoch.validationLoss !== null ? [{ series: e.summary.name, dash: 'validation', x: epoch.epoch, value: epoch.validationLoss }] : []),
  ]));
  // A diverged run's loss goes on the top line beyond the others' range; the chance levels as lines.
  const diverged = new Set(experiments.filter((e) => e.summary.status === 'diverged').map((e) => e.summary.name));
  const chance = new Map<number, string[]>();
  for (const e of experiments) if (e.summary.baseline !== null) chance.set(e.summary.baseline.loss, [...(chance.get(e.summary.baseline.loss) ?? []), e.summary.name]);
  const references = [...chance].map(([value, names]) => ({ value, label: chance.size > 1 ? `chance ${formatNumber(value)} (${names.length > 2 ? `${names[0]} …` : names.join(', ')})` : `chance ${formatNumber(value)}` }));
  charts.push({
    file: 'compare_loss.png',
    filterable: true,
    caption: 'Training (solid) and validation (dashed) loss per epoch, with the chance level',
    spec: logLines({ title: `Loss - ${suiteName}`, subtitle: 'mean training loss over the epoch\'s batches, and validation loss after it; dashed grey: the chance level', xTitle: 'epoch', yTitle: 'loss' }, geometric(loss), { xInteger: true, seriesTitle: 'experiment', dashTitle: 'split', offScaleSeries: diverged, references, colorOrder }),
  });

  const classification = experiments.filter((e) => e.epochs.some((epoch) => epoch.meanAccuracy !== null));
  if (classification.length > 0) {
    const accuracy: LinePoint[] = classification.flatMap((e) => e.epochs.flatMap((epoch): LinePoint[] => [
      { series: e.summary.name, dash: 'training', x: epoch.epoch, value: epoch.meanAccuracy },
      ...(epoch.validationAccuracy !== null ? [{ series: e.summary.name, dash: 'validation', x: epoch.epoch, value: epoch.validationAccuracy }] : []),
    ]));
    const chance = classification.map((e) => e.summary.baseline?.accuracy).find((value) => value !== undefined);
    charts.push({
      file: 'compare_accuracy.png',
      filterable: true,
      caption: 'Training (solid) and validation (dashed) accuracy per epoch',
      spec: linearLines({ title: `Accuracy - ${suiteName}`, subtitle: chance !== undefined ? `chance level ${(100 * chance).toFixed(0)} %` : undefined, xTitle: 'epoch', yTitle: 'accuracy' }, aggregateSeeds(accuracy, seedGroups, 'arithmetic'), { domain: [0, 1], percent: true, seriesTitle: 'experiment', dashTitle: 'split', xInteger: true, colorOrder }),
    });
  }

  charts.push({
    file: verdictTableFile,
    caption: 'The verdict on each experiment with the measures behind it',
    spec: textTable(`Verdicts - ${suiteName}`, 'fitted rates at the end: depth = update size per layer down the stack; time = gradient arriving at the input per step back; span = the distance the task needs in time constants (6 or more: vanishing)', [
      { title: 'experiment' }, { title: 'verdict' }, { title: 'at init' }, { title: 'learned?' }, { title: 'val. accuracy' },
      { title: 'depth ×/layer' }, { title: 'time ×/step' }, { title: 'span' },
    ], experiments.map((e) => {
      const s = e.summary;
      const initial = s.verdict.atInitialisation?.kind;
      return {
        cells: [
          s.name, s.verdict.kind, initial ?? '—', learningLabels[s.verdict.learning.kind], s.final.validationAccuracy === null ? '—' : `${(100 * s.final.validationAccuracy).toFixed(1)} %`,
          measure(e, 'depthPerLayer'), measure(e, 'timePerStep'), measure(e, 'timeConstantsOverLag'),
        ],
        colors: [null, verdictColors[s.verdict.kind], initial === undefined ? null : verdictColors[initial], null, null, null, null, null],
      };
    })),
  });
  return charts;
}

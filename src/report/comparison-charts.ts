/**
 * Charts that put a suite's experiments side by side: where along the depth and back through
 * time each one's gradient dies, the loss and accuracy curves, and the verdicts.
 */
import { formatNumber } from '../diagnose/diagnose.js';
import { recurrentWeightNames } from '../diagnose/parameter-layers.js';
import type { ExperimentMetrics, VerdictKind } from '../record/metrics.js';
import { decodeNumber } from '../record/metrics.js';
import { linearLines, logLines, textTable } from './chart-kinds.js';
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

function measure(metrics: ExperimentMetrics, name: string): string {
  const value = metrics.summary.verdict.measures[name];
  return value === null || value === undefined ? '—' : formatNumber(decodeNumber(value));
}

export function comparisonCharts(experiments: readonly ExperimentMetrics[], suiteName: string): NamedChart[] {
  const charts: NamedChart[] = [];
  const depth: LinePoint[] = [];
  for (const e of experiments) {
    const last = e.epochs.at(-1);
    if (last === undefined) continue;
    recurrentWeightNames(e.summary.parameterNames).forEach((name, layer) => depth.push({ series: e.summary.name, x: layer, value: last.meanGradientNorms[name] ?? null }));
  }
  charts.push({
    file: 'compare_depth_profile.png',
    caption: 'Gradient norm of each layer\'s recurrent weights (last epoch), one line per experiment',
    spec: logLines({
      title: `Gradient Through Depth - ${suiteName}`,
      subtitle: 'mean L2 norm of each layer\'s recurrent weight gradient (weight_hh) in the last epoch; layer 0 is next to the input',
      xTitle: 'layer (0 = bottom, next to the input)', yTitle: 'mean gradient L2 norm of weight_hh',
    }, depth, { xInteger: true, seriesTitle: 'experiment' }),
  });

  const time: LinePoint[] = [];
  for (const e of experiments) {
    const recorded = e.epochs.filter((epoch) => epoch.meanHiddenGradientNorms !== null).at(-1);
    recorded?.meanHiddenGradientNorms?.[0].forEach((value, t) => time.push({ series: e.summary.name, x: t + 1, value }));
  }
  charts.push({
    file: 'compare_time_profile.png',
    caption: '‖∂L/∂h_t‖ of the bottom layer against t (last recorded epoch), one line per experiment',
    spec: logLines({
      title: `Gradient Through Time - ${suiteName}`,
      subtitle: '‖∂L/∂h_t‖ of the bottom layer, mean over the recorded batches of the last epoch; the loss is read at the last step',
      xTitle: 'time step t', yTitle: '‖∂L/∂h_t‖ (bottom layer)',
    }, time, { xInteger: true, seriesTitle: 'experiment' }),
  });

  const loss: LinePoint[] = experiments.flatMap((e) => e.epochs.flatMap((epoch): LinePoint[] => [
    { series: e.summary.name, dash: 'training', x: epoch.epoch, value: epoch.meanLoss },
    ...(epoch.validationLoss !== null ? [{ series: e.summary.name, dash: 'validation', x: epoch.epoch, value: epoch.validationLoss }] : []),
  ]));
  charts.push({
    file: 'compare_loss.png',
    caption: 'Training (solid) and validation (dashed) loss per epoch',
    spec: logLines({ title: `Loss - ${suiteName}`, subtitle: 'mean training loss over the epoch\'s batches, and validation loss after it', xTitle: 'epoch', yTitle: 'loss' }, loss, { xInteger: true, seriesTitle: 'experiment', dashTitle: 'split' }),
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
      caption: 'Training (solid) and validation (dashed) accuracy per epoch',
      spec: linearLines({ title: `Accuracy - ${suiteName}`, subtitle: chance !== undefined ? `chance level ${(100 * chance).toFixed(0)} %` : undefined, xTitle: 'epoch', yTitle: 'accuracy' }, accuracy, { domain: [0, 1], percent: true, seriesTitle: 'experiment', dashTitle: 'split', xInteger: true }),
    });
  }

  charts.push({
    file: 'compare_verdicts.png',
    caption: 'The verdict on each experiment with the measures behind it',
    spec: textTable(`Verdicts - ${suiteName}`, 'geometric means: depth = bottom over top layer gradient, per layer; time = first over last step ‖∂L/∂h_t‖, per step; below 1 shrinks, above 1 grows', [
      { title: 'experiment' }, { title: 'verdict' }, { title: 'val. accuracy' }, { title: 'smallest grad' },
      { title: 'depth ×/layer' }, { title: 'time ×/step, bottom' }, { title: 'time ×/step, top' },
    ], experiments.map((e) => {
      const s = e.summary;
      return {
        cells: [
          s.name, s.verdict.kind, s.final.validationAccuracy === null ? '—' : `${(100 * s.final.validationAccuracy).toFixed(1)} %`,
          measure(e, 'minLayerGradientNorm'), measure(e, 'depthRatioPerLayer'), measure(e, 'timeRatioPerStep_bottom'), measure(e, 'timeRatioPerStep_top'),
        ],
        colors: [null, verdictColors[s.verdict.kind], null, null, null, null, null],
      };
    })),
  });
  return charts;
}

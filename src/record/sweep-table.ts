/**
 * A sweep's results, one row per point (sweep.csv in the run folder, and the phase diagrams'
 * data): the point's values on every axis, then what the diagnosis found there. The numbers are
 * the verdict's own measures (record/metrics.ts `Verdict.measures`), at initialisation and at the
 * end of training, so the table says nothing the summaries do not.
 */
import type { ExperimentSummary, RecordedNumber } from './metrics.js';
import { decodeNumber } from './metrics.js';
import type { SweepRecord } from './run-format.js';

export interface SweepRow {
  experiment: string;
  base: string;
  /** One value per axis, in the axes' order. */
  values: (number | string | boolean | null)[];
  /** finished, diverged, failed (no summary: see the experiment's error.txt). */
  status: 'finished' | 'diverged' | 'failed' | 'running';
  verdict: string | null;
  verdictAtInitialisation: string | null;
  learning: string | null;
  /** The gradient arriving at the input, ratio per step back through time (the verdict's fit), at the end and at initialisation. */
  perStepRatio: number | null;
  perStepRatioAtInitialisation: number | null;
  /** The top layer's own recurrence, ratio per step. */
  recurrencePerStep: number | null;
  recurrencePerStepAtInitialisation: number | null;
  /** Down the stack, ratio per layer (the verdict's fit). */
  perLayerRatio: number | null;
  perLayerRatioAtInitialisation: number | null;
  finalLoss: number | null;
  validationLoss: number | null;
  chanceLoss: number | null;
  validationLossOverChance: number | null;
  /** Mean-field theory at initialisation (summary.prediction): χ of the top layer, the per-step and per-layer ratios it predicts; null where none applies. */
  predictedChi: number | null;
  predictedPerStep: number | null;
  predictedPerLayer: number | null;
}

/** The columns of sweep.csv after the axes, and the row field each holds. */
export const sweepColumns: readonly [string, keyof SweepRow][] = [
  ['status', 'status'],
  ['verdict', 'verdict'],
  ['verdict_at_initialisation', 'verdictAtInitialisation'],
  ['learning', 'learning'],
  ['per_step_ratio', 'perStepRatio'],
  ['per_step_ratio_at_initialisation', 'perStepRatioAtInitialisation'],
  ['recurrence_per_step', 'recurrencePerStep'],
  ['recurrence_per_step_at_initialisation', 'recurrencePerStepAtInitialisation'],
  ['per_layer_ratio', 'perLayerRatio'],
  ['per_layer_ratio_at_initialisation', 'perLayerRatioAtInitialisation'],
  ['final_loss', 'finalLoss'],
  ['validation_loss', 'validationLoss'],
  ['chance_loss', 'chanceLoss'],
  ['validation_loss_over_chance', 'validationLossOverChance'],
  ['predicted_chi', 'predictedChi'],
  ['predicted_per_step_at_initialisation', 'predictedPerStep'],
  ['predicted_per_layer_at_initialisation', 'predictedPerLayer'],
];

function measure(summary: ExperimentSummary, name: string): number | null {
  const value: RecordedNumber | null | undefined = summary.verdict.measures[name];
  return value === null || value === undefined ? null : decodeNumber(value);
}

function numberOrNull(value: RecordedNumber | null | undefined): number | null {
  return value === null || value === undefined ? null : decodeNumber(value);
}

/** One row per point; `summaryOf` gives the point's summary, or null when it has none (failed). */
export function sweepRows(sweep: SweepRecord, summaryOf: (experiment: string) => ExperimentSummary | null): SweepRow[] {
  return sweep.points.map((point) => {
    const summary = summaryOf(point.experiment);
    if (summary === null) {
      return {
        experiment: point.experiment, base: point.base, values: point.values, status: 'failed', verdict: null, verdictAtInitialisation: null, learning: null,
        perStepRatio: null, perStepRatioAtInitialisation: null, recurrencePerStep: null, recurrencePerStepAtInitialisation: null,
        perLayerRatio: null, perLayerRatioAtInitialisation: null, finalLoss: null, validationLoss: null, chanceLoss: null, validationLossOverChance: null,
        predictedChi: null, predictedPerStep: null, predictedPerLayer: null,
      };
    }
    const validationLoss = numberOrNull(summary.final.validationLoss);
    const chanceLoss = summary.baseline?.loss ?? null;
    return {
      experiment: point.experiment,
      base: point.base,
      values: point.values,
      status: summary.status,
      verdict: summary.verdict.kind,
      verdictAtInitialisation: summary.verdict.atInitialisation?.kind ?? null,
      learning: summary.verdict.learning.kind,
      perStepRatio: measure(summary, 'timePerStep'),
      perStepRatioAtInitialisation: measure(summary, 'initTimePerStep'),
      recurrencePerStep: measure(summary, 'recurrencePerStep'),
      recurrencePerStepAtInitialisation: measure(summary, 'initRecurrencePerStep'),
      perLayerRatio: measure(summary, 'depthPerLayer'),
      perLayerRatioAtInitialisation: measure(summary, 'initDepthPerLayer'),
      finalLoss: numberOrNull(summary.final.loss),
      validationLoss,
      chanceLoss,
      validationLossOverChance: validationLoss !== null && chanceLoss !== null && chanceLoss > 0 ? validationLoss / chanceLoss : null,
      predictedChi: summary.prediction?.chi ?? null,
      predictedPerStep: summary.prediction?.perStep ?? null,
      predictedPerLayer: summary.prediction?.perLayer ?? null,
    };
  });
}

/** A CSV cell: numbers as JavaScript writes them (NaN, Infinity included), text quoted when it must be. */
function cell(value: number | string | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** sweep.csv: experiment, base, one column per axis (named by its field), then `sweepColumns`. */
export function sweepCsv(sweep: SweepRecord, rows: readonly SweepRow[]): string {
  const header = ['experiment', 'base', ...sweep.axes.map((axis) => axis.field), ...sweepColumns.map(([name]) => name)];
  const lines = rows.map((row) => [row.experiment, row.base, ...row.values, ...sweepColumns.map(([, key]) => row[key] as number | string | null)].map(cell).join(','));
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

/** The table printed when a suite ends: one row per experiment. */
import Table from 'cli-table3';
import { formatNumber } from '../diagnose/diagnose.js';
import type { ExperimentOutcome } from '../experiments/run-suite.js';
import { decodeNumber } from '../record/metrics.js';
import type { RecordedNumber } from '../record/metrics.js';

function number(value: RecordedNumber | null | undefined): string {
  return value === null || value === undefined ? '—' : formatNumber(decodeNumber(value));
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(100 * value).toFixed(1)} %`;
}

export function summaryTable(outcomes: readonly ExperimentOutcome[], colours: boolean): string {
  const table = new Table({
    // The chance-level loss beside the validation loss: a verdict on gradients alone does not say
    // whether the model learned anything.
    head: ['experiment', 'verdict', 'final loss', 'val loss', 'chance loss', 'val acc', 'min layer grad', 'time'],
    style: { head: colours ? ['cyan'] : [], border: colours ? ['grey'] : [] },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const outcome of outcomes) {
    const s = outcome.summary;
    if (s === null) {
      table.push([outcome.name, 'failed', '—', '—', '—', '—', '—', '—']);
      continue;
    }
    const verdict = s.verdict.kind + (outcome.skipped ? ' (kept)' : '');
    table.push([
      outcome.name, verdict, number(s.final.loss), number(s.final.validationLoss), number(s.baseline?.loss), percent(s.final.validationAccuracy),
      number(s.final.minLayerGradientNorm), `${s.seconds.toFixed(1)} s`,
    ]);
  }
  return table.toString();
}

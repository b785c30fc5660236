/** The table printed when a suite ends: one row per experiment. */
import Table from 'cli-table3';
import { formatNumber, learningLabels } from '../diagnose/sentences.js';
import { describeExpectation, expectationMismatches } from '../diagnose/expectation.js';
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
  const checked = outcomes.some((outcome) => outcome.summary?.expected != null);
  const head = ['experiment', 'verdict', 'at init', 'learned?', 'val loss', 'chance loss', 'val acc', 'min layer grad', 'time'];
  if (checked) head.push('expected');
  const table = new Table({
    // The chance-level loss beside the validation loss: a verdict on gradients alone does not say
    // whether the model learned anything.
    head,
    style: { head: colours ? ['cyan'] : [], border: colours ? ['grey'] : [] },
    colAligns: ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const outcome of outcomes) {
    const s = outcome.summary;
    if (s === null) {
      table.push([outcome.name, 'failed', ...new Array<string>(head.length - 2).fill('—')]);
      continue;
    }
    const verdict = s.verdict.kind + (outcome.skipped ? ' (kept)' : '');
    const row = [
      outcome.name, verdict, s.verdict.atInitialisation?.kind ?? '—', learningLabels[s.verdict.learning.kind], number(s.final.validationLoss),
      number(s.baseline?.loss), percent(s.final.validationAccuracy), number(s.final.minLayerGradientNorm), `${s.seconds.toFixed(1)} s`,
    ];
    if (checked) {
      const expected = s.expected ?? null;
      const mismatches = expectationMismatches(s.verdict, expected);
      row.push(expected === null ? '—' : mismatches.length === 0 ? `✓ ${describeExpectation(expected)}` : `✗ ${mismatches.join('; ')}`);
    }
    table.push(row);
  }
  return table.toString();
}

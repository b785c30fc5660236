/**
 * Sweeps: a suite's `sweep:` axes expand into one experiment per point, named from the point;
 * every point is validated before anything runs (a problem names the experiment and the point);
 * a run writes sweep.csv with one row per point, and the report draws the sweep's pictures.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/experiments/errors.js';
import { runSuite } from '../../src/experiments/run-suite.js';
import { loadSuite, resolveSuite } from '../../src/experiments/suite.js';
import { rangeValues } from '../../src/experiments/sweep.js';
import { buildReport } from '../../src/report/index.js';
import { predictedBoundary, sweepCharts } from '../../src/report/sweep-charts.js';
import type { SweepRow } from '../../src/record/sweep-table.js';

const folder = mkdtempSync(join(tmpdir(), 'vanishing-sweep-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));

const tiny = {
  name: 'tiny',
  defaults: {
    model: { hidden_size: 4, num_layers: 1, init: 'orthogonal' },
    data: { dataset: 'adding', length: 6, train_samples: 16, validation_samples: 8, test_samples: 8 },
    training: { epochs: 1, batch_size: 8 },
  },
  experiments: [{ name: 'tanh' }, { name: 'relu', model: { nonlinearity: 'relu' } }],
};

function problems(document: unknown): string[] {
  try {
    resolveSuite(document, 'grid.yaml');
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    for (const line of error.problems) assert.ok(!line.includes('\n'));
    return [...error.problems];
  }
  return assert.fail('the sweep was accepted');
}

test('ranges: linear and log, both ends included, rounded to 6 digits', () => {
  assert.deepEqual(rangeValues({ from: 0.5, to: 3, steps: 11 }), [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3]);
  assert.deepEqual(rangeValues({ from: 1e-3, to: 1e-1, steps: 3, scale: 'log' }), [0.001, 0.01, 0.1]);
  assert.deepEqual(rangeValues({ from: 2, to: 5, steps: 1 }), [2]);
});

test('every experiment at every point: the first axis varies slowest, names derived from the point, values set in their sections', () => {
  const suite = resolveSuite({ ...tiny, sweep: { 'model.recurrent_gain': { from: 0.5, to: 1.5, steps: 3 }, 'data.length': [6, 8], 'training.seed': [0, 1] } }, 'grid.yaml');
  assert.equal(suite.experiments.length, 2 * 3 * 2 * 2);
  assert.deepEqual(suite.experiments.slice(0, 3).map((e) => e.name), [
    'tanh__recurrent_gain_0.5__length_6__seed_0', 'tanh__recurrent_gain_0.5__length_6__seed_1', 'tanh__recurrent_gain_0.5__length_8__seed_0',
  ]);
  const point = suite.experiments.find((e) => e.name === 'relu__recurrent_gain_1.5__length_8__seed_1')!;
  assert.equal(point.model.recurrent_gain, 1.5);
  assert.equal(point.model.nonlinearity, 'relu');
  assert.equal(point.data.length, 8);
  assert.equal(point.training.seed, 1);
  // Everything else as written.
  assert.equal(point.model.hidden_size, 4);
  assert.deepEqual(suite.sweep?.axes.map((axis) => axis.field), ['model.recurrent_gain', 'data.length', 'training.seed']);
  assert.deepEqual(suite.sweep?.points.find((p) => p.experiment === point.name), { experiment: point.name, base: 'relu', values: [1.5, 8, 1] });
  assert.equal(resolveSuite(tiny, 'plain.yaml').sweep, null);
});

test('every point is validated before anything runs, and a problem names the experiment and the point', () => {
  const lines = problems({ ...tiny, sweep: { 'model.num_layers': [0, 2], 'model.recurrent_gain': [1, 200] } });
  assert.ok(lines.some((line) => line === 'grid.yaml: experiments[0] at num_layers=0, recurrent_gain=1: model.num_layers: must be ≥ 1, got 0'), lines.join('\n'));
  assert.ok(lines.some((line) => /^grid\.yaml: experiments\[1\] at num_layers=2, recurrent_gain=200: model\.recurrent_gain: must be ≤ 100, got 200$/.test(line)), lines.join('\n'));
  // A point that breaks a rule between fields is named the same way.
  assert.ok(problems({ ...tiny, sweep: { 'model.cell': ['rnn', 'gru'], 'model.init': ['identity'] } }).some((line) => line.startsWith('grid.yaml: experiments[0] at cell="gru", init="identity": model.init: identity (IRNN) needs cell rnn')));
});

test('a bad axis says what an axis is', () => {
  assert.match(problems({ ...tiny, sweep: { 'model.hidden': [2] } }).join('\n'), /sweep\.model\.hidden: unknown field \(known in model: architecture, cell/);
  assert.match(problems({ ...tiny, sweep: { 'layers': [2] } }).join('\n'), /sweep\.layers: an axis names a field as section\.field/);
  assert.match(problems({ ...tiny, sweep: { 'model.num_layers': 3 } }).join('\n'), /sweep\["model\.num_layers"\]: an axis is a list of values or a range \{ from, to, steps, scale: linear \| log \}, got 3/);
  assert.match(problems({ ...tiny, sweep: { 'model.recurrent_gain': { from: 0.5, to: 2, steps: 0 } } }).join('\n'), /sweep\["model\.recurrent_gain"\]\.steps: must be ≥ 1, got 0/);
  assert.match(problems({ ...tiny, sweep: { 'model.recurrent_gain': { from: 0, to: 2, steps: 3, scale: 'log' } } }).join('\n'), /a log range needs from and to > 0/);
  assert.match(problems({ ...tiny, sweep: { 'model.num_layers': [1, 1] } }).join('\n'), /a value is listed twice/);
  assert.match(problems({ ...tiny, sweep: { 'training.seed': { from: 0, to: 999, steps: 1000 }, 'model.hidden_size': { from: 1, to: 20, steps: 20 } } }).join('\n'), /sweep: 20000 points per experiment \(1000 × 20\); at most 10000/);
  assert.match(problems({ ...tiny, sweep: {} }).join('\n'), /sweep: needs at least one axis/);
});

test('a sweep runs into one folder with sweep.csv (a row per point), resumes, and its report draws the phase diagrams', async () => {
  const path = join(folder, 'grid.yaml');
  writeFileSync(path, JSON.stringify({ ...tiny, experiments: [tiny.experiments[0]], sweep: { 'model.recurrent_gain': [0.5, 1.5], 'model.num_layers': [1, 2], 'training.seed': [0, 1] } }));
  const suite = loadSuite(path);
  const outcome = await runSuite(suite, { outRoot: join(folder, 'runs'), workers: 0 });
  const csv = readFileSync(join(outcome.folder, 'sweep.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + 8);
  const header = csv[0].split(',');
  assert.deepEqual(header.slice(0, 5), ['experiment', 'base', 'model.recurrent_gain', 'model.num_layers', 'training.seed']);
  for (const column of ['verdict', 'verdict_at_initialisation', 'per_step_ratio_at_initialisation', 'per_layer_ratio', 'validation_loss', 'chance_loss']) assert.ok(header.includes(column), column);
  const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(',').map((cell, i) => [header[i], cell])));
  assert.deepEqual(rows.map((row) => row.experiment), suite.experiments.map((e) => e.name));
  for (const row of rows) {
    const summary = JSON.parse(readFileSync(join(outcome.folder, row.experiment, 'summary.json'), 'utf8')) as { verdict: { kind: string; measures: Record<string, number | null> }; prediction: { applies: boolean; perStep: number; chi: number } };
    assert.equal(row.verdict, summary.verdict.kind);
    assert.equal(Number(row.per_step_ratio_at_initialisation), summary.verdict.measures.initTimePerStep);
    // Theory beside the measurement: the summary's prediction, in the row.
    assert.equal(summary.prediction.applies, true);
    assert.equal(Number(row.predicted_per_step_at_initialisation), summary.prediction.perStep);
    assert.equal(Number(row.predicted_chi), summary.prediction.chi);
  }
  // The gain is what the point says: below 1 the gradient shrinks per step at initialisation, above 1 it grows.
  const perStep = (gain: string): number[] => rows.filter((row) => row['model.recurrent_gain'] === gain).map((row) => Number(row.per_step_ratio_at_initialisation));
  assert.ok(perStep('0.5').every((ratio) => ratio < 0.7), String(perStep('0.5')));
  assert.ok(perStep('1.5').every((ratio) => ratio > 1), String(perStep('1.5')));

  rmSync(join(outcome.folder, 'sweep.csv'));
  const resumed = await runSuite(null, { resume: outcome.folder, workers: 0 });
  assert.ok(resumed.experiments.every((experiment) => experiment.skipped));
  assert.equal(readFileSync(join(outcome.folder, 'sweep.csv'), 'utf8').trim().split('\n').length, 9);

  const report = await buildReport(outcome.folder);
  const files = readdirSync(report.plotsDir).sort();
  assert.deepEqual(files, ['sweep_phase_loss.png', 'sweep_phase_per_layer_at_init.png', 'sweep_phase_per_step.png', 'sweep_phase_per_step_at_init.png', 'sweep_phase_verdict.png']);
  assert.ok(existsSync(report.report));
  const html = readFileSync(report.report, 'utf8');
  assert.match(html, /sweep_phase_per_step_at_init\.png/);
  assert.match(html, /dashed: where mean-field theory predicts a ratio of 1 per step at initialisation/, 'the predicted boundary is drawn: the gains 0.5 and 1.5 lie on both sides of it');
});

test('one drawn axis gives lines with a band across seeds; a point that failed is a row without numbers', () => {
  const row = (gain: number, seed: number, ratio: number | null): SweepRow => ({
    experiment: `t__g_${gain}__s_${seed}`, base: 't', values: [gain, seed], status: ratio === null ? 'failed' : 'finished', verdict: ratio === null ? null : 'healthy', verdictAtInitialisation: null, learning: null,
    perStepRatio: ratio, perStepRatioAtInitialisation: ratio, recurrencePerStep: null, recurrencePerStepAtInitialisation: null, perLayerRatio: null, perLayerRatioAtInitialisation: null,
    finalLoss: null, validationLoss: null, chanceLoss: null, validationLossOverChance: null, predictedChi: null, predictedPerStep: null, predictedPerLayer: null,
  });
  const sweep = { axes: [{ field: 'model.recurrent_gain', values: [0.5, 1] }, { field: 'training.seed', values: [0, 1] }], points: [] };
  const charts = sweepCharts(sweep, [row(0.5, 0, 0.4), row(0.5, 1, 0.6), row(1, 0, 1), row(1, 1, null)], 'lines');
  assert.deepEqual(charts.map((chart) => chart.file), ['sweep_lines.png']);
  const values = (charts[0].spec as unknown as { data: { values: { x: number; measure: string; mean: number; low: number; high: number }[] } }).data.values;
  const atHalf = values.find((value) => value.x === 0.5 && /at initialisation/.test(value.measure))!;
  assert.ok(Math.abs(atHalf.mean - Math.sqrt(0.4 * 0.6)) < 1e-12, 'the geometric mean across seeds');
  assert.deepEqual([atHalf.low, atHalf.high], [0.4, 0.6]);
  assert.equal(values.find((value) => value.x === 1 && /at initialisation/.test(value.measure))!.mean, 1, 'the failed seed is left out, not counted as 0');
});

test('the predicted boundary crosses where the recorded prediction passes 1, row by row, as a staircase over the cells', () => {
  const row = (gain: number, layers: number, predicted: number): SweepRow => ({
    experiment: `t__g_${gain}__l_${layers}`, base: 't', values: [gain, layers], status: 'finished', verdict: 'healthy', verdictAtInitialisation: 'healthy', learning: null,
    perStepRatio: 1, perStepRatioAtInitialisation: 1, recurrencePerStep: null, recurrencePerStepAtInitialisation: null, perLayerRatio: null, perLayerRatioAtInitialisation: null,
    finalLoss: null, validationLoss: null, chanceLoss: null, validationLossOverChance: null, predictedChi: predicted ** 2, predictedPerStep: predicted, predictedPerLayer: null,
  });
  const xAxis = { field: 'model.recurrent_gain', values: [1, 2, 3] };
  const yAxis = { field: 'model.num_layers', values: [1, 2] };
  // Layer 1 crosses 1 halfway (in ln) between gains 1 and 2; layer 2 between 2 and 3.
  const rows = [row(1, 1, 0.5), row(2, 1, 2), row(3, 1, 4), row(1, 2, 0.25), row(2, 2, 0.5), row(3, 2, 2)];
  const cells = rows.map((r) => ({ x: r.values[0] as number, y: r.values[1] as number, rows: [r] }));
  const boundary = predictedBoundary(xAxis, yAxis, cells, 'predictedPerStep')!;
  assert.deepEqual(boundary.points.map((p) => [p.x, p.y]), [[1.5, 0.5], [1.5, 1.5], [2.5, 1.5], [2.5, 2.5]]);
  assert.equal(predictedBoundary(xAxis, yAxis, cells, 'predictedPerLayer'), null, 'no prediction recorded: no line');
});

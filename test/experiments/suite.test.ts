/**
 * Experiment files: every kind of bad input is rejected with one line naming the file, the
 * field path and the value; defaults merge as documented; the shipped presets are valid.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/experiments/errors.js';
import { listPresets } from '../../src/experiments/presets.js';
import { loadSuite, resolveSuite } from '../../src/experiments/suite.js';

const folder = mkdtempSync(join(tmpdir(), 'vanishing-suite-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));

function problemsOf(text: string, name = 'suite.yaml', overrides = {}): string[] {
  const path = join(folder, name);
  writeFileSync(path, text);
  try {
    loadSuite(path, overrides);
  } catch (error) {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    for (const line of error.problems) assert.ok(!line.includes('\n'), 'one line per problem');
    return [...error.problems];
  }
  assert.fail('the file was accepted');
}

function expectProblem(text: string, pattern: RegExp, name?: string): void {
  const problems = problemsOf(text, name);
  assert.ok(problems.some((line) => pattern.test(line)), `no line matches ${pattern}:\n${problems.join('\n')}`);
}

test('an unknown key names its path and the known keys', () => {
  expectProblem('experiments:\n  - name: a\n    training: { learnig_rate: 0.1 }\n', /suite\.yaml: experiments\[0\]\.training\.learnig_rate: unknown key \(known: optimizer, learning_rate/);
  expectProblem('experiment:\n  - name: a\n', /\(top level\): experiments: required, missing|experiment: unknown key/);
});

test('a wrong type names the field and the value', () => {
  expectProblem('experiments:\n  - name: a\n    model: { hidden_size: "big" }\n', /experiments\[0\]\.model\.hidden_size: must be integer, got "big"/);
  expectProblem('experiments:\n  - name: a\n    training: { epochs: 2.5 }\n', /experiments\[0\]\.training\.epochs: must be integer, got 2\.5/);
});

test('a value out of range names the bound and the value', () => {
  expectProblem('experiments:\n  - name: a\n    training: { learning_rate: -1 }\n', /experiments\[0\]\.training\.learning_rate: must be > 0, got -1/);
  expectProblem('defaults:\n  training: { momentum: 1.5 }\nexperiments:\n  - name: a\n', /defaults\.training\.momentum: must be < 1, got 1\.5/);
  expectProblem('experiments:\n  - name: a\n    model: { cell: lstmm }\n', /experiments\[0\]\.model\.cell: must be one of rnn, lstm, gru; got "lstmm"/);
});

test('an unknown dataset and a dataset option of another dataset are rejected', () => {
  expectProblem('experiments:\n  - name: a\n    data: { dataset: cifar10 }\n', /experiments\[0\]\.data\.dataset: must be one of mnist, adding, copy, temporal_order, npy, csv; got "cifar10"/);
  expectProblem('experiments:\n  - name: a\n    data: { dataset: adding, variant: row }\n', /experiments\[0\]\.data\.variant: unknown option for dataset adding/);
  expectProblem('experiments:\n  - name: a\n    data: { dataset: mnist, samples: 0 }\n', /experiments\[0\]\.data\.samples: must be ≥ 1, got 0/);
});

test('user data: a required path missing, or a file that does not exist', () => {
  expectProblem('experiments:\n  - name: a\n    data: { dataset: npy, train_labels: y.npy }\n', /experiments\[0\]\.data\.train_inputs: required for dataset npy, missing/);
  expectProblem('experiments:\n  - name: a\n    data: { dataset: csv, path: nowhere.csv, label_column: y }\n', /experiments\[0\]\.data\.path: no such file "nowhere\.csv"/);
});

test('duplicate names, impossible combinations, bad names and syntax errors', () => {
  expectProblem('experiments:\n  - name: a\n  - name: a\n', /experiments\[1\]\.name: "a" is used by an earlier experiment/);
  expectProblem('experiments:\n  - name: a\n    model: { cell: lstm, init: identity }\n', /experiments\[0\]\.model\.init: identity \(IRNN\) needs cell rnn/);
  expectProblem('experiments:\n  - name: a\n    model: { cell: gru, forget_bias: 1 }\n', /experiments\[0\]\.model\.forget_bias: only the lstm cell has a forget gate, got cell "gru"/);
  expectProblem('experiments:\n  - name: a\n    model: { cell: lstm, forget_bias: 50 }\n', /experiments\[0\]\.model\.forget_bias: must be ≤ 20, got 50/);
  expectProblem('experiments:\n  - name: "../escape"\n', /experiments\[0\]\.name: must be a name of letters/);
  expectProblem('experiments:\n  - name: a\n   model: {\n', /suite\.yaml: line \d+, column \d+: [^\n]*[^:]$/m);
  expectProblem('{"experiments": [', /suite\.json: not valid JSON/, 'suite.json');
  expectProblem('experiments: []\n', /experiments: needs at least 1 item/);
});

test('several problems are reported together, each once', () => {
  const problems = problemsOf('defaults:\n  training: { learning_rate: 0, foo: 1 }\nexperiments:\n  - name: a\n    model: { num_layers: 0 }\n');
  assert.equal(problems.length, 3, problems.join('\n'));
});

test('a missing file or an unknown preset is one clear line', () => {
  assert.throws(() => loadSuite(join(folder, 'absent.yaml')), (error: unknown) => error instanceof InputError && /absent\.yaml: no such file, and not a preset/.test(error.message));
  assert.throws(() => loadSuite('quick', { only: ['nope'] }), (error: unknown) => error instanceof InputError && /--only: no experiment named "nope"/.test(error.message));
});

test('defaults merge under each experiment; another dataset does not inherit the defaults\' data options', () => {
  const suite = resolveSuite({
    defaults: { model: { hidden_size: 8 }, data: { dataset: 'mnist', variant: 'pixel' }, training: { epochs: 3 } },
    experiments: [{ name: 'a', model: { num_layers: 2 } }, { name: 'b', data: { dataset: 'adding', length: 30 }, training: { epochs: 1 } }],
  }, 'inline.yaml', { seed: 7 });
  const [a, b] = suite.experiments;
  assert.equal(a.model.hidden_size, 8);
  assert.equal(a.model.num_layers, 2);
  assert.equal(a.data.variant, 'pixel');
  assert.equal(a.training.epochs, 3);
  assert.equal(a.training.learning_rate, 0.01, "the original's learning rate is the built-in default");
  assert.equal(a.training.seed, 7, '--seed overrides every experiment');
  assert.deepEqual(Object.keys(b.data).sort(), ['dataset', 'length', 'marker_window', 'test_samples', 'train_samples', 'validation_samples']);
  assert.equal(b.training.epochs, 1);
  assert.equal(a.model_type, 'vanilla');
  assert.equal(a.mitigation, 'no_mitigation');
});

test('every shipped preset is valid; quick holds the original three and the cures', () => {
  const presets = listPresets().map((preset) => preset.name);
  assert.deepEqual(presets, ['classics', 'phase', 'quick', 'seed', 'verdicts']);
  for (const name of presets) assert.ok(loadSuite(name).experiments.length >= 3);
  const quick = loadSuite('quick');
  const names = quick.experiments.map((e) => e.name);
  for (const wanted of ['vanilla_tanh_no_mitigation', 'vanilla_tanh_xavier', 'residual_relu']) assert.ok(names.includes(wanted));
  assert.deepEqual([...new Set(quick.experiments.map((e) => e.model.cell))].sort(), ['lstm', 'rnn']);
  assert.ok(quick.experiments.some((e) => e.model.init === 'identity'));
  assert.ok(quick.experiments.some((e) => e.model.num_layers <= 2 && e.training.optimizer === 'adam'));
  assert.ok(quick.experiments.some((e) => e.training.clip_min_norm !== null));
  for (const e of quick.experiments.slice(0, 3)) assert.equal(e.model.num_layers, 20);
  const seed = loadSuite('seed');
  for (const e of seed.experiments) {
    assert.deepEqual([e.model.hidden_size, e.model.num_layers, e.training.learning_rate, e.training.batch_size, e.training.epochs], [256, 20, 0.01, 64, 50]);
  }
  assert.equal(loadSuite('quick', { epochs: 1 }).experiments.every((e) => e.training.epochs === 1), true);
});

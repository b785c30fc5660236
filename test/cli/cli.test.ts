/**
 * The `vanishing` command line as a user runs it: exit codes (0 done, 2 bad input, nothing
 * written), the plain per-epoch lines off a terminal, the final table, `list` and `report`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CliResult } from './run-cli.js';
import { runCli } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-cli-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function vanishing(...args: string[]): CliResult {
  return runCli(args, { cwd: root });
}

const suite = join(root, 'tiny.yaml');
writeFileSync(suite, `name: tiny
defaults:
  model: { hidden_size: 8, num_layers: 2 }
  data: { dataset: adding, length: 8, train_samples: 64, validation_samples: 16, test_samples: 16 }
  training: { epochs: 2, batch_size: 16 }
experiments:
  - { name: tanh, model_type: vanilla, mitigation: none }
  - { name: gru, model_type: gru, mitigation: gates, model: { cell: gru } }
`);

test('run: plain epoch lines off a terminal, the final table, plots and report, exit 0', () => {
  const result = vanishing('run', suite, '--out', 'runs', '--plots', 'plots', '--workers', '2');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /\[tanh\] Epoch 1: Loss=\d+\.\d{4}, GradNorm=\d\.\d{4}e[-+]\d+, MinLayerGrad=\d\.\d{4}e[-+]\d+/);
  assert.match(result.stdout, /\[gru\] Epoch 2: Loss=/);
  assert.match(result.stdout, /experiment.*verdict.*at init.*learned\?.*val loss.*chance loss/);
  assert.match(result.stdout, /│ tanh +│ (vanishing|exploding|healthy|diverged|borderline|inconclusive) +│/);
  // The adding problem's chance level, MSE 1/6, beside the validation loss; the learning answer beside the verdict.
  assert.match(result.stdout, /│ tanh +│ \w+ +│ \w+ +│ (learned|partly|at chance|worse than chance) +│ +[-\d.e]+ │ +0\.17 │/);
  const runs = readdirSync(join(root, 'runs'));
  assert.equal(runs.length, 1);
  assert.ok(existsSync(join(root, 'runs', runs[0], 'report.html')));
  assert.ok(existsSync(join(root, 'plots', 'grad_norms_vanilla_none.png')));
  const report = vanishing('report', join('runs', runs[0]));
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /Plots: 24 PNG files/, '2 × 10 per experiment and 4 comparisons (no accuracy for a regression task)');
});

test('bad input exits 2 with one line per problem and writes nothing', () => {
  const bad = join(root, 'bad.yaml');
  writeFileSync(bad, 'experiments:\n  - name: a\n    training: { learning_rate: -1, epochz: 3 }\n');
  const result = vanishing('run', bad, '--out', 'bad-runs');
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 2, result.stderr);
  assert.match(result.stderr, /bad\.yaml: experiments\[0\]\.training\.learning_rate: must be > 0, got -1/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace');
  assert.equal(existsSync(join(root, 'bad-runs')), false);
  assert.equal(vanishing('run', 'no-such-preset').status, 2);
  // Usage errors too are one line each, naming the flag and the value.
  for (const [args, message] of [
    [['run', 'quick', '--epochs', 'zero'], /^vanishing: option '--epochs <n>' argument 'zero' is invalid\. --epochs must be a whole number ≥ 1, got "zero" \(--help shows the usage\)\n$/],
    [['run', 'quick', '--threads', '0'], /^vanishing: .*--threads must be a whole number from 1 to 64, got "0"/],
    [['run', 'quick', '--threads', '65'], /^vanishing: .*--threads must be a whole number from 1 to 64, got "65"/],
    [['run', 'quick', '--bogus'], /^vanishing: unknown option '--bogus' \(--help shows the usage\)\n$/],
    [['frobnicate'], /^vanishing: unknown command 'frobnicate'/],
  ] as const) {
    const refused = vanishing(...args, '--out', 'bad-runs');
    assert.equal(refused.status, 2, args.join(' '));
    assert.match(refused.stderr, message);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  }
  assert.equal(existsSync(join(root, 'bad-runs')), false);
  assert.equal(vanishing('report', join(root, 'nowhere')).status, 2);
});

test('list shows the presets and datasets, list --fields only the fields; --help works everywhere', () => {
  const list = vanishing('list');
  assert.equal(list.status, 0);
  for (const word of ['quick', 'seed', 'classics', 'mnist', 'adding', 'copy', 'npy', 'csv']) assert.ok(list.stdout.includes(word), word);
  const fields = vanishing('list', '--fields');
  assert.equal(fields.status, 0);
  for (const word of ['learning_rate', 'clip_min_norm', 'hidden_gradient_every']) assert.ok(fields.stdout.includes(word), word);
  assert.doesNotMatch(fields.stdout, /Presets|Datasets/, 'the fields alone, not the whole list again');
  for (const command of [[], ['run'], ['list'], ['report']]) {
    const help = vanishing(...command, '--help');
    assert.equal(help.status, 0, command.join(' '));
    assert.match(help.stdout, /Usage: vanishing/);
  }
});

test('sweep: runs every point, prints the verdict counts and where sweep.csv is; a suite without axes or a plain run folder is refused', () => {
  const grid = join(root, 'grid.yaml');
  writeFileSync(grid, `name: grid
defaults:
  model: { hidden_size: 4, num_layers: 1, init: orthogonal }
  data: { dataset: adding, length: 6, train_samples: 16, validation_samples: 8, test_samples: 8 }
  training: { epochs: 1, batch_size: 8 }
sweep:
  model.recurrent_gain: [0.5, 2]
  model.num_layers: [1, 2]
experiments:
  - name: tanh
`);
  const result = vanishing('sweep', grid, '--out', 'sweeps', '--workers', '0');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Sweep: 4 points over model\.recurrent_gain \(2\) × model\.num_layers \(2\); verdicts: /);
  const folder = join(root, 'sweeps', readdirSync(join(root, 'sweeps'))[0]);
  assert.match(result.stdout, new RegExp(`Sweep table: ${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/sweep\\.csv`));
  assert.ok(existsSync(join(folder, 'sweep.csv')));
  assert.match(result.stdout, /Plots: 5 PNG files/);
  const plain = vanishing('sweep', suite, '--out', 'sweeps');
  assert.equal(plain.status, 2);
  assert.match(plain.stderr, /^vanishing: sweep: .*tiny\.yaml has no sweep: section/);
  assert.equal(vanishing('run', suite, '--out', 'plain-runs', '--workers', '0', '--no-report').status, 0);
  const notSweep = vanishing('sweep', '--resume', join('plain-runs', readdirSync(join(root, 'plain-runs'))[0]));
  assert.equal(notSweep.status, 2);
  assert.match(notSweep.stderr, /is not a sweep's run folder/);
});

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

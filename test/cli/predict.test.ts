/**
 * `vanishing predict`: the mean-field prediction for every experiment of a suite, printed before
 * (and without) any training; the reason where no theory applies; bad input exits 2 in one line.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-predict-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const suite = join(root, 'theory.yaml');
writeFileSync(suite, `name: theory
defaults:
  model: { hidden_size: 64, num_layers: 1 }
  data: { dataset: adding, length: 30, train_samples: 64, validation_samples: 16, test_samples: 16 }
experiments:
  - { name: linear_orthogonal, model: { nonlinearity: linear, init: orthogonal, recurrent_gain: 0.9 } }
  - { name: tanh_deep, model: { nonlinearity: tanh, init: default, num_layers: 4 } }
  - { name: lstm, model: { cell: lstm } }
  - { name: irnn_relu, model: { nonlinearity: relu, init: identity } }
`);

test('predict prints the prediction per experiment, or why there is none, and trains nothing', () => {
  const result = runCli(['predict', suite], { cwd: root });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  const blocks = result.stdout.split('\n\n');
  assert.match(blocks[0], /^Mean-field prediction at initialisation for theory/);
  const block = (name: string): string => blocks.find((text) => text.startsWith(`${name}`)) ?? assert.fail(`no block for ${name}:\n${result.stdout}`);
  // A linear net with W_hh = 0.9·Q: exactly 0.9 per step, over the adding task's lag of 29 steps.
  const linear = block('linear_orthogonal');
  assert.match(linear, /on adding-T30: 30 steps, required lag 29/);
  assert.match(linear, /σ_hh² = 0\.81/);
  assert.match(linear, /over the required lag of 29 steps .*: ×0\.9\/step, end to end 0\.0471/, linear);
  assert.match(linear, /exact at any width/);
  const deep = block('tanh_deep');
  assert.match(deep, /q\* = [\d.e-]+, χ = [\d.e-]+, ×[\d.]+\/step \(√χ\), ξ = [\d.]+ steps/);
  assert.match(deep, /down the stack \(gradient arriving per layer\): ×[\d.]+\/layer/);
  assert.match(block('lstm'), /no mean-field prediction for the LSTM cell/);
  assert.match(block('irnn_relu'), /no mean-field prediction for the identity \(IRNN\) init with relu/);
  assert.equal(existsSync(join(root, 'runs')), false, 'nothing trained, no run folder');
});

test('predict: a missing suite is one line and exit 2', () => {
  const result = runCli(['predict', join(root, 'no-such.yaml')], { cwd: root });
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /^vanishing: .*no-such\.yaml: no such file/);
});

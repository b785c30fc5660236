/**
 * What the model measures beside its gradients, proven exactly: ‖∂L/∂x_t‖ against finite
 * differences on the inputs, the last-step probe against a head at the last step, the
 * `linear` nonlinearity and `recurrentGain` against theory, the forward signal, per-step counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createModel } from '../../src/model/model.js';
import type { ModelOptions } from '../../src/model/config.js';
import { SeededRandom } from '../../src/random.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import { defaultKernels } from '../../src/kernels/select.js';
import { everyKernelSet } from '../kernels/kernel-sets.js';

const cells = [
  { cell: 'rnn', nonlinearity: 'tanh' },
  { cell: 'rnn', nonlinearity: 'linear' },
  { cell: 'lstm', nonlinearity: 'tanh' },
  { cell: 'gru', nonlinearity: 'tanh' },
] as const;

for (const architecture of ['vanilla', 'residual'] as const) {
  for (const { cell, nonlinearity } of cells) {
    test(`‖∂L/∂x_t‖ equals finite differences on the inputs: ${architecture} ${cell} ${nonlinearity}`, () => {
      const [batchSize, steps, inputSize] = [3, 5, 2];
      const model = createModel({
        architecture, cell, nonlinearity, inputSize, hiddenSize: 4, numLayers: 3, outputSize: 3, seed: 2, dtype: 'float64', kernels: tsKernels,
      });
      const random = new SeededRandom(4);
      for (const p of model.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i] = random.uniformIn(-0.7, 0.7);
      const inputs = new Float64Array(batchSize * steps * inputSize).map(() => random.normal());
      const batch = { inputs, batchSize, steps, targets: new Int32Array(batchSize).map(() => random.integer(3)) };
      const analytic = model.lossAndGradients(batch).inputGradientNorms;
      const epsilon = 1e-5;
      for (let t = 0; t < steps; t++) {
        let squares = 0;
        for (let b = 0; b < batchSize; b++) {
          for (let j = 0; j < inputSize; j++) {
            const index = (b * steps + t) * inputSize + j;
            const original = inputs[index];
            inputs[index] = original + epsilon;
            const plus = model.evaluate(batch).loss;
            inputs[index] = original - epsilon;
            const minus = model.evaluate(batch).loss;
            inputs[index] = original;
            squares += ((plus - minus) / (2 * epsilon)) ** 2;
          }
        }
        const numeric = Math.sqrt(squares);
        assert.ok(Math.abs(analytic[t] - numeric) <= 1e-7 * numeric + 1e-12, `t = ${t}: ${analytic[t]} vs ${numeric}`);
      }
    });
  }
}

test('the last-step probe is the gradient of the last step\'s loss alone: T× smaller than a last-step head\'s', () => {
  const [batchSize, steps] = [4, 6];
  const options: ModelOptions = { cell: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 2, outputSize: 4, seed: 9, dtype: 'float64', kernels: tsKernels };
  const every = createModel({ ...options, output: 'every' });
  const last = createModel({ ...options, output: 'last' });
  const random = new SeededRandom(1);
  const inputs = new Float64Array(batchSize * steps * 3).map(() => random.normal());
  const targets = new Int32Array(batchSize * steps).map(() => random.integer(4));
  const lastTargets = new Int32Array(batchSize).map((_, b) => targets[b * steps + steps - 1]);
  const probed = every.lossAndGradients({ inputs, batchSize, steps, targets }, { lastStepProbe: true });
  const reference = last.lossAndGradients({ inputs, batchSize, steps, targets: lastTargets });
  assert.ok(probed.lastStepProbe !== null);
  // The probe's dL/dlogits carry the every-step loss's 1/(B·T); the last-step head's carry 1/B.
  for (let t = 0; t < steps; t++) {
    assert.ok(Math.abs(probed.lastStepProbe.inputGradientNorms[t] * steps - reference.inputGradientNorms[t]) < 1e-12, `t = ${t}`);
    for (let l = 0; l < 2; l++) {
      assert.ok(Math.abs(probed.lastStepProbe.hiddenGradientNorms[l][t] * steps - reference.hiddenGradientNorms[l][t]) < 1e-12);
    }
  }
  // The probe leaves the gradients of the whole loss untouched.
  const plain = createModel({ ...options, output: 'every' }).lossAndGradients({ inputs, batchSize, steps, targets });
  for (const [name, grad] of plain.gradients) assert.deepEqual(Array.from(probed.gradients.get(name)!), Array.from(grad), name);
  assert.equal(createModel({ ...options, output: 'last' }).lossAndGradients({ inputs, batchSize, steps, targets: lastTargets }, { lastStepProbe: true }).lastStepProbe, null);
});

test('a linear RNN with recurrentGain g and orthogonal W_hh carries the gradient back exactly g per step', () => {
  for (const gain of [0.9, 1, 1.1]) {
    const model = createModel({ nonlinearity: 'linear', init: 'orthogonal', recurrentGain: gain, inputSize: 2, hiddenSize: 16, outputSize: 2, seed: 3, dtype: 'float64', kernels: tsKernels });
    const plain = createModel({ nonlinearity: 'linear', init: 'orthogonal', inputSize: 2, hiddenSize: 16, outputSize: 2, seed: 3, dtype: 'float64', kernels: tsKernels });
    const scaled = model.getParameter('rnn.weight_hh_l0').data;
    plain.getParameter('rnn.weight_hh_l0').data.forEach((value, i) => assert.ok(Math.abs(scaled[i] - gain * value) < 1e-15));
    const random = new SeededRandom(8);
    const steps = 40;
    const result = model.lossAndGradients({ inputs: new Float64Array(4 * steps * 2).map(() => random.normal()), batchSize: 4, steps, targets: new Int32Array(4).map(() => random.integer(2)) });
    const norms = result.hiddenGradientNorms[0];
    for (let t = 0; t < steps; t++) assert.ok(Math.abs(norms[t] / (norms[steps - 1] * gain ** (steps - 1 - t)) - 1) < 1e-10, `g = ${gain}, t = ${t}`);
    assert.deepEqual(result.saturatedFraction, [0], 'a linear unit never saturates');
  }
  assert.throws(() => createModel({ inputSize: 1, hiddenSize: 2, outputSize: 2, recurrentGain: 0 }), /recurrentGain must be a finite number > 0; got 0/);
});

test('a ReLU layer\'s saturatedFraction is the fraction of dead units: 0 at every step of every sequence, on every kernel set', () => {
  const [H, batchSize, inputSize] = [8, 5, 2];
  for (const kernels of everyKernelSet) {
    const modelOf = () => {
      const model = createModel({ nonlinearity: 'relu', inputSize, hiddenSize: H, outputSize: 2, seed: 1, kernels });
      // No recurrence: h_t = relu(x_t W_ihᵀ + b_ih), so each unit is set by its own row of W_ih and bias.
      model.setParameter('rnn.weight_hh_l0', new Float32Array(H * H));
      model.setParameter('rnn.bias_hh_l0', new Float32Array(H));
      const weights = new Float32Array(H * inputSize);
      weights[3 * inputSize] = 1;  // unit 3 reads input 0
      model.setParameter('rnn.weight_ih_l0', weights);
      // Units 0–4 are 0 on zero inputs (0–3 at −100, 4 at 0), units 5–7 are 1.
      model.setParameter('rnn.bias_ih_l0', Float32Array.from([-100, -100, -100, -100, 0, 1, 1, 1]));
      return model;
    };
    const steps = 7;
    const inputs = new Float32Array(batchSize * steps * inputSize);
    const batch = { inputs, batchSize, steps, targets: new Int32Array(batchSize) };
    const model = modelOf();
    assert.deepEqual(model.lossAndGradients(batch).saturatedFraction, [5 / 8], `${kernels.name}: units 0–4 are dead`);
    inputs[((batchSize - 1) * steps + steps - 1) * inputSize] = 200;  // unit 3 is 100 at the last sequence's last step, 0 elsewhere
    assert.deepEqual(model.lossAndGradients(batch).saturatedFraction, [4 / 8], `${kernels.name}: one non-zero value keeps a unit alive`);
    // A NaN weight makes unit 4 NaN (0·NaN): not dead. One step, since W_hh's zeros would pass NaN to every unit at the next.
    const nan = modelOf();
    nan.parameters().find((p) => p.name === 'rnn.weight_ih_l0')!.data[4 * inputSize + 1] = Number.NaN;  // setParameter refuses NaN
    const oneStep = { inputs: new Float32Array(batchSize * inputSize), batchSize, steps: 1, targets: new Int32Array(batchSize) };
    assert.deepEqual(nan.lossAndGradients(oneStep).saturatedFraction, [4 / 8], `${kernels.name}: a NaN unit is not dead`);
  }
});

test('the forward signal: each layer\'s activation RMS, 0 for a dead ReLU layer, the residual stream for residual stacks', () => {
  for (const kernels of [tsKernels, defaultKernels()]) {
    const model = createModel({ nonlinearity: 'relu', inputSize: 2, hiddenSize: 8, numLayers: 3, outputSize: 2, seed: 1, kernels });
    const random = new SeededRandom(2);
    const batch = { inputs: new Float32Array(5 * 4 * 2).map(() => random.normal()), batchSize: 5, steps: 4, targets: new Int32Array(5) };
    const alive = model.lossAndGradients(batch).activationRms;
    assert.equal(alive.length, 3);
    assert.ok(alive.every((rms) => rms > 0 && Number.isFinite(rms)));
    // A bias of −100 kills every unit of layer 1: its activations, and everything it passes on, are exactly 0.
    model.setParameter('rnn.bias_ih_l1', new Float32Array(8).fill(-100));
    const dead = model.lossAndGradients(batch).activationRms;
    assert.equal(dead[1], 0, kernels.name);
    assert.ok(dead[0] > 0);
  }
  const residual = createModel({ architecture: 'residual', nonlinearity: 'relu', init: 'xavier', inputSize: 2, hiddenSize: 8, numLayers: 6, outputSize: 2, seed: 1, kernels: tsKernels });
  const random = new SeededRandom(3);
  const rms = residual.lossAndGradients({ inputs: new Float32Array(5 * 4 * 2).map(() => random.normal()), batchSize: 5, steps: 4, targets: new Int32Array(5) }).activationRms;
  // The residual stream only accumulates ReLU outputs (≥ 0 added each layer): it never shrinks.
  for (let l = 1; l < rms.length; l++) assert.ok(rms[l] >= rms[l - 1] * 0.999, `layer ${l}`);
});

test('per-step correct counts add up to the total, for a head at every step', () => {
  const model = createModel({ cell: 'gru', inputSize: 3, hiddenSize: 6, outputSize: 4, output: 'every', seed: 5 });
  const random = new SeededRandom(6);
  const [batchSize, steps] = [7, 9];
  const batch = { inputs: new Float32Array(batchSize * steps * 3).map(() => random.normal()), batchSize, steps, targets: new Int32Array(batchSize * steps).map(() => random.integer(4)) };
  const result = model.evaluate(batch);
  assert.ok(result.correctPerStep !== null && result.correctPerStep.length === steps);
  assert.equal(result.correctPerStep.reduce((sum, c) => sum + c, 0), result.correct);
  assert.equal(createModel({ inputSize: 3, hiddenSize: 6, outputSize: 4, seed: 5 }).evaluate({ ...batch, targets: new Int32Array(batchSize) }).correctPerStep, null);
});

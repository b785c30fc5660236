/**
 * The fused time loops (kernels.ts FusedLoops: a layer's whole forward or backward pass in one
 * native call) against the layers' own reference loops on the TypeScript kernels, for every build
 * variant this machine runs:
 * - loss, every gradient, ‖dL/dh_t‖ and ‖dL/dx_t‖ agree within float32 rounding for tanh, relu and
 *   linear Elman layers, vanilla and residual stacks, at sizes that leave ragged vector tails and
 *   one (H = 300) whose products need more than one K block;
 * - any number of threads gives bit-identical results (each value is computed by the same
 *   operations whichever thread computes it, and the norms are summed in a fixed order);
 * - denormals: with `denormals: 'ieee'` a gradient decaying through the denormal range (below
 *   1.2e-38) agrees with the reference down to its last nonzero step; with `flush` the same
 *   gradient agrees wherever it is above 1e-32 and is zero wherever the reference's norm is
 *   itself denormal, and JavaScript's own arithmetic stays IEEE (denormal doubles survive a call).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadNativeVariant, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { Architecture, ModelOptions, Nonlinearity } from '../../src/model/config.js';
import type { LossAndGradients, SequenceBatch } from '../../src/model/model.js';
import { createModel } from '../../src/model/model.js';
import { SeededRandom } from '../../src/random.js';

interface Case {
  label: string;
  architecture: Architecture;
  nonlinearity: Nonlinearity;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  steps: number;
  batchSize: number;
}

const cases: Case[] = [
  { label: 'tanh vanilla H=9', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 3, hiddenSize: 9, numLayers: 2, steps: 5, batchSize: 3 },
  { label: 'relu residual H=33', architecture: 'residual', nonlinearity: 'relu', inputSize: 7, hiddenSize: 33, numLayers: 3, steps: 6, batchSize: 5 },
  { label: 'linear vanilla H=64', architecture: 'vanilla', nonlinearity: 'linear', inputSize: 1, hiddenSize: 64, numLayers: 2, steps: 4, batchSize: 9 },
  { label: 'tanh vanilla one step', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 2, hiddenSize: 17, numLayers: 2, steps: 1, batchSize: 2 },
  { label: 'tanh vanilla H=300 (two K blocks)', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 300, hiddenSize: 300, numLayers: 2, steps: 3, batchSize: 10 },
];

function modelOptions(c: Case, kernels: Kernels, extra: Partial<ModelOptions> = {}): ModelOptions {
  return {
    architecture: c.architecture, cell: 'rnn', nonlinearity: c.nonlinearity, inputSize: c.inputSize, hiddenSize: c.hiddenSize,
    numLayers: c.numLayers, outputSize: 4, seed: 7, kernels, ...extra,
  };
}

function batchFor(c: Case, seed = 11): SequenceBatch {
  const random = new SeededRandom(seed);
  return {
    inputs: new Float32Array(c.batchSize * c.steps * c.inputSize).map(() => random.normal()),
    targets: new Int32Array(c.batchSize).map(() => random.integer(4)),
    batchSize: c.batchSize,
    steps: c.steps,
  };
}

/** Copies of everything a pass returns (the gradients are the model's buffers, overwritten by the next call). */
function snapshot(result: LossAndGradients): { loss: number; gradients: Map<string, Float32Array>; hidden: Float64Array[]; input: Float64Array } {
  return {
    loss: result.loss,
    gradients: new Map([...result.gradients].map(([name, values]) => [name, Float32Array.from(values)])),
    hidden: result.hiddenGradientNorms.map((norms) => norms.slice()),
    input: result.inputGradientNorms.slice(),
  };
}

/** ‖actual − expected‖ ≤ tolerance · ‖expected‖ (plus a floor for all-zero tensors). */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tolerance = 2e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    difference += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  assert.ok(Math.sqrt(difference) <= tolerance * Math.sqrt(norm) + 1e-30, `${what}: relative difference ${(Math.sqrt(difference) / Math.sqrt(norm)).toExponential(2)}`);
}

const statuses = nativeVariantStatuses();

for (const status of statuses) {
  describe(`fused RNN loops, native ${status.variant}`, { skip: status.runnable ? false : `${status.variant}: ${status.why}` }, () => {
    const load = loadNativeVariant(status.variant);
    if (!load.ok) throw new Error(load.reason);
    const native = load.kernels.withSettings({ denormals: 'ieee' });

    test('the native kernels offer fused loops and the reference kernels do not', () => {
      assert.notEqual(native.fusedLoops, null);
      assert.equal(tsKernels.fusedLoops, null);
    });

    for (const c of cases) {
      test(`${c.label}: loss, gradients and gradient norms as the reference loops give them`, () => {
        const batch = batchFor(c);
        const reference = snapshot(createModel(modelOptions(c, tsKernels)).lossAndGradients(batch));
        const fused = snapshot(createModel(modelOptions(c, native)).lossAndGradients(batch));
        assert.ok(Math.abs(fused.loss - reference.loss) <= 1e-5 * Math.abs(reference.loss), `loss ${fused.loss} vs ${reference.loss}`);
        for (const [name, expected] of reference.gradients) assertClose(fused.gradients.get(name)!, expected, name);
        reference.hidden.forEach((expected, layer) => assertClose(fused.hidden[layer], expected, `‖dL/dh_t‖ layer ${layer}`));
        assertClose(fused.input, reference.input, '‖dL/dx_t‖');
      });

      test(`${c.label}: 1, 2 and 3 threads give bit-identical results`, () => {
        const batch = batchFor(c, 5);
        const results = [1, 2, 3].map((threads) => snapshot(createModel(modelOptions(c, native.withSettings({ threads }))).lossAndGradients(batch)));
        for (const other of results.slice(1)) {
          assert.equal(other.loss, results[0].loss);
          for (const [name, values] of results[0].gradients) assert.deepEqual(other.gradients.get(name), values, name);
          assert.deepEqual(other.hidden, results[0].hidden);
          assert.deepEqual(other.input, results[0].input);
        }
      });
    }

    test('threads outside 1–64 are refused', () => {
      assert.throws(() => native.withSettings({ threads: 0 }), /threads must be a whole number from 1 to 64/);
      assert.throws(() => native.withSettings({ threads: 1.5 }), /threads must be/);
      assert.equal(native.withSettings({ threads: 2 }).settings.threads, 2);
    });

    // A linear RNN whose W_hh is 0.05·(orthogonal): the gradient shrinks exactly 20× per step, so
    // over 40 steps it passes 1e-38 (the denormal range) around step 10 from the end and reaches 0.
    const decaying: Case = { label: 'decaying', architecture: 'vanilla', nonlinearity: 'linear', inputSize: 2, hiddenSize: 16, numLayers: 1, steps: 40, batchSize: 4 };
    const decayingOptions = (kernels: Kernels): ModelOptions => modelOptions(decaying, kernels, { init: 'orthogonal', recurrentGain: 0.05, output: 'last' });

    test('denormals "ieee": a gradient decaying through the denormal range agrees with the reference down to its last nonzero step', () => {
      const batch = batchFor(decaying);
      const reference = createModel(decayingOptions(tsKernels)).lossAndGradients(batch).hiddenGradientNorms[0].slice();
      const fused = createModel(decayingOptions(native)).lossAndGradients(batch).hiddenGradientNorms[0].slice();
      const denormalSteps = [...reference].filter((norm) => norm > 0 && norm < 1.2e-38).length;
      assert.ok(denormalSteps >= 1, `the case must reach the denormal range: ${[...reference].map((n) => n.toExponential(1)).join(' ')}`);
      for (let t = 0; t < reference.length; t++) {
        // Denormals carry fewer significant bits as they shrink: compare each within its own precision.
        const bound = 1e-5 * reference[t] + 2 ** -149 * 16;
        assert.ok(Math.abs(fused[t] - reference[t]) <= bound, `step ${t}: ${fused[t]} vs ${reference[t]}`);
      }
    });

    test('denormals "flush": the same gradient agrees above 1e-32 (its elements far from the denormal range), is zero where it is denormal, and JavaScript stays IEEE', () => {
      const batch = batchFor(decaying);
      const reference = createModel(decayingOptions(tsKernels)).lossAndGradients(batch).hiddenGradientNorms[0].slice();
      const flushing = native.withSettings({ denormals: 'flush' });
      const fused = createModel(decayingOptions(flushing)).lossAndGradients(batch).hiddenGradientNorms[0].slice();
      let flushed = 0;
      for (let t = 0; t < reference.length; t++) {
        if (reference[t] > 1e-32) assert.ok(Math.abs(fused[t] - reference[t]) <= 1e-5 * reference[t], `step ${t}: ${fused[t]} vs ${reference[t]}`);
        else if (reference[t] < 1.2e-38) {
          assert.equal(fused[t], 0, `step ${t}: reference ${reference[t]} is denormal, flushed should be 0`);
          if (reference[t] > 0) flushed++;
        }
      }
      assert.ok(flushed >= 1, 'some denormal step was flushed');
      // The flag is restored after every call: denormal doubles and floats in JavaScript are kept.
      const tinyDouble = Number.MIN_VALUE * 3;
      assert.equal(tinyDouble / 3, Number.MIN_VALUE);
      const tinyFloat = new Float32Array([1e-40]);
      tinyFloat[0] *= 2;
      assert.ok(tinyFloat[0] > 1.9e-40 && tinyFloat[0] < 2.1e-40, String(tinyFloat[0]));
    });
  });
}

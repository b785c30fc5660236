/**
 * Every gradient of every model variant against central finite differences in float64.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createModel } from '../../src/model/model.js';
import type { ModelOptions, LossKind } from '../../src/model/config.js';
import { SeededRandom } from '../../src/random.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';

const cells = [
  { cell: 'rnn', nonlinearity: 'tanh' },
  { cell: 'rnn', nonlinearity: 'relu' },
  { cell: 'lstm', nonlinearity: 'tanh' },
  { cell: 'gru', nonlinearity: 'tanh' },
] as const;

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-300);
}

for (const architecture of ['vanilla', 'residual'] as const) {
  for (const { cell, nonlinearity } of cells) {
    for (const output of ['last', 'every'] as const) {
      for (const loss of ['cross_entropy', 'mse'] as LossKind[]) {
        test(`finite differences: ${architecture} ${cell} ${nonlinearity} head=${output} loss=${loss}`, (t) => {
          const batchSize = 3;
          const steps = 5;
          const options: ModelOptions = {
            architecture, cell, nonlinearity, output, inputSize: 3, hiddenSize: 4, numLayers: 3, outputSize: 3,
            init: 'default', seed: 7, dtype: 'float64', kernels: tsKernels,
          };
          const model = createModel(options);
          const random = new SeededRandom(11);
          // Larger weights than the default make every gate and unit contribute.
          for (const p of model.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i] = random.uniformIn(-0.8, 0.8);
          const inputs = new Float64Array(batchSize * steps * 3).map(() => random.normal());
          const rows = output === 'every' ? batchSize * steps : batchSize;
          const targets = loss === 'cross_entropy'
            ? new Int32Array(rows).map(() => random.integer(3))
            : new Float64Array(rows * 3).map(() => random.normal());
          const batch = { inputs, batchSize, steps, targets, loss };
          const result = model.lossAndGradients(batch);
          const analytic = new Map([...result.gradients].map(([name, grad]) => [name, Float64Array.from(grad)]));
          assert.ok(Number.isFinite(result.loss));
          // 1e-4 balances truncation (≈ε²) against rounding (≈1e-16/ε) for gradients as small as 1e-4.
          const epsilon = 1e-4;
          let worst = 0;
          for (const p of model.parameters()) {
            const numeric = new Float64Array(p.data.length);
            for (let i = 0; i < p.data.length; i++) {
              const original = p.data[i];
              p.data[i] = original + epsilon;
              const plus = model.evaluate(batch).loss;
              p.data[i] = original - epsilon;
              const minus = model.evaluate(batch).loss;
              p.data[i] = original;
              numeric[i] = (plus - minus) / (2 * epsilon);
            }
            const error = relativeError(analytic.get(p.name)!, numeric);
            worst = Math.max(worst, error);
            assert.ok(error <= 1e-6, `${p.name}: relative error ${error.toExponential(2)}`);
          }
          t.diagnostic(`largest relative error against finite differences: ${worst.toExponential(2)}`);
        });
      }
    }
  }
}

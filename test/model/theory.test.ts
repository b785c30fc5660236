/**
 * Backpropagation through time against theory: in a linear RNN, dL/dh_t = W_hhᵀ dL/dh_{t+1}
 * (when the loss only sees the last step), so an orthogonal W_hh keeps ‖dL/dh_t‖ constant and
 * W_hh = 0.9·Q shrinks it by exactly 0.9 per step.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createModel } from '../../src/model/model.js';
import { RnnLayer } from '../../src/model/rnn-layer.js';
import type { Dtype } from '../../src/model/parameters.js';
import { SeededRandom } from '../../src/random.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';

function gradientThroughTime(dtype: Dtype, recurrentScale: number): Float64Array {
  const H = 16;
  const steps = 60;
  const batch = 4;
  const orthogonal = createModel({ inputSize: 2, hiddenSize: H, outputSize: 2, init: 'orthogonal', seed: 3, dtype: 'float64', kernels: tsKernels })
    .getParameter('rnn.weight_hh_l0').data;
  const layer = new RnnLayer(2, H, 'identity', 'rnn.', 'l0', dtype, tsKernels);
  const [weightInput, weightHidden] = layer.parameters;
  const random = new SeededRandom(5);
  for (let i = 0; i < weightInput.data.length; i++) weightInput.data[i] = random.normal();
  for (let i = 0; i < weightHidden.data.length; i++) weightHidden.data[i] = recurrentScale * orthogonal[i];
  const make = (n: number) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  const input = make(steps * batch * 2).map(() => random.normal());
  const dOutput = make(steps * batch * H);
  for (let i = (steps - 1) * batch * H; i < dOutput.length; i++) dOutput[i] = random.normal();
  layer.forward(input, steps, batch);
  const norms = new Float64Array(steps);
  layer.backward(input, dOutput, null, false, norms, steps, batch);
  return norms;
}

for (const dtype of ['float64', 'float32'] as const) {
  const tolerance = dtype === 'float64' ? 1e-12 : 2e-5;
  test(`orthogonal W_hh keeps ‖dL/dh_t‖ constant over 60 steps (${dtype})`, () => {
    const norms = gradientThroughTime(dtype, 1);
    const last = norms[norms.length - 1];
    assert.ok(last > 0);
    for (let t = 0; t < norms.length; t++) {
      assert.ok(Math.abs(norms[t] / last - 1) < tolerance, `t=${t}: ${norms[t]} vs ${last}`);
    }
  });

  test(`W_hh = 0.9·Q shrinks ‖dL/dh_t‖ by exactly 0.9 per step (${dtype})`, () => {
    const norms = gradientThroughTime(dtype, 0.9);
    const T = norms.length;
    for (let t = 0; t < T; t++) {
      const expected = norms[T - 1] * 0.9 ** (T - 1 - t);
      assert.ok(Math.abs(norms[t] / expected - 1) < tolerance, `t=${t}: ${norms[t]} vs ${expected}`);
    }
  });
}

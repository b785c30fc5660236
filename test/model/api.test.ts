/**
 * The public model API: PyTorch's names and order, getParameter/setParameter, and a clear
 * error naming the field and the value for every kind of bad input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createModel } from '../../src/index.js';
import type { ModelOptions } from '../../src/index.js';

test('parameter names and order are PyTorch\'s, vanilla and residual', () => {
  const vanilla = createModel({ inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 4 });
  assert.deepEqual(vanilla.parameterNames(), [
    'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0',
    'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1',
    'fc.weight', 'fc.bias',
  ]);
  const residual = createModel({ architecture: 'residual', cell: 'gru', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 4 });
  assert.deepEqual(residual.parameterNames(), [
    'rnn_layers.0.weight_ih_l0', 'rnn_layers.0.weight_hh_l0', 'rnn_layers.0.bias_ih_l0', 'rnn_layers.0.bias_hh_l0',
    'rnn_layers.1.weight_ih_l0', 'rnn_layers.1.weight_hh_l0', 'rnn_layers.1.bias_ih_l0', 'rnn_layers.1.bias_hh_l0',
    'fc.weight', 'fc.bias',
  ]);
  assert.deepEqual(residual.getParameter('rnn_layers.0.weight_ih_l0').shape, [9, 2]);
  assert.deepEqual(residual.getParameter('rnn_layers.1.weight_hh_l0').shape, [9, 3]);
  const lstm = createModel({ cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 4 });
  assert.deepEqual(lstm.getParameter('rnn.weight_ih_l0').shape, [12, 2]);
  assert.equal(lstm.parameterCount(), 12 * 2 + 12 * 3 + 12 + 12 + 4 * 3 + 4);
});

test('getParameter returns a copy; setParameter copies and checks length', () => {
  const model = createModel({ inputSize: 2, hiddenSize: 3, outputSize: 4 });
  const copy = model.getParameter('fc.bias');
  copy.data[0] = 123;
  assert.notEqual(model.getParameter('fc.bias').data[0], 123);
  const values = new Float32Array([1, 2, 3, 4]);
  model.setParameter('fc.bias', values);
  values[0] = 9;
  assert.deepEqual(Array.from(model.getParameter('fc.bias').data), [1, 2, 3, 4]);
  assert.throws(() => model.setParameter('fc.bias', new Float32Array(3)), /fc\.bias.*length 3, expected 4/);
  assert.throws(() => model.setParameter('fc.gain', new Float32Array(4)), /unknown parameter "fc\.gain"/);
  assert.throws(() => model.setParameter('fc.bias', [0, NaN, 0, 0]), /data\[1\] = NaN/);
});

test('bad options name the field and the value', () => {
  const base: ModelOptions = { inputSize: 2, hiddenSize: 3, outputSize: 4 };
  assert.throws(() => createModel({ ...base, hiddenSize: 0 }), /hiddenSize must be a positive integer; got 0/);
  assert.throws(() => createModel({ ...base, numLayers: -2 }), /numLayers must be a positive integer; got -2/);
  assert.throws(() => createModel({ ...base, inputSize: 2.5 }), /inputSize.*2\.5/);
  assert.throws(() => createModel({ ...base, cell: 'transformer' as 'rnn' }), /cell must be one of rnn, lstm, gru; got "transformer"/);
  assert.throws(() => createModel({ ...base, init: 'zeros' as 'default' }), /init must be one of .*; got "zeros"/);
  assert.throws(() => createModel({ ...base, layers: 3 } as ModelOptions), /unknown model option layers \(= 3\)/);
});

test('bad batches name the field and the value', () => {
  const model = createModel({ inputSize: 2, hiddenSize: 3, outputSize: 4, output: 'last' });
  const inputs = new Float32Array(2 * 5 * 2);
  const targets = new Int32Array([1, 2]);
  const ok = { inputs, batchSize: 2, steps: 5, targets };
  assert.doesNotThrow(() => model.lossAndGradients(ok));
  assert.throws(() => model.lossAndGradients({ ...ok, inputs: new Float32Array(7) }), /inputs has length 7, expected batchSize·steps·inputSize = 2·5·2 = 20/);
  assert.throws(() => model.lossAndGradients({ ...ok, targets: new Int32Array(3) }), /targets has length 3, expected batchSize = 2/);
  assert.throws(() => model.lossAndGradients({ ...ok, targets: new Int32Array([0, 4]) }), /targets\[1\] = 4 is not a class id in \[0, 4\)/);
  assert.throws(() => model.lossAndGradients({ ...ok, targets: new Int32Array([-1, 0]) }), /targets\[0\] = -1/);
  assert.throws(() => model.lossAndGradients({ ...ok, targets: new Float32Array([0, 1]) }), /targets must be an Int32Array/);
  assert.throws(() => model.lossAndGradients({ ...ok, steps: 0 }), /steps must be a positive integer; got 0/);
  assert.throws(() => model.lossAndGradients({ ...ok, batchSize: 1.5 }), /batchSize must be a positive integer; got 1\.5/);
  const withNaN = inputs.slice();
  withNaN[13] = NaN;
  assert.throws(() => model.lossAndGradients({ ...ok, inputs: withNaN }), /inputs\[13\] = NaN is not finite/);
  assert.throws(() => model.lossAndGradients({ ...ok, loss: 'hinge' as 'mse' }), /loss must be cross_entropy or mse; got "hinge"/);
  assert.throws(() => model.lossAndGradients({ ...ok, loss: 'mse', targets: new Float32Array(5) }), /targets has length 5, expected batchSize·outputSize = 8/);
});

test('buffers follow the batch shape: a smaller last batch and a longer sequence give the same answers as a fresh model', () => {
  const options: ModelOptions = { cell: 'lstm', inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 4, seed: 3 };
  const reused = createModel(options);
  const shapes = [[4, 5], [2, 5], [3, 9], [4, 5]];
  for (const [batchSize, steps] of shapes) {
    const inputs = new Float32Array(batchSize * steps * 2).map((_, i) => Math.sin(i));
    const targets = new Int32Array(batchSize).map((_, i) => i % 4);
    const a = reused.lossAndGradients({ inputs, batchSize, steps, targets });
    const b = createModel(options).lossAndGradients({ inputs, batchSize, steps, targets });
    assert.equal(a.loss, b.loss);
    assert.deepEqual(a.gradients.get('rnn.weight_hh_l0'), b.gradients.get('rnn.weight_hh_l0'));
    assert.deepEqual(a.hiddenGradientNorms, b.hiddenGradientNorms);
  }
});

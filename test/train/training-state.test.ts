/**
 * The pieces of a checkpoint's training state, each restored exactly: a generator's stream, the
 * batch order, an optimiser's step count and buffers, and the trainer continuing from a state
 * taken after an epoch. A state that does not fit is refused before anything changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatcher } from '../../src/data/batcher.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import { createModel } from '../../src/model/model.js';
import type { SequenceBatch } from '../../src/model/model.js';
import { createParameter } from '../../src/model/parameters.js';
import { randomStateProblem, SeededRandom } from '../../src/random.js';
import type { OptimizerOptions } from '../../src/train/optimizers.js';
import { createOptimizer } from '../../src/train/optimizers.js';
import type { BatchSource, TrainingState } from '../../src/train/trainer.js';
import { trainExperiment } from '../../src/train/trainer.js';

test('a generator restored from its state continues the same stream, a waiting normal included', () => {
  const random = new SeededRandom(7);
  for (let i = 0; i < 5; i++) random.uniform();
  random.normal(); // leaves the pair's second value waiting
  const restored = SeededRandom.fromState(JSON.parse(JSON.stringify(random.state())) as ReturnType<SeededRandom['state']>);
  const draws = (r: SeededRandom): number[] => [r.normal(), r.uniform(), r.nextUint32(), r.normal(), r.integer(1000)];
  assert.deepEqual(draws(restored), draws(random));
  assert.equal(randomStateProblem({ words: [0, 0, 0, 0], spareNormal: null }), 'words: all zero (a xoshiro generator never reaches that state)');
  assert.equal(randomStateProblem({ words: [1, 2, 3], spareNormal: null }), 'words: must be four unsigned 32-bit integers');
  assert.equal(randomStateProblem({ words: [1, 2, 3, 2 ** 32], spareNormal: null }), 'words: must be four unsigned 32-bit integers');
  assert.throws(() => SeededRandom.fromState({ words: [1, 2, 3, 4], spareNormal: Number.NaN }), /spareNormal/);
});

test('a batcher given its order state draws the same epochs; another state, other epochs', () => {
  const size = 40;
  const split = { size, inputs: new Float32Array(size * 3).map((_, i) => Math.floor(i / 3)), targets: new Int32Array(size).map((_, i) => i) };
  const make = (seed: number) => createBatcher(split, { batchSize: 8, inputsPerSample: 3, targetsPerSample: 1, steps: 3, shuffle: true, maxSamplesPerEpoch: 24, random: new SeededRandom(seed) });
  const order = (batcher: ReturnType<typeof make>, epoch: number): number[] => [...batcher.epoch(epoch)].flatMap((batch) => Array.from(batch.targets));
  const original = make(1);
  const other = make(2);
  assert.notDeepEqual(order(other, 3), order(original, 3));
  other.restoreOrderState(original.orderState());
  for (const epoch of [3, 4, 9]) assert.deepEqual(order(other, epoch), order(original, epoch), `epoch ${epoch}`);
});

const optimizers: [string, OptimizerOptions][] = [
  ['sgd with momentum', { type: 'sgd', learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 }],
  ['sgd nesterov', { type: 'sgd', learningRate: 0.1, momentum: 0.5, nesterov: true }],
  ['adam', { type: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99 }],
];

for (const [label, options] of optimizers) {
  for (const dtype of ['float32', 'float64'] as const) {
    test(`${label} (${dtype}): steps after importing an exported state equal the uninterrupted steps`, () => {
      const random = new SeededRandom(3);
      const make = () => [createParameter('w', [3, 4], dtype), createParameter('b', [4], dtype)];
      const gradients = Array.from({ length: 6 }, () => [Array.from({ length: 12 }, () => random.normal()), Array.from({ length: 4 }, () => random.normal())]);
      const step = (parameters: ReturnType<typeof make>, optimizer: ReturnType<typeof createOptimizer>, g: number[][]): void => {
        parameters.forEach((p, i) => p.grad.set(g[i]));
        optimizer.step();
      };
      const straight = make();
      straight.forEach((p) => p.data.fill(0.5));
      const straightOptimizer = createOptimizer(straight, options);
      for (const g of gradients) step(straight, straightOptimizer, g);

      const first = make();
      first.forEach((p) => p.data.fill(0.5));
      const firstOptimizer = createOptimizer(first, options);
      for (const g of gradients.slice(0, 3)) step(first, firstOptimizer, g);
      const saved = firstOptimizer.exportState();
      const second = make();
      second.forEach((p, i) => p.data.set(first[i].data));
      const secondOptimizer = createOptimizer(second, options);
      secondOptimizer.importState(saved);
      for (const g of gradients.slice(3)) step(second, secondOptimizer, g);
      second.forEach((p, i) => assert.deepEqual(p.data, straight[i].data, p.name));
      assert.equal(saved.steps, 3);
    });
  }
}

test('an optimizer state that does not fit is refused and changes nothing', () => {
  const parameters = [createParameter('w', [2, 2], 'float32')];
  const adam = createOptimizer(parameters, { type: 'adam', learningRate: 0.01 });
  parameters[0].grad.fill(1);
  adam.step();
  const before = adam.exportState();
  const sgd = createOptimizer(parameters, { type: 'sgd', learningRate: 0.1, momentum: 0.9 }).exportState();
  assert.throws(() => adam.importState(sgd), /optimizer state is sgd, the optimizer adam/);
  assert.throws(() => adam.importState({ ...before, steps: -1 }), /steps must be a whole number/);
  assert.throws(() => adam.importState({ ...before, buffers: { firstMoment: before.buffers.firstMoment } }), /optimizer buffers are \[firstMoment\], expected \[firstMoment, secondMoment\]/);
  assert.throws(() => adam.importState({ ...before, buffers: { ...before.buffers, secondMoment: [new Float64Array(4)] } }), /expected 4 values of Float32Array, got 4 of Float64Array/);
  assert.throws(() => adam.importState({ ...before, buffers: { ...before.buffers, secondMoment: [new Float32Array(3)] } }), /expected 4 values/);
  assert.deepEqual(adam.exportState(), before, 'unchanged');
});

test('the trainer continued from the state of its epoch 2 ends where an uninterrupted run of 4 epochs ends', () => {
  const random = new SeededRandom(11);
  const batches: SequenceBatch[] = Array.from({ length: 3 }, () => ({
    inputs: new Float32Array(4 * 5 * 2).map(() => random.normal()), targets: new Int32Array(4).map(() => random.integer(3)), batchSize: 4, steps: 5,
  }));
  const source = (): BatchSource => ({ loss: 'cross_entropy', batchesPerEpoch: 3, trainingBatches: (epoch) => (epoch % 2 === 0 ? [...batches].reverse() : batches), validationBatches: () => batches.slice(0, 1), testBatches: () => [] });
  const model = () => createModel({ inputSize: 2, hiddenSize: 4, numLayers: 2, outputSize: 3, seed: 5, kernels: tsKernels, cell: 'lstm' });
  const options = { optimizer: { type: 'adam', learningRate: 0.05 } as const, clipMaxNorm: 1, clipMinNorm: null };
  const straight = model();
  const whole = trainExperiment(straight, source(), { ...options, epochs: 4 });

  let afterEpoch2 = null as TrainingState | null;
  trainExperiment(model(), source(), { ...options, epochs: 2 }, { onEpoch: (record, state) => { if (record.epoch === 2) afterEpoch2 = state!(); } });
  const saved = afterEpoch2;
  assert.ok(saved !== null);
  const continued = model();
  const rest = trainExperiment(continued, source(), { ...options, epochs: 4, resume: saved });
  assert.deepEqual(rest.batches.map((b) => b.epoch), [3, 3, 3, 4, 4, 4], 'only epochs 3 and 4 trained');
  assert.deepEqual(rest.epochs.map((e) => ({ ...e, seconds: 0 })), whole.epochs.map((e) => ({ ...e, seconds: 0 })), 'the outcome covers all 4 epochs');
  assert.deepEqual(rest.batches, whole.batches.slice(6));
  continued.parameters().forEach((p, i) => assert.deepEqual(p.data, straight.parameters()[i].data, p.name));

  const wrongModel = createModel({ inputSize: 2, hiddenSize: 5, numLayers: 2, outputSize: 3, seed: 5, kernels: tsKernels, cell: 'lstm' });
  assert.throws(() => trainExperiment(wrongModel, source(), { ...options, epochs: 4, resume: saved }), /resume: rnn\.weight_ih_l0 needs 40 values of Float32Array, got 32 of Float32Array/);
});

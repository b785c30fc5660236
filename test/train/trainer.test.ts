/**
 * The training loop's records against direct computation, zero gradients, clipping and
 * divergence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createModel } from '../../src/model/model.js';
import type { ModelOptions } from '../../src/model/config.js';
import type { SequenceBatch } from '../../src/model/model.js';
import { SeededRandom } from '../../src/random.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { BatchSource } from '../../src/train/trainer.js';
import { Training, trainExperiment } from '../../src/train/trainer.js';
import { decodeNumber } from '../../src/record/metrics.js';
import { defaultKernels } from '../../src/kernels/select.js';

const batchSize = 4;
const steps = 5;
const inputSize = 3;
const classes = 3;

function syntheticBatches(count: number, seed: number): SequenceBatch[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => ({
    inputs: new Float32Array(batchSize * steps * inputSize).map(() => random.normal()),
    targets: new Int32Array(batchSize).map(() => random.integer(classes)),
    batchSize,
    steps,
  }));
}

function source(train: SequenceBatch[], validation: SequenceBatch[] = []): BatchSource {
  return {
    loss: 'cross_entropy',
    batchesPerEpoch: train.length,
    trainingBatches: () => train,
    validationBatches: () => validation,
    testBatches: () => [],
  };
}

const modelOptions: ModelOptions = { inputSize, hiddenSize: 6, numLayers: 3, outputSize: classes, seed: 1, kernels: tsKernels };

test('batch records equal the norms computed directly from lossAndGradients', () => {
  const batches = syntheticBatches(3, 2);
  const trained = createModel(modelOptions);
  const outcome = trainExperiment(trained, source(batches), { optimizer: { type: 'sgd', learningRate: 0.1 }, epochs: 1, clipMaxNorm: null, clipMinNorm: null });
  assert.equal(outcome.batches.length, 3);
  assert.equal(outcome.divergence, null);

  // Replay: the same model and updates, norms measured by hand.
  const replay = createModel(modelOptions);
  batches.forEach((batch, index) => {
    const result = replay.lossAndGradients(batch);
    const record = outcome.batches[index];
    let totalSquares = 0;
    let smallest = Infinity;
    for (const p of replay.parameters()) {
      let squares = 0;
      for (const g of p.grad) squares += g * g;
      totalSquares += squares;
      smallest = Math.min(smallest, Math.sqrt(squares));
      assert.ok(Math.abs(decodeNumber(record.gradientNorms[p.name]) - Math.sqrt(squares)) <= 1e-9 * Math.sqrt(squares) + 1e-30);
    }
    assert.equal(record.loss, result.loss);
    assert.ok(Math.abs(decodeNumber(record.totalGradientNorm) - Math.sqrt(totalSquares)) < 1e-9 * Math.sqrt(totalSquares));
    assert.equal(record.minLayerGradientNorm, smallest);
    assert.deepEqual(record.hiddenGradientNorms, result.hiddenGradientNorms.map((layer) => Array.from(layer)));
    assert.deepEqual(record.inputGradientNorms, Array.from(result.inputGradientNorms));
    assert.deepEqual(record.activationRms, result.activationRms);
    for (const p of replay.parameters()) {
      const before = Float64Array.from(p.data);
      for (let i = 0; i < p.data.length; i++) p.data[i] -= 0.1 * p.grad[i];
      let moved = 0;
      let weight = 0;
      // Relative to the weights before the step.
      for (let i = 0; i < p.data.length; i++) {
        moved += (p.data[i] - before[i]) ** 2;
        weight += before[i] ** 2;
      }
      const ratio = Math.sqrt(moved) / Math.sqrt(weight);
      assert.ok(Math.abs(decodeNumber(record.updateToWeightRatio[p.name]) - ratio) < 1e-6 * ratio);
    }
  });
  const [epoch] = outcome.epochs;
  const meanLoss = outcome.batches.reduce((sum, b) => sum + decodeNumber(b.loss), 0) / 3;
  assert.ok(Math.abs(decodeNumber(epoch.meanLoss) - meanLoss) < 1e-12);
  assert.deepEqual(epoch.lastTotalGradientNorms, outcome.batches.map((b) => b.totalGradientNorm));
});

test('exactly-zero gradients count as the smallest layer norm, never skipped', () => {
  const model = createModel({ ...modelOptions, nonlinearity: 'relu' });
  // A dead bottom layer: every pre-activation is negative, so its gradients are exactly 0.
  const weight = model.getParameter('rnn.weight_ih_l0');
  model.setParameter('rnn.weight_ih_l0', new Float32Array(weight.data.length));
  model.setParameter('rnn.bias_ih_l0', new Float32Array(6).fill(-1));
  const outcome = trainExperiment(model, source(syntheticBatches(1, 3)), { optimizer: { type: 'sgd', learningRate: 0.01 }, epochs: 1, clipMaxNorm: null, clipMinNorm: null });
  const [record] = outcome.batches;
  assert.equal(record.minLayerGradientNorm, 0);
  assert.equal(record.gradientNorms['rnn.weight_hh_l0'], 0);
  assert.ok(record.zeroGradientParameters >= 4);
  assert.equal(record.saturatedFraction[0], 1);
});

test('clipping and the minimum-norm rescale report their factor; totals are before rescaling', () => {
  const batches = syntheticBatches(2, 4);
  const clipped = trainExperiment(createModel(modelOptions), source(batches), { optimizer: { type: 'sgd', learningRate: 0.01 }, epochs: 1, clipMaxNorm: 1e-3, clipMinNorm: null });
  for (const record of clipped.batches) {
    assert.ok(Math.abs(record.rescaleFactor - 1e-3 / (decodeNumber(record.totalGradientNorm) + 1e-6)) < 1e-12);
  }
  const raised = trainExperiment(createModel(modelOptions), source(batches), { optimizer: { type: 'sgd', learningRate: 0.01 }, epochs: 1, clipMaxNorm: null, clipMinNorm: 1e3 });
  for (const record of raised.batches) {
    assert.ok(record.rescaleFactor > 1);
    assert.ok(Math.abs(record.rescaleFactor - 1e3 / (decodeNumber(record.totalGradientNorm) + 1e-8)) < 1e-9 * record.rescaleFactor);
  }
});

test('a run driven to NaN is recorded as diverged at that batch, keeping what came before', () => {
  const model = createModel(modelOptions);
  // A weight turned NaN after the 6th update (epoch 2, batch 2) poisons the 7th batch's loss.
  const poison = {
    onBatch: (_record: unknown, progress: { epoch: number; batch: number }) => {
      if (progress.epoch === 2 && progress.batch === 2) model.parameters()[1].data[0] = NaN;
    },
  };
  const outcome = trainExperiment(model, source(syntheticBatches(4, 5), syntheticBatches(1, 6)), {
    optimizer: { type: 'sgd', learningRate: 0.01 }, epochs: 3, clipMaxNorm: null, clipMinNorm: null,
  }, poison);
  assert.deepEqual(outcome.divergence, { epoch: 2, batch: 3, reason: 'loss is NaN' });
  assert.equal(outcome.batches.length, 7);
  assert.equal(outcome.batches[6].loss, 'NaN');
  assert.equal(outcome.epochs.length, 2);
  assert.equal(outcome.epochs[0].batches, 4);
  assert.equal(outcome.epochs[1].batches, 2);
  assert.ok(Number.isFinite(outcome.epochs[1].meanLoss));
  assert.equal(outcome.final.testLoss, null);
});

test('weights that overflow in an update stop the run as diverged, before any kernel can hide the NaN', () => {
  // One input weight at 3e38 (float32's largest is 3.4e38) saturates its unit, so the loss and the
  // gradient of the first batch stay finite; the update's weight decay, 1 × 10 × 3e38, then takes
  // the weight past float32's range to -∞.
  for (const kernels of [tsKernels, defaultKernels()]) {
    const model = createModel({ ...modelOptions, kernels });
    model.parameters()[0].data[0] = 3e38;
    const outcome = trainExperiment(model, source(syntheticBatches(3, 5)), {
      optimizer: { type: 'sgd', learningRate: 1, weightDecay: 10 }, epochs: 1, clipMaxNorm: null, clipMinNorm: null,
    });
    assert.ok(outcome.divergence !== null, kernels.name);
    assert.equal(outcome.divergence.batch, 1);
    assert.match(outcome.divergence.reason, /^weights of \S+ are not finite after the update$/);
    assert.ok(Number.isFinite(decodeNumber(outcome.batches[0].loss)));
  }
});

test('accuracy counts only the scored steps (the copy task\'s recall), in training and validation', () => {
  const model = createModel({ ...modelOptions, output: 'every' });
  const random = new SeededRandom(9);
  const batches = Array.from({ length: 2 }, () => ({
    inputs: new Float32Array(batchSize * steps * inputSize).map(() => random.normal()),
    targets: new Int32Array(batchSize * steps).map(() => random.integer(classes)),
    batchSize, steps,
  }));
  const fromStep = 3;
  const expected = batches.map((batch) => {
    const perStep = createModel({ ...modelOptions, output: 'every' }).evaluate(batch).correctPerStep!;
    return (perStep[3] + perStep[4]) / (2 * batchSize);
  });
  const outcome = trainExperiment(model, { ...source(batches, batches), accuracyFromStep: fromStep }, { optimizer: { type: 'sgd', learningRate: 1e-9 }, epochs: 1, clipMaxNorm: null, clipMinNorm: null });
  assert.ok(Math.abs((outcome.batches[0].accuracy ?? NaN) - expected[0]) < 1e-12);
  assert.ok(Math.abs((outcome.epochs[0].validationAccuracy ?? NaN) - (expected[0] + expected[1]) / 2) < 1e-6);
});

test('the same seed and data give bit-identical records', () => {
  const run = () => trainExperiment(createModel(modelOptions), source(syntheticBatches(3, 7)), { optimizer: { type: 'adam', learningRate: 0.01 }, epochs: 2, clipMaxNorm: 1, clipMinNorm: null });
  const a = run();
  const b = run();
  assert.deepEqual(JSON.stringify(a.batches), JSON.stringify(b.batches));
  assert.deepEqual(JSON.stringify(a.epochs.map((e) => ({ ...e, seconds: 0 }))), JSON.stringify(b.epochs.map((e) => ({ ...e, seconds: 0 }))));
});

test('training one batch at a time gives the same records as the whole loop, diverged runs included', () => {
  const withoutTimes = (value: unknown): string => JSON.stringify(value, (key, field: unknown) => (key === 'seconds' ? 0 : field));
  for (const poisoned of [false, true]) {
    // Poisoned: a weight turned NaN after epoch 2's second update, so the run diverges at its third batch.
    const poison = (model: ReturnType<typeof createModel>) => (_record: unknown, progress: { epoch: number; batch: number }): void => {
      if (poisoned && progress.epoch === 2 && progress.batch === 2) model.parameters()[1].data[0] = NaN;
    };
    const options = { optimizer: { type: 'sgd' as const, learningRate: 0.05, momentum: 0.5 }, epochs: 3, clipMaxNorm: null, clipMinNorm: null, histogramEvery: 2 };
    const wholeModel = createModel(modelOptions);
    const whole = trainExperiment(wholeModel, source(syntheticBatches(4, 5), syntheticBatches(1, 6)), options, { onBatch: poison(wholeModel) });
    const epochsSeen: number[] = [];
    const steppedModel = createModel(modelOptions);
    const training = new Training(steppedModel, source(syntheticBatches(4, 5), syntheticBatches(1, 6)), options, { onBatch: poison(steppedModel), onEpoch: (record) => epochsSeen.push(record.epoch) });
    const stepped = [];
    for (let record = training.step(); record !== null; record = training.step()) {
      stepped.push(record);
    }
    assert.equal(training.done, true);
    assert.equal(training.step(), null);
    const outcome = training.outcome();
    assert.equal(withoutTimes(stepped), withoutTimes(whole.batches), `poisoned ${poisoned}: batch records`);
    assert.equal(withoutTimes(outcome), withoutTimes(whole), `poisoned ${poisoned}: outcome`);
    assert.deepEqual(epochsSeen, whole.epochs.map((epoch) => epoch.epoch));
    if (poisoned) assert.deepEqual(whole.divergence, { epoch: 2, batch: 3, reason: 'loss is NaN' });
    else assert.equal(whole.epochs.length, 3);
  }
});

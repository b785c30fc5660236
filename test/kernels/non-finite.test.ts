/**
 * Kernels that never lie: a NaN or ±Inf anywhere in a model must reach the loss, the gradient
 * norms or the weights on every kernel set alike, the reference TypeScript kernels, each native
 * variant this machine runs and the WebAssembly kernels (test/kernels/equivalence.test.ts and
 * wasm-kernels.test.ts check the same kernel by kernel).
 * Every cell (rnn tanh, rnn relu, lstm, gru) × architecture (vanilla, residual), 2 layers:
 * - a NaN in any element of any parameter (weights, biases, of both layers and the head) gives a
 *   NaN loss and NaN gradient norms;
 * - +Inf or −Inf there gives the same classes of values (NaN / ±Inf / finite) of the loss and of
 *   every gradient norm on every kernel set, and something non-finite after one SGD step: IEEE
 *   allows a finite loss here (tanh(Inf) = 1), never a finite model;
 * - the issue's case, weight_ih_l0[0] = +Inf and [1] = −Inf, gives a non-finite loss;
 * - a non-finite value in the inputs, or in the targets of an MSE loss, is refused at the API
 *   (the input check itself runs through the kernels' sumOfSquares). There is no honest way to
 *   put one into the time-major copy the layers read: it is private and rewritten from the batch
 *   on every call. What such a value would do inside the stack, the previous layer's parameters
 *   already do above: layer 1 reads layer 0's output through the same gemm;
 * - a NaN or ±Inf put into a gradient right before the optimiser step makes the norms, the
 *   clipped gradients and the updated weights non-finite, for SGD, SGD with momentum and Adam;
 * - a training run whose weights get a NaN (or +Inf) from a listener after batch k stops with a
 *   divergence at the same epoch, batch and reason on every kernel set.
 * `setParameter` refuses non-finite values by design, so the tests write into `parameters()[i].data`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kernels } from '../../src/kernels/kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { Architecture, CellType, ModelOptions, Nonlinearity } from '../../src/model/config.js';
import type { Model, SequenceBatch } from '../../src/model/model.js';
import { createModel } from '../../src/model/model.js';
import { SeededRandom } from '../../src/random.js';
import { measureGradientNorms, rescaleGradients } from '../../src/train/gradient-surgery.js';
import type { OptimizerOptions } from '../../src/train/optimizers.js';
import { createOptimizer } from '../../src/train/optimizers.js';
import type { BatchSource, TrainingOutcome } from '../../src/train/trainer.js';
import { trainExperiment } from '../../src/train/trainer.js';
import { everyKernelSet, nativeKernelSets, nativeVariantsMissing } from './kernel-sets.js';

const cells: { cell: CellType; nonlinearity: Nonlinearity; label: string }[] = [
  { cell: 'rnn', nonlinearity: 'tanh', label: 'rnn tanh' },
  { cell: 'rnn', nonlinearity: 'relu', label: 'rnn relu' },
  { cell: 'lstm', nonlinearity: 'tanh', label: 'lstm' },
  { cell: 'gru', nonlinearity: 'tanh', label: 'gru' },
];
const architectures: Architecture[] = ['vanilla', 'residual'];
const configs = cells.flatMap((cell) => architectures.map((architecture) => ({ ...cell, architecture, label: `${cell.label} ${architecture}` })));

const batchSize = 3;
const steps = 5;
const inputSize = 3;
const classes = 4;

function options(config: (typeof configs)[number], kernels: Kernels, outputSize = classes): ModelOptions {
  // Hidden size 9: not a multiple of any vector width, so the planted values also sit in tails.
  return { architecture: config.architecture, cell: config.cell, nonlinearity: config.nonlinearity, inputSize, hiddenSize: 9, numLayers: 2, outputSize, seed: 3, kernels };
}

/** A batch of inputs of both signs (so ±Inf weights meet both signs, as in training). */
function batch(seed: number): SequenceBatch {
  const random = new SeededRandom(seed);
  return {
    inputs: new Float32Array(batchSize * steps * inputSize).map(() => random.normal()),
    targets: new Int32Array(batchSize).map(() => random.integer(classes)),
    batchSize,
    steps,
  };
}

/** NaN, +Inf, −Inf or finite: what must agree between kernel sets. */
function kind(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return 'finite';
}

interface Measured {
  loss: number;
  gradientNorms: Float64Array;
  /** After one SGD step on these gradients: ‖θ‖ of every parameter. */
  normsAfterStep: Float64Array;
}

/** Builds the model on `kernels`, lets `plant` spoil it, and measures one training step. */
function measure(config: (typeof configs)[number], kernels: Kernels, plant: (model: Model) => void): Measured {
  const model = createModel(options(config, kernels));
  plant(model);
  const result = model.lossAndGradients(batch(7));
  const gradientNorms = measureGradientNorms(model.parameters(), kernels).perParameter;
  const optimizer = createOptimizer(model.parameters(), { type: 'sgd', learningRate: 0.1 });
  optimizer.step();
  return { loss: result.loss, gradientNorms, normsAfterStep: Float64Array.from(optimizer.lastNormsAfter) };
}

/** Loss and gradient norms agree in kind on every kernel set, and in value where finite. */
function assertSameKinds(results: Measured[], names: string[], what: string): void {
  const [reference, ...others] = results;
  others.forEach((other, index) => {
    const set = everyKernelSet[index + 1].name;
    const pairs: [string, number, number][] = [['loss', other.loss, reference.loss], ...names.map((name, i): [string, number, number] => [`‖grad ${name}‖`, other.gradientNorms[i], reference.gradientNorms[i]])];
    for (const [label, mine, theirs] of pairs) {
      assert.equal(kind(mine), kind(theirs), `${what}: ${label} is ${mine} on ${set}, ${theirs} on ts`);
      if (kind(theirs) === 'finite') assert.ok(Math.abs(mine - theirs) <= 1e-3 * Math.abs(theirs) + 1e-5, `${what}: ${label} ${mine} on ${set}, ${theirs} on ts`);
    }
  });
}

test('native kernel sets under test', { skip: nativeKernelSets.length === 0 ? `no native variant runs here (${nativeVariantsMissing.join('; ') || 'none built'}): only the TypeScript kernels are checked` : false }, (t) => {
  assert.ok(nativeKernelSets.length > 0);
  t.diagnostic(`kernel sets: ${everyKernelSet.map((k) => k.name).join(', ')}${nativeVariantsMissing.length > 0 ? `; not run: ${nativeVariantsMissing.join('; ')}` : ''}`);
});

for (const config of configs) {
  test(`${config.label}: a NaN in any parameter gives a NaN loss and NaN gradient norms on every kernel set`, () => {
    const names = createModel(options(config, tsKernels)).parameterNames();
    names.forEach((name, p) => {
      const results = everyKernelSet.map((kernels) => measure(config, kernels, (model) => {
        const data = model.parameters()[p].data;
        data[data.length - 1] = Number.NaN;
      }));
      results.forEach((result, k) => {
        assert.ok(Number.isNaN(result.loss), `NaN in ${name}: loss ${result.loss} on ${everyKernelSet[k].name}`);
        const total = result.gradientNorms.reduce((sum, norm) => sum + norm * norm, 0);
        assert.ok(Number.isNaN(total), `NaN in ${name}: total gradient norm² ${total} on ${everyKernelSet[k].name}`);
      });
      assertSameKinds(results, names, `NaN in ${name}`);
    });
  });

  test(`${config.label}: +Inf or −Inf in any parameter gives the same non-finite values on every kernel set`, (t) => {
    const names = createModel(options(config, tsKernels)).parameterNames();
    // Where the infinity first shows, counted over both signs and every parameter (the same on every kernel set).
    const shows = { loss: 0, gradient: 0, weightsOnly: 0 };
    for (const value of [Infinity, -Infinity]) {
      names.forEach((name, p) => {
        const results = everyKernelSet.map((kernels) => measure(config, kernels, (model) => {
          const data = model.parameters()[p].data;
          data[data.length - 1] = value;
        }));
        const what = `${value} in ${name}`;
        assertSameKinds(results, names, what);
        const [reference] = results;
        if (!Number.isFinite(reference.loss)) shows.loss++;
        else if (reference.gradientNorms.some((norm) => !Number.isFinite(norm))) shows.gradient++;
        else shows.weightsOnly++;
        results.forEach((result, k) => {
          const nonFinite = !Number.isFinite(result.loss) || result.gradientNorms.some((norm) => !Number.isFinite(norm)) || result.normsAfterStep.some((norm) => !Number.isFinite(norm));
          assert.ok(nonFinite, `${what}: loss, gradients and the weights after one step are all finite on ${everyKernelSet[k].name}`);
        });
      });
    }
    t.diagnostic(`±Inf in ${2 * names.length} places: non-finite loss ${shows.loss}, finite loss but non-finite gradient ${shows.gradient}, only the weights after the step ${shows.weightsOnly}`);
  });

  test(`${config.label}: weight_ih_l0[0] = +Inf and [1] = −Inf (the issue's case) give a non-finite loss on every kernel set`, () => {
    for (const kernels of everyKernelSet) {
      const result = measure(config, kernels, (model) => {
        const weight = model.parameters()[0];
        assert.match(weight.name, /weight_ih_l0$/);
        weight.data[0] = Infinity;
        weight.data[1] = -Infinity;
      });
      assert.ok(!Number.isFinite(result.loss), `loss ${result.loss} on ${kernels.name}`);
    }
  });

  test(`${config.label}: non-finite inputs and MSE targets are refused on every kernel set`, () => {
    for (const kernels of everyKernelSet) {
      for (const value of [Number.NaN, Infinity, -Infinity]) {
        const model = createModel(options(config, kernels));
        const inputs = batch(1);
        inputs.inputs[inputs.inputs.length - 2] = value;
        assert.throws(() => model.lossAndGradients(inputs), new RegExp(`inputs\\[${inputs.inputs.length - 2}\\] = ${value} is not finite`), `${kernels.name}: lossAndGradients`);
        assert.throws(() => model.evaluate(inputs), /is not finite/, `${kernels.name}: evaluate`);
        const regression = createModel(options(config, kernels, 2));
        const targets = new Float32Array(batchSize * 2).fill(0.5);
        targets[3] = value;
        assert.throws(() => regression.lossAndGradients({ ...batch(1), targets, loss: 'mse' }), new RegExp(`targets\\[3\\] = ${value} is not finite`), `${kernels.name}: mse targets`);
      }
    }
  });

  test(`${config.label}: a NaN or ±Inf gradient right before the optimiser step reaches the norms, the clipped gradients and the weights`, () => {
    const optimizers: OptimizerOptions[] = [
      { type: 'sgd', learningRate: 0.1 },
      { type: 'sgd', learningRate: 0.1, momentum: 0.9 },
      { type: 'adam', learningRate: 0.01 },
    ];
    for (const kernels of everyKernelSet) {
      for (const value of [Number.NaN, Infinity, -Infinity]) {
        for (const optimizerOptions of optimizers) {
          const what = `${kernels.name}, ${value} in a gradient, ${optimizerOptions.type}${optimizerOptions.type === 'sgd' && optimizerOptions.momentum !== undefined ? ' with momentum' : ''}`;
          const model = createModel(options(config, kernels));
          const parameters = model.parameters();
          const optimizer = createOptimizer(parameters, optimizerOptions);
          const first = model.lossAndGradients(batch(2));
          assert.ok(Number.isFinite(first.loss), `${what}: the clean step must be finite`);
          const spoiled = 1; // weight_hh of layer 0
          parameters[spoiled].grad[parameters[spoiled].grad.length - 1] = value;
          const norms = measureGradientNorms(parameters, kernels);
          assert.equal(kind(norms.total), kind(Math.abs(value)), `${what}: total norm ${norms.total}`);
          // Clipping on the non-finite norm: NaN makes every gradient NaN, Inf makes the factor 0 and 0·Inf NaN.
          rescaleGradients(parameters, kernels, norms.total, { maxNorm: 1, minNorm: null });
          const after = measureGradientNorms(parameters, kernels).perParameter;
          if (Number.isNaN(value)) assert.ok(after.every((norm) => Number.isNaN(norm)), `${what}: clipped norms ${after.join(', ')}`);
          else assert.ok(Number.isNaN(after[spoiled]), `${what}: clipped norm ${after[spoiled]}`);
          optimizer.step();
          assert.ok(!Number.isFinite(optimizer.lastNormsAfter[spoiled]), `${what}: ‖θ‖ after the step is ${optimizer.lastNormsAfter[spoiled]}`);
          const next = model.lossAndGradients(batch(3));
          assert.ok(Number.isNaN(next.loss), `${what}: the next loss is ${next.loss}`);
        }
      }
    }
  });

  test(`${config.label}: training stops with a divergence at the same epoch and batch on every kernel set`, (t) => {
    const batches = [batch(11), batch(12), batch(13), batch(14)];
    const source: BatchSource = {
      loss: 'cross_entropy',
      batchesPerEpoch: batches.length,
      trainingBatches: () => batches,
      validationBatches: () => [batch(15)],
      testBatches: () => [],
    };
    for (const value of [Number.NaN, Infinity]) {
      const outcomes: TrainingOutcome[] = everyKernelSet.map((kernels) => {
        const model = createModel(options(config, kernels));
        // After batch 2 of epoch 2 a weight of the top layer's recurrence becomes non-finite.
        const listener = {
          onBatch: (_record: unknown, progress: { epoch: number; batch: number }) => {
            if (progress.epoch === 2 && progress.batch === 2) {
              const weight = model.parameters()[5];
              weight.data[weight.data.length - 1] = value;
            }
          },
        };
        return trainExperiment(model, source, { optimizer: { type: 'sgd', learningRate: 0.05 }, epochs: 3, clipMaxNorm: 5, clipMinNorm: null }, listener);
      });
      outcomes.forEach((outcome, k) => {
        const what = `${value} after epoch 2 batch 2 on ${everyKernelSet[k].name}`;
        assert.ok(outcome.divergence !== null, `${what}: no divergence`);
        assert.deepEqual({ epoch: outcome.divergence.epoch, batch: outcome.divergence.batch }, { epoch: 2, batch: 3 }, `${what}: ${outcome.divergence.reason}`);
        assert.equal(outcome.divergence.reason, outcomes[0].divergence?.reason, `${what}: reason differs from the ts kernels'`);
        assert.equal(outcome.batches.length, outcomes[0].batches.length, what);
        outcome.batches.slice(0, -1).forEach((record, i) => {
          const reference = outcomes[0].batches[i];
          assert.ok(typeof record.loss === 'number' && typeof reference.loss === 'number' && Math.abs(record.loss - reference.loss) <= 1e-4 * Math.abs(reference.loss), `${what}: batch ${i + 1} loss ${record.loss} vs ${reference.loss}`);
        });
      });
      t.diagnostic(`${value}: diverged at epoch 2 batch 3 on ${outcomes.length} kernel sets: ${outcomes[0].divergence?.reason}`);
    }
  });
}

/**
 * The mean-field prediction (src/theory/mean-field.ts) against its own pieces and against the
 * engine's measurement at initialisation. test/model/theory.test.ts proves the engine's side of
 * the linear case at the layer level (an orthogonal W_hh keeps ‖dL/dh_t‖, 0.9·Q shrinks it by
 * 0.9); here the same case goes through createModel's init and gain, with the prediction beside it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InitScheme } from '../../src/model/config.js';
import { createModel } from '../../src/model/model.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { generateAdding } from '../../src/data/synthetic.js';
import { predictionRecord } from '../../src/theory/prediction-record.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import { SeededRandom } from '../../src/random.js';
import type { MeanFieldModel, MeanFieldPrediction } from '../../src/theory/mean-field.js';
import {
  fixedPointVariance, gaussianExpectation, meanSquaredDerivative, predictedPerStepBetween, predictMeanField, weightVariances,
} from '../../src/theory/mean-field.js';
import { measureLikeDiagnosis, measurePerStepFactor } from '../../src/theory/measurement.js';

function predict(model: Partial<MeanFieldModel> & Pick<MeanFieldModel, 'init' | 'recurrentGain' | 'nonlinearity'>, steps: number, inputSquaredNorm: number, requiredLag = steps - 1): MeanFieldPrediction {
  const prediction = predictMeanField(
    { architecture: 'vanilla', cell: 'rnn', hiddenSize: 256, inputSize: 16, numLayers: 1, ...model },
    { inputSquaredNorm: new Array<number>(steps).fill(inputSquaredNorm), requiredLag },
  );
  if (!prediction.applies) throw new Error(prediction.reason);
  return prediction;
}

test('Gaussian expectations are exact for moments and match an independent fine integration for tanh', () => {
  assert.ok(Math.abs(gaussianExpectation((h) => h * h, 2.5) - 2.5) < 1e-12);
  assert.ok(Math.abs(gaussianExpectation((h) => h ** 4, 2) - 12) < 1e-11);
  for (const q of [0.01, 0.5, 3, 20, 100]) {
    // Midpoint rule over ±12 standard deviations, 200,000 cells.
    const cells = 200_000;
    const width = (24 * Math.sqrt(q)) / cells;
    let integral = 0;
    for (let i = 0; i < cells; i++) {
      const h = -12 * Math.sqrt(q) + (i + 0.5) * width;
      integral += (1 - Math.tanh(h) ** 2) ** 2 * Math.exp((-h * h) / (2 * q)) * width;
    }
    integral /= Math.sqrt(2 * Math.PI * q);
    assert.ok(Math.abs(meanSquaredDerivative('tanh', q) - integral) < 1e-9, `q = ${q}: ${meanSquaredDerivative('tanh', q)} vs ${integral}`);
  }
});

test('the fixed point solves q = σ_w² E[φ²] + drive; linear and ReLU in closed form', () => {
  const q = fixedPointVariance('tanh', 2, 0.1);
  assert.ok(Math.abs(q - (2 * gaussianExpectation((h) => Math.tanh(h) ** 2, q) + 0.1)) < 1e-12);
  assert.equal(fixedPointVariance('linear', 0.5, 0.1), 0.2);
  assert.equal(fixedPointVariance('relu', 1, 0.1), 0.2);
  assert.equal(fixedPointVariance('linear', 1.21, 0.1), Number.POSITIVE_INFINITY);
});

test("the weight variances are those createModel's initialisations draw", () => {
  const [H, I] = [256, 16];
  for (const init of ['default', 'xavier', 'he', 'orthogonal', 'identity'] as const satisfies readonly InitScheme[]) {
    const gain = 1.5;
    const model = createModel({ inputSize: I, hiddenSize: H, numLayers: 2, outputSize: 2, init, recurrentGain: gain, seed: 4, kernels: tsKernels });
    // Per-unit normalisation: fan_in × the mean square of one weight.
    const perUnit = (name: string, fanIn: number): number => {
      const { data } = model.getParameter(name);
      let squares = 0;
      for (const value of data) squares += value * value;
      return (fanIn * squares) / data.length;
    };
    const biasMeanSquare = (): number => {
      const input = model.getParameter('rnn.bias_ih_l0').data;
      const hidden = model.getParameter('rnn.bias_hh_l0').data;
      let squares = 0;
      for (let i = 0; i < H; i++) squares += (input[i] + hidden[i]) ** 2;
      return squares / H;
    };
    const expected = weightVariances(init, gain, H, I);
    // A mean square over H·fan_in weights is within a few per cent; the bias's, over only H = 256
    // values of a sum of two uniforms, has a relative spread of about √(1.4/256) ≈ 7 %: 3 spreads allowed.
    const close = (measured: number, predicted: number, what: string, tolerance = 0.06): void => {
      assert.ok(Math.abs(measured / predicted - 1) < tolerance, `${init} ${what}: measured ${measured}, predicted ${predicted}`);
    };
    close(perUnit('rnn.weight_hh_l0', H), expected.recurrent, 'σ_hh²');
    close(perUnit('rnn.weight_ih_l0', I), expected.inputFirst, 'σ_ih² (first layer)');
    close(perUnit('rnn.weight_ih_l1', H), expected.inputAbove, 'σ_ih² (layers above)');
    if (expected.bias === 0) assert.equal(biasMeanSquare(), 0);
    else close(biasMeanSquare(), expected.bias, 'σ_b²', 0.22);
  }
});

for (const gain of [0.9, 1, 1.1]) {
  test(`a linear RNN with orthogonal W_hh and gain ${gain}: predicted and measured exactly ${gain} per step`, () => {
    const steps = 40;
    const prediction = predict({ nonlinearity: 'linear', init: 'orthogonal', recurrentGain: gain }, steps, 16);
    assert.equal(prediction.exact, true);
    assert.ok(Math.abs(prediction.time!.perStep - gain) < 1e-12, `predicted ${prediction.time!.perStep}`);
    assert.ok(Math.abs(prediction.layers[0].perStep - gain) < 1e-12);
    const model = createModel({ inputSize: 16, hiddenSize: 64, outputSize: 3, nonlinearity: 'linear', init: 'orthogonal', recurrentGain: gain, seed: 1, dtype: 'float64', kernels: tsKernels });
    const random = new SeededRandom(2);
    const batchSize = 8;
    const inputs = new Float64Array(batchSize * steps * 16).map(() => random.normal());
    const norms = model.lossAndGradients({ inputs, targets: new Int32Array(batchSize).map(() => random.integer(3)), batchSize, steps }).hiddenGradientNorms[0];
    for (let t = 1; t < steps; t++) {
      const measured = norms[t - 1] / norms[t];
      const predicted = predictedPerStepBetween(prediction, 0, t - 1, t);
      assert.ok(Math.abs(measured - predicted) < 1e-12, `t = ${t}: measured ${measured}, predicted ${predicted}`);
    }
  });
}

test('no theory for gated cells or a nonlinear IRNN, with the reason', () => {
  for (const [cell, init, nonlinearity] of [['lstm', 'default', 'tanh'], ['gru', 'orthogonal', 'tanh'], ['rnn', 'identity', 'relu']] as const) {
    const prediction = predictMeanField(
      { architecture: 'vanilla', cell, nonlinearity, init, recurrentGain: 1, hiddenSize: 32, inputSize: 2, numLayers: 1 },
      { inputSquaredNorm: [1, 1, 1], requiredLag: 2 },
    );
    assert.equal(prediction.applies, false);
    if (!prediction.applies) assert.match(prediction.reason, /no mean-field prediction/);
  }
});

/**
 * A tanh RNN at width 256, T = 100, batch 64, inputs N(0, 1) over 16 features (E‖x_t‖² = 16),
 * read between steps 25 and 75, three seeds. The order–chaos boundary is at gain 1 for the
 * orthogonal W_hh (σ_hh² = g²) and gain √3 for PyTorch's default (σ_hh² = g²/3); the gains
 * lie on both sides of each.
 */
const tanhCases: readonly { init: InitScheme; gains: readonly number[] }[] = [
  { init: 'orthogonal', gains: [0.5, 0.8, 1, 1.5, 2, 3] },
  { init: 'default', gains: [0.5, 1, 1.5, 2, 3] },
];
for (const { init, gains } of tanhCases) {
  test(`tanh, width 256, ${init} init: the predicted per-step factor is within 10 % of the measured one for gains ${gains.join(', ')}`, () => {
    const [steps, from, to] = [100, 25, 75];
    const rows: string[] = [];
    for (const gain of gains) {
      const predicted = predictedPerStepBetween(predict({ nonlinearity: 'tanh', init, recurrentGain: gain }, steps, 16), 0, from, to);
      const measured = measurePerStepFactor({
        model: { inputSize: 16, hiddenSize: 256, nonlinearity: 'tanh', init, recurrentGain: gain },
        steps, batchSize: 64, inputVariance: 1, window: { from, to }, seeds: [0, 1, 2],
      }).perStep;
      rows.push(`gain ${gain}: predicted ${predicted.toFixed(4)}, measured ${measured.toFixed(4)}`);
      assert.ok(Math.abs(measured / predicted - 1) < 0.1, rows.join('; '));
    }
  });
}

/**
 * Stacks, read as the diagnosis reads a first batch: the input gradient's rate over the lag and
 * the gradient arriving per layer, where paths through the layers and the steps add up (the
 * lattice (3)/(4) of mean-field.ts). Row-MNIST's shape: 28 steps of 28 inputs N(0, 1), lag 25.
 */
test('5-layer stacks at width 256: the predicted per-step and per-layer rates are within 10 % of what the diagnosis measures', () => {
  const [hiddenSize, inputSize, steps, requiredLag] = [256, 28, 28, 25];
  const stacks = [
    { architecture: 'vanilla', nonlinearity: 'tanh', init: 'default', recurrentGain: 1 },
    { architecture: 'vanilla', nonlinearity: 'tanh', init: 'orthogonal', recurrentGain: 1.5 },
    { architecture: 'residual', nonlinearity: 'relu', init: 'xavier', recurrentGain: 1 },
  ] as const;
  for (const stack of stacks) {
    const model = { ...stack, hiddenSize, inputSize, numLayers: 5 };
    const prediction = predict(model, steps, inputSize, requiredLag);
    const measured = measureLikeDiagnosis({ model, steps, batchSize: 32, inputVariance: 1, seeds: [0, 1, 2], requiredLag });
    const what = `${stack.architecture} ${stack.nonlinearity} ${stack.init} gain ${stack.recurrentGain}`;
    assert.ok(Math.abs(measured.perStep / prediction.time!.perStep - 1) < 0.1, `${what}: ×/step predicted ${prediction.time!.perStep}, measured ${measured.perStep}`);
    assert.ok(Math.abs(measured.perLayer! / prediction.depth!.perLayer - 1) < 0.1, `${what}: ×/layer predicted ${prediction.depth!.perLayer}, measured ${measured.perLayer}`);
  }
});

test('a run records the prediction in the units the verdict measures, or why there is none', () => {
  const dataset = generateAdding({ name: 'adding', length: 30, trainSamples: 64, validationSamples: 8, testSamples: 8 }, new SeededRandom(0));
  const linear = predictionRecord(resolveModelConfig({ inputSize: 2, hiddenSize: 32, outputSize: 1, nonlinearity: 'linear', init: 'orthogonal', recurrentGain: 0.9 }), dataset, 29);
  assert.equal(linear.applies, true);
  assert.equal(linear.exact, true);
  assert.ok(Math.abs(linear.recurrencePerStep! - 0.9) < 1e-12 && Math.abs(linear.chi! - 0.81) < 1e-12, JSON.stringify(linear));
  assert.equal(linear.perLayer, null, 'one layer: nothing down the stack');
  const lstm = predictionRecord(resolveModelConfig({ inputSize: 2, hiddenSize: 32, outputSize: 1, cell: 'lstm' }), dataset, 29);
  assert.deepEqual({ ...lstm, reason: null }, { applies: false, reason: null, chi: null, recurrencePerStep: null, perStep: null, perLayer: null, exact: false });
  assert.match(lstm.reason ?? '', /no mean-field prediction for the LSTM cell/);
});

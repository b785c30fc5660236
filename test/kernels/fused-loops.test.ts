/**
 * The fused time loops (kernels.ts FusedLoops: a layer's whole forward or backward pass in one
 * native call) against the layers' own reference loops on the TypeScript kernels, for every build
 * variant this machine runs:
 * - loss, every gradient, ‖dL/dh_t‖, ‖dL/dx_t‖ and the saturated fractions agree within float32
 *   rounding for tanh, relu and linear Elman layers, LSTM and GRU layers, vanilla and residual
 *   stacks, at sizes that leave ragged vector tails, an odd number of vectors of units (the GRU
 *   pairs them), and ones whose products need more than one K block (H = 300; 4H = 280 and
 *   3H = 270 in the LSTM's and GRU's backward product);
 * - LSTM and GRU layers with a NaN, +Inf or −Inf planted in the input, a weight, a bias or the
 *   incoming gradient give, element by element, the same kind of value (NaN, ±Inf, finite) as the
 *   reference in h, every parameter gradient, dL/dx and ‖dL/dh_t‖, and close finite ones;
 * - any number of threads gives bit-identical results (each value is computed by the same
 *   operations whichever thread computes it, and the norms are summed in a fixed order), whether
 *   the threads share a loop by batch rows or, with a small batch, by columns;
 * - denormals: with `denormals: 'ieee'` a gradient decaying through the denormal range (below
 *   1.2e-38) agrees with the reference down to its last nonzero step; with `flush` the same
 *   gradient agrees wherever it is above 1e-32 and is zero wherever the reference's norm is
 *   itself denormal, and JavaScript's own arithmetic stays IEEE (denormal doubles survive a call).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FloatArray, FusedLoops, Kernels } from '../../src/kernels/kernels.js';
import { loadNativeVariant, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { Architecture, CellType, ModelOptions, Nonlinearity } from '../../src/model/config.js';
import { GruLayer } from '../../src/model/gru-layer.js';
import { LstmLayer } from '../../src/model/lstm-layer.js';
import type { LossAndGradients, SequenceBatch } from '../../src/model/model.js';
import { createModel } from '../../src/model/model.js';
import type { RecurrentLayer } from '../../src/model/recurrent-layer.js';
import { SeededRandom } from '../../src/random.js';

interface Case {
  label: string;
  /** The Elman `rnn` when not given. */
  cell?: CellType;
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
  { label: 'lstm vanilla H=9', cell: 'lstm', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 3, hiddenSize: 9, numLayers: 2, steps: 5, batchSize: 3 },
  { label: 'lstm residual H=37', cell: 'lstm', architecture: 'residual', nonlinearity: 'tanh', inputSize: 7, hiddenSize: 37, numLayers: 3, steps: 6, batchSize: 9 },
  { label: 'lstm vanilla one step', cell: 'lstm', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 2, hiddenSize: 17, numLayers: 2, steps: 1, batchSize: 2 },
  { label: 'lstm vanilla H=70 (4H = 280: two K blocks backward)', cell: 'lstm', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 5, hiddenSize: 70, numLayers: 2, steps: 4, batchSize: 10 },
  { label: 'lstm vanilla H=300 (two K blocks)', cell: 'lstm', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 30, hiddenSize: 300, numLayers: 1, steps: 3, batchSize: 4 },
  { label: 'gru vanilla H=9', cell: 'gru', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 3, hiddenSize: 9, numLayers: 2, steps: 5, batchSize: 3 },
  { label: 'gru residual H=37', cell: 'gru', architecture: 'residual', nonlinearity: 'tanh', inputSize: 7, hiddenSize: 37, numLayers: 3, steps: 6, batchSize: 9 },
  { label: 'gru vanilla H=40 (an odd number of vectors of units)', cell: 'gru', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 4, hiddenSize: 40, numLayers: 2, steps: 4, batchSize: 5 },
  { label: 'gru vanilla one step', cell: 'gru', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 2, hiddenSize: 17, numLayers: 2, steps: 1, batchSize: 2 },
  { label: 'gru vanilla H=90 (3H = 270: two K blocks backward)', cell: 'gru', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 5, hiddenSize: 90, numLayers: 2, steps: 4, batchSize: 10 },
  { label: 'gru vanilla H=300 (two K blocks)', cell: 'gru', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 30, hiddenSize: 300, numLayers: 1, steps: 3, batchSize: 4 },
  // Batches large enough that the threads share the loop by rows (at least MR rows each), and 20,
  // where 2 threads share it by rows and 3 by columns on AVX-512 (MR = 8).
  { label: 'tanh vanilla batch 20 (rows or columns per thread)', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 3, hiddenSize: 33, numLayers: 2, steps: 5, batchSize: 20 },
  { label: 'relu residual batch 53 (rows per thread)', architecture: 'residual', nonlinearity: 'relu', inputSize: 4, hiddenSize: 40, numLayers: 2, steps: 4, batchSize: 53 },
  { label: 'lstm vanilla batch 53 (rows per thread)', cell: 'lstm', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 3, hiddenSize: 21, numLayers: 2, steps: 4, batchSize: 53 },
  { label: 'gru vanilla batch 20 (rows or columns per thread)', cell: 'gru', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 3, hiddenSize: 40, numLayers: 2, steps: 4, batchSize: 20 },
  // 318 rows of gate gradients: dW_ih and dW_hh (B rows apart) in one sweep over two K blocks
  // (time_loop.h parameterGradientsTogether), with more than one panel of x and h on every variant.
  { label: 'tanh vanilla 6 steps of batch 53 (weight gradients together, two K blocks)', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 40, hiddenSize: 40, numLayers: 2, steps: 6, batchSize: 53 },
  { label: 'lstm vanilla 6 steps of batch 53 (weight gradients together, two K blocks)', cell: 'lstm', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 40, hiddenSize: 40, numLayers: 2, steps: 6, batchSize: 53 },
  { label: 'gru vanilla 6 steps of batch 53 (weight gradients together, two K blocks)', cell: 'gru', architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 40, hiddenSize: 40, numLayers: 2, steps: 6, batchSize: 53 },
];

function modelOptions(c: Case, kernels: Kernels, extra: Partial<ModelOptions> = {}): ModelOptions {
  return {
    architecture: c.architecture, cell: c.cell ?? 'rnn', nonlinearity: c.nonlinearity, inputSize: c.inputSize, hiddenSize: c.hiddenSize,
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
function snapshot(result: LossAndGradients): { loss: number; gradients: Map<string, Float32Array>; hidden: Float64Array[]; input: Float64Array; saturated: number[] } {
  return {
    loss: result.loss,
    gradients: new Map([...result.gradients].map(([name, values]) => [name, Float32Array.from(values)])),
    hidden: result.hiddenGradientNorms.map((norms) => norms.slice()),
    input: result.inputGradientNorms.slice(),
    saturated: [...result.saturatedFraction],
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

/** ‖actual − expected‖ within float32 rounding over the finite elements, and the same kind (NaN, +Inf, −Inf, finite) element by element. */
function assertSameElements(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const kind = (value: number): string => (Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : 'finite');
  const finiteActual: number[] = [];
  const finiteExpected: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    assert.equal(kind(actual[i]), kind(expected[i]), `${what}[${i}]: ${actual[i]} where the reference has ${expected[i]}`);
    if (kind(expected[i]) === 'finite') {
      finiteActual.push(actual[i]);
      finiteExpected.push(expected[i]);
    }
  }
  assertClose(finiteActual, finiteExpected, what, 1e-4);
}

/** Where a non-finite value is planted in the layer tests. */
const plantSites = ['the input', 'W_ih', 'W_hh', 'b_ih', 'b_hh', 'dL/dh from above'] as const;
type PlantSite = (typeof plantSites)[number];

/**
 * One LSTM or GRU layer (H = 19: ragged tails on every variant; 4 steps, batch 3) on `kernels`,
 * forward and backward, with `special` planted in one element of `where`; returns h, every
 * parameter gradient, dL/dx, ‖dL/dh_t‖ and the saturated fraction.
 */
function runLayer(cell: 'lstm' | 'gru', kernels: Kernels, where: PlantSite, special: number): Map<string, ArrayLike<number>> {
  const steps = 4, batch = 3, inputSize = 5, hiddenSize = 19;
  const layer: RecurrentLayer = cell === 'lstm'
    ? new LstmLayer(inputSize, hiddenSize, `${cell}.`, 'l0', 'float32', kernels)
    : new GruLayer(inputSize, hiddenSize, `${cell}.`, 'l0', 'float32', kernels);
  const random = new SeededRandom(23);
  for (const parameter of layer.parameters) parameter.data.forEach((_, i, data) => { data[i] = 0.4 * random.normal(); });
  const input = new Float32Array(steps * batch * inputSize).map(() => random.normal());
  const dOutput = new Float32Array(steps * batch * hiddenSize).map(() => random.normal());
  const [weightInput, weightHidden, biasInput, biasHidden] = layer.parameters;
  const planted: Record<PlantSite, FloatArray> = {
    'the input': input, 'W_ih': weightInput.data, 'W_hh': weightHidden.data, 'b_ih': biasInput.data, 'b_hh': biasHidden.data, 'dL/dh from above': dOutput,
  };
  const target = planted[where];
  // Past the first step's rows (so the recurrence carries it) and off the first vector.
  target[Math.floor(target.length / 2) + 1] = special;
  const dInput = new Float32Array(steps * batch * inputSize);
  const norms = new Float64Array(steps);
  layer.forward(input, steps, batch);
  layer.backward(input, dOutput, dInput, false, norms, steps, batch);
  return new Map<string, ArrayLike<number>>([
    ['h', Float32Array.from(layer.output.subarray(0, steps * batch * hiddenSize))],
    ...layer.parameters.map((parameter): [string, ArrayLike<number>] => [`grad ${parameter.name}`, Float32Array.from(parameter.grad)]),
    ['dL/dx', dInput],
    ['‖dL/dh_t‖', norms],
    ['saturated fraction', [layer.saturatedFraction(steps, batch)]],
  ]);
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
        // A unit within float32 rounding of the 0.99 threshold may fall on either side of it.
        reference.saturated.forEach((expected, layer) => assert.ok(Math.abs(fused.saturated[layer] - expected) <= 0.01, `saturated fraction layer ${layer}: ${fused.saturated[layer]} vs ${expected}`));
      });

      test(`${c.label}: 1, 2 and 3 threads give bit-identical results`, () => {
        const batch = batchFor(c, 5);
        const results = [1, 2, 3].map((threads) => snapshot(createModel(modelOptions(c, native.withSettings({ threads }))).lossAndGradients(batch)));
        for (const other of results.slice(1)) {
          assert.equal(other.loss, results[0].loss);
          for (const [name, values] of results[0].gradients) assert.deepEqual(other.gradients.get(name), values, name);
          assert.deepEqual(other.hidden, results[0].hidden);
          assert.deepEqual(other.input, results[0].input);
          assert.deepEqual(other.saturated, results[0].saturated);
        }
      });
    }

    test('with the last-step probe before the main pass, every cell\'s gradients are bit for bit those without it (the LSTM\'s and GRU\'s main pass writes its gate gradients over what the probe also reads)', () => {
      for (const c of cases.filter((each) => each.steps > 1)) {
        const random = new SeededRandom(3);
        const batch: SequenceBatch = {
          inputs: new Float32Array(c.batchSize * c.steps * c.inputSize).map(() => random.normal()),
          targets: new Int32Array(c.batchSize * c.steps).map(() => random.integer(4)),
          batchSize: c.batchSize,
          steps: c.steps,
        };
        const options = modelOptions(c, native, { output: 'every' });
        const probed = createModel(options).lossAndGradients(batch, { lastStepProbe: true });
        const probedGradients = snapshot(probed).gradients;
        const probe = probed.lastStepProbe!.hiddenGradientNorms.map((norms) => norms.slice());
        const plain = snapshot(createModel(options).lossAndGradients(batch));
        for (const [name, values] of plain.gradients) assert.deepEqual(probedGradients.get(name), values, `${c.label}: ${name}`);
        // The probe itself (its pass runs first, on the forward pass's activations) as the reference kernels give it.
        const reference = createModel(modelOptions(c, tsKernels, { output: 'every' })).lossAndGradients(batch, { lastStepProbe: true });
        reference.lastStepProbe!.hiddenGradientNorms.forEach((expected, layer) => assertClose(probe[layer], expected, `${c.label}: probe ‖dL/dh_t‖ layer ${layer}`));
      }
    });

    test('the LSTM and GRU loops\' binding refuses a buffer too short, a wrong array type and a thread count outside 1–64', () => {
      const { addon } = load;
      const [T, B, I, H] = [2, 3, 4, 5];
      const f = (n: number): Float32Array => new Float32Array(n);
      const lstm = (h: Float32Array, threads: number): number => addon.lstmForward(T, B, I, H, f(T * B * I), 0, f(4 * H * I), 0, f(4 * H * H), 0, f(4 * H), 0, f(4 * H), 0,
        h, 0, f(T * B * H), 0, f(T * B * H), 0, f(T * B * 4 * H), 0, 0.99, threads);
      const gru = (gates: Float32Array): number => addon.gruForward(T, B, I, H, f(T * B * I), 0, f(3 * H * I), 0, f(3 * H * H), 0, f(3 * H), 0, f(3 * H), 0,
        f(T * B * H), 0, f(T * B * 3 * H), 0, f(T * B * 3 * H), 0, gates, 0, 0.99, 1);
      lstm(f(T * B * H), 1);
      gru(f(T * B * 3 * H));
      assert.throws(() => lstm(f(T * B * H - 1), 1), /exceeds its length/);
      assert.throws(() => gru(f(T * B * 3 * H - 1)), /exceeds its length/);
      assert.throws(() => lstm(new Float64Array(T * B * H) as unknown as Float32Array, 1), /must be a Float32Array/);
      assert.throws(() => lstm(f(T * B * H), 0), /threads must be 1 to 64/);
    });

    test('LSTM and GRU layers run the fused loops on float32 buffers and their own loops on float64 ones', () => {
      const calls: string[] = [];
      const loops = native.fusedLoops!;
      const counting: FusedLoops = {
        rnnForward: (s, threshold) => { calls.push('rnnForward'); return loops.rnnForward(s, threshold); },
        rnnBackward: (s, g) => { calls.push('rnnBackward'); loops.rnnBackward(s, g); },
        lstmForward: (s, threshold) => { calls.push('lstmForward'); return loops.lstmForward(s, threshold); },
        lstmBackward: (s, g) => { calls.push('lstmBackward'); loops.lstmBackward(s, g); },
        gruForward: (s, threshold) => { calls.push('gruForward'); return loops.gruForward(s, threshold); },
        gruBackward: (s, g) => { calls.push('gruBackward'); loops.gruBackward(s, g); },
      };
      const kernels: Kernels = { ...native, fusedLoops: counting };
      const batch = batchFor(cases[0]);
      for (const cell of ['lstm', 'gru'] as const) {
        for (const dtype of ['float32', 'float64'] as const) {
          calls.length = 0;
          createModel({ ...modelOptions({ ...cases[0], cell }, kernels), dtype }).lossAndGradients(batch);
          assert.deepEqual(calls, dtype === 'float32' ? [`${cell}Forward`, `${cell}Forward`, `${cell}Backward`, `${cell}Backward`] : [], `${cell} ${dtype}`);
        }
      }
    });

    for (const cell of ['lstm', 'gru'] as const) {
      for (const where of plantSites) {
        test(`${cell} layer: NaN, +Inf and −Inf in ${where} give the reference's kind of value in every element`, () => {
          for (const special of [NaN, Infinity, -Infinity]) {
            const reference = runLayer(cell, tsKernels, where, special);
            const fused = runLayer(cell, native, where, special);
            for (const [name, expected] of reference) {
              const what = `${cell}, ${special} in ${where}: ${name}`;
              // A unit within float32 rounding of the 0.99 threshold may fall on either side of it.
              if (name === 'saturated fraction') assert.ok(Math.abs(fused.get(name)![0] - expected[0]) <= 0.02, `${what}: ${fused.get(name)![0]} vs ${expected[0]}`);
              else assertSameElements(fused.get(name)!, expected, what);
            }
          }
        });
      }
    }

    // The fused forward loops count saturated values as they write them (FusedLoops.*Forward's
    // result). Weights 20× their initial values saturate units (over 2 % of the LSTM's tanh(c_t),
    // which its forget gates keep resetting; far more of the others'), so a count lost on the way
    // (zero, another layer's, another buffer's) shows. native/test/kernels_test.cc checks each
    // count exactly against the values the loop wrote.
    for (const cell of ['rnn', 'lstm', 'gru'] as const) {
      test(`${cell}: the fused loop's saturated fraction of a saturating stack is the reference loops'`, () => {
        const saturating: Case = { label: 'saturating', cell, architecture: 'vanilla', nonlinearity: 'tanh', inputSize: 3, hiddenSize: 24, numLayers: 2, steps: 16, batchSize: 9 };
        const saturated = (kernels: Kernels): number[] => {
          const model = createModel(modelOptions(saturating, kernels));
          for (const parameter of model.parameters()) parameter.data.forEach((value, i, data) => { data[i] = 20 * value; });
          return model.lossAndGradients(batchFor(saturating)).saturatedFraction;
        };
        const reference = saturated(tsKernels);
        const fused = saturated(native);
        reference.forEach((expected, layer) => {
          assert.ok(expected > 0.02, `${cell} layer ${layer}: the reference saturates only ${expected}`);
          // A unit within float32 rounding of the 0.99 threshold may fall on either side of it.
          assert.ok(Math.abs(fused[layer] - expected) <= 0.002, `${cell} layer ${layer}: ${fused[layer]} vs ${expected}`);
        });
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

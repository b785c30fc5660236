/**
 * Initialisations: the distributions they promise, orthogonality, identity, zero biases, and
 * bit-identical parameters from the same seed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createModel } from '../../src/model/model.js';
import type { CellType, InitScheme } from '../../src/model/config.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';

const H = 64;
const I = 28;
const O = 10;

function stats(data: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    sum += data[i];
    min = Math.min(min, data[i]);
    max = Math.max(max, data[i]);
  }
  const mean = sum / data.length;
  let squares = 0;
  for (let i = 0; i < data.length; i++) squares += (data[i] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / data.length), min, max };
}

/** ‖QᵀQ − I‖_F / √cols for a tall matrix, ‖QQᵀ − I‖_F / √rows for a wide one. */
function orthogonalityError(data: ArrayLike<number>, rows: number, cols: number): number {
  const tall = rows >= cols;
  const n = tall ? cols : rows;
  let error = 0;
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let dot = 0;
      if (tall) for (let r = 0; r < rows; r++) dot += data[r * cols + a] * data[r * cols + b];
      else for (let c = 0; c < cols; c++) dot += data[a * cols + c] * data[b * cols + c];
      error += (dot - (a === b ? 1 : 0)) ** 2;
    }
  }
  return Math.sqrt(error) / Math.sqrt(n);
}

function uniformStd(bound: number): number {
  return bound / Math.sqrt(3);
}

/** PyTorch's names and shapes for nn.RNN/LSTM/GRU(I, H, num_layers=2) + nn.Linear(H, O): gates × H rows. */
function pytorchShapes(cell: CellType): Record<string, number[]> {
  const rows = { rnn: 1, lstm: 4, gru: 3 }[cell] * H;
  const shapes: Record<string, number[]> = {};
  for (const layer of [0, 1]) {
    shapes[`rnn.weight_ih_l${layer}`] = [rows, layer === 0 ? I : H];
    shapes[`rnn.weight_hh_l${layer}`] = [rows, H];
    shapes[`rnn.bias_ih_l${layer}`] = [rows];
    shapes[`rnn.bias_hh_l${layer}`] = [rows];
  }
  return { ...shapes, 'fc.weight': [O, H], 'fc.bias': [O] };
}

function model(init: InitScheme, cell: CellType = 'rnn', seed = 0) {
  return createModel({ inputSize: I, hiddenSize: H, numLayers: 2, outputSize: O, init, cell, seed, kernels: tsKernels });
}

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(`default init (${cell}) is PyTorch's: U(±1/√H) for the recurrent layers, U(±1/√fan_in) for the head`, () => {
    const m = model('default', cell);
    const shapes = pytorchShapes(cell);
    assert.deepEqual(m.parameterNames(), Object.keys(shapes));
    for (const name of m.parameterNames()) {
      const { data, shape } = m.getParameter(name);
      assert.deepEqual(shape, shapes[name], `${name} has PyTorch's shape`);
      // Recurrent tensors use 1/√H; the head's fan_in is also H.
      const bound = 1 / Math.sqrt(H);
      const s = stats(data);
      assert.ok(s.min >= -bound && s.max <= bound, `${name} within ±${bound}`);
      if (data.length >= 256) {
        assert.ok(Math.abs(s.std / uniformStd(bound) - 1) < 0.1, `${name} std ${s.std} vs ${uniformStd(bound)}`);
        assert.ok(Math.abs(s.mean) < 0.1 * bound, `${name} mean ${s.mean}`);
      } else {
        // Too few values for the std to say much (fc.bias has 10): still drawn, not a constant.
        // Uniform draws on ±b have E|v| = b/2; 10 of them average below b/10 with probability
        // 1/10! ≈ 3e-7, and 64 of them repeat a float32 value with probability about 1e-4 (the
        // seed is fixed, so this is checked once, not a flaky draw).
        let absolute = 0;
        for (const v of data) absolute += Math.abs(v);
        assert.ok(absolute / data.length > 0.1 * bound, `${name} mean |v| ${absolute / data.length} for U(±${bound})`);
        assert.equal(new Set(data).size, data.length, `${name} values are drawn, not repeated`);
      }
    }
  });

  test(`xavier and he init (${cell}): orthogonal weight_hh, zero biases, uniform weight_ih with the right bound`, () => {
    for (const init of ['xavier', 'he'] as const) {
      const m = model(init, cell);
      for (const name of m.parameterNames()) {
        const { data, shape } = m.getParameter(name);
        if (name.includes('bias')) assert.ok(data.every((v) => v === 0), `${init} ${name} zero`);
        else if (name.includes('weight_hh')) assert.ok(orthogonalityError(data, shape[0], shape[1]) < 1e-5, `${init} ${name} orthogonal`);
        else {
          const [fanOut, fanIn] = shape;
          const bound = init === 'xavier' ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
          const s = stats(data);
          assert.ok(s.min >= -bound && s.max <= bound, `${init} ${name} within ±${bound}`);
          assert.ok(Math.abs(s.std / uniformStd(bound) - 1) < 0.15, `${init} ${name} std ${s.std} vs ${uniformStd(bound)}`);
        }
      }
    }
  });

  test(`orthogonal init (${cell}): every recurrent weight orthogonal, biases zero`, () => {
    const m = model('orthogonal', cell);
    for (const name of m.parameterNames().filter((n) => n.startsWith('rnn.'))) {
      const { data, shape } = m.getParameter(name);
      if (name.includes('bias')) assert.ok(data.every((v) => v === 0));
      else assert.ok(orthogonalityError(data, shape[0], shape[1]) < 1e-5, `${name}: ${orthogonalityError(data, shape[0], shape[1])}`);
    }
  });
}

test('identity init (IRNN): W_hh = I, W_ih ~ N(0, 0.001²), biases zero; refused for LSTM/GRU', () => {
  const m = model('identity');
  const hh = m.getParameter('rnn.weight_hh_l1').data;
  for (let r = 0; r < H; r++) for (let c = 0; c < H; c++) assert.equal(hh[r * H + c], r === c ? 1 : 0);
  const ih = stats(m.getParameter('rnn.weight_ih_l0').data);
  assert.ok(Math.abs(ih.std / 0.001 - 1) < 0.1, `std ${ih.std}`);
  assert.ok(m.getParameter('rnn.bias_hh_l0').data.every((v) => v === 0));
  assert.throws(() => model('identity', 'lstm'), /init = "identity".*cell "rnn".*lstm/);
});

test('the same seed gives bit-identical parameters; another seed different ones', () => {
  for (const init of ['default', 'xavier', 'he', 'orthogonal', 'identity'] as const) {
    const a = model(init, 'rnn', 42);
    const b = model(init, 'rnn', 42);
    const c = model(init, 'rnn', 43);
    for (const name of a.parameterNames()) {
      assert.deepEqual(a.getParameter(name).data, b.getParameter(name).data);
    }
    assert.notDeepEqual(a.getParameter('rnn.weight_ih_l0').data, c.getParameter('rnn.weight_ih_l0').data);
  }
});

interface TorchInitStats {
  config: { inputSize: number; hiddenSize: number; numLayers: number; outputSize: number };
  seeds: number;
  stats: Record<string, Record<string, { mean: number; std: number; min: number; max: number; orthogonality: number | null }>>;
}

test('every initialiser\'s statistics match PyTorch\'s (mean, std, range, orthogonality; 20 seeds each)', () => {
  const torch = JSON.parse(readFileSync(new URL('../fixtures/pytorch/init-stats.json', import.meta.url), 'utf8')) as TorchInitStats;
  const { inputSize, hiddenSize, numLayers, outputSize } = torch.config;
  for (const [key, expectedByName] of Object.entries(torch.stats)) {
    const [cell, init] = key.split('/') as [CellType, InitScheme];
    const names = Object.keys(expectedByName);
    const sums = new Map<string, { mean: number; std: number; min: number; max: number; orthogonality: number }>();
    for (let seed = 0; seed < torch.seeds; seed++) {
      const m = createModel({ inputSize, hiddenSize, numLayers, outputSize, cell, init, seed, kernels: tsKernels });
      assert.deepEqual(m.parameterNames(), names);
      for (const name of names) {
        const { data, shape } = m.getParameter(name);
        const s = stats(data);
        const acc = sums.get(name) ?? { mean: 0, std: 0, min: 0, max: 0, orthogonality: 0 };
        acc.mean += s.mean / torch.seeds;
        acc.std += s.std / torch.seeds;
        acc.min += s.min / torch.seeds;
        acc.max += s.max / torch.seeds;
        if (shape.length === 2) acc.orthogonality += orthogonalityError(data, shape[0], shape[1]) / torch.seeds;
        sums.set(name, acc);
      }
    }
    for (const name of names) {
      const expected = expectedByName[name];
      const ours = sums.get(name)!;
      const where = `${key} ${name}`;
      const scale = Math.max(expected.std, 1e-12);
      // Both sides are averages over seeds·n samples: allow 5 standard errors of each.
      const samples = torch.seeds * createModel({ inputSize, hiddenSize, numLayers, outputSize, cell, kernels: tsKernels }).getParameter(name).data.length;
      const standardError = scale / Math.sqrt(samples);
      assert.ok(Math.abs(ours.mean - expected.mean) <= 5 * Math.SQRT2 * standardError + 1e-12, `${where} mean ${ours.mean} vs ${expected.mean}`);
      assert.ok(Math.abs(ours.std - expected.std) <= 5 * Math.SQRT2 * standardError + 1e-12, `${where} std ${ours.std} vs ${expected.std}`);
      // A sample's extreme varies by about a tenth of σ per seed; a different distribution
      // (uniform at √3σ against Gaussian tails past 3σ) is off by more than σ.
      assert.ok(Math.abs(ours.min - expected.min) <= 0.3 * scale + 1e-12, `${where} min ${ours.min} vs ${expected.min}`);
      assert.ok(Math.abs(ours.max - expected.max) <= 0.3 * scale + 1e-12, `${where} max ${ours.max} vs ${expected.max}`);
      if (expected.orthogonality !== null) {
        // Orthogonal matrices agree to float32 rounding; random ones to sampling noise.
        const tolerance = expected.orthogonality < 1e-3 ? 1e-5 : 0.05 * expected.orthogonality;
        assert.ok(Math.abs(ours.orthogonality - expected.orthogonality) <= tolerance, `${where} orthogonality ${ours.orthogonality} vs ${expected.orthogonality}`);
      }
    }
  }
});

test('forgetBias sets the LSTM forget gate (rows H…2H−1 of bias_ih; bias_hh there 0) and nothing else; refused for other cells', () => {
  const plain = createModel({ cell: 'lstm', inputSize: I, hiddenSize: H, numLayers: 2, outputSize: O, seed: 5, kernels: tsKernels });
  const remembering = createModel({ cell: 'lstm', inputSize: I, hiddenSize: H, numLayers: 2, outputSize: O, seed: 5, forgetBias: 1, kernels: tsKernels });
  for (const layer of [0, 1]) {
    const biasInput = remembering.getParameter(`rnn.bias_ih_l${layer}`).data;
    const biasHidden = remembering.getParameter(`rnn.bias_hh_l${layer}`).data;
    const plainInput = plain.getParameter(`rnn.bias_ih_l${layer}`).data;
    const plainHidden = plain.getParameter(`rnn.bias_hh_l${layer}`).data;
    for (let row = 0; row < 4 * H; row++) {
      const forget = row >= H && row < 2 * H;
      assert.equal(biasInput[row], forget ? 1 : plainInput[row]);
      assert.equal(biasHidden[row], forget ? 0 : plainHidden[row]);
    }
  }
  assert.deepEqual(remembering.getParameter('rnn.weight_hh_l1').data, plain.getParameter('rnn.weight_hh_l1').data);
  assert.throws(() => createModel({ cell: 'gru', inputSize: I, hiddenSize: H, outputSize: O, forgetBias: 1 }), /forgetBias = 1 needs cell "lstm".*gru/);
  assert.throws(() => createModel({ cell: 'lstm', inputSize: I, hiddenSize: H, outputSize: O, forgetBias: Number.NaN }), /forgetBias must be a finite number/);
});

test('a forget bias of 1 carries the gradient further back through time than PyTorch\'s default LSTM init', () => {
  const steps = 60;
  const batchSize = 16;
  const inputs = new Float32Array(batchSize * steps * I);
  for (let i = 0; i < inputs.length; i++) inputs[i] = Math.sin(i * 12.9898) * 0.5;
  const targets = Int32Array.from({ length: batchSize }, (_, b) => b % O);
  const firstOverLast = (forgetBias: number | undefined): number => {
    const m = createModel({ cell: 'lstm', inputSize: I, hiddenSize: H, outputSize: O, seed: 3, forgetBias, kernels: tsKernels });
    const norms = m.lossAndGradients({ inputs, batchSize, steps, targets, loss: 'cross_entropy' }).hiddenGradientNorms[0];
    return norms[0] / norms[steps - 1];
  };
  const plain = firstOverLast(undefined);
  const remembering = firstOverLast(1);
  assert.ok(remembering > 100 * plain, `step 1 over step ${steps}: ${remembering} with forget bias 1, ${plain} without`);
});

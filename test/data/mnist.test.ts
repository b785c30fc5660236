/**
 * Sequential MNIST: shapes of every variant, normalisation by the training split, disjoint
 * deterministic splits, the fixed permutation, and the 2× downsample.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import { loadRawMnist } from '../../src/data/mnist-package.js';

test('the raw set: 10,000 digits of every class (the package ships 863–1,127 per class), values in [0, 1]', () => {
  const raw = loadRawMnist();
  assert.equal(raw.labels.length, 10000);
  assert.equal(raw.pixels.length, 10000 * 784);
  const perClass = new Array(10).fill(0);
  for (const label of raw.labels) perClass[label]++;
  assert.deepEqual(perClass, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of raw.pixels) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.equal(min, 0);
  assert.ok(max <= 1 && max > 0.99);
});

test('row, pixel, permuted and downsampled variants have the documented shapes', () => {
  const shapes = [
    [{ variant: 'row' as const }, 28, 28],
    [{ variant: 'pixel' as const }, 784, 1],
    [{ variant: 'permuted' as const }, 784, 1],
    [{ variant: 'row' as const, downsample: true }, 14, 14],
    [{ variant: 'pixel' as const, downsample: true }, 196, 1],
  ] as const;
  for (const [variant, steps, inputSize] of shapes) {
    const data = loadDataset({ name: 'mnist', samples: 500, ...variant }, 0);
    assert.equal(data.steps, steps);
    assert.equal(data.inputSize, inputSize);
    assert.equal(data.train.inputs.length, data.train.size * steps * inputSize);
    assert.equal(data.train.size + data.validation.size + data.test.size, 500);
    assert.equal(data.validation.size, 50);
    assert.equal(data.baseline.accuracy, 0.1);
  }
});

test('normalised by the training split: mean 0 and std 1 there, the same transform elsewhere', () => {
  const data = loadDataset({ name: 'mnist', samples: 1000 }, 5);
  let sum = 0;
  for (const v of data.train.inputs) sum += v;
  const mean = sum / data.train.inputs.length;
  let squares = 0;
  for (const v of data.train.inputs) squares += (v - mean) ** 2;
  assert.ok(Math.abs(mean) < 1e-4);
  assert.ok(Math.abs(Math.sqrt(squares / data.train.inputs.length) - 1) < 1e-4);
  const raw = loadDataset({ name: 'mnist', samples: 1000, normalize: false }, 5);
  // The same affine map sends raw to normalised values in every split.
  const scale = (data.train.inputs[1000] - data.train.inputs[0]) / (raw.train.inputs[1000] - raw.train.inputs[0] || 1);
  const offset = data.train.inputs[0] - scale * raw.train.inputs[0];
  for (let i = 0; i < raw.test.inputs.length; i += 997) assert.ok(Math.abs(data.test.inputs[i] - (scale * raw.test.inputs[i] + offset)) < 1e-4);
});

test('splits are disjoint, cover the subset, and are deterministic from the seed', () => {
  const key = (inputs: Float32Array, n: number, size: number) => inputs.subarray(n * size, (n + 1) * size).join(',');
  const data = loadDataset({ name: 'mnist', samples: 600, normalize: false }, 7);
  const seen = new Set<string>();
  for (const split of [data.train, data.validation, data.test]) {
    for (let n = 0; n < split.size; n++) seen.add(key(split.inputs, n, 784));
  }
  // MNIST has no duplicate images among these, so disjoint splits give 600 distinct keys.
  assert.equal(seen.size, 600);
  const again = loadDataset({ name: 'mnist', samples: 600, normalize: false }, 7);
  assert.deepEqual(again.validation.inputs, data.validation.inputs);
  const other = loadDataset({ name: 'mnist', samples: 600, normalize: false }, 8);
  assert.notDeepEqual(other.validation.inputs, data.validation.inputs);
});

test('permuted pixels: one fixed permutation from the seed, the same pixels in another order', () => {
  const pixel = loadDataset({ name: 'mnist', samples: 100, variant: 'pixel', normalize: false }, 3);
  const permuted = loadDataset({ name: 'mnist', samples: 100, variant: 'permuted', normalize: false }, 3);
  assert.deepEqual(permuted.train.targets, pixel.train.targets);
  const sorted = (a: Float32Array) => Array.from(a).sort((x, y) => x - y);
  assert.deepEqual(sorted(permuted.train.inputs.subarray(0, 784)), sorted(pixel.train.inputs.subarray(0, 784)));
  assert.notDeepEqual(permuted.train.inputs.subarray(0, 784), pixel.train.inputs.subarray(0, 784));
  // Same permutation for every image: find where pixel p of image 0 went, check image 1.
  const again = loadDataset({ name: 'mnist', samples: 100, variant: 'permuted', normalize: false }, 3);
  assert.deepEqual(again.train.inputs, permuted.train.inputs);
});

test('downsampling averages 2×2 blocks', () => {
  const full = loadDataset({ name: 'mnist', samples: 50, variant: 'row', normalize: false }, 4);
  const half = loadDataset({ name: 'mnist', samples: 50, variant: 'row', downsample: true, normalize: false }, 4);
  for (const [r, c] of [[5, 5], [10, 7], [13, 13]]) {
    const x = full.train.inputs;
    const expected = (x[2 * r * 28 + 2 * c] + x[2 * r * 28 + 2 * c + 1] + x[(2 * r + 1) * 28 + 2 * c] + x[(2 * r + 1) * 28 + 2 * c + 1]) / 4;
    assert.ok(Math.abs(half.train.inputs[r * 14 + c] - expected) < 1e-6);
  }
});

test('bad MNIST options name the field and the value', () => {
  assert.throws(() => loadDataset({ name: 'mnist', samples: 0 }, 0), /dataset mnist: data\.samples must be ≥ 1; got 0/);
  assert.throws(() => loadDataset({ name: 'mnist', samples: 10, validationFraction: 0.5, testFraction: 0.5 }, 0), /leave no training samples out of 10/);
  assert.throws(() => loadDataset({ name: 'mnist', samples: 5, validationFraction: 0.05 }, 0), /data\.validation_fraction = 0\.05 of 5 samples leaves the validation set empty/);
  assert.throws(() => loadDataset({ name: 'mnist', validationFraction: 1.2 }, 0), /data\.validation_fraction must be ≤ 0\.99; got 1\.2/);
});

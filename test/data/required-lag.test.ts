/**
 * What each task asks of the gradient through time: the lag its answer needs (which the
 * diagnosis judges time over), the steps its accuracy scores, and the loss of all-zero outputs
 * (the scale a blown-up loss is measured against).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';

const small = { trainSamples: 64, validationSamples: 8, testSamples: 8 };

test('adding: T − 1 steps; with marker_window W both markers are in the last W steps and W − 1 are needed', () => {
  assert.equal(loadDataset({ name: 'adding', length: 100, ...small }, 0).requiredLag.steps, 99);
  const windowed = loadDataset({ name: 'adding', length: 100, markerWindow: 10, ...small }, 0);
  assert.equal(windowed.requiredLag.steps, 9);
  assert.equal(windowed.name, 'adding-T100-W10');
  for (let n = 0; n < windowed.train.size; n++) {
    const markers: number[] = [];
    for (let t = 0; t < 100; t++) if (windowed.train.inputs[(n * 100 + t) * 2 + 1] === 1) markers.push(t);
    assert.equal(markers.length, 2);
    assert.ok(markers[0] >= 90 && markers[0] < 95 && markers[1] >= 95, String(markers));
  }
  assert.throws(() => loadDataset({ name: 'adding', length: 20, markerWindow: 30, ...small }, 0), /data\.marker_window must be an integer in \[2, length = 20\]; got 30/);
  const adding = loadDataset({ name: 'adding', length: 20, ...small }, 0);
  assert.equal(adding.baseline.zeroOutputLoss, 7 / 6);
});

test('copy: each symbol is recalled gap + 10 steps later; accuracy scores the recall only (chance 1/8)', () => {
  const copy = loadDataset({ name: 'copy', length: 100, ...small }, 0);
  assert.equal(copy.requiredLag.steps, 110);
  assert.equal(copy.accuracyFromStep, 110);
  assert.equal(copy.baseline.accuracy, 1 / 8);
  assert.equal(copy.baseline.zeroOutputLoss, Math.log(9));
});

test('temporal order: from the first relevant symbol\'s earliest step to the end', () => {
  const order = loadDataset({ name: 'temporal_order', length: 100, ...small }, 0);
  assert.equal(order.requiredLag.steps, 89);
});

test('MNIST: measured from the first row (or pixel) with ink; leading noise adds steps, not lag', () => {
  const row = loadDataset({ name: 'mnist', variant: 'row', samples: 2000 }, 0);
  // MNIST digits are centred in a 20 × 20 box: ink begins a few rows down.
  assert.ok(row.requiredLag.steps >= 22 && row.requiredLag.steps <= 26, String(row.requiredLag.steps));
  assert.match(row.requiredLag.reason, /^the digits' ink starts at row \d+ of 28$/);
  const pixel = loadDataset({ name: 'mnist', variant: 'pixel', samples: 2000 }, 0);
  assert.ok(pixel.requiredLag.steps > 600 && pixel.requiredLag.steps < 784, String(pixel.requiredLag.steps));
  const noisy = loadDataset({ name: 'mnist', variant: 'row', samples: 2000, leadingNoiseSteps: 72 }, 0);
  assert.equal(noisy.steps, 100);
  assert.equal(noisy.requiredLag.steps, row.requiredLag.steps);
  // The digit itself follows the noise unchanged.
  const perSample = 100 * 28;
  for (let i = 0; i < 28 * 28; i++) assert.equal(noisy.validation.inputs[72 * 28 + i], row.validation.inputs[i]);
  let noiseSquares = 0;
  for (let i = 0; i < 72 * 28; i++) noiseSquares += noisy.train.inputs[perSample + i] ** 2;
  assert.ok(Math.abs(noiseSquares / (72 * 28) - 1) < 0.15, 'N(0, 1) noise');
  assert.equal(row.baseline.zeroOutputLoss, Math.log(10));
});

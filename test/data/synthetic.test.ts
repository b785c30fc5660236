/**
 * The long-memory tasks: shapes, value ranges, the rules of each task, determinism from the
 * seed, and their chance-level baselines measured by the predictors they describe.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';

test('adding problem: two channels, exactly one marker in each half, target the marked sum', () => {
  const data = loadDataset({ name: 'adding', length: 50, trainSamples: 200, validationSamples: 10, testSamples: 10 }, 1);
  assert.equal(data.steps, 50);
  assert.equal(data.inputSize, 2);
  assert.equal(data.loss, 'mse');
  assert.equal(data.output, 'last');
  assert.equal(data.train.inputs.length, 200 * 50 * 2);
  for (let n = 0; n < 200; n++) {
    const markers: number[] = [];
    for (let t = 0; t < 50; t++) {
      const value = data.train.inputs[(n * 50 + t) * 2];
      assert.ok(value >= 0 && value < 1);
      if (data.train.inputs[(n * 50 + t) * 2 + 1] === 1) markers.push(t);
    }
    assert.equal(markers.length, 2);
    assert.ok(markers[0] < 25 && markers[1] >= 25);
    const sum = data.train.inputs[(n * 50 + markers[0]) * 2] + data.train.inputs[(n * 50 + markers[1]) * 2];
    assert.ok(Math.abs(data.train.targets[n] - sum) < 1e-6);
  }
});

test('adding problem: always predicting 1 scores MSE 1/6 (the documented baseline)', () => {
  const data = loadDataset({ name: 'adding', length: 20, trainSamples: 20000, validationSamples: 0, testSamples: 0 }, 2);
  let squares = 0;
  for (const target of data.train.targets) squares += (target - 1) ** 2;
  const mse = squares / data.train.size;
  // Var((s−1)²) ≈ 0.04 for this triangular s, so the standard error over 20,000 is ≈ 0.0015.
  assert.ok(Math.abs(mse - 1 / 6) < 0.006, `MSE ${mse}`);
  assert.equal(data.baseline.loss, 1 / 6);
});

test('copy task: layout, targets, and the memoryless baseline 10·ln 8/(T+20)', () => {
  const gap = 30;
  const data = loadDataset({ name: 'copy', length: gap, trainSamples: 500, validationSamples: 5, testSamples: 5 }, 3);
  const steps = gap + 20;
  assert.equal(data.steps, steps);
  assert.equal(data.inputSize, 10);
  assert.equal(data.outputSize, 9);
  assert.equal(data.output, 'every');
  assert.equal(data.train.targets.length, 500 * steps);
  for (let n = 0; n < 500; n++) {
    const symbols: number[] = [];
    for (let t = 0; t < steps; t++) {
      const row = data.train.inputs.subarray((n * steps + t) * 10, (n * steps + t + 1) * 10);
      assert.equal(row.reduce((a, b) => a + b, 0), 1, 'one-hot');
      const symbol = row.indexOf(1);
      if (t < 10) {
        assert.ok(symbol < 8);
        symbols.push(symbol);
      } else if (t === 10 + gap - 1) assert.equal(symbol, 9, 'delimiter');
      else assert.equal(symbol, 8, 'blank');
      const target = data.train.targets[n * steps + t];
      assert.equal(target, t >= steps - 10 ? symbols[t - (steps - 10)] : 8);
    }
  }
  // The documented number, derived by hand: 10 of the T + 20 steps cost ln 8 each, the rest nothing.
  assert.ok(Math.abs(data.baseline.loss - (10 * Math.log(8)) / (gap + 20)) < 1e-15);
});

test('copy task: the best memoryless predictor, measured on the data, scores the stated baseline', () => {
  // A predictor that never looks at the inputs can do no better than each step's own target
  // distribution; its cross-entropy, measured from the generated targets, is that distribution's
  // entropy averaged over steps. Only uniformly drawn symbols make it 10·ln 8/(T+20): symbols drawn
  // from 7 of the 8, or a symbol before the delimiter's turn, would show here.
  const gap = 30;
  const samples = 8000;
  const data = loadDataset({ name: 'copy', length: gap, trainSamples: samples, validationSamples: 0, testSamples: 0 }, 11);
  const steps = data.steps;
  let loss = 0;
  for (let t = 0; t < steps; t++) {
    const counts = new Array<number>(data.outputSize).fill(0);
    for (let n = 0; n < samples; n++) counts[data.train.targets[n * steps + t]]++;
    for (const count of counts) if (count > 0) loss -= count * Math.log(count / samples);
  }
  const measured = loss / (samples * steps);
  // The plug-in entropy of 8 equally likely symbols from N draws falls short of ln 8 by about
  // 7/(2N) ≈ 4e-4 per output step, 1e-4 over all steps; its spread is smaller still.
  assert.ok(Math.abs(measured - data.baseline.loss) < 1e-3, `measured ${measured}, stated ${data.baseline.loss}`);
  assert.ok(Math.abs(data.baseline.loss - (10 * Math.log(8)) / (gap + 20)) < 1e-15);
});

test('temporal order: B first, E last, two relevant symbols in their windows, class from their order', () => {
  const T = 60;
  const data = loadDataset({ name: 'temporal_order', length: T, trainSamples: 400, validationSamples: 0, testSamples: 0 }, 4);
  const counts = [0, 0, 0, 0];
  for (let n = 0; n < 400; n++) {
    const symbols = Array.from({ length: T }, (_, t) => data.train.inputs.subarray((n * T + t) * 8, (n * T + t + 1) * 8).indexOf(1));
    assert.equal(symbols[0], 6);
    assert.equal(symbols[T - 1], 7);
    const relevant = symbols.map((s, t) => [s, t]).filter(([s]) => s === 4 || s === 5);
    assert.equal(relevant.length, 2);
    assert.ok(relevant[0][1] >= 6 && relevant[0][1] < 12);
    assert.ok(relevant[1][1] >= 30 && relevant[1][1] < 36);
    assert.equal(data.train.targets[n], 2 * (relevant[0][0] - 4) + (relevant[1][0] - 4));
    counts[data.train.targets[n]]++;
  }
  assert.ok(counts.every((c) => c > 60), `classes balanced: ${counts}`);
  assert.equal(data.baseline.accuracy, 0.25);
});

test('generators are deterministic from the seed, and differ across seeds and splits', () => {
  for (const name of ['adding', 'copy', 'temporal_order'] as const) {
    const options = { name, length: 15, trainSamples: 50, validationSamples: 50, testSamples: 50 };
    const a = loadDataset(options, 9);
    const b = loadDataset(options, 9);
    const c = loadDataset(options, 10);
    assert.deepEqual(a.train.inputs, b.train.inputs);
    assert.deepEqual(a.test.targets, b.test.targets);
    assert.notDeepEqual(a.train.inputs, c.train.inputs);
    assert.notDeepEqual(a.train.inputs, a.validation.inputs);
  }
});

test('bad synthetic options name the field and the value', () => {
  assert.throws(() => loadDataset({ name: 'adding', length: 0 }, 0), /dataset adding: data\.length must be ≥ 2; got 0/);
  assert.throws(() => loadDataset({ name: 'copy', length: 5, trainSamples: -3 }, 0), /dataset copy: data\.train_samples must be ≥ 1; got -3/);
  assert.throws(() => loadDataset({ name: 'temporal_order', length: 4 }, 0), /dataset temporal_order: data\.length must be ≥ 10; got 4/);
  assert.throws(() => loadDataset({ name: 'imagenet' } as never, 0), /unknown dataset "imagenet"/);
});

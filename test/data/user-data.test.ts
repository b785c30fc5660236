/**
 * A user's own data: .npy files written by NumPy (test/fixtures/npy, from
 * tools/fixtures/make_npy_fixtures.py) and CSV; every bad input gets a one-line error naming
 * the file, the field and the value.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DataError, loadDataset, readNpy } from '../../src/data/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/npy/', import.meta.url));
const file = (name: string) => join(fixtures, name);
const N = 20;

test('.npy round trip: float32 [N, T], float64 [N, T, I], uint8 [N, F], int64 labels', () => {
  const f32 = readNpy(file('X_train_f32_NT.npy'));
  assert.deepEqual(f32.shape, [N, 6]);
  assert.equal(f32.dtype, '<f4');
  f32.values.forEach((v, i) => assert.equal(v, Math.fround(i / 10)));
  const f64 = readNpy(file('X_train_f64_NTI.npy'));
  assert.deepEqual(f64.shape, [N, 4, 3]);
  f64.values.forEach((v, i) => assert.equal(v, i / 7));
  const u8 = readNpy(file('X_train_u8_NF.npy'));
  assert.deepEqual(u8.shape, [N, 12]);
  u8.values.forEach((v, i) => assert.equal(v, i % 256));
  const labels = readNpy(file('y_train.npy'));
  assert.equal(labels.dtype, '<i8');
  labels.values.forEach((v, i) => assert.equal(v, i % 3));
});

test('.npy datasets: [N, T] is T steps of 1, [N, T, I] is T steps of I, [N, F] reshapes by sequenceLength', () => {
  const common = { trainLabels: file('y_train.npy'), validationFraction: 0.2, testFraction: 0.2, normalize: false };
  const nt = loadDataset({ name: 'npy', trainInputs: file('X_train_f32_NT.npy'), ...common }, 0);
  assert.deepEqual([nt.steps, nt.inputSize, nt.outputSize, nt.loss], [6, 1, 3, 'cross_entropy']);
  assert.equal(nt.train.size + nt.validation.size + nt.test.size, N);
  assert.equal(nt.validation.size, 4);
  const nti = loadDataset({ name: 'npy', trainInputs: file('X_train_f64_NTI.npy'), ...common }, 0);
  assert.deepEqual([nti.steps, nti.inputSize], [4, 3]);
  const nf = loadDataset({ name: 'npy', trainInputs: file('X_train_u8_NF.npy'), sequenceLength: 4, ...common }, 0);
  assert.deepEqual([nf.steps, nf.inputSize], [4, 3]);
  // Each sample's values keep numpy's row-major order; its label travels with it.
  for (let n = 0; n < nf.train.size; n++) {
    const first = nf.train.inputs[n * 12];
    const sample = first / 12;
    assert.ok(Number.isInteger(sample));
    for (let k = 0; k < 12; k++) assert.equal(nf.train.inputs[n * 12 + k], (sample * 12 + k) % 256);
    assert.equal(nf.train.targets[n], sample % 3);
  }
  const column = loadDataset({ name: 'npy', trainInputs: file('X_train_f32_NT.npy'), ...common, trainLabels: file('y_train_column.npy') }, 0);
  assert.equal(column.outputSize, 3);
  const withTest = loadDataset({ name: 'npy', trainInputs: file('X_train_f32_NT.npy'), trainLabels: file('y_train.npy'), testInputs: file('X_train_f32_NT.npy'), testLabels: file('y_train.npy') }, 0);
  assert.equal(withTest.test.size, N);
});

test('.npy options: normalisation, noise only on the training split, determinism', () => {
  const options = { name: 'npy' as const, trainInputs: file('X_train_f32_NT.npy'), trainLabels: file('y_train.npy'), noiseStd: 0.5 };
  const a = loadDataset(options, 1);
  const b = loadDataset(options, 1);
  assert.deepEqual(a.train.inputs, b.train.inputs);
  const quiet = loadDataset({ ...options, noiseStd: 0 }, 1);
  assert.deepEqual(quiet.validation.inputs, a.validation.inputs);
  assert.notDeepEqual(quiet.train.inputs, a.train.inputs);
});

test('bad .npy input: one clear line naming the file, the option and the value', () => {
  const load = (overrides: Record<string, unknown>) => () => loadDataset({ name: 'npy', trainInputs: file('X_train_f32_NT.npy'), trainLabels: file('y_train.npy'), ...overrides } as never, 0);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ trainInputs: file('missing.npy') }, /missing\.npy \(data\.train_inputs\): cannot read the file \(no such file\)$/],
    [{ trainInputs: file('X_train_truncated.npy') }, /X_train_truncated\.npy \(data\.train_inputs\): truncated data: shape \[20, 6\] of <f4 needs 480 bytes, the file has 463 after its header$/],
    [{ trainInputs: file('X_train_complex.npy') }, /X_train_complex\.npy \(data\.train_inputs\): unsupported dtype <c8 \(complex numbers\)/],
    [{ trainInputs: file('X_train_nan.npy') }, /X_train_nan\.npy \(data\.train_inputs\): value NaN at \[3, 2\] is not finite$/],
    [{ trainLabels: file('y_train_fractional.npy') }, /y_train_fractional\.npy \(data\.train_labels\): label 0\.5 at \[1\] is not a class id \(an integer from 0 to 65535\)$/],
    [{ trainLabels: file('y_train_out_of_range.npy'), classes: 3 }, /y_train_out_of_range\.npy \(data\.train_labels\): label 7 at \[5\] is out of range for data\.classes = 3 \(class ids 0 to 2\)$/],
    [{ trainLabels: file('y_train_short.npy') }, /y_train_short\.npy \(data\.train_labels\): 19 labels for 20 samples in .*X_train_f32_NT\.npy \(data\.train_inputs\) \(shapes \[19\] and \[20, 6\]\)$/],
    [{ trainInputs: file('X_train_u8_NF.npy'), sequenceLength: 5 }, /shape \[20, 12\] cannot be reshaped into sequences of length 5 \(field data\.sequence_length = 5\)/],
    [{ sequenceLength: 0 }, /^dataset npy: data\.sequence_length must be ≥ 1; got 0$/],
    [{ validationFraction: 0.6, testFraction: 0.4 }, /data\.validation_fraction = 0\.6 and data\.test_fraction = 0\.4 leave no training samples out of 20/],
    [{ trainInputs: file('y_train.npy') }, /inputs must have shape \[N, T\], \[N, T, I\] or \[N, F\]; got \[20\]/],
    [{ task: 'regression', trainLabels: file('X_train_f64_NTI.npy') }, /X_train_f64_NTI\.npy \(data\.train_labels\): regression targets must have shape \[N\] or \[N, K\] \(K outputs per sample\); got \[20, 4, 3\]$/],
    [{ noiseStd: 1e308 }, /^dataset npy: data\.noise_std must be ≤ 1000; got 1e\+308$/],
    [{ classes: 1e9 }, /^dataset npy: data\.classes must be ≤ 65536; got 1000000000$/],
    [{ sequenceLength: 1e12 }, /^dataset npy: data\.sequence_length must be ≤ 100000; got 1000000000000$/],
  ];
  for (const [overrides, message] of cases) {
    assert.throws(load(overrides), (error: unknown) => {
      assert.ok(error instanceof DataError, String(error));
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\n'), 'one line');
      return true;
    });
  }
  // Fortran order is read as NumPy reads it: the same values as the C-order file.
  const fortran = loadDataset({ name: 'npy', trainInputs: file('X_train_fortran.npy'), trainLabels: file('y_train.npy'), normalize: false }, 0);
  const c = loadDataset({ name: 'npy', trainInputs: file('X_train_f32_NT.npy'), trainLabels: file('y_train.npy'), normalize: false }, 0);
  assert.deepEqual(fortran.train.inputs, c.train.inputs);
  const notNpy = join(mkdtempSync(join(tmpdir(), 'vanishing-')), 'x.npy');
  writeFileSync(notNpy, 'hello, world');
  assert.throws(() => readNpy(notNpy), /x\.npy: not a \.npy file/);
});

test('CSV: one sample per row, a named label column, reshaped by sequenceLength', () => {
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-'));
  const path = join(folder, 'data.csv');
  const rows = ['a,b,label,c,d'];
  for (let n = 0; n < 30; n++) rows.push(`${n},${n + 0.5},${n % 2},${-n},${2 * n}`);
  writeFileSync(path, rows.join('\n') + '\n');
  const data = loadDataset({ name: 'csv', path, labelColumn: 'label', sequenceLength: 2, normalize: false, validationFraction: 0.1, testFraction: 0.1 }, 0);
  assert.deepEqual([data.steps, data.inputSize, data.outputSize], [2, 2, 2]);
  for (let i = 0; i < data.train.size; i++) {
    const n = data.train.inputs[i * 4];
    assert.deepEqual(Array.from(data.train.inputs.subarray(i * 4, i * 4 + 4)), [n, n + 0.5, 0 - n, 2 * n]);
    assert.equal(data.train.targets[i], n % 2);
  }
  assert.throws(() => loadDataset({ name: 'csv', path, labelColumn: 'y' }, 0), /data\.csv \(data\.path\): data\.label_column = "y" is not a column \(columns: "a", "b", "label", "c", "d"\)$/);
  writeFileSync(path, 'a,label\n1,0\nx,1\n');
  assert.throws(() => loadDataset({ name: 'csv', path, labelColumn: 'label' }, 0), /data\.csv \(data\.path\): row 3, column "a": "x" is not a decimal number$/);
  assert.throws(() => loadDataset({ name: 'csv', path: join(folder, 'nope.csv'), labelColumn: 'label' }, 0), /nope\.csv \(data\.path\): cannot read the file \(no such file\)$/);
});

test('regression data: the chance level is the MSE of always predicting the training mean, on the validation split', () => {
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-'));
  const path = join(folder, 'regression.csv');
  const rows = ['x1,x2,y'];
  for (let n = 0; n < 50; n++) rows.push(`${n % 7},${n % 3},${(n * 37) % 11}`);
  writeFileSync(path, rows.join('\n') + '\n');
  const data = loadDataset({ name: 'csv', path, labelColumn: 'y', task: 'regression', sequenceLength: 2, validationFraction: 0.2, testFraction: 0 }, 3);
  assert.equal(data.loss, 'mse');
  const train = Array.from(data.train.targets);
  const validation = Array.from(data.validation.targets);
  assert.ok(validation.length > 0);
  const mean = train.reduce((sum, y) => sum + y, 0) / train.length;
  const expected = validation.reduce((sum, y) => sum + (y - mean) ** 2, 0) / validation.length;
  assert.ok(Math.abs(data.baseline.loss - expected) < 1e-9 * expected, `${data.baseline.loss} vs ${expected}`);
  assert.match(data.baseline.description, /always predicting the training mean \(MSE [\d.]+ on the validation split\)/);
});

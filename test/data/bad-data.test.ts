/**
 * Issue 13, the data side: every class of bad data is one line naming the file, the option and
 * the value (with its position), found before anything is allocated or written — labels that
 * would wrap in an Int32Array, shapes that do not fit, sizes without a bound, non-regular
 * files, broken CSV; and test files given with `.npy` hold nothing back from training.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError, datasetCatalog, loadDataset } from '../../src/data/index.js';
import { datasetFields } from '../../src/experiments/fields.js';
import { fileOptionName } from '../../src/data/option-names.js';
import type { DatasetOptions } from '../../src/data/index.js';
import { npyBytes } from './npy-writer.js';
import type { NpySpec } from './npy-writer.js';

const folder = mkdtempSync(join(tmpdir(), 'vanishing-bad-data-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));
let written = 0;

/** A .npy file in the scratch folder. */
function npy(spec: NpySpec): string {
  const path = join(folder, `array-${++written}.npy`);
  writeFileSync(path, npyBytes(spec));
  return path;
}

/** A CSV file in the scratch folder. */
function csv(text: string | Buffer): string {
  const path = join(folder, `table-${++written}.csv`);
  writeFileSync(path, text);
  return path;
}

const samples = 8;
const inputs = npy({ descr: '<f4', shape: [samples, 3], values: Array.from({ length: samples * 3 }, (_, i) => i / 10) });
const labels = npy({ descr: '<i8', shape: [samples], values: Array.from({ length: samples }, (_, i) => i % 2) });

/** Asserts loading `options` throws one DataError line matching `message`. */
function refuses(options: DatasetOptions, message: RegExp): void {
  assert.throws(() => loadDataset(options, 0), (error: unknown) => {
    assert.ok(error instanceof DataError, `a DataError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    return true;
  });
}

const npyData = (overrides: Partial<Extract<DatasetOptions, { name: 'npy' }>>): DatasetOptions => ({ name: 'npy', trainInputs: inputs, trainLabels: labels, ...overrides });

test('labels that would wrap in an Int32Array, negative or fractional: refused with the exact value and its position', () => {
  const wrapping = npy({ descr: '<i8', shape: [samples], values: [0, 1, 0, 2n ** 32n + 1n, 1, 0, 1, 0] });
  refuses(npyData({ trainLabels: wrapping }), /\(data\.train_labels\): label 4294967297 at \[3\] is beyond the 65536 classes a classifier may have \(class ids 0 to 65535\)$/);
  const int31 = npy({ descr: '>i8', shape: [samples, 1], values: [0, 1, 0, 1, 0, 2 ** 31, 1, 0] });
  refuses(npyData({ trainLabels: int31 }), /label 2147483648 at \[5, 0\] is beyond the 65536 classes/);
  const huge = npy({ descr: '<u8', shape: [samples], values: [0, 1, 0, 1, 0, 1, 0, 2n ** 64n - 1n] });
  refuses(npyData({ trainLabels: huge }), /label 18446744073709551615 at \[7\] is beyond/);
  const negative = npy({ descr: '<i4', shape: [samples], values: [0, 1, -1, 1, 0, 1, 0, 1] });
  refuses(npyData({ trainLabels: negative }), /label -1 at \[2\] is not a class id \(an integer from 0 to 65535\)$/);
  const fractional = npy({ descr: '<f8', shape: [samples], values: [0, 1, 0, 1, 0, 1.5, 0, 1] });
  refuses(npyData({ trainLabels: fractional }), /label 1\.5 at \[5\] is not a class id/);
  const nan = npy({ descr: '<f4', shape: [samples], values: [0, 1, NaN, 1, 0, 1, 0, 1] });
  refuses(npyData({ trainLabels: nan }), /label NaN at \[2\] is not a class id/);
  const one = npy({ descr: '|u1', shape: [samples], values: new Array<number>(samples).fill(0) });
  refuses(npyData({ trainLabels: one }), /every label is 0, one class: nothing to tell apart/);
  // In the CSV, the position is the row and the column.
  const table = csv('a,b,y\n1,2,0\n3,4,1\n5,6,4294967297\n7,8,0\n');
  refuses({ name: 'csv', path: table, labelColumn: 'y' }, /\(data\.path\): label 4294967297 at row 4, column "y" is beyond the 65536 classes/);
  // Below the bound a large class id is taken at its word: classes = largest + 1.
  const many = loadDataset({ name: 'csv', path: csv('a,y\n1,0\n2,1\n3,65535\n4,0\n5,1\n6,0\n7,1\n8,0\n9,1\n10,0\n'), labelColumn: 'y' }, 0);
  assert.equal(many.outputSize, 65536);
});

test('shapes that do not fit together: inputs against labels, test files against training files, regression targets', () => {
  const threeLabels = npy({ descr: '<i8', shape: [samples, 3], values: new Array<number>(samples * 3).fill(0) });
  refuses(npyData({ trainLabels: threeLabels }), /class labels must have shape \[N\] or \[N, 1\]; got \[8, 3\] \(one-hot rows\? save the class ids, y\.argmax\(axis=1\)\)$/);
  const scalar = npy({ descr: '<f8', shape: [], values: [1] });
  refuses(npyData({ trainLabels: scalar }), /holds a single value \(shape \[\]\); labels need one per sample, shape \[N\]$/);
  const shortLabels = npy({ descr: '<i8', shape: [samples - 1], values: new Array<number>(samples - 1).fill(1) });
  refuses(npyData({ trainLabels: shortLabels }), /7 labels for 8 samples in .* \(shapes \[7\] and \[8, 3\]\)$/);
  const cube = npy({ descr: '<f8', shape: [samples, 2, 2], values: new Array<number>(samples * 4).fill(0.5) });
  refuses(npyData({ task: 'regression', trainLabels: cube }), /regression targets must have shape \[N\] or \[N, K\] \(K outputs per sample\); got \[8, 2, 2\]$/);
  const noOutputs = npy({ descr: '<f8', shape: [samples, 0], values: [] });
  refuses(npyData({ task: 'regression', trainLabels: noOutputs }), /regression targets of shape \[8, 0\] have no outputs$/);
  const infinite = npy({ descr: '<f8', shape: [samples], values: [0, 1, 2, 3, Infinity, 5, 6, 7] });
  refuses(npyData({ task: 'regression', trainLabels: infinite }), /target Infinity at \[4\] is not finite$/);
  const beyondFloat32 = npy({ descr: '<f8', shape: [samples], values: [0, 1, 2, 3, 4, 1e300, 6, 7] });
  refuses(npyData({ task: 'regression', trainLabels: beyondFloat32 }), /target 1e\+300 at \[5\] is beyond float32's range/);
  const hugeInputs = npy({ descr: '>f8', shape: [samples, 3], values: Array.from({ length: samples * 3 }, (_, i) => (i === 7 ? -1e39 : i)) });
  refuses(npyData({ trainInputs: hugeInputs }), /\(data\.train_inputs\): value -1e\+39 at \[2, 1\] is beyond float32's range \(±3\.4e38\)$/);
  // Regression targets [N, K] give K outputs; the test labels must have as many.
  const twoTargets = npy({ descr: '<f4', shape: [samples, 2], values: Array.from({ length: samples * 2 }, (_, i) => i) });
  const regression = loadDataset(npyData({ task: 'regression', trainLabels: twoTargets }), 0);
  assert.equal(regression.outputSize, 2);
  assert.equal(regression.train.targets.length, regression.train.size * 2);
  const oneTarget = npy({ descr: '<f4', shape: [samples], values: new Array<number>(samples).fill(1) });
  refuses(npyData({ task: 'regression', trainLabels: twoTargets, testInputs: inputs, testLabels: oneTarget }), /\(data\.test_labels\): 1 targets per sample, the training labels have 2/);
  const longer = npy({ descr: '<f4', shape: [samples, 4], values: new Array<number>(samples * 4).fill(1) });
  refuses(npyData({ testInputs: longer, testLabels: labels }), /\(data\.test_inputs\): sequences of 4 steps × 1 inputs do not match the training set's 3 × 1/);
  refuses(npyData({ testInputs: inputs }), /data\.test_inputs and data\.test_labels must be given together/);
});

test('with .npy test files nothing is held back from training unless test_fraction says so (and saying so is an error)', () => {
  const withTest = loadDataset(npyData({ testInputs: inputs, testLabels: labels }), 0);
  // The default validation fraction only: 8 samples → 1 for validation, 7 for training, none dropped.
  assert.equal(withTest.train.size + withTest.validation.size, samples);
  assert.equal(withTest.test.size, samples);
  const explicitZero = loadDataset(npyData({ testInputs: inputs, testLabels: labels, testFraction: 0 }), 0);
  assert.equal(explicitZero.train.size, withTest.train.size);
  refuses(npyData({ testInputs: inputs, testLabels: labels, testFraction: 0.25 }), /\(data\.test_inputs\): the test files are the test set, so data\.test_fraction = 0\.25 would hold back training samples for nothing; remove test_fraction \(or set it to 0\)$/);
  // Without test files the default still holds back a tenth (here: 1 of 10).
  const ten = npy({ descr: '<f4', shape: [10, 3], values: new Array<number>(30).fill(0).map((_, i) => i) });
  const tenLabels = npy({ descr: '<i8', shape: [10], values: Array.from({ length: 10 }, (_, i) => i % 2) });
  const without = loadDataset({ name: 'npy', trainInputs: ten, trainLabels: tenLabels }, 0);
  assert.deepEqual([without.train.size, without.validation.size, without.test.size], [8, 1, 1]);
});

test('sizes without a bound: every numeric option has a maximum, and derived sizes are checked before allocating', () => {
  // The catalogue is where the experiment-file schema takes its bounds from (fields.ts).
  const fields = datasetFields();
  for (const dataset of datasetCatalog) {
    for (const option of dataset.options) {
      if (option.type !== 'integer' && option.type !== 'number') continue;
      assert.ok(option.maximum !== undefined && Number.isFinite(option.maximum), `${dataset.name}.${option.name} has a maximum`);
      assert.equal(fields.get(dataset.name)?.[fileOptionName(option.name)]?.maximum, option.maximum, `${dataset.name}.${option.name} in the schema`);
    }
  }
  refuses({ name: 'adding', length: 1e12 }, /^dataset adding: data\.length must be ≤ 100000; got 1000000000000$/);
  refuses({ name: 'copy', length: 10, trainSamples: 1e9 }, /^dataset copy: data\.train_samples must be ≤ 10000000; got 1000000000$/);
  refuses({ name: 'adding', length: 50, markerWindow: 1e7 }, /^dataset adding: data\.marker_window must be ≤ 100000; got 10000000$/);
  refuses({ name: 'mnist', noiseStd: 1e308 }, /^dataset mnist: data\.noise_std must be ≤ 1000; got 1e\+308$/);
  refuses({ name: 'mnist', leadingNoiseSteps: 1e6 }, /^dataset mnist: data\.leading_noise_steps must be ≤ 10000; got 1000000$/);
  refuses({ name: 'adding', length: 100000 }, /^dataset adding: 12,000 sequences \(data\.train_samples \+ validation_samples \+ test_samples\) × 200,001 values each \(data\.length = 100000: 100000 steps × 2 inputs \+ 1 target\) = 2,400,012,000 values, more than the 134,217,728 \(512 MiB as float32\) a dataset may hold; lower data\.length or the sample counts$/);
  refuses({ name: 'copy', length: 5000, trainSamples: 2000 }, /^dataset copy: 4,000 sequences .* = 220,880,000 values, more than the 134,217,728/);
  refuses({ name: 'npy', trainInputs: inputs, trainLabels: labels, noiseStd: Number.NaN }, /^dataset npy: data\.noise_std must be a number; got NaN$/);
});

test('CSV: a byte order mark works; ragged rows, NaN/Inf, empty cells, empty and header-only files, huge numbers are one line naming row and column', () => {
  const rows = Array.from({ length: 10 }, (_, n) => `${n},${n * 2},${n % 2}`);
  const withBom = loadDataset({ name: 'csv', path: csv(`\uFEFFx1,x2,label\r\n${rows.join('\r\n')}\r\n`), labelColumn: 'x1', task: 'regression' }, 0);
  assert.equal(withBom.inputSize * withBom.steps, 2);
  // Quoted names, as spreadsheets write them, and blank lines (rows keep the file's numbering).
  const quoted = csv(`"x 1","x,2","label"\n${rows.slice(0, 3).join('\n')}\n\n${rows[3]}\n4,nan,0\n`);
  refuses({ name: 'csv', path: quoted, labelColumn: 'label' }, /\(data\.path\): row 7, column "x,2": "nan" is not a finite number$/);
  const cases: [string | Buffer, RegExp][] = [
    ['', /\(data\.path\): is empty; a CSV needs a header row and at least one data row$/],
    ['\n\n  \n', /: is empty; a CSV needs a header row and at least one data row$/],
    ['x1,x2,label\n', /\(data\.path\): has a header row but no data rows$/],
    ['x1,x2,label\n1,2,0\n3,4\n', /\(data\.path\): row 3 has 2 columns, the header has 3$/],
    ['x1,x2,label\n1,2,0\n3,4,1,5\n', /row 3 has 4 columns, the header has 3$/],
    ['x1,x2,label\n1,NaN,0\n', /row 2, column "x2": "NaN" is not a finite number$/],
    ['x1,x2,label\n1,-Infinity,0\n', /row 2, column "x2": "-Infinity" is not a finite number$/],
    ['x1,x2,label\n1,inf,0\n', /row 2, column "x2": "inf" is not a finite number$/],
    ['x1,x2,label\n1,,0\n', /row 2, column "x2": the cell is empty$/],
    ['x1,x2,label\n1,1e39,0\n', /row 2, column "x2": "1e39" is beyond float32's range \(±3\.4e38\)$/],
    ['x1,x2,label\n1,1e400,0\n', /row 2, column "x2": "1e400" is beyond float32's range/],
    ['x1,x2,label\n1,0x10,0\n', /row 2, column "x2": "0x10" is not a decimal number$/],
    ['x1,x2,label\n1,2,0.5\n3,4,1\n', /label 0\.5 at row 2, column "label" is not a class id/],
    ['x1,x1,label\n1,2,0\n', /row 1 \(the header\): the column name "x1" appears twice \(columns 1 and 2\)$/],
    ['x1,,label\n1,2,0\n', /row 1 \(the header\), column 2: has no name$/],
    ['x1,"x2,label\n1,2,0\n', /row 1, column 2: a quoted cell is not closed/],
    ['label\n1\n2\n', /no feature columns besides the label "label"$/],
    [Buffer.from([0x78, 0x2c, 0x6c, 0x61, 0x62, 0x65, 0x6c, 0x0a, 0xff, 0xfe, 0x2c, 0x31, 0x0a]), /\(data\.path\): is not UTF-8 text/],
  ];
  for (const [text, message] of cases) refuses({ name: 'csv', path: csv(text), labelColumn: 'label' }, message);
  const wide = ['label', ...Array.from({ length: 30 }, (_, i) => `feature${i}`)].join(',');
  refuses({ name: 'csv', path: csv(`${wide}\n${new Array(31).fill(0).join(',')}\n`), labelColumn: 'y' }, /data\.label_column = "y" is not a column \(columns: "label", "feature0", .*"feature10", … \(31 in all\)\)$/);
  refuses({ name: 'csv', path: '/dev/zero', labelColumn: 'y' }, /^\/dev\/zero \(data\.path\): is a character device, not a regular file/);
});

test('the command line: every bad data file of a suite in one pass, one line each, exit 2, no run folder — and a FIFO does not hang it', () => {
  const fifo = join(folder, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
  const okInputs = npy({ descr: '<f4', shape: [samples, 3], values: new Array<number>(samples * 3).fill(1) });
  const wrapping = npy({ descr: '<i8', shape: [samples], values: [0, 1, 2n ** 32n + 1n, 1, 0, 1, 0, 1] });
  const suite = join(folder, 'bad-data.yaml');
  writeFileSync(suite, `experiments:
  - { name: fifo, data: { dataset: csv, path: pipe.csv, label_column: y } }
  - { name: zero, data: { dataset: npy, train_inputs: /dev/zero, train_labels: ${labels} } }
  - { name: wrap, data: { dataset: npy, train_inputs: ${okInputs}, train_labels: ${wrapping} } }
  - { name: held_back, data: { dataset: npy, train_inputs: ${okInputs}, train_labels: ${labels}, test_inputs: ${okInputs}, test_labels: ${labels}, test_fraction: 0.1 } }
  - { name: ragged, data: { dataset: csv, path: ${csv('a,y\n1,0\n2\n')}, label_column: y } }
  - { name: too_big, data: { dataset: copy, length: 90000 } }
`);
  const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'run', suite, '--out', join(folder, 'runs')], { cwd: folder, encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 6, result.stderr);
  // Options are named at their path in the suite file (experiments[i].data.x), not as the data module knows them.
  const expected = [
    /experiments\[0\]\.data \(fifo\): .*pipe\.csv \(experiments\[0\]\.data\.path\): is a named pipe \(FIFO\), not a regular file; data must be read from a file$/,
    /experiments\[1\]\.data \(zero\): \/dev\/zero \(experiments\[1\]\.data\.train_inputs\): is a character device, not a regular file/,
    /experiments\[2\]\.data \(wrap\): .*\(experiments\[2\]\.data\.train_labels\): label 4294967297 at \[2\] is beyond the 65536 classes/,
    /experiments\[3\]\.data \(held_back\): .*\(experiments\[3\]\.data\.test_inputs\): the test files are the test set, so experiments\[3\]\.data\.test_fraction = 0\.1/,
    /experiments\[4\]\.data \(ragged\): .*\(experiments\[4\]\.data\.path\): row 3 has 1 columns, the header has 2$/,
    /experiments\[5\]\.data \(too_big\): dataset copy: 12,000 sequences .* more than the 134,217,728/,
  ];
  lines.forEach((line, i) => {
    assert.match(line, /^vanishing: /);
    assert.match(line, expected[i]);
  });
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(existsSync(join(folder, 'runs')), false, 'no run folder');
});

/**
 * Generated (property-based, fast-check) inputs over the data formats: `.npy` files of every
 * dtype, shape, order and format version, valid or corrupted (truncated, bytes flipped or
 * appended, header text and length field mangled, versions changed), and CSV text (ragged rows,
 * NaN/Inf/huge/empty/non-numeric cells, quotes, byte order marks, line endings, random text and
 * bytes), with random data options.
 *
 * Through the loader API (most cases): a dataset is either built and sound (finite inputs,
 * class ids below the class count, sizes consistent) or refused with one DataError line naming
 * the file or the dataset; never another error. Through the real CLI (a sample of suites, each
 * holding several generated cases): exit 2 with exactly one line per case the loader refuses,
 * or exit 0 when it refuses none; no stack trace; no run folder on rejection.
 *
 * Seeded: a failure prints its seed and path; rerun it with VANISHING_FUZZ_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { DataError, loadDataset } from '../../src/data/index.js';
import type { DatasetOptions, SequenceDataset } from '../../src/data/index.js';
import { parseNpy, readNpy } from '../../src/data/npy.js';
import { npyBytes, npyHeaderText } from '../data/npy-writer.js';
import { withDataSectionPath } from '../../src/experiments/fields.js';

const seed = Number(process.env.VANISHING_FUZZ_SEED ?? 20261113);
const root = mkdtempSync(join(tmpdir(), 'vanishing-fuzz-'));
let fileCount = 0;

function writeCase(extension: string, bytes: Uint8Array | string): string {
  const path = join(root, `case-${++fileCount}.${extension}`);
  writeFileSync(path, bytes);
  return path;
}

// ---------------------------------------------------------------------------------------------
// .npy files

const numericDescrs = ['|b1', '|i1', '|u1', '<i2', '>i2', '<u2', '>u2', '<i4', '>i4', '<u4', '>u4', '<i8', '>i8', '<u8', '>u8', '<f2', '>f2', '<f4', '>f4', '<f8', '>f8'] as const;
const otherDescrs = ['<c8', '<U3', '|S2', '|O', '<M8[ns]', '|V4', '|f4', '<f16', '=i4', 'i4', '', "<f4'", '<i0'] as const;

function itemSize(descr: string): number {
  const digits = /(\d+)/.exec(descr)?.[1];
  return Math.min(16, Math.max(1, digits === undefined ? 4 : Number(digits)));
}

/** float16 bits of the values the generator draws (others: the largest half, 65504). */
const halfBits = new Map<number, number>([[0, 0x0000], [1, 0x3c00], [2, 0x4000], [3, 0x4200], [-1, 0xbc00], [0.5, 0x3800], [Infinity, 0x7c00], [-Infinity, 0xfc00], [65504, 0x7bff]]);

/** `values` stored as `descr` would store them (integers truncated and wrapped, as a C cast would). */
function encodeValues(descr: string, values: readonly number[]): Uint8Array {
  const size = itemSize(descr);
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  const little = !descr.startsWith('>');
  values.forEach((value, i) => {
    const at = i * size;
    const integer = Number.isFinite(value) ? Math.trunc(value) : 0;
    switch (descr.slice(1)) {
      case 'b1': case 'u1': case 'i1': view.setUint8(at, integer & 0xff); break;
      case 'i2': case 'u2': view.setUint16(at, integer & 0xffff, little); break;
      case 'i4': case 'u4': view.setUint32(at, integer >>> 0, little); break;
      case 'i8': view.setBigInt64(at, BigInt.asIntN(64, BigInt(integer)), little); break;
      case 'u8': view.setBigUint64(at, BigInt.asUintN(64, BigInt(integer)), little); break;
      case 'f2': view.setUint16(at, Number.isNaN(value) ? 0x7e00 : halfBits.get(value) ?? 0x7bff, little); break;
      case 'f4': view.setFloat32(at, value, little); break;
      case 'f8': view.setFloat64(at, value, little); break;
      default: throw new Error(`encodeValues: ${descr}`);
    }
  });
  return bytes;
}

/** Mostly small class ids, sometimes values that must be refused or handled. */
const valueArb = fc.oneof(
  { weight: 40, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, NaN, Infinity, -Infinity, 1e39, 1e300, 2 ** 31, 2 ** 32 + 1, 65535, 65536, 2 ** 53 + 2, -0) },
);

type Mutation =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'overwrite'; at: number; value: number }
  | { kind: 'header'; at: number; remove: number; insert: string }
  | { kind: 'headerLength'; value: number }
  | { kind: 'version'; major: number; minor: number };

const headerTokens = ['(', ')', "'", '"', ',', ':', '{', '}', '[', ']', 'True', 'False', 'None', '-1', '0', '7', '99999999999999999999', 'L', ' ', '\\', 'é', '\n', "'descr'", "'shape'", "'fortran_order'", "'<f4'", "'|O'"];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 40, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('header' as const), at: fc.nat(), remove: fc.integer({ min: 0, max: 6 }), insert: fc.array(fc.constantFrom(...headerTokens), { maxLength: 3 }).map((tokens) => tokens.join('')) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('headerLength' as const), value: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(65535), fc.constant(0xffffffff)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('version' as const), major: fc.integer({ min: 0, max: 4 }), minor: fc.integer({ min: 0, max: 1 }) }) },
);

interface NpyCase {
  descr: string;
  shape: number[];
  fortranOrder: boolean;
  version: 1 | 2 | 3;
  values: number[];
  /** For dtypes the generator cannot encode: raw bytes. */
  payload: Uint8Array | null;
  mutation: Mutation;
}

/** An array of `samples` rows (or, sometimes, another count) of some dtype and shape. */
function npyCaseArb(samples: number, rank: fc.Arbitrary<number>): fc.Arbitrary<NpyCase> {
  return fc.record({
    rows: fc.oneof({ weight: 8, arbitrary: fc.constant(samples) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }) }),
    rest: rank.chain((r) => fc.array(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constant(0) }), { minLength: Math.max(0, r - 1), maxLength: Math.max(0, r - 1) }).map((dims) => ({ rank: r, dims }))),
    descr: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...numericDescrs) }, { weight: 1, arbitrary: fc.constantFrom(...otherDescrs) }),
    fortranOrder: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    version: fc.oneof({ weight: 6, arbitrary: fc.constant(1 as const) }, { weight: 1, arbitrary: fc.constantFrom(2 as const, 3 as const) }),
    valueSeed: fc.array(valueArb, { minLength: 1, maxLength: 8 }),
    payloadSeed: fc.uint8Array({ minLength: 0, maxLength: 64 }),
    mutation: mutationArb,
  }).map(({ rows, rest, descr, fortranOrder, version, valueSeed, payloadSeed, mutation }) => {
    const shape = rest.rank === 0 ? [] : [rows, ...rest.dims];
    const count = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: count }, (_, i) => valueSeed[i % valueSeed.length]);
    const encodable = (numericDescrs as readonly string[]).includes(descr);
    const payload = encodable ? null : Uint8Array.from({ length: count * itemSize(descr) }, (_, i) => payloadSeed[i % Math.max(1, payloadSeed.length)] ?? 0);
    return { descr, shape, fortranOrder, version, values, payload, mutation };
  });
}

function npyCaseBytes(npy: NpyCase): Uint8Array {
  const header = npyHeaderText(npy.descr, npy.shape, npy.fortranOrder);
  const payload = npy.payload ?? encodeValues(npy.descr, npy.values);
  const build = (text: string) => npyBytes({ descr: npy.descr, shape: npy.shape, values: [], version: npy.version, header: text, payload });
  const bytes = build(header);
  const mutation = npy.mutation;
  switch (mutation.kind) {
    case 'none': return bytes;
    case 'truncate': return bytes.subarray(0, mutation.at % bytes.length);
    case 'append': return Buffer.concat([bytes, mutation.bytes]);
    case 'overwrite': {
      const copy = Uint8Array.from(bytes);
      copy[mutation.at % copy.length] = mutation.value;
      return copy;
    }
    case 'header': {
      const at = mutation.at % (header.length + 1);
      return build(header.slice(0, at) + mutation.insert + header.slice(at + mutation.remove));
    }
    case 'headerLength': {
      const copy = Buffer.from(bytes);
      if (npy.version === 1) copy.writeUInt16LE(mutation.value & 0xffff, 8);
      else copy.writeUInt32LE(mutation.value >>> 0, 8);
      return copy;
    }
    case 'version': {
      const copy = Uint8Array.from(bytes);
      copy[6] = mutation.major;
      copy[7] = mutation.minor;
      return copy;
    }
  }
}

interface CommonOptions {
  task: 'classification' | 'regression';
  sequenceLength: number | null;
  classes: number | null;
  validationFraction: number;
  testFraction: number | null;
  normalize: boolean;
  noiseStd: number;
}

const commonOptionsArb: fc.Arbitrary<CommonOptions> = fc.record({
  task: fc.oneof({ weight: 4, arbitrary: fc.constant('classification' as const) }, { weight: 1, arbitrary: fc.constant('regression' as const) }),
  sequenceLength: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  classes: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 6 }) }),
  validationFraction: fc.constantFrom(0, 0.1, 0.5),
  testFraction: fc.constantFrom(null, 0, 0.2),
  normalize: fc.boolean(),
  noiseStd: fc.constantFrom(0, 0.1),
});

interface NpyDataCase {
  format: 'npy';
  inputs: NpyCase;
  labels: NpyCase;
  withTestFiles: boolean;
  options: CommonOptions;
}

const npyDataCaseArb: fc.Arbitrary<NpyDataCase> = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 2, max: 6 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1) }).chain((samples) => fc.record({
  format: fc.constant('npy' as const),
  inputs: npyCaseArb(samples, fc.oneof({ weight: 6, arbitrary: fc.constantFrom(2, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 4) })),
  labels: npyCaseArb(samples, fc.oneof({ weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, 3) })),
  withTestFiles: fc.boolean(),
  options: commonOptionsArb,
}));

// ---------------------------------------------------------------------------------------------
// CSV text

const cellArb = fc.oneof(
  { weight: 60, arbitrary: fc.integer({ min: 0, max: 3 }).map(String) },
  { weight: 12, arbitrary: fc.double({ min: -100, max: 100, noNaN: true }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('', 'nan', 'NaN', 'inf', '-Infinity', '1e39', '-1e400', '0x10', 'abc', '"1"', ' 2 ', '"', '1,5', '4294967297', '2147483648', '-1', '1.5', '1e-50', '.5', '3.', '+4', '1_0', '١', '""') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

/** Column names: mostly distinct ones, sometimes empty, repeated, quoted or with a comma. */
const headerArb = (columns: number): fc.Arbitrary<string[]> => fc.oneof(
  { weight: 8, arbitrary: fc.constant(['y', 'x1', 'x2', 'x3'].slice(0, columns)) },
  { weight: 2, arbitrary: fc.shuffledSubarray(['y', 'x1', '"x 2"', '"a,b"', ' x3 ', 'é'], { minLength: columns, maxLength: columns }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('y', 'x1', '', '"', 'y'), { minLength: columns, maxLength: columns }) },
);

interface CsvDataCase {
  format: 'csv';
  text: string | Uint8Array;
  labelColumn: string;
  options: CommonOptions;
}

const csvTextArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 2, max: 4 }) }, { weight: 1, arbitrary: fc.constant(1) }).chain((columns) => fc.record({
      header: headerArb(columns),
      rows: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 2, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1) }).chain((count) => fc.array(fc.array(cellArb, { minLength: columns, maxLength: columns }), { minLength: count, maxLength: count })),
      ragged: fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.record({ row: fc.nat(), extra: fc.boolean() }) }),
      newline: fc.constantFrom('\n', '\r\n', '\r'),
      byteOrderMark: fc.boolean(),
      trailing: fc.constantFrom('', '\n', '\n\n  \n'),
    })).map(({ header, rows, ragged, newline, byteOrderMark, trailing }) => {
      const lines = rows.map((cells) => [...cells]);
      if (ragged !== null && lines.length > 0) {
        const row = lines[ragged.row % lines.length];
        if (ragged.extra) row.push('1');
        else row.pop();
      }
      return `${byteOrderMark ? '\uFEFF' : ''}${[header, ...lines].map((cells) => cells.join(',')).join(newline)}${trailing}`;
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }) },
);

const csvDataCaseArb: fc.Arbitrary<CsvDataCase> = fc.record({
  format: fc.constant('csv' as const),
  text: csvTextArb,
  labelColumn: fc.oneof({ weight: 6, arbitrary: fc.constant('y') }, { weight: 1, arbitrary: fc.constantFrom('x1', 'missing', 'a,b') }),
  options: commonOptionsArb,
});

type DataCase = NpyDataCase | CsvDataCase;

// ---------------------------------------------------------------------------------------------
// Checking a case

/** The dataset options of a case, its files written. */
function materialise(dataCase: DataCase): DatasetOptions {
  const { options } = dataCase;
  const common = {
    task: options.task,
    sequenceLength: options.sequenceLength,
    classes: options.classes,
    validationFraction: options.validationFraction,
    testFraction: options.testFraction,
    normalize: options.normalize,
    noiseStd: options.noiseStd,
  };
  if (dataCase.format === 'csv') return { name: 'csv', path: writeCase('csv', dataCase.text), labelColumn: dataCase.labelColumn, ...common };
  const trainInputs = writeCase('npy', npyCaseBytes(dataCase.inputs));
  const trainLabels = writeCase('npy', npyCaseBytes(dataCase.labels));
  return { name: 'npy', trainInputs, trainLabels, ...(dataCase.withTestFiles ? { testInputs: trainInputs, testLabels: trainLabels } : {}), ...common };
}

function assertSound(dataset: SequenceDataset): void {
  assert.ok(dataset.train.size >= 1, 'at least one training sample');
  assert.ok(dataset.steps >= 1 && dataset.inputSize >= 1);
  for (const split of [dataset.train, dataset.validation, dataset.test]) {
    assert.equal(split.inputs.length, split.size * dataset.steps * dataset.inputSize);
    for (const value of split.inputs) assert.ok(Number.isFinite(value), `input ${value} is finite`);
    if (dataset.loss === 'cross_entropy') {
      assert.ok(split.targets instanceof Int32Array);
      assert.equal(split.targets.length, split.size);
      for (const label of split.targets) assert.ok(label >= 0 && label < dataset.outputSize, `class id ${label} below ${dataset.outputSize}`);
    } else {
      assert.equal(split.targets.length, split.size * dataset.outputSize);
      for (const target of split.targets) assert.ok(Number.isFinite(target), `target ${target} is finite`);
    }
  }
  if (dataset.loss === 'cross_entropy') assert.ok(dataset.outputSize >= 2 && dataset.outputSize <= 65536);
}

/** Sorted copy, for comparing multisets of values whatever the split shuffled (−0 counted as 0: a class id −0.0 is class 0). */
const sorted = (values: Iterable<number>): number[] => [...values].map((value) => value + 0).sort((a, b) => a - b);

/**
 * An accepted `.npy` dataset holds exactly the files' values: the class ids or targets are the
 * label file's values (none wrapped or rounded), and without normalising or noise the inputs
 * are the input file's values as float32. The pool is train + validation (+ test when cut from
 * it); test files come back whole as the test split.
 */
function assertMatchesFiles(options: Extract<DatasetOptions, { name: 'npy' }>, dataset: SequenceDataset): void {
  const testFiles = options.testInputs !== undefined && options.testInputs !== null;
  const pool = testFiles ? [dataset.train, dataset.validation] : [dataset.train, dataset.validation, dataset.test];
  const labelFile = readNpy(options.trainLabels);
  assert.deepEqual(sorted(pool.flatMap((split) => [...split.targets])), sorted([...labelFile.values].map(Math.fround)), 'the labels are the file\'s');
  if (options.normalize === false && options.noiseStd === 0) {
    const inputFile = readNpy(options.trainInputs);
    assert.deepEqual(sorted(pool.flatMap((split) => [...split.inputs])), sorted([...inputFile.values].map(Math.fround)), 'the inputs are the file\'s');
  }
}

/** Loads `options`: the dataset when it is sound, else the one-line DataError message. */
function loadOutcome(options: DatasetOptions): SequenceDataset | string {
  let dataset: SequenceDataset;
  try {
    dataset = loadDataset(options, 0);
  } catch (error) {
    if (!(error instanceof DataError)) throw new Error(`not a DataError: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const message = error.message;
    assert.ok(!message.includes('\n'), `one line: ${message}`);
    assert.ok(message.length < 600, `a short line: ${message}`);
    assert.doesNotMatch(message, /undefined|\[object /, message);
    const files = options.name === 'csv' ? [options.path] : options.name === 'npy' ? [options.trainInputs, options.trainLabels] : [];
    assert.ok(files.some((file) => message.startsWith(file)) || message.startsWith(`dataset ${options.name}:`), `names the file: ${message}`);
    reasons.set(reasonOf(message), (reasons.get(reasonOf(message)) ?? 0) + 1);
    return message;
  }
  assertSound(dataset);
  if (options.name === 'npy') assertMatchesFiles(options, dataset);
  return dataset;
}

/** How often each kind of refusal happened (paths and numbers blanked), shown with VANISHING_FUZZ_HISTOGRAM=1 to tune the generators. */
const reasons = new Map<string, number>();
const reasonOf = (message: string): string => message.replace(/^\S+ \(data\.[a-z_]+\): |^dataset \w+: /, '').replace(/\d[\d.,e+-]*/g, '#').slice(0, 70);
/** Cases the loader accepted, by format: a few are trained through the CLI at the end. */
const accepted: { npy: DatasetOptions[]; csv: DatasetOptions[] } = { npy: [], csv: [] };
const runs = { npy: 0, csv: 0, bytes: 0, accepted: 0, cli: 0 };

test('generated .npy data through the loader: sound or one DataError line', () => {
  fc.assert(fc.property(npyDataCaseArb, (dataCase) => {
    runs.npy++;
    const options = materialise(dataCase);
    if (typeof loadOutcome(options) !== 'string') {
      runs.accepted++;
      accepted.npy.push(options);
    }
  }), { seed, numRuns: 2000 });
});

test('generated CSV text through the loader: sound or one DataError line', () => {
  fc.assert(fc.property(csvDataCaseArb, (dataCase) => {
    runs.csv++;
    const options = materialise(dataCase);
    if (typeof loadOutcome(options) !== 'string') {
      runs.accepted++;
      accepted.csv.push(options);
    }
  }), { seed, numRuns: 1000 });
});

test('random bytes behind a .npy magic string: parsed or one DataError line', () => {
  const magic = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
  fc.assert(fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), (withMagic, tail) => {
    runs.bytes++;
    const bytes = withMagic ? Buffer.concat([magic, tail]) : tail;
    try {
      const array = parseNpy(bytes, 'random.npy');
      assert.equal(array.size, array.shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < array.size; i++) array.at(i);
    } catch (error) {
      if (!(error instanceof DataError)) throw new Error(`not a DataError: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      assert.ok(!error.message.includes('\n') && error.message.startsWith('random.npy: '), error.message);
    }
  }), { seed, numRuns: 2000 });
});

const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** A suite file's `data` section for `options` (snake_case, nulls left out). */
function dataSection(options: DatasetOptions): string {
  const entries = Object.entries(options).filter(([, value]) => value !== null && value !== undefined).map(([key, value]) => {
    const name = key === 'name' ? 'dataset' : key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    return `${name}: ${JSON.stringify(value)}`;
  });
  return `{ ${entries.join(', ')} }`;
}

/** Runs `vanishing run` on a suite of one experiment per data option set (tiny model, one epoch). */
function runSuiteFile(folder: string, options: readonly DatasetOptions[]): { suite: string; out: string; status: number | null; stderr: string } {
  const suite = join(folder, 'fuzz.yaml');
  writeFileSync(suite, [
    'defaults:',
    '  model: { hidden_size: 2, num_layers: 1 }',
    '  training: { epochs: 1, batch_size: 4 }',
    'experiments:',
    ...options.map((option, i) => `  - { name: case${i}, data: ${dataSection(option)} }`),
    '',
  ].join('\n'));
  const out = join(folder, 'runs');
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'run', suite, '--out', out, '--workers', '0', '--no-report'], { cwd: folder, encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(result.stderr, /\n\s+at |internal error/, `no stack trace: ${result.stderr}`);
  return { suite, out, status: result.status, stderr: result.stderr };
}

test('generated suites through the real CLI: exit 2 with one line per refused data file (0 if none), no stack trace, no run folder on rejection', () => {
  fc.assert(fc.property(fc.array(fc.oneof(npyDataCaseArb, csvDataCaseArb), { minLength: 4, maxLength: 6 }), (cases) => {
    runs.cli++;
    const folder = join(root, `cli-${runs.cli}`);
    mkdirSync(folder);
    const options = cases.map(materialise);
    const refused = options.map((option) => { const outcome = loadOutcome(option); return typeof outcome === 'string' ? outcome : null; });
    const { suite, out, status, stderr } = runSuiteFile(folder, options);
    const expectedLines = refused.flatMap((message, i) => (message === null ? [] : [`vanishing: ${suite}: experiments[${i}].data (case${i}): ${withDataSectionPath(message, `experiments[${i}].data`)}`]));
    if (expectedLines.length === 0) {
      assert.equal(status, 0, stderr);
      return;
    }
    assert.equal(status, 2, stderr);
    assert.deepEqual(stderr.trimEnd().split('\n'), expectedLines);
    assert.equal(existsSync(out), false, 'no run folder');
  }), { seed, numRuns: 3 });
});

test('generated data the loader accepted trains through the real CLI: exit 0, every experiment finished', () => {
  const chosen = [...accepted.npy.slice(0, 2), ...accepted.csv.slice(0, 2)];
  assert.equal(chosen.length, 4, 'the generators produced acceptable data of both formats');
  const folder = join(root, 'cli-accepted');
  mkdirSync(folder);
  const { out, status, stderr } = runSuiteFile(folder, chosen);
  assert.equal(status, 0, stderr);
  const [run] = readdirSync(out);
  for (let i = 0; i < chosen.length; i++) assert.ok(existsSync(join(out, run, `case${i}`, 'summary.json')), `case${i} finished`);
});

test('fuzz case counts', (t) => {
  // Keeps the generators honest: most cases are refused for some reason, but enough must load
  // for the "sound dataset" half of the properties to mean something.
  if (process.env.VANISHING_FUZZ_HISTOGRAM !== undefined) {
    for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1])) t.diagnostic(`${count} × ${reason}`);
  }
  t.diagnostic(`fuzz (seed ${seed}): ${runs.npy} .npy cases and ${runs.csv} CSV cases through the loader (${runs.accepted} loaded, ${reasons.size} kinds of refusal), ${runs.bytes} random byte strings through the .npy parser, ${runs.cli} generated suites and 1 of accepted data through the CLI`);
  assert.ok(runs.accepted >= 100, `accepted ${runs.accepted} of ${runs.npy + runs.csv}`);
});

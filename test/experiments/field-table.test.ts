/**
 * The field table (experiments/fields.ts) and the library agree: every model option with a file
 * counterpart is refused by `createModel` exactly outside the table's range, every training option
 * by the optimiser, batch source or trainer that uses it, every dataset option
 * by the data module's check, the file ↔ library conversion of dataset options round-trips, and
 * errors name fields the way the file spells them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkDatasetOptions, datasetCatalog, datasetOptionsFromFile, fileOptionsFromDatasetOptions, loadDataset } from '../../src/data/load.js';
import { fileOptionName } from '../../src/data/option-names.js';
import type { DatasetOptions } from '../../src/data/load.js';
import type { DatasetOptionDescription, FileOptionValue } from '../../src/data/load.js';
import { InputError } from '../../src/experiments/errors.js';
import type { FieldSpec } from '../../src/experiments/fields.js';
import { datasetFields, diagnosisFields, modelFields, recordFields, trainingFields } from '../../src/experiments/fields.js';
import type { DiagnosisSection, ModelSection, RecordSection, TrainingSection } from '../../src/experiments/fields.js';
import { generateAdding } from '../../src/data/synthetic.js';
import { SeededRandom } from '../../src/random.js';
import type { BatchSourceOptions } from '../../src/train/batch-source.js';
import { batchSourceFromDataset } from '../../src/train/batch-source.js';
import type { OptimizerOptions } from '../../src/train/optimizers.js';
import { createOptimizer } from '../../src/train/optimizers.js';
import { checkTrainingOption, trainingOptionDefaults, trainingOptionRanges } from '../../src/train/option-table.js';
import type { TrainingOptions } from '../../src/train/trainer.js';
import { trainExperiment } from '../../src/train/trainer.js';
import { datasetOptions } from '../../src/experiments/run-experiment.js';
import { checkSuiteData } from '../../src/experiments/run-suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import type { ModelOptions } from '../../src/model/config.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { createModel } from '../../src/model/model.js';
import { modelOptionRanges } from '../../src/model/option-table.js';
import type { OptionRange } from '../../src/model/option-table.js';

const folder = mkdtempSync(join(tmpdir(), 'vanishing-field-table-'));
after(() => rmSync(folder, { recursive: true, force: true }));

/** The smallest model, so that a size at its bound costs nothing but that size. */
const tiny: ModelOptions = { inputSize: 1, hiddenSize: 1, outputSize: 1 };

/** Values just outside and just inside each bound of `field` (integers step by 1, reals by 1e-6). */
function probes(field: Pick<FieldSpec, 'type' | 'minimum' | 'exclusiveMinimum' | 'maximum' | 'exclusiveMaximum'>): { outside: number[]; inside: number[] } {
  const step = field.type === 'integer' ? 1 : 1e-6;
  const outside: number[] = [];
  const inside: number[] = [];
  if (field.minimum !== undefined) { outside.push(field.minimum - step); inside.push(field.minimum); }
  if (field.exclusiveMinimum !== undefined) { outside.push(field.exclusiveMinimum); inside.push(field.exclusiveMinimum + step); }
  if (field.maximum !== undefined) { outside.push(field.maximum + step); inside.push(field.maximum); }
  if (field.exclusiveMaximum !== undefined) { outside.push(field.exclusiveMaximum); inside.push(field.exclusiveMaximum - step); }
  return { outside, inside };
}

test('every numeric model field of the table has its range from the library, and createModel refuses exactly outside it', () => {
  const numericFields = Object.entries(modelFields).filter(([, field]) => field.type === 'integer' || field.type === 'number').map(([key]) => key);
  assert.deepEqual(numericFields.sort(), Object.keys(modelOptionRanges).map(fileOptionName).sort(), 'every numeric model field has a library range');
  for (const [libraryName, range] of Object.entries(modelOptionRanges)) {
    const field = modelFields[fileOptionName(libraryName)];
    for (const bound of ['minimum', 'exclusiveMinimum', 'maximum'] as const) {
      assert.equal(field[bound], (range as Partial<Record<typeof bound, number>>)[bound], `${libraryName}.${bound}`);
    }
    // forgetBias exists only for the LSTM's forget gate.
    const base: ModelOptions = libraryName === 'forgetBias' ? { ...tiny, cell: 'lstm' } : tiny;
    const { outside, inside } = probes(field);
    for (const value of outside) {
      assert.throws(() => createModel({ ...base, [libraryName]: value }), new RegExp(`model option ${libraryName} must be`), `${libraryName} = ${value}`);
    }
    for (const value of inside) {
      // resolveModelConfig is createModel's validation, without allocating a 4096-unit model.
      assert.equal(resolveModelConfig({ ...base, [libraryName]: value })[libraryName as keyof typeof modelOptionRanges], value, `${libraryName} = ${value}`);
    }
  }
  assert.throws(() => createModel({ ...tiny, hiddenSize: 4097 }), /model option hiddenSize must be ≤ 4096; got 4097/);
  assert.equal(resolveModelConfig({ ...tiny, hiddenSize: 4096 }).hiddenSize, 4096);
});

/** Calls the library part that owns training option `name` with `value` (everything else valid). */
function useTrainingOption(name: keyof typeof trainingOptionRanges, value: number): void {
  const model = createModel({ ...tiny, inputSize: 2 });
  const dataset = generateAdding({ name: 'adding', length: 3, trainSamples: 4, validationSamples: 2, testSamples: 2 }, new SeededRandom(0));
  const sourceOptions: BatchSourceOptions = { batchSize: 2, samplesPerEpoch: null, seed: 0 };
  if (name === 'batchSize' || name === 'samplesPerEpoch' || name === 'seed') {
    batchSourceFromDataset(dataset, { ...sourceOptions, [name]: value });
    return;
  }
  const optimizer: OptimizerOptions = name === 'beta1' || name === 'beta2' || name === 'epsilon'
    ? { type: 'adam', learningRate: 0.01, [name]: value }
    : { type: 'sgd', learningRate: 0.01, ...(name === 'learningRate' || name === 'momentum' || name === 'dampening' || name === 'weightDecay' ? { [name]: value } : {}) };
  const options: TrainingOptions = { optimizer, epochs: 1, clipMaxNorm: null, clipMinNorm: null, keepBatches: false };
  // The trainer checks every option before its first batch, so 100001 epochs throw at once.
  if (name === 'epochs' || name === 'clipMaxNorm' || name === 'clipMinNorm' || name === 'hiddenGradientEvery' || name === 'lastStepProbeEvery' || name === 'histogramEvery') Object.assign(options, { [name]: value });
  if (name === 'learningRate') createOptimizer(model.parameters(), optimizer);
  else trainExperiment(model, batchSourceFromDataset(dataset, sourceOptions), options);
}

test('every numeric training field of the table has its range from the library, and the library refuses exactly outside it', () => {
  const fileFields: Record<string, FieldSpec> = { ...trainingFields, ...recordFields };
  const numericFields = Object.entries(fileFields).filter(([, field]) => field.type === 'integer' || field.type === 'number').map(([key]) => key);
  // dampening is a library option the files do not offer (the original never damps).
  const libraryNames = Object.keys(trainingOptionRanges).filter((name) => name !== 'dampening');
  assert.deepEqual(numericFields.sort(), libraryNames.map(fileOptionName).sort(), 'every numeric training field has a library range');
  for (const libraryName of libraryNames as (keyof typeof trainingOptionRanges)[]) {
    const field = fileFields[fileOptionName(libraryName)];
    const range: OptionRange = trainingOptionRanges[libraryName];
    for (const bound of ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum'] as const) assert.equal(field[bound], range[bound], `${libraryName}.${bound}`);
    const { outside, inside } = probes(field);
    for (const value of outside) assert.throws(() => useTrainingOption(libraryName, value), new RegExp(`${libraryName} must be`), `${libraryName} = ${value}`);
    // A bound like 65536 sequences or 100000 epochs is checked, not trained.
    for (const value of inside) {
      if (libraryName === 'batchSize' || libraryName === 'seed' || libraryName === 'epochs') checkTrainingOption('file', libraryName, value);
      else useTrainingOption(libraryName, value);
    }
  }
  assert.throws(() => useTrainingOption('momentum', 1), /optimizer sgd: momentum must be < 1; got 1/);
  assert.throws(() => useTrainingOption('batchSize', 2.5), /batch source batchSize must be a whole number; got 2.5/);
  assert.throws(() => useTrainingOption('clipMaxNorm', Number.NaN), /training clipMaxNorm must be a finite number; got NaN/);
  assert.throws(() => createOptimizer(createModel(tiny).parameters(), { type: 'sgd', learningRate: 0.1, nesterov: true }), /nesterov needs momentum > 0/);
});

test('training defaults of the library equal the files\'', () => {
  for (const [libraryName, value] of Object.entries(trainingOptionDefaults)) {
    const field = trainingFields[fileOptionName(libraryName)] ?? recordFields[fileOptionName(libraryName)];
    if (libraryName === 'dampening') continue;
    assert.ok(field !== undefined, `${libraryName} has a file field`);
    assert.equal(field.default, value, libraryName);
  }
});

test('library defaults equal the files\' except the documented hidden_size and num_layers', () => {
  const library = resolveModelConfig(tiny);
  const same: [keyof typeof library, string][] = [['architecture', 'architecture'], ['cell', 'cell'], ['nonlinearity', 'nonlinearity'], ['init', 'init'], ['recurrentGain', 'recurrent_gain'], ['forgetBias', 'forget_bias'], ['dtype', 'dtype']];
  for (const [libraryName, fileName] of same) assert.equal(library[libraryName], modelFields[fileName].default, libraryName);
  assert.equal(library.numLayers, 1);
  assert.equal(modelFields.num_layers.default, 20);
  assert.equal(modelFields.hidden_size.default, 256);
});

/** A value of `option` that is not its default (so the round trip cannot pass by dropping it). */
function sampleValue(option: DatasetOptionDescription): FileOptionValue {
  if (option.values !== undefined) return option.values[option.values.length - 1];
  if (option.type === 'boolean') return option.default !== true;
  if (option.type === 'string') return join(folder, `${option.name}.file`);
  if (option.type === 'integer') return option.maximum ?? (option.minimum ?? 0) + 3;
  return option.maximum ?? 0.25;
}

test('every dataset option: the data module refuses exactly outside the table\'s range, naming the file spelling', () => {
  for (const dataset of datasetCatalog) {
    const fields = datasetFields().get(dataset.name);
    assert.ok(fields !== undefined);
    const required = Object.fromEntries(dataset.options.filter((option) => option.required === true).map((option) => [option.name, 'x']));
    for (const option of dataset.options) {
      const field: FieldSpec = fields[fileOptionName(option.name)];
      assert.equal(field.minimum, option.minimum, `${dataset.name}.${option.name} minimum`);
      assert.equal(field.maximum, option.maximum, `${dataset.name}.${option.name} maximum`);
      if (option.type !== 'integer' && option.type !== 'number') continue;
      const { outside, inside } = probes(field);
      for (const value of outside) {
        assert.throws(() => checkDatasetOptions({ name: dataset.name, ...required, [option.name]: value }), new RegExp(`data\\.${fileOptionName(option.name)} must be`), `${dataset.name}.${option.name} = ${value}`);
      }
      for (const value of inside) checkDatasetOptions({ name: dataset.name, ...required, [option.name]: value });
    }
  }
});

test('the conversion of dataset options round-trips every option of every dataset', () => {
  for (const dataset of datasetCatalog) {
    const fileOptions: Record<string, FileOptionValue> = {};
    for (const option of dataset.options) fileOptions[fileOptionName(option.name)] = sampleValue(option);
    const library = datasetOptionsFromFile(dataset.name, fileOptions);
    assert.equal(library.name, dataset.name);
    assert.deepEqual(Object.keys(library).sort(), ['name', ...dataset.options.map((option) => option.name)].sort(), dataset.name);
    assert.deepEqual(fileOptionsFromDatasetOptions(library), fileOptions, dataset.name);
    assert.deepEqual(Object.keys(fileOptions).sort(), Object.keys(datasetFields().get(dataset.name) ?? {}).sort(), `${dataset.name}: the table's keys`);
    // The runner's conversion is the same one: null means the default and is left out.
    assert.deepEqual(datasetOptions({ dataset: dataset.name, ...fileOptions }), library);
  }
  assert.deepEqual(datasetOptionsFromFile('adding', { length: 50, test_samples: null }), { name: 'adding', length: 50 });
  assert.throws(() => datasetOptionsFromFile('adding', { noiseStd: 1 }), /data\.noiseStd: unknown option \(known: length, train_samples/);
});

test('a dataset option left out gets the table\'s default: the same data as the file\'s defaults stated in full', () => {
  // The synthetic tasks with `length` left out too (100, as in files), with few samples to stay quick.
  const cases: DatasetOptions[] = [
    { name: 'adding', length: 10 }, { name: 'copy', length: 5 }, { name: 'temporal_order', length: 12 }, { name: 'mnist', samples: 200 },
    { name: 'adding', trainSamples: 20, validationSamples: 5, testSamples: 5 }, { name: 'copy', trainSamples: 20, validationSamples: 5, testSamples: 5 },
  ];
  for (const options of cases) {
    const fileDefaults: Record<string, FileOptionValue> = {};
    for (const [key, field] of Object.entries(datasetFields().get(options.name) ?? {})) fileDefaults[key] = field.default;
    const stated = datasetOptionsFromFile(options.name, { ...fileDefaults, ...fileOptionsWithValues(options) });
    const left = loadDataset(options, 3);
    const full = loadDataset(stated, 3);
    assert.deepEqual([left.steps, left.train.size, left.validation.size, left.test.size], [full.steps, full.train.size, full.validation.size, full.test.size], options.name);
    assert.deepEqual(left.train.inputs, full.train.inputs, options.name);
  }
});

/** The options `options` sets, in the file's spelling. */
function fileOptionsWithValues(options: DatasetOptions): Record<string, FileOptionValue> {
  return Object.fromEntries(Object.entries(fileOptionsFromDatasetOptions(options)).filter(([, value]) => value !== null));
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected an InputError');
}

test('a value out of range is named by its path in the file, snake_case', () => {
  const path = join(folder, 'suite.yaml');
  const csv = join(folder, 'data.csv');
  writeFileSync(csv, 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n');
  const problems = problemsOf(() => resolveSuite({
    experiments: [{ name: 'a', model: { hidden_size: 4097, num_layers: 0 }, data: { dataset: 'csv', path: csv, label_column: 'label', sequence_length: 0 } }],
  }, path));
  assert.ok(problems.includes(`${path}: experiments[0].model.hidden_size: must be ≤ 4096, got 4097`), problems.join('\n'));
  assert.ok(problems.includes(`${path}: experiments[0].model.num_layers: must be ≥ 1, got 0`), problems.join('\n'));
  assert.ok(problems.includes(`${path}: experiments[0].data.sequence_length: must be ≥ 1, got 0`), problems.join('\n'));
  for (const line of problems) assert.doesNotMatch(line, /hiddenSize|numLayers|sequenceLength/);
});

test('a problem only the data module finds names the option at its path in the file', () => {
  const csv = join(folder, 'labels.csv');
  writeFileSync(csv, 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n');
  const path = join(folder, 'data-suite.yaml');
  const suite = resolveSuite({ experiments: [{ name: 'a', model: { hidden_size: 2, num_layers: 1 }, data: { dataset: 'csv', path: csv, label_column: 'nope' } }] }, path);
  const problems = problemsOf(() => checkSuiteData(suite));
  assert.equal(problems.length, 1);
  assert.match(problems[0], /experiments\[0\]\.data\.label_column = "nope" is not a column/);
  assert.ok(problems[0].startsWith(`${path}: experiments[0].data (a): `), problems[0]);
  assert.ok(problems[0].includes(csv), 'the CSV file name itself is left as it is');
});

/** True when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

test('the sections\' types are read off the table: keys, enums and nullability (checked by the compiler)', () => {
  // Compile-time checks: `npm test` type-checks this file first, and a wrong type does not compile.
  const modelSectionIsDerived: Equal<ModelSection, {
    architecture: 'vanilla' | 'residual'; cell: 'rnn' | 'lstm' | 'gru'; nonlinearity: 'tanh' | 'relu' | 'linear'; hidden_size: number; num_layers: number;
    init: 'default' | 'xavier' | 'he' | 'orthogonal' | 'identity'; recurrent_gain: number; forget_bias: number | null; dtype: 'float32' | 'float64';
  }> = true;
  const trainingSectionIsDerived: Equal<TrainingSection, {
    optimizer: 'sgd' | 'adam'; learning_rate: number; momentum: number; nesterov: boolean; weight_decay: number; beta1: number; beta2: number; epsilon: number;
    batch_size: number; epochs: number; samples_per_epoch: number | null; clip_max_norm: number | null; clip_min_norm: number | null; seed: number;
  }> = true;
  const recordSectionIsDerived: Equal<RecordSection, { hidden_gradient_every: number | null; histogram_every: number; last_step_probe_every: number }> = true;
  const diagnosisSectionIsDerived: Equal<DiagnosisSection, {
    required_lag: number | null; borderline_time_constants: number; vanishing_time_constants: number; exploded_loss_factor: number; exploding_update_ratio: number;
    absolute_vanishing: number; learned_loss_fraction: number; chance_margin: number; judged_epochs: number;
  }> = true;
  assert.ok(modelSectionIsDerived && trainingSectionIsDerived && recordSectionIsDerived && diagnosisSectionIsDerived);
  // At run time: a resolved experiment has exactly the table's fields in every section.
  const experiment = resolveSuite({ experiments: [{ name: 'a' }] }, 'inline').experiments[0];
  assert.deepEqual(Object.keys(experiment.model).sort(), Object.keys(modelFields).sort());
  assert.deepEqual(Object.keys(experiment.training).sort(), Object.keys(trainingFields).sort());
  assert.deepEqual(Object.keys(experiment.record).sort(), Object.keys(recordFields).sort());
  assert.deepEqual(Object.keys(experiment.diagnosis).sort(), Object.keys(diagnosisFields).sort());
});

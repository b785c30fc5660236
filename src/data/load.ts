/**
 * One entry point from plain options (as an experiment file states them) to a dataset, and the
 * catalogue `vanishing list` shows.
 */
import { SeededRandom } from '../random.js';
import type { SequenceDataset } from './dataset.js';
import { DataError } from './dataset.js';
import { maxClasses, maxHeldOutSamples, maxLeadingNoiseSteps, maxNoiseStd, maxSequenceLength, maxTrainSamples } from './limits.js';
import { mnistDefaults, splitDefaults, syntheticLengthDefault, syntheticSampleDefaults, userDataDefaults } from './option-defaults.js';
import type { MnistOptions } from './mnist.js';
import { loadMnist } from './mnist-package.js';
import type { AddingOptions, CopyOptions, TemporalOrderOptions } from './synthetic.js';
import { generateAdding, generateCopy, generateTemporalOrder } from './synthetic.js';
import type { CsvDataOptions, NpyDataOptions } from './user-data.js';
import { loadCsvData, loadNpyData } from './user-data.js';
import { fileOptionName } from './option-names.js';

export type DatasetOptions = MnistOptions | AddingOptions | CopyOptions | TemporalOrderOptions | NpyDataOptions | CsvDataOptions;
export type DatasetName = DatasetOptions['name'];

export interface DatasetOptionDescription {
  name: string;
  type: 'integer' | 'number' | 'boolean' | 'string';
  /** Allowed strings, for enumerations. */
  values?: string[];
  default: number | boolean | string | null;
  minimum?: number;
  maximum?: number;
  required?: boolean;
  description: string;
}

export interface DatasetDescription {
  name: DatasetName;
  description: string;
  options: DatasetOptionDescription[];
}

const noiseOption: DatasetOptionDescription = { name: 'noiseStd', type: 'number', default: splitDefaults.noiseStd, minimum: 0, maximum: maxNoiseStd, description: 'std of Gaussian noise added to the training inputs (after standardising, the inputs have std 1)' };

const splitOptions: DatasetOptionDescription[] = [
  { name: 'validationFraction', type: 'number', default: splitDefaults.validationFraction, minimum: 0, maximum: 0.99, description: 'fraction held out for validation' },
  { name: 'testFraction', type: 'number', default: splitDefaults.testFraction, minimum: 0, maximum: 0.99, description: 'fraction held out for testing' },
  { name: 'normalize', type: 'boolean', default: splitDefaults.normalize, description: "standardise by the training split's mean and std" },
  noiseOption,
];

const syntheticOptions = (lengthDefault: number, lengthMeaning: string, minimum: number): DatasetOptionDescription[] => [
  { name: 'length', type: 'integer', default: lengthDefault, minimum, maximum: maxSequenceLength, description: lengthMeaning },
  { name: 'trainSamples', type: 'integer', default: syntheticSampleDefaults.trainSamples, minimum: 1, maximum: maxTrainSamples, description: 'training sequences generated' },
  { name: 'validationSamples', type: 'integer', default: syntheticSampleDefaults.validationSamples, minimum: 0, maximum: maxHeldOutSamples, description: 'validation sequences generated' },
  { name: 'testSamples', type: 'integer', default: syntheticSampleDefaults.testSamples, minimum: 0, maximum: maxHeldOutSamples, description: 'test sequences generated' },
];

/**
 * A user's data: `testFraction` defaults to null, which means 0.1 — or 0 when separate test
 * files are given, since they are the test set (a fixed default of 0.1 used to hold back a
 * tenth of the training file as a second, unused test set).
 */
const userOptions = (testFiles: boolean): DatasetOptionDescription[] => [
  { name: 'sequenceLength', type: 'integer', default: null, minimum: 1, maximum: maxSequenceLength, description: 'steps to split a flat [N, F] input into' },
  { name: 'task', type: 'string', values: ['classification', 'regression'], default: userDataDefaults.task, description: 'integer class labels (cross-entropy) or real targets (MSE)' },
  { name: 'classes', type: 'integer', default: null, minimum: 2, maximum: maxClasses, description: 'number of classes (default: largest label + 1)' },
  { name: 'validationFraction', type: 'number', default: splitDefaults.validationFraction, minimum: 0, maximum: 0.99, description: 'fraction held out for validation' },
  {
    name: 'testFraction', type: 'number', default: null, minimum: 0, maximum: 0.99,
    description: testFiles
      ? 'fraction of the training file held out for testing; null: 0.1 without test files, 0 with them (they are the test set; above 0 with them is an error)'
      : 'fraction held out for testing; null: 0.1',
  },
  { name: 'normalize', type: 'boolean', default: splitDefaults.normalize, description: "standardise by the training split's mean and std" },
  noiseOption,
];

/** Every dataset, its options and their defaults. */
export const datasetCatalog: readonly DatasetDescription[] = [
  {
    name: 'mnist',
    description: 'sequential MNIST: 10,000 real digits fed row by row, pixel by pixel, or in a permuted pixel order',
    options: [
      { name: 'variant', type: 'string', values: ['row', 'pixel', 'permuted'], default: mnistDefaults.variant, description: 'row: 28 steps × 28; pixel: 784 steps × 1; permuted: pixels in a fixed random order' },
      { name: 'downsample', type: 'boolean', default: mnistDefaults.downsample, description: 'average 2×2 blocks first (14×14)' },
      { name: 'samples', type: 'integer', default: 10000, minimum: 1, maximum: 10000, description: 'digits used (a seeded random subset)' },
      { name: 'leadingNoiseSteps', type: 'integer', default: mnistDefaults.leadingNoiseSteps, minimum: 0, maximum: maxLeadingNoiseSteps, description: 'steps of N(0, 1) noise before each image, which carry nothing about the label' },
      ...splitOptions,
    ],
  },
  {
    name: 'adding',
    description: 'the adding problem: sum two marked values out of T (MSE; predicting 1 scores 1/6)',
    options: [
      ...syntheticOptions(syntheticLengthDefault, 'sequence length T', 2),
      { name: 'markerWindow', type: 'integer', default: null, minimum: 2, maximum: maxSequenceLength, description: 'put both markers in the last this-many steps (null: anywhere, one in each half)' },
    ],
  },
  { name: 'copy', description: 'the copy task: repeat 10 symbols after a gap of T blanks (per-step cross-entropy; memoryless 10·ln 8/(T+20))', options: syntheticOptions(syntheticLengthDefault, 'blank gap T', 1) },
  { name: 'temporal_order', description: 'temporal order: classify the order of two marked symbols among distractors (4 classes; chance ln 4)', options: syntheticOptions(syntheticLengthDefault, 'sequence length T', 10) },
  {
    name: 'npy',
    description: "your own .npy arrays, in the original's layout (X_train_*.npy inputs, y_train.npy labels)",
    options: [
      { name: 'trainInputs', type: 'string', default: null, required: true, description: 'path of the training inputs (.npy, [N, T], [N, T, I] or [N, F])' },
      { name: 'trainLabels', type: 'string', default: null, required: true, description: 'path of the training labels (.npy)' },
      { name: 'testInputs', type: 'string', default: null, description: 'path of separate test inputs' },
      { name: 'testLabels', type: 'string', default: null, description: 'path of separate test labels' },
      ...userOptions(true),
    ],
  },
  {
    name: 'csv',
    description: 'your own CSV: one sample per row, a header, a named label column',
    options: [
      { name: 'path', type: 'string', default: null, required: true, description: 'path of the CSV file' },
      { name: 'labelColumn', type: 'string', default: null, required: true, description: 'name of the label column' },
      ...userOptions(false),
    ],
  },
];

/** A dataset option's value as a file states it; null: the option's default. */
export type FileOptionValue = number | string | boolean | null;

function describeDataset(name: unknown): DatasetDescription {
  const description = datasetCatalog.find((dataset) => dataset.name === name);
  if (description === undefined) {
    throw new DataError(`unknown dataset ${JSON.stringify(name)}; known: ${datasetCatalog.map((d) => d.name).join(', ')}`);
  }
  return description;
}

/**
 * Checks `options` against the catalogue (type, enumeration, minimum, maximum) as the
 * experiment-file schema does, so that code calling `loadDataset` directly meets the same
 * bounds: a first problem is one DataError line naming the option in the file's spelling.
 * Asserts the type, so that options built from a file need no cast.
 */
export function checkDatasetOptions(options: { readonly name: unknown }): asserts options is DatasetOptions {
  const description = describeDataset(options.name);
  const values = new Map<string, unknown>(Object.entries(options));
  for (const option of description.options) {
    const value = values.get(option.name);
    const field = `dataset ${description.name}: data.${fileOptionName(option.name)}`;
    if (value === undefined || value === null) {
      if (option.required === true) throw new DataError(`${field}: required, missing`);
      continue;
    }
    const got = `got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
    const typeOk = option.type === 'integer' ? Number.isInteger(value)
      : option.type === 'number' ? typeof value === 'number' && Number.isFinite(value)
        : typeof value === option.type;
    if (!typeOk) throw new DataError(`${field} must be ${option.type === 'integer' ? 'an integer' : `a ${option.type}`}; ${got}`);
    if (option.values !== undefined && !option.values.includes(value as string)) throw new DataError(`${field} must be one of ${option.values.join(', ')}; ${got}`);
    if (typeof value === 'number') {
      if (option.minimum !== undefined && value < option.minimum) throw new DataError(`${field} must be ≥ ${option.minimum}; ${got}`);
      if (option.maximum !== undefined && value > option.maximum) throw new DataError(`${field} must be ≤ ${option.maximum}; ${got}`);
    }
  }
}

/**
 * The library's options from a file's `data` options (snake_case; null or absent: the default),
 * generated from the catalogue rather than written per option, and checked like `loadDataset`'s.
 */
export function datasetOptionsFromFile(dataset: string, fileOptions: Readonly<Record<string, FileOptionValue>>): DatasetOptions {
  const description = describeDataset(dataset);
  const libraryNames = new Map(description.options.map((option) => [fileOptionName(option.name), option.name]));
  const options: { name: string; [option: string]: FileOptionValue } = { name: dataset };
  for (const [key, value] of Object.entries(fileOptions)) {
    const libraryName = libraryNames.get(key);
    if (libraryName === undefined) {
      throw new DataError(`dataset ${dataset}: data.${key}: unknown option (known: ${[...libraryNames.keys()].join(', ')})`);
    }
    if (value !== null) options[libraryName] = value;
  }
  checkDatasetOptions(options);
  return options;
}

/** The reverse of `datasetOptionsFromFile`: every option of the dataset in the file's spelling, null where unset. */
export function fileOptionsFromDatasetOptions(options: DatasetOptions): Record<string, FileOptionValue> {
  const values = new Map<string, unknown>(Object.entries(options));
  const fileOptions: Record<string, FileOptionValue> = {};
  for (const option of describeDataset(options.name).options) {
    const value = values.get(option.name);
    fileOptions[fileOptionName(option.name)] = typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? value : null;
  }
  return fileOptions;
}

/** Builds the dataset `options` describe; the same options and seed give bit-identical data. */
export function loadDataset(options: DatasetOptions, seed: number): SequenceDataset {
  checkDatasetOptions(options);
  const random = new SeededRandom(seed).fork(`data-${options.name}`);
  switch (options.name) {
    case 'mnist':
      return loadMnist(options, random);
    case 'adding':
      return generateAdding(options, random);
    case 'copy':
      return generateCopy(options, random);
    case 'temporal_order':
      return generateTemporalOrder(options, random);
    case 'npy':
      return loadNpyData(options, random);
    case 'csv':
      return loadCsvData(options, random);
    default: {
      const unknown = (options as { name: unknown }).name;
      throw new DataError(`unknown dataset ${JSON.stringify(unknown)}; known: ${datasetCatalog.map((d) => d.name).join(', ')}`);
    }
  }
}

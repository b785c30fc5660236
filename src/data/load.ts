/**
 * One entry point from plain options (as an experiment file states them) to a dataset, and the
 * catalogue `vanishing list` shows.
 */
import { SeededRandom } from '../random.js';
import type { SequenceDataset } from './dataset.js';
import { DataError } from './dataset.js';
import { maxClasses, maxHeldOutSamples, maxNoiseStd, maxSequenceLength, maxTrainSamples } from './limits.js';
import type { MnistOptions } from './mnist.js';
import { loadMnist } from './mnist.js';
import type { AddingOptions, CopyOptions, TemporalOrderOptions } from './synthetic.js';
import { generateAdding, generateCopy, generateTemporalOrder } from './synthetic.js';
import type { CsvDataOptions, NpyDataOptions } from './user-data.js';
import { loadCsvData, loadNpyData } from './user-data.js';

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

const noiseOption: DatasetOptionDescription = { name: 'noiseStd', type: 'number', default: 0, minimum: 0, maximum: maxNoiseStd, description: 'std of Gaussian noise added to the training inputs (after standardising, the inputs have std 1)' };

const splitOptions: DatasetOptionDescription[] = [
  { name: 'validationFraction', type: 'number', default: 0.1, minimum: 0, maximum: 0.99, description: 'fraction held out for validation' },
  { name: 'testFraction', type: 'number', default: 0.1, minimum: 0, maximum: 0.99, description: 'fraction held out for testing' },
  { name: 'normalize', type: 'boolean', default: true, description: "standardise by the training split's mean and std" },
  noiseOption,
];

const syntheticOptions = (lengthDefault: number, lengthMeaning: string, minimum: number): DatasetOptionDescription[] => [
  { name: 'length', type: 'integer', default: lengthDefault, minimum, maximum: maxSequenceLength, description: lengthMeaning },
  { name: 'trainSamples', type: 'integer', default: 10000, minimum: 1, maximum: maxTrainSamples, description: 'training sequences generated' },
  { name: 'validationSamples', type: 'integer', default: 1000, minimum: 0, maximum: maxHeldOutSamples, description: 'validation sequences generated' },
  { name: 'testSamples', type: 'integer', default: 1000, minimum: 0, maximum: maxHeldOutSamples, description: 'test sequences generated' },
];

/**
 * A user's data: `testFraction` defaults to null, which means 0.1 — or 0 when separate test
 * files are given, since they are the test set (a fixed default of 0.1 used to hold back a
 * tenth of the training file as a second, unused test set).
 */
const userOptions = (testFiles: boolean): DatasetOptionDescription[] => [
  { name: 'sequenceLength', type: 'integer', default: null, minimum: 1, maximum: maxSequenceLength, description: 'steps to split a flat [N, F] input into' },
  { name: 'task', type: 'string', values: ['classification', 'regression'], default: 'classification', description: 'integer class labels (cross-entropy) or real targets (MSE)' },
  { name: 'classes', type: 'integer', default: null, minimum: 2, maximum: maxClasses, description: 'number of classes (default: largest label + 1)' },
  { name: 'validationFraction', type: 'number', default: 0.1, minimum: 0, maximum: 0.99, description: 'fraction held out for validation' },
  {
    name: 'testFraction', type: 'number', default: null, minimum: 0, maximum: 0.99,
    description: testFiles
      ? 'fraction of the training file held out for testing; null: 0.1 without test files, 0 with them (they are the test set; above 0 with them is an error)'
      : 'fraction held out for testing; null: 0.1',
  },
  { name: 'normalize', type: 'boolean', default: true, description: "standardise by the training split's mean and std" },
  noiseOption,
];

/** Every dataset, its options and their defaults. */
export const datasetCatalog: readonly DatasetDescription[] = [
  {
    name: 'mnist',
    description: 'sequential MNIST: 10,000 real digits fed row by row, pixel by pixel, or in a permuted pixel order',
    options: [
      { name: 'variant', type: 'string', values: ['row', 'pixel', 'permuted'], default: 'row', description: 'row: 28 steps × 28; pixel: 784 steps × 1; permuted: pixels in a fixed random order' },
      { name: 'downsample', type: 'boolean', default: false, description: 'average 2×2 blocks first (14×14)' },
      { name: 'samples', type: 'integer', default: 10000, minimum: 1, maximum: 10000, description: 'digits used (a seeded random subset)' },
      { name: 'leadingNoiseSteps', type: 'integer', default: 0, minimum: 0, maximum: 10000, description: 'steps of N(0, 1) noise before each image, which carry nothing about the label' },
      ...splitOptions,
    ],
  },
  {
    name: 'adding',
    description: 'the adding problem: sum two marked values out of T (MSE; predicting 1 scores 1/6)',
    options: [
      ...syntheticOptions(100, 'sequence length T', 2),
      { name: 'markerWindow', type: 'integer', default: null, minimum: 2, maximum: maxSequenceLength, description: 'put both markers in the last this-many steps (null: anywhere, one in each half)' },
    ],
  },
  { name: 'copy', description: 'the copy task: repeat 10 symbols after a gap of T blanks (per-step cross-entropy; memoryless 10·ln 8/(T+20))', options: syntheticOptions(100, 'blank gap T', 1) },
  { name: 'temporal_order', description: 'temporal order: classify the order of two marked symbols among distractors (4 classes; chance ln 4)', options: syntheticOptions(100, 'sequence length T', 10) },
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

/** camelCase → snake_case, the spelling of experiment files (`noiseStd` → `noise_std`). */
function fileSpelling(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Checks `options` against the catalogue (type, enumeration, minimum, maximum) as the
 * experiment-file schema does, so that code calling `loadDataset` directly meets the same
 * bounds: a first problem is one DataError line naming the option in the file's spelling.
 */
export function checkDatasetOptions(options: DatasetOptions): void {
  const description = datasetCatalog.find((dataset) => dataset.name === options.name);
  if (description === undefined) {
    throw new DataError(`unknown dataset ${JSON.stringify(options.name)}; known: ${datasetCatalog.map((d) => d.name).join(', ')}`);
  }
  const values = options as unknown as Record<string, unknown>;
  for (const option of description.options) {
    const value = values[option.name];
    const field = `dataset ${options.name}: data.${fileSpelling(option.name)}`;
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

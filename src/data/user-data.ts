/**
 * A user's own arrays: `.npy` files in the original's layout (`X_train_*.npy` inputs,
 * `y_train.npy` labels) or a CSV with one sample per row and a named label column.
 *
 * Inputs of shape [N, T] are T steps of 1 value, [N, T, I] are T steps of I values, and
 * [N, F] with `sequenceLength` L are L steps of F/L values (row-major, like numpy's reshape).
 *
 * Everything is checked before the arrays are built, and every problem is one DataError line
 * naming the file, the option it came from (in the experiment file's spelling) and the value
 * with its position: shapes that do not fit together, sizes beyond the bounds in limits.ts,
 * inputs that are not finite or beyond float32, labels that are not class ids (negative,
 * fractional, or beyond the 65,536 classes a classifier may have: no label wraps around in the
 * Int32Array of class ids), regression targets of a shape other than [N] or [N, K].
 */
import type { SeededRandom } from '../random.js';
import { readCsv } from './csv.js';
import type { DataSplit, SequenceDataset } from './dataset.js';
import { DataError, emptySplit } from './dataset.js';
import { checkDatasetSize, float32Max, maxClasses, maxRegressionOutputs } from './limits.js';
import { readNpy } from './npy.js';
import { addGaussianNoise, normaliseByTraining, splitPool } from './preprocess.js';
import { splitDefaults, userDataDefaults } from './option-defaults.js';
import { dataField } from './option-names.js';
import type { DatasetOptionName } from './option-names.js';

export interface UserDataCommon {
  /** Split a flat [N, F] input into this many steps. */
  sequenceLength?: number | null;
  /** `classification` (integer labels, cross-entropy) or `regression` (MSE). Default classification. */
  task?: 'classification' | 'regression';
  /** Number of classes; default: the largest label + 1. */
  classes?: number | null;
  /** Default 0.1. */
  validationFraction?: number;
  /**
   * Held out of the training file for testing. Default (unset or null): 0.1, or 0 when test
   * files are given — they are the test set, and a second one cut from the training data would
   * only take samples away from training. Setting it above 0 with test files is an error.
   */
  testFraction?: number | null;
  /** Standardise by the training split's mean and std. Default true. */
  normalize?: boolean;
  /** Std of Gaussian noise added to the training inputs. Default 0. */
  noiseStd?: number;
}

export interface NpyDataOptions extends UserDataCommon {
  name: 'npy';
  /** Path of the training inputs, e.g. `data/X_train_raw.npy`. */
  trainInputs: string;
  /** Path of the training labels, e.g. `data/y_train.npy`. */
  trainLabels: string;
  /** Optional separate test set. */
  testInputs?: string | null;
  testLabels?: string | null;
}

export interface CsvDataOptions extends UserDataCommon {
  name: 'csv';
  /** Path of the CSV file (header row required). */
  path: string;
  /** Name of the column holding the label or target. */
  labelColumn: string;
}

/** One array as read from a file, its values fetched by C-order index. */
interface ValueSource {
  /** The file and the option naming it: `/data/x.npy (data.train_inputs)`. */
  label: string;
  shape: number[];
  at(index: number): number;
  /** The value as written (64-bit integers in full). */
  exact(index: number): string;
  /** Where element `index` is in the file: `at [3, 2]`, `at row 5, column "x2"`. */
  position(index: number): string;
}

interface LabelledSource {
  inputs: ValueSource;
  labels: ValueSource;
}

/** A sample's shape as the model sees it. */
interface SequenceShape {
  samples: number;
  steps: number;
  inputSize: number;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sequenceShape(inputs: ValueSource, sequenceLength: number | null): SequenceShape {
  const shape = inputs.shape;
  if (sequenceLength !== null && (!Number.isInteger(sequenceLength) || sequenceLength <= 0)) {
    throw new DataError(`${inputs.label}: ${dataField('sequenceLength')} must be a positive integer; got ${sequenceLength}`);
  }
  let sequence: SequenceShape;
  if (shape.length === 3) {
    if (sequenceLength !== null && sequenceLength !== shape[1]) {
      throw new DataError(`${inputs.label}: shape ${shapeText(shape)} has ${shape[1]} steps but ${dataField('sequenceLength')} = ${sequenceLength}`);
    }
    sequence = { samples: shape[0], steps: shape[1], inputSize: shape[2] };
  } else if (shape.length === 2) {
    if (sequenceLength === null) {
      sequence = { samples: shape[0], steps: shape[1], inputSize: 1 };
    } else {
      if (shape[1] % sequenceLength !== 0) {
        throw new DataError(`${inputs.label}: shape ${shapeText(shape)} cannot be reshaped into sequences of length ${sequenceLength} (field ${dataField('sequenceLength')} = ${sequenceLength})`);
      }
      sequence = { samples: shape[0], steps: sequenceLength, inputSize: shape[1] / sequenceLength };
    }
  } else {
    throw new DataError(`${inputs.label}: inputs must have shape [N, T], [N, T, I] or [N, F]; got ${shapeText(shape)}`);
  }
  if (sequence.samples === 0) throw new DataError(`${inputs.label}: holds no samples (shape ${shapeText(shape)})`);
  if (sequence.steps === 0 || sequence.inputSize === 0) throw new DataError(`${inputs.label}: shape ${shapeText(shape)} has sequences of length 0`);
  return sequence;
}

/**
 * Checks the labels' shape against the inputs' and returns the values per sample: 1 for class
 * ids, K for regression targets [N, K].
 */
function labelsPerSample(source: LabelledSource, samples: number, classification: boolean): number {
  const { labels, inputs } = source;
  const shape = labels.shape;
  if (shape.length === 0) throw new DataError(`${labels.label}: holds a single value (shape []); labels need one per sample, shape [N]`);
  if (shape[0] !== samples) {
    throw new DataError(`${labels.label}: ${shape[0]} labels for ${samples} samples in ${inputs.label} (shapes ${shapeText(shape)} and ${shapeText(inputs.shape)})`);
  }
  if (classification) {
    if (shape.length > 2 || (shape.length === 2 && shape[1] !== 1)) {
      const hint = shape.length === 2 ? ' (one-hot rows? save the class ids, y.argmax(axis=1))' : '';
      throw new DataError(`${labels.label}: class labels must have shape [N] or [N, 1]; got ${shapeText(shape)}${hint}`);
    }
    return 1;
  }
  if (shape.length > 2) throw new DataError(`${labels.label}: regression targets must have shape [N] or [N, K] (K outputs per sample); got ${shapeText(shape)}`);
  const outputs = shape.length === 2 ? shape[1] : 1;
  if (outputs === 0) throw new DataError(`${labels.label}: regression targets of shape ${shapeText(shape)} have no outputs`);
  if (outputs > maxRegressionOutputs) throw new DataError(`${labels.label}: ${outputs} regression outputs per sample (shape ${shapeText(shape)}); at most ${maxRegressionOutputs}`);
  return outputs;
}

/** The inputs as float32, every value checked finite and within float32's range. */
function readInputs(inputs: ValueSource, size: number): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const value = inputs.at(i);
    if (!Number.isFinite(value)) throw new DataError(`${inputs.label}: value ${value} ${inputs.position(i)} is not finite`);
    if (Math.abs(value) > float32Max) throw new DataError(`${inputs.label}: value ${inputs.exact(i)} ${inputs.position(i)} is beyond float32's range (±3.4e38)`);
    values[i] = value;
  }
  return values;
}

/** Class ids, each checked an integer in [0, classes) before it is stored in an Int32Array. */
function readClassIds(labels: ValueSource, samples: number, classes: number | null): Int32Array {
  const ids = new Int32Array(samples);
  const limit = classes ?? maxClasses;
  for (let i = 0; i < samples; i++) {
    const label = labels.at(i);
    if (!Number.isInteger(label) || label < 0 || label >= limit) {
      const why = !Number.isInteger(label) || label < 0
        ? `is not a class id (an integer from 0 to ${limit - 1})`
        : classes !== null
          ? `is out of range for ${dataField('classes')} = ${classes} (class ids 0 to ${classes - 1})`
          : `is beyond the ${maxClasses} classes a classifier may have (class ids 0 to ${maxClasses - 1})`;
      throw new DataError(`${labels.label}: label ${labels.exact(i)} ${labels.position(i)} ${why}`);
    }
    ids[i] = label;
  }
  return ids;
}

/** Regression targets, each finite and within float32's range. */
function readTargets(labels: ValueSource, count: number): Float32Array {
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const value = labels.at(i);
    if (!Number.isFinite(value) || Math.abs(value) > float32Max) {
      throw new DataError(`${labels.label}: target ${labels.exact(i)} ${labels.position(i)} is ${Number.isFinite(value) ? "beyond float32's range (±3.4e38)" : 'not finite'}`);
    }
    targets[i] = value;
  }
  return targets;
}

/**
 * The regression chance level: always predicting the training split's mean of each output. Its
 * MSE (mean over samples and outputs, as the loss) on the validation split is each output's
 * spread around that mean — what a model must beat to have learned anything.
 */
function meanPredictorBaseline(train: ArrayLike<number>, evaluated: ArrayLike<number>, outputs: number, splitName: string): SequenceDataset['baseline'] {
  const means = new Float64Array(outputs);
  const trainSamples = train.length / outputs;
  for (let i = 0; i < train.length; i++) means[i % outputs] += train[i] / trainSamples;
  let squares = 0;
  let zeroOutputSquares = 0;
  for (let i = 0; i < evaluated.length; i++) {
    squares += (evaluated[i] - means[i % outputs]) ** 2;
    zeroOutputSquares += evaluated[i] ** 2;
  }
  const loss = squares / evaluated.length;
  return {
    loss,
    zeroOutputLoss: zeroOutputSquares / evaluated.length,
    description: `always predicting the training mean (MSE ${Number(loss.toPrecision(3))} on the ${splitName} split)`,
  };
}

function build(name: string, file: string, train: LabelledSource, test: LabelledSource | null, options: UserDataCommon, random: SeededRandom): SequenceDataset {
  const task = options.task ?? userDataDefaults.task;
  if (task !== 'classification' && task !== 'regression') throw new DataError(`${train.inputs.label}: ${dataField('task')} must be classification or regression; got ${JSON.stringify(task)}`);
  const classification = task === 'classification';
  const explicitClasses = options.classes ?? null;
  if (explicitClasses !== null && (!Number.isInteger(explicitClasses) || explicitClasses < 2 || explicitClasses > maxClasses)) {
    throw new DataError(`${train.labels.label}: ${dataField('classes')} must be an integer in [2, ${maxClasses}]; got ${explicitClasses}`);
  }
  const testFractionSet = options.testFraction ?? null;
  if (test !== null && testFractionSet !== null && testFractionSet > 0) {
    throw new DataError(`${test.inputs.label}: the test files are the test set, so ${dataField('testFraction')} = ${testFractionSet} would hold back training samples for nothing; remove test_fraction (or set it to 0)`);
  }

  // Every shape first: nothing is converted until the files are known to fit together.
  const sequenceLength = options.sequenceLength ?? null;
  const shape = sequenceShape(train.inputs, sequenceLength);
  const { steps, inputSize } = shape;
  const targetsPerSample = labelsPerSample(train, shape.samples, classification);
  let testSamples = 0;
  if (test !== null) {
    const testShape = sequenceShape(test.inputs, sequenceLength);
    if (testShape.steps !== steps || testShape.inputSize !== inputSize) {
      throw new DataError(`${test.inputs.label}: sequences of ${testShape.steps} steps × ${testShape.inputSize} inputs do not match the training set's ${steps} × ${inputSize} (${train.inputs.label})`);
    }
    const testTargets = labelsPerSample(test, testShape.samples, classification);
    if (testTargets !== targetsPerSample) {
      throw new DataError(`${test.labels.label}: ${testTargets} targets per sample, the training labels have ${targetsPerSample} (${train.labels.label})`);
    }
    testSamples = testShape.samples;
  }
  const samples = shape.samples + testSamples;
  checkDatasetSize(
    train.inputs.label,
    `${samples} samples${test === null ? '' : ` (with the test files)`} × (${steps} steps × ${inputSize} inputs + ${targetsPerSample} target${targetsPerSample === 1 ? '' : 's'})`,
    samples * (steps * inputSize + targetsPerSample),
    'use fewer samples or shorter sequences',
  );

  const perSample = steps * inputSize;
  const read = (source: LabelledSource, size: number, classes: number | null): DataSplit => ({
    size,
    inputs: readInputs(source.inputs, size * perSample),
    targets: classification ? readClassIds(source.labels, size, classes) : readTargets(source.labels, size * targetsPerSample),
  });
  const pool = read(train, shape.samples, explicitClasses);
  const testSplit = test === null ? null : read(test, testSamples, explicitClasses);

  let outputSize = targetsPerSample;
  if (classification) {
    if (explicitClasses !== null) {
      outputSize = explicitClasses;
    } else {
      let largest = 0;
      for (const split of [pool, testSplit]) if (split !== null) for (const label of split.targets) largest = Math.max(largest, label);
      if (largest === 0) throw new DataError(`${train.labels.label}: every label is 0, one class: nothing to tell apart (set ${dataField('classes')} if other classes exist, or task: regression)`);
      outputSize = largest + 1;
    }
  }

  const fractions = { validationFraction: options.validationFraction ?? splitDefaults.validationFraction, testFraction: testFractionSet ?? (test === null ? splitDefaults.testFraction : 0) };
  const splits = splitPool(pool, fractions, random.fork('split'), perSample, targetsPerSample, train.inputs.label);
  if (testSplit !== null) splits.test = testSplit;
  else if (splits.test.size === 0) splits.test = emptySplit(classification);
  if (options.normalize ?? splitDefaults.normalize) normaliseByTraining(splits);
  addGaussianNoise(splits.train, options.noiseStd ?? splitDefaults.noiseStd, random.fork('noise'), train.inputs.label);
  return {
    name,
    description: `${file}: ${pool.size} sequences of ${steps} steps × ${inputSize} inputs, ${classification ? `${outputSize} classes` : `${outputSize} regression output${outputSize > 1 ? 's' : ''}`}`,
    inputSize,
    steps,
    outputSize,
    loss: classification ? 'cross_entropy' : 'mse',
    output: 'last',
    ...splits,
    requiredLag: { steps: steps - 1, reason: 'any step may matter; set diagnosis.required_lag if only the last few do' },
    baseline: classification
      ? { loss: Math.log(outputSize), accuracy: 1 / outputSize, zeroOutputLoss: Math.log(outputSize), description: `guessing uniformly over ${outputSize} classes (loss ln ${outputSize} ≈ ${Math.log(outputSize).toFixed(3)}, accuracy ${Number((100 / outputSize).toFixed(1))} %)` }
      : splits.validation.size > 0
        ? meanPredictorBaseline(splits.train.targets, splits.validation.targets, outputSize, 'validation')
        : meanPredictorBaseline(splits.train.targets, splits.train.targets, outputSize, 'training'),
  };
}

function npySource(path: string, field: DatasetOptionName): ValueSource {
  const label = `${path} (${dataField(field)})`;
  const array = readNpy(path, label);
  return { label, shape: array.shape, at: (i) => array.at(i), exact: (i) => array.exact(i), position: (i) => `at ${array.position(i)}` };
}

export function loadNpyData(options: NpyDataOptions, random: SeededRandom): SequenceDataset {
  const testInputs = options.testInputs ?? null;
  const testLabels = options.testLabels ?? null;
  if ((testInputs === null) !== (testLabels === null)) {
    throw new DataError(`dataset npy: ${dataField('testInputs')} and ${dataField('testLabels')} must be given together; got ${testInputs ?? 'none'} and ${testLabels ?? 'none'}`);
  }
  const train: LabelledSource = { inputs: npySource(options.trainInputs, 'trainInputs'), labels: npySource(options.trainLabels, 'trainLabels') };
  const test = testInputs !== null && testLabels !== null ? { inputs: npySource(testInputs, 'testInputs'), labels: npySource(testLabels, 'testLabels') } : null;
  return build(`npy:${options.trainInputs}`, options.trainInputs, train, test, options, random);
}

export function loadCsvData(options: CsvDataOptions, random: SeededRandom): SequenceDataset {
  const label = `${options.path} (${dataField('path')})`;
  const table = readCsv(options.path, options.labelColumn, label);
  const features = table.featureNames.length;
  const column = JSON.stringify(options.labelColumn);
  const source: LabelledSource = {
    inputs: {
      label,
      shape: [table.rows, features],
      at: (i) => table.features[i],
      exact: (i) => String(table.features[i]),
      position: (i) => `at row ${table.rowNumbers[Math.floor(i / features)]}, column ${JSON.stringify(table.featureNames[i % features])}`,
    },
    labels: {
      label,
      shape: [table.rows],
      at: (i) => table.labels[i],
      exact: (i) => table.labelTexts[i],
      position: (i) => `at row ${table.rowNumbers[i]}, column ${column}`,
    },
  };
  return build(`csv:${options.path}`, options.path, source, null, options, random);
}

/**
 * A user's own arrays: `.npy` files in the original's layout (`X_train_*.npy` inputs,
 * `y_train.npy` labels) or a CSV with one sample per row and a named label column.
 *
 * Inputs of shape [N, T] are T steps of 1 value, [N, T, I] are T steps of I values, and
 * [N, F] with `sequenceLength` L are L steps of F/L values (row-major, like numpy's reshape).
 */
import type { SeededRandom } from '../random.js';
import { readCsv } from './csv.js';
import type { DataSplit, SequenceDataset } from './dataset.js';
import { DataError, emptySplit } from './dataset.js';
import { readNpy } from './npy.js';
import { addGaussianNoise, assertFiniteInputs, normaliseByTraining, splitPool } from './preprocess.js';

interface UserDataCommon {
  /** Split a flat [N, F] input into this many steps. */
  sequenceLength?: number;
  /** `classification` (integer labels, cross-entropy) or `regression` (MSE). Default classification. */
  task?: 'classification' | 'regression';
  /** Number of classes; default: the largest label + 1. */
  classes?: number;
  /** Default 0.1. */
  validationFraction?: number;
  /** Held out for testing when no test files are given. Default 0.1 (0 with test files). */
  testFraction?: number;
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
  testInputs?: string;
  testLabels?: string;
}

export interface CsvDataOptions extends UserDataCommon {
  name: 'csv';
  /** Path of the CSV file (header row required). */
  path: string;
  /** Name of the column holding the label or target. */
  labelColumn: string;
}

interface Arrays {
  source: string;
  shape: number[];
  values: Float64Array;
  labelSource: string;
  labelShape: number[];
  labels: Float64Array;
}

function sequenceShape(shape: number[], sequenceLength: number | undefined, source: string): { steps: number; inputSize: number } {
  if (sequenceLength !== undefined && (!Number.isInteger(sequenceLength) || sequenceLength <= 0)) {
    throw new DataError(`${source}: data.sequenceLength must be a positive integer; got ${sequenceLength}`);
  }
  if (shape.length === 3) {
    if (sequenceLength !== undefined && sequenceLength !== shape[1]) {
      throw new DataError(`${source}: shape [${shape.join(', ')}] has ${shape[1]} steps but data.sequenceLength = ${sequenceLength}`);
    }
    return { steps: shape[1], inputSize: shape[2] };
  }
  if (shape.length === 2) {
    if (sequenceLength === undefined) return { steps: shape[1], inputSize: 1 };
    if (shape[1] % sequenceLength !== 0) {
      throw new DataError(`${source}: shape [${shape.join(', ')}] cannot be reshaped into sequences of length ${sequenceLength} (field data.sequenceLength = ${sequenceLength})`);
    }
    return { steps: sequenceLength, inputSize: shape[1] / sequenceLength };
  }
  throw new DataError(`${source}: inputs must have shape [N, T], [N, T, I] or [N, F]; got [${shape.join(', ')}]`);
}

function toSplit(arrays: Arrays, steps: number, inputSize: number, classification: boolean, classes: number | null): DataSplit {
  const size = arrays.shape[0];
  if (steps === 0 || inputSize === 0) throw new DataError(`${arrays.source}: shape [${arrays.shape.join(', ')}] has sequences of length 0`);
  if (size === 0) throw new DataError(`${arrays.source}: holds no samples (shape [${arrays.shape.join(', ')}])`);
  if (arrays.labelShape[0] !== size) {
    throw new DataError(`${arrays.labelSource}: ${arrays.labelShape[0]} labels for ${size} samples in ${arrays.source}`);
  }
  const inputs = Float32Array.from(arrays.values);
  assertFiniteInputs(inputs, steps, inputSize, arrays.source);
  if (classification) {
    if (arrays.labelShape.length > 2 || (arrays.labelShape.length === 2 && arrays.labelShape[1] !== 1)) {
      throw new DataError(`${arrays.labelSource}: class labels must have shape [N] or [N, 1]; got [${arrays.labelShape.join(', ')}]`);
    }
    const targets = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const label = arrays.labels[i];
      if (!Number.isInteger(label) || label < 0) throw new DataError(`${arrays.labelSource}: label ${i} = ${label} is not a class id (a non-negative integer)`);
      if (classes !== null && label >= classes) throw new DataError(`${arrays.labelSource}: label ${i} = ${label} is out of range for data.classes = ${classes}`);
      targets[i] = label;
    }
    return { size, inputs, targets };
  }
  for (let i = 0; i < arrays.labels.length; i++) {
    if (!Number.isFinite(arrays.labels[i])) throw new DataError(`${arrays.labelSource}: target value ${i} = ${arrays.labels[i]} is not finite`);
  }
  return { size, inputs, targets: Float32Array.from(arrays.labels) };
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

function build(name: string, train: Arrays, test: Arrays | null, options: UserDataCommon, random: SeededRandom): SequenceDataset {
  const classification = (options.task ?? 'classification') === 'classification';
  const { steps, inputSize } = sequenceShape(train.shape, options.sequenceLength, train.source);
  if (test !== null) {
    const testShape = sequenceShape(test.shape, options.sequenceLength, test.source);
    if (testShape.steps !== steps || testShape.inputSize !== inputSize) {
      throw new DataError(`${test.source}: sequences of ${testShape.steps}×${testShape.inputSize} do not match the training set's ${steps}×${inputSize}`);
    }
  }
  let classes: number | null = options.classes ?? null;
  if (classes !== null && (!Number.isInteger(classes) || classes < 2)) throw new DataError(`${train.source}: data.classes must be an integer ≥ 2; got ${classes}`);
  const pool = toSplit(train, steps, inputSize, classification, classes);
  const testSplit = test === null ? null : toSplit(test, steps, inputSize, classification, classes);
  if (classification && classes === null) {
    let largest = 0;
    for (const split of [pool, testSplit]) if (split !== null) for (const label of split.targets) largest = Math.max(largest, label);
    classes = largest + 1;
  }
  const outputSize = classification ? classes! : train.labelShape.length === 2 ? train.labelShape[1] : 1;
  const fractions = { validationFraction: options.validationFraction ?? 0.1, testFraction: options.testFraction ?? (test === null ? 0.1 : 0) };
  const splits = splitPool(pool, fractions, random.fork('split'), steps * inputSize, classification ? 1 : outputSize, train.source);
  if (testSplit !== null) splits.test = testSplit;
  else if (splits.test.size === 0) splits.test = emptySplit(classification);
  if (options.normalize ?? true) normaliseByTraining(splits);
  const noiseStd = options.noiseStd ?? 0;
  if (!(noiseStd >= 0)) throw new DataError(`${train.source}: data.noiseStd must be ≥ 0; got ${noiseStd}`);
  addGaussianNoise(splits.train, noiseStd, random.fork('noise'));
  return {
    name,
    description: `${train.source}: ${pool.size} sequences of ${steps} steps × ${inputSize} inputs, ${classification ? `${outputSize} classes` : `${outputSize} regression output${outputSize > 1 ? 's' : ''}`}`,
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

export function loadNpyData(options: NpyDataOptions, random: SeededRandom): SequenceDataset {
  const read = (inputs: string, labels: string): Arrays => {
    const x = readNpy(inputs);
    const y = readNpy(labels);
    return { source: inputs, shape: x.shape, values: x.values, labelSource: labels, labelShape: y.shape, labels: y.values };
  };
  if ((options.testInputs === undefined) !== (options.testLabels === undefined)) {
    throw new DataError(`dataset npy: data.testInputs and data.testLabels must be given together; got ${options.testInputs ?? 'none'} and ${options.testLabels ?? 'none'}`);
  }
  const train = read(options.trainInputs, options.trainLabels);
  const test = options.testInputs !== undefined && options.testLabels !== undefined ? read(options.testInputs, options.testLabels) : null;
  return build(`npy:${options.trainInputs}`, train, test, options, random);
}

export function loadCsvData(options: CsvDataOptions, random: SeededRandom): SequenceDataset {
  const table = readCsv(options.path, options.labelColumn);
  const arrays: Arrays = {
    source: options.path,
    shape: [table.rows, table.featureNames.length],
    values: table.features,
    labelSource: `${options.path} column ${options.labelColumn}`,
    labelShape: [table.rows],
    labels: table.labels,
  };
  return build(`csv:${options.path}`, arrays, null, options, random);
}

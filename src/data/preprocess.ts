/**
 * Splitting a pool of samples into train / validation / test, normalising by the training
 * split's statistics, and the original's optional Gaussian noise on the training inputs.
 */
import type { SeededRandom } from '../random.js';
import type { DataSplit } from './dataset.js';
import { DataError, selectSamples } from './dataset.js';
import { maxNoiseStd } from './limits.js';
import { dataField } from './option-names.js';

export interface SplitFractions {
  /** Fraction of the pool held out for validation, in [0, 1). */
  validationFraction: number;
  /** Fraction of the pool held out for testing, in [0, 1). */
  testFraction: number;
}

/**
 * Shuffles the pool with `random` and cuts it into disjoint train / validation / test splits.
 * `source` names where the pool came from, for error messages.
 */
export function splitPool(
  pool: DataSplit,
  fractions: SplitFractions,
  random: SeededRandom,
  inputsPerSample: number,
  targetsPerSample: number,
  source: string,
): { train: DataSplit; validation: DataSplit; test: DataSplit } {
  // Messages use the file's spelling (validation_fraction), as the user wrote it.
  const fields = { validationFraction: dataField('validationFraction'), testFraction: dataField('testFraction') } as const;
  for (const field of ['validationFraction', 'testFraction'] as const) {
    const value = fractions[field];
    if (!(value >= 0 && value < 1)) throw new DataError(`${source}: ${fields[field]} must be in [0, 1); got ${value}`);
  }
  const order = random.permutation(pool.size);
  const validationCount = Math.round(pool.size * fractions.validationFraction);
  const testCount = Math.round(pool.size * fractions.testFraction);
  const trainCount = pool.size - validationCount - testCount;
  if (trainCount <= 0) {
    throw new DataError(`${source}: ${fields.validationFraction} = ${fractions.validationFraction} and ${fields.testFraction} = ${fractions.testFraction} leave no training samples out of ${pool.size}`);
  }
  if (fractions.validationFraction > 0 && validationCount === 0) {
    throw new DataError(`${source}: ${fields.validationFraction} = ${fractions.validationFraction} of ${pool.size} samples leaves the validation set empty`);
  }
  if (fractions.testFraction > 0 && testCount === 0) {
    throw new DataError(`${source}: ${fields.testFraction} = ${fractions.testFraction} of ${pool.size} samples leaves the test set empty`);
  }
  return {
    train: selectSamples(pool, order.subarray(0, trainCount), inputsPerSample, targetsPerSample),
    validation: selectSamples(pool, order.subarray(trainCount, trainCount + validationCount), inputsPerSample, targetsPerSample),
    test: selectSamples(pool, order.subarray(trainCount + validationCount), inputsPerSample, targetsPerSample),
  };
}

/**
 * Standardises every split in place with the training split's mean and standard deviation
 * (over all its values: one statistic, as pixel intensities share a scale), and returns them.
 */
export function normaliseByTraining(splits: { train: DataSplit; validation: DataSplit; test: DataSplit }): { mean: number; std: number } {
  const values = splits.train.inputs;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = values.length > 0 ? sum / values.length : 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  const measured = values.length > 0 ? Math.sqrt(squares / values.length) : 0;
  // A constant input has nothing to scale; dividing by 0 would turn it into NaN.
  const std = measured > 0 ? measured : 1;
  for (const split of [splits.train, splits.validation, splits.test]) {
    const inputs = split.inputs;
    for (let i = 0; i < inputs.length; i++) inputs[i] = (inputs[i] - mean) / std;
  }
  return { mean, std: measured };
}

/**
 * Adds N(0, std²) noise to the training inputs in place (the original's data augmentation).
 * `source` names the data in errors. The std is bounded (limits.ts): within the bound the noise
 * cannot carry a finite float32 past its range (its spacing near 3.4e38 is 2e31), and beyond it
 * `noise_std: 1e308` made every input infinite and the run fail halfway.
 */
export function addGaussianNoise(split: DataSplit, std: number, random: SeededRandom, source: string): void {
  if (!(std >= 0 && std <= maxNoiseStd)) throw new DataError(`${source}: ${dataField('noiseStd')} must be in [0, ${maxNoiseStd}]; got ${std}`);
  if (std === 0) return;
  const inputs = split.inputs;
  for (let i = 0; i < inputs.length; i++) inputs[i] += std * random.normal();
}

/** A copy of `split` with `noiseSteps` steps of N(0, 1) values before each sequence. */
export function prependNoiseSteps(split: DataSplit, noiseSteps: number, steps: number, inputSize: number, random: SeededRandom): DataSplit {
  const before = steps * inputSize;
  const after = (noiseSteps + steps) * inputSize;
  const inputs = new Float32Array(split.size * after);
  for (let i = 0; i < split.size; i++) {
    for (let j = 0; j < noiseSteps * inputSize; j++) inputs[i * after + j] = random.normal();
    inputs.set(split.inputs.subarray(i * before, (i + 1) * before), i * after + noiseSteps * inputSize);
  }
  return { size: split.size, inputs, targets: split.targets };
}

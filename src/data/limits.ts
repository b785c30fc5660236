/**
 * The bounds every dataset is checked against before anything is allocated, so that a size no
 * machine can hold is one line naming the fields, not `Invalid typed array length` or a process
 * that reads until memory runs out. Stated in the error lines and the README.
 */
import { DataError } from './dataset.js';

/**
 * Largest `.npy` file read: 1 GiB. A buffer this size plus the float32 copy of its values fits a
 * laptop; Node cannot read a file above 2 GiB into one buffer at all.
 */
export const maxNpyFileBytes = 2 ** 30;

/**
 * Largest CSV read: 256 MiB. The text is decoded into one JavaScript string, which V8 caps at
 * 2^29 − 24 UTF-16 units (512 MiB of ASCII); half of that leaves room for the split lines.
 */
export const maxCsvFileBytes = 2 ** 28;

/**
 * Values (inputs plus targets, all splits) a dataset may hold: 2^27, 512 MiB as float32. The
 * suite loads every dataset once up front to check it and each worker loads its own again, so
 * this is per copy; MNIST's largest form (10,000 digits with 10,000 leading noise steps) fits.
 */
export const maxDatasetValues = 2 ** 27;

/** Most classes a classifier may have: any uint16 label fits, and the output layer stays sane. */
export const maxClasses = 65536;

/** Most regression outputs per sample. */
export const maxRegressionOutputs = 65536;

/** Longest sequence (steps) an option may ask for: long-memory benchmarks use 1,000 to 10,000. */
export const maxSequenceLength = 100_000;

/** Most steps of noise MNIST may put before each image: 10,000 makes the 784-step pixel variant 13 times longer. */
export const maxLeadingNoiseSteps = 10_000;

/** Most sequences a synthetic task may generate for training, and for validation or testing; their product with the length is bounded by `maxDatasetValues` too. */
export const maxTrainSamples = 10_000_000;
export const maxHeldOutSamples = 1_000_000;

/**
 * Largest `noise_std`: inputs are standardised to std 1 by default, so 1000 already drowns the
 * signal a thousandfold; larger values only overflow float32 once squared in training.
 */
export const maxNoiseStd = 1000;

/** The largest finite float32: values beyond it become ±Infinity when converted. */
export const float32Max = 3.4028234663852886e38;

/** A byte count for people: `1 GiB`, `300 MiB`, `12 KiB`, `17 bytes`. */
export function formatBytes(bytes: number): string {
  const units = ['GiB', 'MiB', 'KiB'] as const;
  for (const [index, unit] of units.entries()) {
    const size = 2 ** (10 * (units.length - index));
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}

/** 134217728 → `134,217,728`, locale-independent so messages are the same everywhere. */
export function formatCount(count: number): string {
  return count.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Throws when `values` (a product described by `product`, e.g. `12000 sequences × 100 steps ×
 * 2 inputs`) exceeds what a dataset may hold. Called before the arrays are allocated.
 */
export function checkDatasetSize(source: string, product: string, values: number, remedy: string): void {
  if (values > maxDatasetValues) {
    throw new DataError(`${source}: ${product} = ${formatCount(values)} values, more than the ${formatCount(maxDatasetValues)} (${formatBytes(maxDatasetValues * 4)} as float32) a dataset may hold; ${remedy}`);
  }
}

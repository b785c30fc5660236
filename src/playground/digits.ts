/**
 * The MNIST digits the playground ships (a balanced subset of the `mnist` package's 10,000), in
 * a small binary file the page fetches: "VDIG", the count (uint32, little-endian), one label byte
 * per digit, then 784 pixel bytes per digit (intensity × 255, rounded). 2,000 digits are 1.6 MB.
 */
import type { RawMnist } from '../data/mnist.js';
import { DIGITS, SIDE } from '../data/mnist.js';

const magic = [0x56, 0x44, 0x49, 0x47];
const pixelsPerDigit = SIDE * SIDE;

/** The first `perClass` digits of each class, in class order. */
export function balancedSubset(raw: RawMnist, perClass: number): RawMnist {
  const chosen: number[] = [];
  for (let digit = 0; digit < DIGITS; digit++) {
    let taken = 0;
    for (let i = 0; i < raw.labels.length && taken < perClass; i++) {
      if (raw.labels[i] === digit) {
        chosen.push(i);
        taken++;
      }
    }
  }
  const pixels = new Float32Array(chosen.length * pixelsPerDigit);
  const labels = new Int32Array(chosen.length);
  chosen.forEach((index, i) => {
    pixels.set(raw.pixels.subarray(index * pixelsPerDigit, (index + 1) * pixelsPerDigit), i * pixelsPerDigit);
    labels[i] = raw.labels[index];
  });
  return { pixels, labels };
}

export function encodeDigits(raw: RawMnist): Uint8Array {
  const count = raw.labels.length;
  const bytes = new Uint8Array(8 + count + count * pixelsPerDigit);
  bytes.set(magic, 0);
  new DataView(bytes.buffer).setUint32(4, count, true);
  for (let i = 0; i < count; i++) bytes[8 + i] = raw.labels[i];
  const pixelStart = 8 + count;
  for (let p = 0; p < count * pixelsPerDigit; p++) bytes[pixelStart + p] = Math.round(Math.min(1, Math.max(0, raw.pixels[p])) * 255);
  return bytes;
}

export function decodeDigits(bytes: Uint8Array): RawMnist {
  if (bytes.length < 8 || magic.some((byte, i) => bytes[i] !== byte)) throw new Error('mnist-digits.bin: not a digits file (no VDIG header)');
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (bytes.length !== 8 + count + count * pixelsPerDigit) throw new Error(`mnist-digits.bin: ${bytes.length} bytes do not hold ${count} digits`);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = bytes[8 + i];
  const pixels = new Float32Array(count * pixelsPerDigit);
  const pixelStart = 8 + count;
  for (let p = 0; p < pixels.length; p++) pixels[p] = bytes[pixelStart + p] / 255;
  return { pixels, labels };
}

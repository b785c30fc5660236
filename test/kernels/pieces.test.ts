/**
 * The long elementwise calls outside the time loops (optimiser steps, sums of squares, saturation
 * counts, fill, copy, axpy, scale: native/src/pieces.h) on more than one thread, for every build variant this machine
 * runs: arrays of several 32,768-float pieces and a ragged end give bit-identical weights,
 * optimiser state, sums and counts on 1, 2 and 3 threads, and agree with the reference kernels
 * (weights and state bit for bit, as one thread always did; sums within double rounding).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AdamStepSettings, Kernels, SgdStepSettings } from '../../src/kernels/kernels.js';
import { loadNativeVariant, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import { SeededRandom } from '../../src/random.js';

/** Three whole pieces and a ragged end. */
const n = 3 * 32768 + 37;

/** Normal values scaled by 2^-20 … 2^20, so sums of squares round differently when added in another order. */
function randomArray(seed: number, length = n): Float32Array {
  const random = new SeededRandom(seed);
  return new Float32Array(length).map(() => random.normal() * 2 ** random.integer(41) * 2 ** -20);
}

const sgd: SgdStepSettings = { learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3, nesterov: true, first: false };
const adam: AdamStepSettings = { stepSize: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4, biasCorrection2Root: 0.3 };

/** Everything the calls give on `kernels`: updated weights and state, sums and counts. */
function results(kernels: Kernels): Map<string, ArrayLike<number>> {
  const weights = randomArray(1), momentum = randomArray(2), grad = randomArray(3);
  const sgdSums = new Float64Array(3);
  kernels.sgdStep(weights, grad, momentum, sgd, sgdSums);
  const adamWeights = randomArray(4), first = randomArray(5), second = randomArray(6).map((v) => v * v);
  const adamSums = new Float64Array(3);
  kernels.adamStep(adamWeights, grad, first, second, adam, adamSums);
  const activations = randomArray(7).map((v) => Math.tanh(v));
  const filled = randomArray(8);
  kernels.fill(filled, 5, n - 10, 0.25);
  const copied = randomArray(9);
  kernels.copy(grad, 2, copied, 7, n - 9);
  const added = randomArray(10);
  kernels.axpy(n - 4, -0.375, grad, 4, added, 0);
  const scaled = randomArray(11);
  kernels.scale(scaled, 1, n - 1, 1.0625);
  // Within one array, the destination before the source (as a forward loop reads it): one piece.
  const shifted = randomArray(12);
  kernels.copy(shifted, 100, shifted, 0, n - 100);
  const shiftedSum = randomArray(13);
  kernels.axpy(n - 100, 0.5, shiftedSum, 100, shiftedSum, 0);
  return new Map<string, ArrayLike<number>>([
    ['sgd weights', weights], ['sgd momentum', momentum], ['sgd sums', sgdSums],
    ['adam weights', adamWeights], ['adam first moment', first], ['adam second moment', second], ['adam sums', adamSums],
    ['sumOfSquares', [kernels.sumOfSquares(grad, 3, n - 3)]],
    ['countAbsAbove', [kernels.countAbsAbove(activations, 0, n, 0.99)]],
    // 500 rows of 200 columns, 211 apart: pieces of whole rows.
    ['countAbsAboveInRows', [kernels.countAbsAboveInRows(activations, 1, 450, 200, 211, 0.99)]],
    ['fill', filled], ['copy', copied], ['axpy', added], ['scale', scaled],
    ['copy within an array', shifted], ['axpy within an array', shiftedSum],
  ]);
}

const sums = new Set(['sgd sums', 'adam sums', 'sumOfSquares']);

/**
 * axpy's y + αx in float: with FMA one rounding of the exact sum, without it two, so against the
 * reference (which sums in double) each element is checked to be within float rounding of the
 * exact y + αx, from its inputs (the same seeded arrays as in results()).
 */
function assertAxpyRounded(name: string, actual: ArrayLike<number>, alpha: number, x: Float32Array, xOffset: number, y: Float32Array): void {
  for (let i = 0; i < actual.length; i++) {
    const exact = y[i] + alpha * (i < x.length - xOffset ? x[xOffset + i] : 0);
    const bound = 2 ** -23 * (Math.abs(y[i]) + Math.abs(alpha * (i < x.length - xOffset ? x[xOffset + i] : 0)));
    assert.ok(Math.abs(actual[i] - exact) <= bound, `${name}[${i}]: ${actual[i]} vs ${exact}`);
  }
}

for (const status of nativeVariantStatuses()) {
  describe(`long elementwise calls on threads, native ${status.variant}`, { skip: status.runnable ? false : `${status.variant}: ${status.why}` }, () => {
    const load = loadNativeVariant(status.variant);
    if (!load.ok) throw new Error(load.reason);
    const native = load.kernels.withSettings({ denormals: 'ieee' });

    test('1, 2 and 3 threads give bit-identical weights, optimiser state, sums and counts', () => {
      const [one, ...others] = [1, 2, 3].map((threads) => results(native.withSettings({ threads })));
      for (const other of others) for (const [name, values] of one) assert.deepEqual(other.get(name), values, name);
    });

    test('they agree with the reference kernels: weights and state bit for bit, sums within double rounding', () => {
      const reference = results(tsKernels);
      const mine = results(native.withSettings({ threads: 2 }));
      for (const [name, expected] of reference) {
        const actual = mine.get(name)!;
        if (name === 'axpy') {
          assertAxpyRounded(name, actual, -0.375, randomArray(3), 4, randomArray(10));
          continue;
        }
        if (name === 'axpy within an array') {
          const y = randomArray(13);
          assertAxpyRounded(name, actual, 0.5, y, 100, y);
          continue;
        }
        if (!sums.has(name)) {
          assert.deepEqual(Array.from(actual), Array.from(expected), name);
          continue;
        }
        for (let i = 0; i < expected.length; i++) {
          assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-12 * Math.abs(expected[i]), `${name}[${i}]: ${actual[i]} vs ${expected[i]}`);
        }
      }
    });
  });
}

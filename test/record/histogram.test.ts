/** Magnitude histograms: half-decade bins, zeros and non-finite values counted apart, stored sparsely. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binLowerEdge, magnitudeBin, magnitudeHistogram } from '../../src/record/histogram.js';

test('half-decade bins of |x|, zeros and NaN/∞ counted, the sparse range from the first to the last occupied bin', () => {
  const values = Float32Array.from([0, -0, 1, -1, 2.5, 3.2, 1.5e-6, -3e-6, Number.NaN, Number.POSITIVE_INFINITY]);
  const histogram = magnitudeHistogram(values);
  assert.equal(histogram.zeros, 2);
  assert.equal(histogram.nonFinite, 2);
  // 1.5e-6 and 3e-6 fall in bin −12 (10^-6 ≤ x < 10^-5.5); 1 and 2.5 in bin 0; 3.2 in bin 1 (≥ 10^0.5).
  assert.equal(histogram.firstBin, -12);
  assert.equal(histogram.counts.length, 14);
  assert.equal(histogram.counts[0], 2);
  assert.equal(histogram.counts[12], 3);
  assert.equal(histogram.counts[13], 1);
  assert.equal(histogram.counts.reduce((a, b) => a + b, 0), 6);
  assert.equal(magnitudeBin(binLowerEdge(-7) * 1.0001), -7);
  assert.deepEqual(magnitudeHistogram(new Float32Array(3)), { zeros: 3, nonFinite: 0, firstBin: 0, counts: [] });
});

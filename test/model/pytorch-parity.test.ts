/**
 * Loss, every gradient and the gradient through time against PyTorch, on the fixtures written
 * by tools/reference/make_fixtures.py (float64 PyTorch on float32-representable inputs), with the
 * reference (TypeScript) kernels: in float64 to a relative error of 1e-10, in float32 to 1e-4.
 * The native kernels' parity is test/kernels/native-parity.test.ts, once per build variant; it is
 * not repeated here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { Dtype } from '../../src/model/parameters.js';
import { cases, checkAllCases } from './pytorch-models.js';

test('the fixtures cover every cell, architecture, nonlinearity, head and loss', () => {
  const seen = new Set(cases.map((c) => `${c.config.architecture}/${c.config.cell}/${c.config.cell === 'rnn' ? c.config.nonlinearity : '-'}/${c.config.output}/${c.loss}`));
  assert.equal(seen.size, 2 * 4 * 2 * 2);
});

const precisions: { dtype: Dtype; tolerance: number }[] = [
  { dtype: 'float64', tolerance: 1e-10 },
  { dtype: 'float32', tolerance: 1e-4 },
];

for (const { dtype, tolerance } of precisions) {
  test(`PyTorch parity, ${dtype} ts kernels: loss, gradients and ‖dL/dh_t‖ of ${cases.length} cases`, (t) => {
    const { worst, where } = checkAllCases(tsKernels, dtype, tolerance);
    t.diagnostic(`largest relative error: ${worst.toExponential(2)} (${where})`);
  });
}

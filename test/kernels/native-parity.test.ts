/**
 * The PyTorch parity of test/model/pytorch-parity.test.ts (which runs the reference kernels) on
 * the native kernels explicitly, whatever VANISHING_KERNELS says: loss, every gradient and
 * ‖dL/dh_t‖ of every fixture case (written by tools/reference/make_fixtures.py) within float32's
 * 1e-4 relative error. Once per build variant this machine runs (each loaded in-process), the best
 * one first; a variant that is not built or cannot run here is a skipped test that says why. This
 * is the only place the native kernels meet the fixtures, so no case runs twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNativeVariant, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';
import { cases, checkAllCases } from '../model/pytorch-models.js';

for (const status of nativeVariantStatuses()) {
  test(`PyTorch parity on the native ${status.variant} kernels, float32: ${cases.length} cases`, { skip: status.runnable ? false : `native ${status.variant} unavailable: ${status.why}` }, (t) => {
    const native = loadNativeVariant(status.variant);
    if (!native.ok) assert.fail(native.reason);
    assert.equal(native.kernels.name, `native ${status.variant}`);
    const { worst, where } = checkAllCases(native.kernels, 'float32', 1e-4);
    t.diagnostic(`largest relative error: ${worst.toExponential(2)} (${where})`);
  });
}

/**
 * Every native kernel against the reference TypeScript kernels on random float32 inputs, by the
 * battery of test/kernels/kernel-equivalence.ts (the WebAssembly kernels run it too), plus what
 * only the addon has: its instruction set and its checks of raw arguments.
 *
 * Runs once per build variant this machine can execute (avx512, avx2, baseline on x86-64; neon
 * on arm64), each loaded in-process; a variant that is not built or that this CPU cannot run is
 * a skipped suite that says why. Skips everything (with the reason) only when nothing is built.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NativeAddon, NativeVariant } from '../../src/kernels/native-kernels.js';
import { loadNativeKernels, loadNativeVariant, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';
import { kernelEquivalenceTests } from './kernel-equivalence.js';

const statuses = nativeVariantStatuses();
const defaultNative = loadNativeKernels();

test('the default native variant is the best one this machine runs', { skip: defaultNative.ok ? false : `native kernels unavailable: ${defaultNative.reason}` }, (t) => {
  assert.ok(defaultNative.ok);
  const forced = process.env.VANISHING_NATIVE_ISA;
  const best = statuses.find((status) => status.runnable);
  assert.ok(best !== undefined);
  if (forced === undefined || forced === '') assert.equal(defaultNative.variant, best.variant);
  for (const status of statuses) t.diagnostic(`${status.variant}: ${status.runnable ? 'runs here' : status.why}`);
});

for (const status of statuses) {
  describe(`native ${status.variant} vs the reference kernels`, { skip: status.runnable ? false : `${status.variant}: ${status.why}` }, () => {
    const load = loadNativeVariant(status.variant);
    if (!load.ok) throw new Error(load.reason);
    addonTests(status.variant, load.kernels.name, load.isa, load.addon);
    kernelEquivalenceTests(load.kernels);
  });
}

/** What only the addon has: its instruction set, and its own checks of raw arguments. */
function addonTests(variant: NativeVariant, name: string, isa: string, addon: NativeAddon): void {
  test('native kernels load and say which instruction set they use', () => {
    const expectedIsa: Record<NativeVariant, RegExp> = { avx512: /^AVX-512/, avx2: /^AVX2\+FMA$/, baseline: /^SSE2$/, neon: /^NEON$/ };
    assert.match(isa, expectedIsa[variant]);
    assert.equal(name, `native ${variant}`);
  });

  test('the addon refuses sizes and offsets that are not integers', () => {
    const small = new Float32Array(4);
    // Sizes and offsets must be integers: NaN would otherwise be read as 0 and 2.5 as 2.
    assert.throws(() => addon.fill(small, 0, Number.NaN, 1, 1), /argument 2 must be an integer, got nan/);
    assert.throws(() => addon.copy(small, 0.5, small, 0, 1, 1), /argument 1 must be an integer, got 0.5/);
    assert.throws(() => addon.scale(small, 0, Number.POSITIVE_INFINITY, 2, 1), TypeError);
  });

  test('unknown activation codes are refused, not computed as another one', () => {
    const x = new Float32Array(4), y = new Float32Array(4);
    for (const code of [-1, 4, 7, 2 ** 31]) {
      assert.throws(() => addon.activationForward(code, x, 0, y, 0, 4), (error: Error) => error instanceof RangeError && /unknown activation code/.test(error.message), `forward code ${code}`);
      assert.throws(() => addon.activationBackward(code, x, 0, x, 0, y, 0, 4, false), RangeError, `backward code ${code}`);
    }
  });
}

/**
 * Kernel settings (kernels.ts KernelSettings): the thread count the suite runner gives each
 * experiment's default kernels, and the denormal mode — IEEE unless VANISHING_DENORMALS=flush,
 * because flushing changes what the diagnosis reads (see native-kernels.ts defaultDenormals).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultDenormals, loadNativeKernels } from '../../src/kernels/native-kernels.js';
import { defaultKernels, defaultKernelThreads, kernelsNotice, setDefaultKernelThreads } from '../../src/kernels/select.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';

test('denormals are IEEE unless VANISHING_DENORMALS=flush; anything else is refused', () => {
  const saved = process.env.VANISHING_DENORMALS;
  try {
    delete process.env.VANISHING_DENORMALS;
    assert.equal(defaultDenormals(), 'ieee');
    process.env.VANISHING_DENORMALS = 'ieee';
    assert.equal(defaultDenormals(), 'ieee');
    process.env.VANISHING_DENORMALS = 'flush';
    assert.equal(defaultDenormals(), 'flush');
    process.env.VANISHING_DENORMALS = 'ftz';
    assert.throws(() => defaultDenormals(), /VANISHING_DENORMALS must be "ieee" or "flush" \(or unset: ieee\); got "ftz"/);
  } finally {
    if (saved === undefined) delete process.env.VANISHING_DENORMALS;
    else process.env.VANISHING_DENORMALS = saved;
  }
});

test('the reference kernels stay on one thread and IEEE whatever is asked', () => {
  const asked = tsKernels.withSettings({ threads: 4, denormals: 'flush' });
  assert.equal(asked, tsKernels);
  assert.deepEqual(asked.settings, { threads: 1, denormals: 'ieee' });
});

test('setDefaultKernelThreads sets the threads of the default kernels for later models, and refuses nonsense', () => {
  const before = defaultKernelThreads();
  try {
    setDefaultKernelThreads(2);
    assert.equal(defaultKernelThreads(), 2);
    const kernels = defaultKernels();
    // The native kernels take the threads; the reference and WebAssembly kernels run on one.
    assert.equal(kernels.settings.threads, kernels.name.startsWith('native') ? 2 : 1);
    for (const bad of [0, -1, 1.5, 65, Number.NaN]) assert.throws(() => setDefaultKernelThreads(bad), /threads must be a whole number from 1 to 64/);
  } finally {
    setDefaultKernelThreads(before);
  }
  assert.equal(defaultKernels().settings.threads, 1);
});

test('the kernels notice says how denormals are treated', { skip: defaultKernels().name.startsWith('native') ? false : 'the default kernels are not native' }, () => {
  const expected = defaultKernels().settings.denormals === 'flush' ? /denormals flushed to zero \(VANISHING_DENORMALS=flush\)/ : /IEEE denormals/;
  assert.match(kernelsNotice(), expected);
});

test('native kernels with denormals flushed say so in their name (the start line and the run records show it)', { skip: loadNativeKernels().ok ? false : 'no native kernels' }, () => {
  const native = loadNativeKernels();
  assert.ok(native.ok);
  assert.equal(native.kernels.withSettings({ denormals: 'ieee' }).name, `native ${native.variant}`);
  assert.equal(native.kernels.withSettings({ denormals: 'flush' }).name, `native ${native.variant}, denormals flushed`);
});

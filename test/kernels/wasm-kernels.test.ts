/**
 * The WebAssembly SIMD kernels (wasm/kernels.wasm, src/kernels/wasm-kernels.ts) against the
 * reference TypeScript kernels: every kernel by the battery the native variants run
 * (kernel-equivalence.ts: random shapes, offsets, NaN and ±Inf planted in every input), the IEEE
 * cases spelled out once more, whole models (RNN tanh and relu, LSTM, GRU; 2 layers, vanilla and
 * residual) giving the reference's loss, gradients and ‖dL/dh_t‖ within float32 rounding, the
 * PyTorch fixtures, how the kernels are chosen, and that the committed module is what its sources
 * build to (where the recorded compiler is installed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadNativeKernels } from '../../src/kernels/native-kernels.js';
import type { NativeLoad } from '../../src/kernels/native-kernels.js';
import { chooseKernels, chooseKernelsFrom } from '../../src/kernels/select.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { WasmLoad } from '../../src/kernels/wasm-kernels-node.js';
import { loadWasmKernels, wasmModulePath } from '../../src/kernels/wasm-kernels-node.js';
import { compileWasmKernels, wasmKernelsName, wasmSimdSupported } from '../../src/kernels/wasm-kernels.js';
import type { Architecture, CellType, Nonlinearity } from '../../src/model/config.js';
import { createModel } from '../../src/model/model.js';
import { SeededRandom } from '../../src/random.js';
import { checkAllCases, relativeError } from '../model/pytorch-models.js';
import { kernelEquivalenceTests } from './kernel-equivalence.js';

const root = new URL('../../', import.meta.url);
const load = loadWasmKernels();
const unavailable = load.ok ? false : `wasm kernels unavailable: ${load.reason}`;

test('Node has WebAssembly SIMD and the committed module loads (the CLI falls back to it without a C++ compiler)', () => {
  assert.equal(wasmSimdSupported(), true);
  assert.ok(load.ok, load.ok ? '' : load.reason);
  assert.equal(load.kernels.name, wasmKernelsName);
  assert.deepEqual(load.kernels.settings, { threads: 1, denormals: 'ieee' });
  // WebAssembly has no denormal flushing and one thread here: other settings are ignored, as by the reference.
  assert.equal(load.kernels.withSettings({ threads: 4, denormals: 'flush' }), load.kernels);
});

describe('wasm simd128 vs the reference kernels', { skip: unavailable }, () => {
  if (!load.ok) return;
  kernelEquivalenceTests(load.kernels);
});

test('IEEE cases: 0·NaN and 0·Inf in a product are NaN, relu(NaN), tanh(NaN) and σ(NaN) are NaN, tanh(±Inf) = ±1', { skip: unavailable }, () => {
  assert.ok(load.ok);
  const kernels = load.kernels;
  for (const special of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    // [0 0] · [[special, 1], [1, 1]]: the zero meets the special value in every column's first term.
    const c = new Float32Array(2);
    kernels.gemm(false, false, 1, 2, 2, new Float32Array([0, 0]), 0, new Float32Array([special, 1, 1, 1]), 0, c, 0, false);
    assert.ok(Number.isNaN(c[0]), `0·${special} gives ${c[0]}`);
    assert.equal(c[1], 0);
  }
  const x = new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0.5]);
  const y = new Float32Array(4);
  const expected = { relu: [Number.NaN, Infinity, 0, 0], tanh: [Number.NaN, 1, -1, Math.tanh(-0.5)], sigmoid: [Number.NaN, 1, 0, 1 / (1 + Math.exp(0.5))] };
  for (const [activation, values] of Object.entries(expected) as [keyof typeof expected, number[]][]) {
    kernels.activationForward(activation, x, 0, y, 0, 4);
    values.forEach((value, i) => {
      if (Number.isNaN(value)) assert.ok(Number.isNaN(y[i]), `${activation}(${x[i]}) gives ${y[i]}`);
      else assert.ok(y[i] === value || Math.abs(y[i] - value) <= 1e-7, `${activation}(${x[i]}) gives ${y[i]}, not ${value}`);
    });
  }
  // relu'(NaN) is NaN: dx must show the NaN the forward pass let through.
  const dx = new Float32Array(1);
  kernels.activationBackward('relu', new Float32Array([Number.NaN]), 0, new Float32Array([1]), 0, dx, 0, 1, false);
  assert.ok(Number.isNaN(dx[0]));
});

const cells: { cell: CellType; nonlinearity: Nonlinearity }[] = [
  { cell: 'rnn', nonlinearity: 'tanh' },
  { cell: 'rnn', nonlinearity: 'relu' },
  { cell: 'lstm', nonlinearity: 'tanh' },
  { cell: 'gru', nonlinearity: 'tanh' },
];

for (const { cell, nonlinearity } of cells) {
  for (const architecture of ['vanilla', 'residual'] as Architecture[]) {
    test(`a 2-layer ${architecture} ${cell} ${nonlinearity}: loss, every gradient and ‖dL/dh_t‖ as on the reference kernels`, { skip: unavailable }, () => {
      assert.ok(load.ok);
      // Hidden size 13, input 5: not multiples of the vector width, so tails are exercised too.
      const options = { architecture, cell, nonlinearity, inputSize: 5, hiddenSize: 13, numLayers: 2, outputSize: 4, seed: 11 };
      const random = new SeededRandom(5);
      const batchSize = 6, steps = 9;
      const batch = {
        inputs: new Float32Array(batchSize * steps * options.inputSize).map(() => random.normal()),
        targets: new Int32Array(batchSize).map(() => random.integer(options.outputSize)),
        batchSize,
        steps,
      };
      const run = (kernels: Kernels) => {
        const model = createModel({ ...options, kernels });
        // Two steps, so the second runs on buffers the first sized (the per-call scratch is reused).
        model.lossAndGradients(batch);
        const result = model.lossAndGradients(batch);
        return {
          loss: result.loss,
          gradients: new Map([...result.gradients].map(([name, gradient]) => [name, Float64Array.from(gradient)])),
          norms: result.hiddenGradientNorms.map((norms) => Float64Array.from(norms)),
          input: Float64Array.from(result.inputGradientNorms),
        };
      };
      const wasm = run(load.kernels);
      const reference = run(tsKernels);
      assert.ok(Math.abs(wasm.loss - reference.loss) <= 1e-6 * Math.abs(reference.loss), `loss ${wasm.loss} vs ${reference.loss}`);
      for (const [name, gradient] of reference.gradients) {
        const error = relativeError(wasm.gradients.get(name) ?? [], gradient);
        assert.ok(error <= 1e-5, `${name}: relative error ${error.toExponential(2)}`);
      }
      reference.norms.forEach((norms, layer) => assert.ok(relativeError(wasm.norms[layer], norms) <= 1e-5, `‖dL/dh_t‖ of layer ${layer}`));
      assert.ok(relativeError(wasm.input, reference.input) <= 1e-5, '‖dL/dx_t‖');
    });
  }
}

test('PyTorch parity on the wasm kernels, float32', { skip: unavailable }, (t) => {
  assert.ok(load.ok);
  const { worst, where } = checkAllCases(load.kernels, 'float32', 1e-4);
  t.diagnostic(`largest relative error: ${worst.toExponential(2)} (${where})`);
});

test('VANISHING_KERNELS=wasm chooses them; unset, they run only where the native kernels cannot, and the reference where neither can', { skip: unavailable }, () => {
  assert.ok(load.ok);
  const wasm = load;
  assert.equal(chooseKernels('wasm'), wasm.kernels);
  assert.throws(() => chooseKernels('webassembly'), /VANISHING_KERNELS must be "ts", "native", "wasm" \(or unset\), got "webassembly"/);
  const native = loadNativeKernels();
  if (native.ok) assert.equal(chooseKernels(undefined), native.kernels);
  // Machines this one is not: no addon built, and an engine without WebAssembly SIMD.
  const notBuilt = (): NativeLoad => ({ ok: false, requested: false, reason: 'native addon not built' });
  const noSimd = (): WasmLoad => ({ ok: false, reason: 'this Node has no WebAssembly SIMD' });
  assert.equal(chooseKernelsFrom(undefined, notBuilt, () => wasm), wasm.kernels);
  assert.equal(chooseKernelsFrom('', notBuilt, noSimd), tsKernels);
  assert.throws(() => chooseKernelsFrom('wasm', notBuilt, noSimd), /VANISHING_KERNELS=wasm, but this Node has no WebAssembly SIMD/);
  assert.throws(() => chooseKernelsFrom('native', notBuilt, () => wasm), /VANISHING_KERNELS=native, but the native addon not built/);
  // A native variant asked for by VANISHING_NATIVE_ISA that cannot be had stays an error, never WebAssembly instead.
  assert.throws(() => chooseKernelsFrom(undefined, () => ({ ok: false, requested: true, reason: 'VANISHING_NATIVE_ISA=sse9: no such variant' }), () => wasm), /sse9/);
});

test('VANISHING_KERNELS=wasm: a fresh process says so in its notice and runs them', { skip: unavailable }, () => {
  const script = "const s = await import('./src/kernels/select.ts'); console.log(s.kernelsNotice()); console.log(s.defaultKernels().name);";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(root), encoding: 'utf8', timeout: 60_000, env: { ...process.env, VANISHING_KERNELS: 'wasm', VANISHING_NATIVE_ISA: '' },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n'), [`kernels: ${wasmKernelsName} (VANISHING_KERNELS=wasm)`, wasmKernelsName]);
});

test('the browser half imports nothing from Node, and compiles the module from bytes handed to it', async () => {
  const source = readFileSync(new URL('src/kernels/wasm-kernels.ts', root), 'utf8');
  assert.doesNotMatch(source, /from ['"]node:/);
  const path = wasmModulePath();
  assert.ok(path !== null);
  const kernels = await compileWasmKernels(readFileSync(path));
  const c = new Float32Array(4);
  kernels.gemm(false, false, 2, 2, 2, new Float32Array([1, 2, 3, 4]), 0, new Float32Array([1, 2, 3, 4]), 0, c, 0, false);
  assert.deepEqual([...c], [7, 10, 15, 22]);
});

const record = JSON.parse(readFileSync(new URL('wasm/kernels.json', root), 'utf8')) as { compiler: string; sha256: string };
const compiler = spawnSync(process.env.WASM_CXX || 'clang++', ['--version'], { encoding: 'utf8' });
const installedCompiler = compiler.status === 0 ? compiler.stdout.split('\n')[0].trim() : null;
/** CI (.ci/run) installs the toolchain and sets this: there a missing or different compiler fails instead of skipping. */
const buildRequired = process.env.VANISHING_REQUIRE_WASM_BUILD === '1';

test('the committed wasm/kernels.wasm is what its sources build to', (t) => {
  const committed = readFileSync(new URL('wasm/kernels.wasm', root));
  assert.equal(createHash('sha256').update(committed).digest('hex'), record.sha256, 'wasm/kernels.json records another module than wasm/kernels.wasm');
  // Another compiler version may emit other (equally correct) bytes: only the recorded one is held to them.
  if (installedCompiler !== record.compiler) {
    const why = `the module was built with ${record.compiler}; installed: ${installedCompiler ?? 'no clang++'}`;
    if (buildRequired) assert.fail(`VANISHING_REQUIRE_WASM_BUILD=1, but ${why}`);
    return t.skip(why);
  }
  const directory = mkdtempSync(join(tmpdir(), 'vanishing-wasm-'));
  try {
    const out = join(directory, 'kernels.wasm');
    const build = spawnSync(process.execPath, [fileURLToPath(new URL('wasm/build.mjs', root)), '--out', out], { encoding: 'utf8', timeout: 120_000 });
    if (build.status !== 0) {
      // clang without the WASI headers and libraries (wasi-libc, libc++-dev-wasm32, libclang-rt-dev-wasm32).
      const why = `wasm/build.mjs failed: ${build.stderr.split('\n').find((line) => /error/.test(line)) ?? build.stderr.slice(0, 200)}`;
      if (buildRequired) assert.fail(why);
      return t.skip(why);
    }
    assert.ok(readFileSync(out).equals(committed), 'the sources build to another module: run `npm run build:wasm` and commit wasm/kernels.wasm and wasm/kernels.json');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

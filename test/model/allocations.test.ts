/**
 * The training step allocates nothing once the buffers fit the batch shape: every typed array
 * a step needs (activations, gradients, per-step norms, per-parameter norms, the loss's per-step
 * counts) is allocated on the first step of a shape and reused after. A step here is what the
 * trainer does per batch: lossAndGradients (with the last-step probe when the head is at every
 * step), measureGradientNorms, rescaleGradients, optimizer.step().
 *
 * Counting works by swapping the global typed-array constructors for proxies that count `new`
 * and construct the real thing, so `instanceof` and `.constructor` checks in the code under test
 * see the ordinary classes. Only explicit `new X(…)` through the global name is counted (slice()
 * and subarray() use the real constructor); that is the form every buffer in src/ is made with.
 *
 * Not counted, on purpose: the small plain objects and number[] of the result (saturatedFraction,
 * activationRms, the result object itself). The trainer stores those in its batch records as they
 * are, so they must be fresh per step; they are a few words, not buffers of the batch's size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadNativeKernels } from '../../src/kernels/native-kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import { loadWasmKernels } from '../../src/kernels/wasm-kernels-node.js';
import type { ModelOptions } from '../../src/model/config.js';
import { createModel } from '../../src/model/model.js';
import { measureGradientNorms, rescaleGradients } from '../../src/train/gradient-surgery.js';
import { createOptimizer } from '../../src/train/optimizers.js';

const counted = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint8Array'] as const;
type Counted = (typeof counted)[number];

/** Runs `body` with the typed-array constructors counting; returns how many of each were made, and the lengths of the Float32Arrays made by length. */
function allocationsOf(body: () => void): { counts: Record<Counted, number>; float32Lengths: number[] } {
  const counts = { Float32Array: 0, Float64Array: 0, Int32Array: 0, Uint8Array: 0 };
  const float32Lengths: number[] = [];
  const originals = counted.map((name) => [name, globalThis[name]] as const);
  for (const [name, original] of originals) {
    const proxy: object = new Proxy(original, {
      construct(target, args, newTarget) {
        counts[name]++;
        if (name === 'Float32Array' && typeof args[0] === 'number') float32Lengths.push(args[0]);
        return Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
      },
    });
    Object.defineProperty(globalThis, name, { value: proxy, writable: true, configurable: true });
  }
  try {
    body();
  } finally {
    for (const [name, original] of originals) Object.defineProperty(globalThis, name, { value: original, writable: true, configurable: true });
  }
  return { counts, float32Lengths };
}

function countAllocations(body: () => void): Record<Counted, number> {
  return allocationsOf(body).counts;
}

const kernelSets: { name: string; kernels: Kernels }[] = [{ name: 'ts', kernels: tsKernels }];
const native = loadNativeKernels();
if (native.ok) kernelSets.push({ name: native.kernels.name, kernels: native.kernels });
// The WebAssembly kernels copy operands through one scratch area: its views are remade only when the module's memory grows.
const wasm = loadWasmKernels();
if (wasm.ok) kernelSets.push({ name: wasm.kernels.name, kernels: wasm.kernels });

const batchSize = 3;
const steps = 6;
const inputSize = 2;
const outputSize = 4;

for (const { name, kernels } of kernelSets) {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    for (const output of ['last', 'every'] as const) {
      test(`${name} kernels, 2-layer ${cell}, head at ${output} step: no typed array allocated per training step after warm-up`, () => {
        const options: ModelOptions = { cell, inputSize, hiddenSize: 5, numLayers: 2, outputSize, output, seed: 7, kernels, dtype: 'float32' };
        const model = createModel(options);
        const parameters = model.parameters();
        const optimizer = createOptimizer(parameters, { type: 'adam', learningRate: 1e-3 });
        const perParameter = new Float64Array(parameters.length);
        const rows = output === 'every' ? batchSize * steps : batchSize;
        const inputs = new Float32Array(batchSize * steps * inputSize).map((_, i) => Math.sin(i));
        const targets = new Int32Array(rows).map((_, i) => i % outputSize);
        const batch = { inputs, batchSize, steps, targets };
        const step = (): void => {
          model.lossAndGradients(batch, { lastStepProbe: output === 'every' });
          const norms = measureGradientNorms(parameters, kernels, perParameter);
          rescaleGradients(parameters, kernels, norms.total, { maxNorm: 1, minNorm: null });
          optimizer.step();
        };
        // Warm-up: the first step of a shape sizes every buffer.
        step();
        step();
        const counts = countAllocations(() => {
          for (let i = 0; i < 5; i++) step();
        });
        assert.deepEqual(counts, { Float32Array: 0, Float64Array: 0, Int32Array: 0, Uint8Array: 0 });
      });
    }
  }
}

// A fused backward pass that is the last since the forward pass writes the LSTM's and GRU's gate
// gradients over what the forward pass saved, so gate-gradient arrays are made only for a pass
// that needs them (the last-step probe, which runs before the main pass, or the reference loops),
// and then once for the whole model (BackwardScratch), not per layer. Counted by length on the
// first step, which sizes every buffer.
for (const { name, kernels } of kernelSets) {
  for (const cell of ['lstm', 'gru'] as const) {
    for (const probe of [false, true]) {
      test(`${name} kernels, 2-layer ${cell}${probe ? ' with the last-step probe' : ''}: the [T, B, G] arrays a first step makes`, () => {
        const hiddenSize = 5;
        const G = (cell === 'lstm' ? 4 : 3) * hiddenSize;
        const model = createModel({ cell, inputSize, hiddenSize, numLayers: 2, outputSize, output: probe ? 'every' : 'last', seed: 7, kernels, dtype: 'float32' });
        const rows = probe ? batchSize * steps : batchSize;
        const inputs = new Float32Array(batchSize * steps * inputSize).map((_, i) => Math.sin(i));
        const targets = new Int32Array(rows).map((_, i) => i % outputSize);
        const { float32Lengths } = allocationsOf(() => model.lossAndGradients({ inputs, batchSize, steps, targets }, { lastStepProbe: probe }));
        const gateSized = float32Lengths.filter((length) => length === batchSize * steps * G).length;
        // Per layer, saved by the forward pass: the LSTM's gate activations; the GRU's two gate
        // pre-activations and r, z, n. Per model, the gradients: dGates (LSTM), dInputGates and dHiddenGates (GRU).
        const saved = cell === 'lstm' ? 1 : 3;
        const gradients = cell === 'lstm' ? 1 : 2;
        const overwrites = kernels.fusedLoops !== null && !probe;
        assert.equal(gateSized, 2 * saved + (overwrites ? 0 : gradients));
      });
    }
  }
}

// The Elman layers' backward passes keep dL/d(pre-activation) of every step in one buffer that
// the model's layers share (BackwardScratch): a layer more adds its h alone, one [T, B, H] array.
for (const { name, kernels } of kernelSets) {
  test(`${name} kernels, Elman RNN: each layer more makes one [T, B, H] array on a first step (its h), the backward pass's buffer being shared`, () => {
    const hiddenSize = 7;
    const arraysOfLayers = (numLayers: number): number => {
      const model = createModel({ cell: 'rnn', inputSize, hiddenSize, numLayers, outputSize, output: 'last', seed: 7, kernels, dtype: 'float32' });
      const inputs = new Float32Array(batchSize * steps * inputSize).map((_, i) => Math.sin(i));
      const targets = new Int32Array(batchSize).map((_, i) => i % outputSize);
      const { float32Lengths } = allocationsOf(() => model.lossAndGradients({ inputs, batchSize, steps, targets }));
      return float32Lengths.filter((length) => length === batchSize * steps * hiddenSize).length;
    };
    assert.equal(arraysOfLayers(3) - arraysOfLayers(2), 1);
    assert.equal(arraysOfLayers(5) - arraysOfLayers(2), 3);
  });
}

test('the counter counts (so a zero above means nothing was allocated, not that nothing was seen)', () => {
  const counts = countAllocations(() => {
    const a = new Float32Array(3);
    assert.ok(a instanceof Float32Array);
    new Int32Array(2);
  });
  assert.deepEqual(counts, { Float32Array: 1, Float64Array: 0, Int32Array: 1, Uint8Array: 0 });
});

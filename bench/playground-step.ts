/**
 * `npm run bench:playground`: one training step of the browser playground's benchmark shape
 * (issue 15: a 4-layer GRU, width 32, sequence 50, batch 16) on each kernel set Node has here:
 * the reference TypeScript kernels, the WebAssembly SIMD kernels (what the page runs) and the
 * native ones where built. A step is what the trainer does per batch, as in bench/bench.ts:
 * lossAndGradients, every parameter's gradient norm, an SGD step. Median over the steps that fit
 * the time budget, after a warm-up; the kernel sets are timed in alternation, rounds × each, so
 * a machine whose speed drifts moves them alike.
 *
 *   npm run bench:playground -- [--seconds 2] [--rounds 3] [--cell gru|lstm|rnn]
 */
import { parseArgs } from 'node:util';
import type { Kernels } from '../src/kernels/kernels.js';
import { loadNativeKernels } from '../src/kernels/native-kernels.js';
import { tsKernels } from '../src/kernels/ts-kernels.js';
import { loadWasmKernels } from '../src/kernels/wasm-kernels-node.js';
import type { CellType } from '../src/model/config.js';
import { createModel } from '../src/model/model.js';
import { SeededRandom } from '../src/random.js';
import { measureGradientNorms } from '../src/train/gradient-surgery.js';
import { createOptimizer } from '../src/train/optimizers.js';

/** The playground's benchmark shape (issue 15), on the adding problem's two inputs. */
const shape = { layers: 4, hidden: 32, steps: 50, batch: 16, input: 2, classes: 2 };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A step function on a fresh model of the shape, on `kernels`. */
function trainingStep(cell: CellType, kernels: Kernels): () => void {
  const model = createModel({ cell, inputSize: shape.input, hiddenSize: shape.hidden, numLayers: shape.layers, outputSize: shape.classes, seed: 0, kernels });
  const random = new SeededRandom(1);
  const inputs = new Float32Array(shape.batch * shape.steps * shape.input).map(() => random.uniform());
  const targets = new Int32Array(shape.batch).map(() => random.integer(shape.classes));
  const optimizer = createOptimizer(model.parameters(), { type: 'sgd', learningRate: 1e-4 }, kernels);
  return () => {
    model.lossAndGradients({ inputs, batchSize: shape.batch, steps: shape.steps, targets });
    measureGradientNorms(model.parameters(), kernels);
    optimizer.step();
  };
}

/** Step times (ms) over `seconds`, at least 3 steps. */
function time(step: () => void, seconds: number): number[] {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < seconds * 1000 && times.length < 1000)) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  return times;
}

function main(): void {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '3' }, cell: { type: 'string', default: 'gru' } } });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const cell = values.cell as CellType;
  const sets: { name: string; kernels: Kernels }[] = [{ name: 'ts', kernels: tsKernels }];
  const wasm = loadWasmKernels();
  if (wasm.ok) sets.push({ name: wasm.kernels.name, kernels: wasm.kernels });
  else console.log(`wasm: ${wasm.reason}`);
  const native = loadNativeKernels();
  if (native.ok) sets.push({ name: native.kernels.name, kernels: native.kernels });
  else console.log(`native: ${native.reason}`);
  console.log(`${shape.layers}-layer ${cell}, width ${shape.hidden}, sequence ${shape.steps}, batch ${shape.batch}: ms per training step, median (${rounds} rounds × ${seconds} s each, in alternation)`);
  const steps = sets.map((set) => trainingStep(cell, set.kernels));
  steps.forEach((step) => time(step, 0.3)); // warm-up: buffers sized, code compiled
  const times: number[][] = sets.map(() => []);
  for (let round = 0; round < rounds; round++) steps.forEach((step, i) => times[i].push(...time(step, seconds / rounds)));
  const reference = median(times[0]);
  sets.forEach((set, i) => {
    const ms = median(times[i]);
    console.log(`  ${set.name.padEnd(22)} ${ms.toFixed(2).padStart(8)} ms  ${(1000 / ms).toFixed(1).padStart(7)} steps/s  ${(reference / ms).toFixed(1).padStart(5)}× ts`);
  });
}

main();

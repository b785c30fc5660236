/**
 * The benchmark's workloads and what one training step of them is, shared by `npm run bench`
 * (bench.ts) and `npm run bench:builds` (compare-builds.ts).
 */
import type { Kernels } from '../src/kernels/kernels.js';
import type { Architecture, CellType, Nonlinearity } from '../src/model/config.js';
import { createModel, type Model } from '../src/model/model.js';
import { SeededRandom } from '../src/random.js';
import { measureGradientNorms } from '../src/train/gradient-surgery.js';
import { createOptimizer } from '../src/train/optimizers.js';

export interface Workload {
  id: string;
  architecture: Architecture;
  cell: CellType;
  nonlinearity: Nonlinearity;
  layers: number;
  hidden: number;
  batch: number;
  steps: number;
  input: number;
  classes: number;
}

const shapes: Record<string, Pick<Workload, 'layers' | 'hidden' | 'batch' | 'steps' | 'input'>> = {
  A: { layers: 20, hidden: 64, batch: 64, steps: 28, input: 28 }, // row-wise MNIST
  B: { layers: 20, hidden: 256, batch: 64, steps: 28, input: 28 }, // the original's width
  C: { layers: 4, hidden: 128, batch: 32, steps: 196, input: 1 }, // pixel sequence
  D: { layers: 2, hidden: 32, batch: 64, steps: 100, input: 2 }, // adding problem
};

/** A–D in vanilla tanh and residual ReLU, and the LSTM and GRU on A. */
export function workloads(): Workload[] {
  const list: Workload[] = [];
  for (const [name, shape] of Object.entries(shapes)) {
    list.push({ id: `${name}-tanh`, architecture: 'vanilla', cell: 'rnn', nonlinearity: 'tanh', classes: 10, ...shape });
    list.push({ id: `${name}-res-relu`, architecture: 'residual', cell: 'rnn', nonlinearity: 'relu', classes: 10, ...shape });
  }
  list.push({ id: 'A-lstm', architecture: 'vanilla', cell: 'lstm', nonlinearity: 'tanh', classes: 10, ...shapes.A });
  list.push({ id: 'A-gru', architecture: 'vanilla', cell: 'gru', nonlinearity: 'tanh', classes: 10, ...shapes.A });
  return list;
}

/** The workloads `only` names (comma-separated ids), or all of them; throws naming the ids when none match. */
export function selectWorkloads(only: string | undefined): Workload[] {
  const wanted = only?.split(',').map((id) => id.trim());
  const list = workloads().filter((w) => wanted === undefined || wanted.includes(w.id));
  if (list.length === 0) throw new Error(`--only matched no workload; ids: ${workloads().map((w) => w.id).join(', ')}`);
  return list;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A model of `workload` on `kernels` (seed 0) and one batch of it, and `step()`: one training step on that batch. */
export interface TrainingStep {
  model: Model;
  /** Forward, loss, backward (model.lossAndGradients: also ‖dL/dh_t‖ and saturation), every parameter's gradient norm, SGD. */
  step(): void;
  /** Forward, loss and backward alone (the gradients are zeroed first): the loss. */
  lossAndGradients(): number;
}

/** A fresh model of `workload` on `kernels`, its batch (seeded: the same on every call) and its SGD optimiser. */
export function trainingStep(workload: Workload, kernels: Kernels): TrainingStep {
  const model = createModel({
    architecture: workload.architecture, cell: workload.cell, nonlinearity: workload.nonlinearity,
    inputSize: workload.input, hiddenSize: workload.hidden, numLayers: workload.layers, outputSize: workload.classes,
    output: 'last', seed: 0, kernels,
  });
  const random = new SeededRandom(1);
  const inputs = new Float32Array(workload.batch * workload.steps * workload.input);
  for (let i = 0; i < inputs.length; i++) inputs[i] = random.uniform();
  const targets = new Int32Array(workload.batch);
  for (let i = 0; i < targets.length; i++) targets[i] = random.integer(workload.classes);
  const optimizer = createOptimizer(model.parameters(), { type: 'sgd', learningRate: 1e-4 }, kernels);
  const batch = { inputs, batchSize: workload.batch, steps: workload.steps, targets, loss: 'cross_entropy' as const };
  return {
    model,
    step() {
      model.lossAndGradients(batch);
      measureGradientNorms(model.parameters(), kernels);
      optimizer.step();
    },
    lossAndGradients() {
      return model.lossAndGradients(batch).loss;
    },
  };
}

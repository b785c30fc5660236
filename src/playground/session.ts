/**
 * One playground network being trained: the setup turned into a dataset, a model and the
 * engine's own training loop (train/trainer.ts's `Training`, one batch per step), and after each
 * step a snapshot of what the page draws: ‖∂L/∂h_t‖ per layer and step, the gradient through
 * depth, the loss against chance, saturation per layer, and the diagnosis's verdict in words.
 *
 * The same code as the command line's runs here (model, trainer, diagnosis); only the page
 * around it differs. It runs in the page's Web Worker and in Node (the tests compare the two).
 */
import type { SequenceDataset } from '../data/dataset.js';
import type { RawMnist } from '../data/mnist.js';
import { mnistFromDigits } from '../data/mnist.js';
import { generateAdding, generateCopy, generateTemporalOrder } from '../data/synthetic.js';
import { appendToTrace, diagnose, traceOfBatches } from '../diagnose/diagnose.js';
import { layerOfParameter } from '../diagnose/parameter-layers.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Model } from '../model/model.js';
import { createModel } from '../model/model.js';
import { SeededRandom } from '../random.js';
import type { BatchRecord, Verdict } from '../record/metrics.js';
import { decodeNumber } from '../record/metrics.js';
import { batchSourceFromDataset } from '../train/batch-source.js';
import { Training } from '../train/trainer.js';
import type { PlaygroundSetup } from './setup.js';
import { setupProblems } from './setup.js';

/**
 * Batches per playground epoch: the diagnosis judges epochs, so the verdict is refreshed this
 * often (about once a second at the benchmark's speed), on a training set of this many batches.
 */
export const batchesPerEpoch = 32;
/** Held-out sequences scored at the end of every epoch (the verdict's "did it learn"). */
const validationSamples = 128;
/** Loss points kept for the chart: older ones are thinned, every other one dropped. */
const maxLossPoints = 2000;

/** What the page draws after a step. Plain data: it crosses from the worker by structured clone. */
export interface PlaygroundSnapshot {
  /** Training steps (batches) taken since the reset. */
  step: number;
  epoch: number;
  /** [step, loss] of the steps so far (thinned to at most 2000 points). */
  losses: [number, number][];
  /** The loss of a model that learned nothing (the task's chance level), and what it means. */
  chance: { loss: number; description: string } | null;
  /** ‖∂L/∂h_t‖ of the last step, layer-major: `values[layer * steps + t]`; non-finite values as they are. */
  heatmap: { layers: number; steps: number; values: number[] };
  /** ‖∂L/∂x_t‖: what reaches the input at each step. */
  inputGradient: number[];
  /** Per layer, the L2 norm of the gradient of all its parameters: the gradient through depth. */
  depth: number[];
  /** Per layer, the fraction of activations in the flat part of the nonlinearity. */
  saturation: number[];
  verdict: Pick<Verdict, 'kind' | 'headline' | 'evidence' | 'atInitialisation' | 'learning'> | null;
  /** Why training stopped: the divergence's reason, or null while it can go on. */
  stopped: string | null;
  /** The first step's loss and gradient norms (the reset check: the same seed gives the same numbers). */
  first: { loss: number; totalGradientNorm: number; gradientNorms: Record<string, number> } | null;
  kernels: string;
  description: string;
}

/** The dataset a setup trains on; `mnist` needs the digits (the page ships a subset of them). */
export function playgroundDataset(setup: PlaygroundSetup, digits: RawMnist | null): SequenceDataset {
  const random = new SeededRandom(setup.seed).fork('data');
  const samples = { trainSamples: batchesPerEpoch * setup.batchSize, validationSamples, testSamples: 1 };
  switch (setup.task) {
    case 'adding': return generateAdding({ name: 'adding', length: setup.length, ...samples }, random);
    case 'copy': return generateCopy({ name: 'copy', length: setup.length, ...samples }, random);
    case 'temporal_order': return generateTemporalOrder({ name: 'temporal_order', length: setup.length, ...samples }, random);
    case 'mnist': {
      if (digits === null) throw new Error('the MNIST digits are not loaded');
      const total = batchesPerEpoch * setup.batchSize + validationSamples;
      const wanted = Math.min(digits.labels.length, Math.round(total / 0.9) + 1);
      return mnistFromDigits(digits, { name: 'mnist', variant: 'row', samples: wanted, validationFraction: validationSamples / wanted, testFraction: 0 }, random);
    }
  }
}

/** The network a setup describes, on `kernels` (the worker passes the WebAssembly ones). */
export function playgroundModel(setup: PlaygroundSetup, dataset: SequenceDataset, kernels: Kernels): Model {
  const cell = setup.cell === 'lstm' || setup.cell === 'gru' ? setup.cell : 'rnn';
  return createModel({
    architecture: setup.architecture,
    cell,
    nonlinearity: setup.cell === 'rnn-relu' ? 'relu' : 'tanh',
    inputSize: dataset.inputSize,
    hiddenSize: setup.width,
    numLayers: setup.layers,
    outputSize: dataset.outputSize,
    output: dataset.output,
    init: setup.init,
    recurrentGain: setup.gain,
    forgetBias: cell === 'lstm' && setup.forgetBias !== null ? setup.forgetBias : undefined,
    seed: setup.seed,
    kernels,
  });
}

export class PlaygroundSession {
  private readonly model: Model;
  private readonly dataset: SequenceDataset;
  private readonly training: Training;
  private readonly trace = traceOfBatches([]);
  private firstBatch: BatchRecord | null = null;
  private lastBatch: BatchRecord | null = null;
  private losses: [number, number][] = [];
  private steps = 0;
  private verdict: PlaygroundSnapshot['verdict'] = null;
  private judgedEpochs = -1;

  /** Builds the network; throws (one line per problem) when the setup cannot be built. */
  constructor(readonly setup: PlaygroundSetup, kernels: Kernels, digits: RawMnist | null = null) {
    const problems = setupProblems(setup);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    this.dataset = playgroundDataset(setup, digits);
    this.model = playgroundModel(setup, this.dataset, kernels);
    const source = batchSourceFromDataset(this.dataset, { batchSize: setup.batchSize, samplesPerEpoch: null, seed: setup.seed });
    this.training = new Training(this.model, source, {
      optimizer: setup.optimizer === 'adam' ? { type: 'adam', learningRate: setup.learningRate } : { type: 'sgd', learningRate: setup.learningRate },
      epochs: 100000,
      clipMaxNorm: setup.clipping === 'max_norm' ? setup.clipNorm : null,
      clipMinNorm: setup.clipping === 'min_norm' ? setup.clipNorm : null,
      hiddenGradientEvery: 1,
      // Histograms are not drawn here; their cost is skipped.
      histogramEvery: 1_000_000,
      keepBatches: false,
    });
  }

  /** True when training cannot go on (diverged, or every epoch trained). */
  get stopped(): boolean {
    return this.training.done;
  }

  /** Trains one batch; false when there was nothing left to train. */
  step(): boolean {
    const record = this.training.step();
    if (record === null) return false;
    this.steps++;
    this.firstBatch ??= record;
    this.lastBatch = record;
    appendToTrace(this.trace, record);
    this.losses.push([this.steps, decodeNumber(record.loss)]);
    if (this.losses.length > maxLossPoints) this.losses = this.losses.filter((_, i) => i % 2 === 0 || i === this.losses.length - 1);
    return true;
  }

  /** What the page draws now. Judges again only when an epoch ended (or at the first step, the verdict at initialisation). */
  snapshot(): PlaygroundSnapshot {
    const epochs = this.training.epochRecords;
    if (this.firstBatch !== null && (epochs.length !== this.judgedEpochs || this.training.divergenceRecord !== null)) {
      this.judgedEpochs = epochs.length;
      this.verdict = this.judge();
    }
    const last = this.lastBatch;
    const layers = this.setup.layers;
    const steps = this.dataset.steps;
    const hidden = last?.hiddenGradientNorms ?? null;
    const values = hidden === null ? [] : hidden.flatMap((layer) => layer.map(decodeNumber));
    const first = this.firstBatch;
    return {
      step: this.steps,
      epoch: last?.epoch ?? 0,
      losses: this.losses,
      chance: this.dataset.baseline === null ? null : { loss: this.dataset.baseline.loss, description: this.dataset.baseline.description },
      heatmap: { layers, steps, values },
      inputGradient: last?.inputGradientNorms?.map(decodeNumber) ?? [],
      depth: last === null ? [] : this.depthProfile(last),
      saturation: last?.saturatedFraction ?? [],
      verdict: this.verdict,
      stopped: this.training.divergenceRecord === null ? (this.training.done ? 'every epoch trained' : null) : `diverged at step ${this.steps}: ${this.training.divergenceRecord.reason}`,
      first: first === null ? null : {
        loss: decodeNumber(first.loss),
        totalGradientNorm: decodeNumber(first.totalGradientNorm),
        gradientNorms: Object.fromEntries(Object.entries(first.gradientNorms).map(([name, norm]) => [name, decodeNumber(norm)])),
      },
      kernels: this.model.kernels.name,
      description: this.dataset.description,
    };
  }

  /** Per layer: √(Σ ‖∂L/∂θ‖²) over the layer's parameters. */
  private depthProfile(record: BatchRecord): number[] {
    const squares = new Array<number>(this.setup.layers).fill(0);
    for (const [name, norm] of Object.entries(record.gradientNorms)) {
      const layer = layerOfParameter(name);
      if (layer !== null && layer < squares.length) squares[layer] += decodeNumber(norm) ** 2;
    }
    return squares.map(Math.sqrt);
  }

  private judge(): PlaygroundSnapshot['verdict'] {
    const cell = this.setup.cell === 'lstm' || this.setup.cell === 'gru' ? this.setup.cell : 'rnn';
    const verdict = diagnose({
      epochs: this.training.epochRecords,
      divergence: this.training.divergenceRecord,
      firstBatch: this.firstBatch,
      trace: this.trace,
      parameterNames: this.model.parameterNames(),
      numLayers: this.setup.layers,
      steps: this.dataset.steps,
      task: { lossAtEveryStep: this.dataset.output === 'every', requiredLag: this.dataset.requiredLag, chance: this.dataset.baseline },
      setup: { init: this.setup.init, nonlinearity: this.setup.cell === 'rnn-relu' ? 'relu' : 'tanh', cell, clipMinNorm: this.setup.clipping === 'min_norm' ? this.setup.clipNorm : null },
    });
    return { kind: verdict.kind, headline: verdict.headline, evidence: verdict.evidence, atInitialisation: verdict.atInitialisation, learning: verdict.learning };
  }
}

/**
 * What a dataset is to the rest of the program: three splits of sequences, each one contiguous
 * Float32Array, plus what the task asks (classes or regression, at the last step or every step)
 * and its chance-level baseline.
 */
import type { HeadPlacement, LossKind } from './sequence-batch.js';

/** One split: `size` sequences of `steps` × `inputSize` values, batch-major. */
export interface DataSplit {
  readonly size: number;
  /** [size, steps, inputSize]. */
  readonly inputs: Float32Array;
  /**
   * Class ids ([size] for a head at the last step, [size, steps] at every step), or
   * regression targets ([size, outputSize]).
   */
  readonly targets: Int32Array | Float32Array;
}

/** What a model that has learnt nothing scores, to show whether training beat chance. */
export interface Baseline {
  /** The loss of the best input-independent (memoryless) predictor. */
  loss: number;
  /** Its accuracy, for classification tasks. */
  accuracy?: number;
  /**
   * The loss of a model whose outputs are all zero (cross-entropy: the uniform guess, ln C; MSE:
   * the mean square of the targets) — what an untrained model scores at best by accident, and
   * the scale against which a loss counts as blown up.
   */
  zeroOutputLoss: number;
  /** One sentence saying which predictor that is. */
  description: string;
}

/**
 * How far back in time the task needs the gradient to reach: the distance, in steps, between an
 * input the answer depends on and the step where the answer is read. The diagnosis judges the
 * gradient through time over this distance and no further, so a net that learned to forget what
 * the task does not need is not called vanishing.
 */
export interface RequiredLag {
  /** Steps back from the answer (0: the answer's own step). */
  steps: number;
  /** Why, in words: "the first marker can be at step 1, 199 steps before the answer". */
  reason: string;
}

export interface SequenceDataset {
  /** e.g. `mnist-row`, `adding-T100`. */
  readonly name: string;
  /** One line for people. */
  readonly description: string;
  readonly inputSize: number;
  readonly steps: number;
  /** Number of classes (cross-entropy) or regression outputs (MSE). */
  readonly outputSize: number;
  readonly loss: LossKind;
  /** Where the task reads the model's answer: the last step, or every step. */
  readonly output: HeadPlacement;
  readonly train: DataSplit;
  readonly validation: DataSplit;
  readonly test: DataSplit;
  readonly baseline: Baseline;
  /** The distance back in time the answer depends on. */
  readonly requiredLag: RequiredLag;
  /**
   * With a head at every step: accuracy counts only the steps from this one on (the copy task's
   * recall; its blanks are free to predict). 0, or absent: every prediction counts.
   */
  readonly accuracyFromStep?: number;
}

/** Bad data or data options: the message names the file (if any), the field and the value. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** An empty split (e.g. no test set requested). */
export function emptySplit(classification: boolean): DataSplit {
  return { size: 0, inputs: new Float32Array(0), targets: classification ? new Int32Array(0) : new Float32Array(0) };
}

/** Values of one sequence's targets: steps for every-step heads, else 1 (class) or outputSize. */
export function targetsPerSample(dataset: Pick<SequenceDataset, 'loss' | 'output' | 'steps' | 'outputSize'>): number {
  const perStep = dataset.loss === 'cross_entropy' ? 1 : dataset.outputSize;
  return dataset.output === 'every' ? dataset.steps * perStep : perStep;
}

/** The samples at `indices` of a split, copied into a new contiguous split. */
export function selectSamples(split: DataSplit, indices: ArrayLike<number>, inputsPerSample: number, targetsPerSampleCount: number): DataSplit {
  const inputs = new Float32Array(indices.length * inputsPerSample);
  const targets = split.targets instanceof Int32Array ? new Int32Array(indices.length * targetsPerSampleCount) : new Float32Array(indices.length * targetsPerSampleCount);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i];
    inputs.set(split.inputs.subarray(from * inputsPerSample, (from + 1) * inputsPerSample), i * inputsPerSample);
    targets.set(split.targets.subarray(from * targetsPerSampleCount, (from + 1) * targetsPerSampleCount), i * targetsPerSampleCount);
  }
  return { size: indices.length, inputs, targets };
}

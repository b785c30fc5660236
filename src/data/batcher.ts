/**
 * Batches of a split: shuffled from the seed every epoch (the order of epoch e depends only on
 * the seed and e), an optional cap on samples per epoch, and a last partial batch. The batch
 * buffers are allocated once and reused: a yielded batch is valid until the next one.
 *
 * The order's whole state is its generator's (`orderState`): a checkpoint saves it and a resumed
 * run restores it (`restoreOrderState`), so epoch e + 1 after a resume is the epoch e + 1 of an
 * uninterrupted run.
 */
import type { SequenceBatch } from './sequence-batch.js';
import type { RandomState } from '../random.js';
import { SeededRandom } from '../random.js';
import type { DataSplit } from './dataset.js';

export interface BatcherOptions {
  batchSize: number;
  /** Values per sample in `split.inputs` (steps × inputSize). */
  inputsPerSample: number;
  /** Values per sample in `split.targets`. */
  targetsPerSample: number;
  steps: number;
  /** Shuffle every epoch (training) or keep the split's order (evaluation). */
  shuffle: boolean;
  /** Samples per epoch at most (a different seeded subset each epoch); null for all. */
  maxSamplesPerEpoch: number | null;
  random: SeededRandom;
}

export interface Batcher {
  /** Samples an epoch visits. */
  readonly samplesPerEpoch: number;
  readonly batchesPerEpoch: number;
  /** The batches of epoch `epoch` (from 1). */
  epoch(epoch: number): Iterable<SequenceBatch>;
  /** The state the order is drawn from (plain data, for a checkpoint). */
  orderState(): RandomState;
  /** Draws the order from `state` from now on (see `orderState`). */
  restoreOrderState(state: RandomState): void;
}

export function createBatcher(split: DataSplit, options: BatcherOptions): Batcher {
  const { batchSize, inputsPerSample, targetsPerSample, steps } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`batch size must be a positive integer; got ${batchSize}`);
  const samplesPerEpoch = Math.min(split.size, options.maxSamplesPerEpoch ?? split.size);
  const batchesPerEpoch = Math.ceil(samplesPerEpoch / batchSize);
  const inputs = new Float32Array(batchSize * inputsPerSample);
  const targets = split.targets instanceof Int32Array ? new Int32Array(batchSize * targetsPerSample) : new Float32Array(batchSize * targetsPerSample);
  const identity = new Int32Array(split.size).map((_, i) => i);
  // Each epoch's order is forked from this generator, which is never drawn from itself.
  let orderRandom = options.random;

  function* epoch(epochIndex: number): Iterable<SequenceBatch> {
    const order = options.shuffle ? orderRandom.fork(`epoch-${epochIndex}`).permutation(split.size) : identity;
    for (let start = 0; start < samplesPerEpoch; start += batchSize) {
      const count = Math.min(batchSize, samplesPerEpoch - start);
      for (let i = 0; i < count; i++) {
        const sample = order[start + i];
        inputs.set(split.inputs.subarray(sample * inputsPerSample, (sample + 1) * inputsPerSample), i * inputsPerSample);
        targets.set(split.targets.subarray(sample * targetsPerSample, (sample + 1) * targetsPerSample), i * targetsPerSample);
      }
      yield {
        inputs: count === batchSize ? inputs : inputs.subarray(0, count * inputsPerSample),
        targets: count === batchSize ? targets : targets.subarray(0, count * targetsPerSample),
        batchSize: count,
        steps,
      };
    }
  }
  return {
    samplesPerEpoch,
    batchesPerEpoch,
    epoch,
    orderState: () => orderRandom.state(),
    restoreOrderState: (state) => {
      orderRandom = SeededRandom.fromState(state);
    },
  };
}

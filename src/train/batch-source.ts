/**
 * Feeds a dataset to the trainer: shuffled training batches (a capped, seeded subset per epoch
 * when asked), validation and test batches in order.
 */
import type { SequenceDataset } from '../data/dataset.js';
import { targetsPerSample } from '../data/dataset.js';
import { createBatcher } from '../data/batcher.js';
import { SeededRandom } from '../random.js';
import { checkTrainingOption } from './option-table.js';
import type { BatchSource } from './trainer.js';

export interface BatchSourceOptions {
  batchSize: number;
  /** Training samples per epoch at most; null for the whole training split. */
  samplesPerEpoch: number | null;
  /** Seed of the shuffling. */
  seed: number;
  /** Batch size for validation and test (default: batchSize). */
  evaluationBatchSize?: number;
}

export function batchSourceFromDataset(dataset: SequenceDataset, options: BatchSourceOptions): BatchSource {
  checkTrainingOption('batch source', 'batchSize', options.batchSize);
  if (options.evaluationBatchSize !== undefined) checkTrainingOption('batch source', 'batchSize', options.evaluationBatchSize);
  if (options.samplesPerEpoch !== null) checkTrainingOption('batch source', 'samplesPerEpoch', options.samplesPerEpoch);
  checkTrainingOption('batch source', 'seed', options.seed);
  const common = {
    inputsPerSample: dataset.steps * dataset.inputSize,
    targetsPerSample: targetsPerSample(dataset),
    steps: dataset.steps,
  };
  const random = new SeededRandom(options.seed).fork('batches');
  const training = createBatcher(dataset.train, { ...common, batchSize: options.batchSize, shuffle: true, maxSamplesPerEpoch: options.samplesPerEpoch, random });
  const evaluationBatchSize = options.evaluationBatchSize ?? options.batchSize;
  const validation = createBatcher(dataset.validation, { ...common, batchSize: evaluationBatchSize, shuffle: false, maxSamplesPerEpoch: null, random });
  const test = createBatcher(dataset.test, { ...common, batchSize: evaluationBatchSize, shuffle: false, maxSamplesPerEpoch: null, random });
  return {
    loss: dataset.loss,
    accuracyFromStep: dataset.accuracyFromStep ?? 0,
    batchesPerEpoch: training.batchesPerEpoch,
    trainingBatches: (epoch) => training.epoch(epoch),
    validationBatches: () => validation.epoch(1),
    testBatches: () => test.epoch(1),
    orderState: () => training.orderState(),
    restoreOrderState: (state) => training.restoreOrderState(state),
  };
}

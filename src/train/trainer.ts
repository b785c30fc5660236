/**
 * The training loop of the original program, measuring far more on the way.
 *
 * Per batch: forward, loss, backward through time; every parameter's gradient norm and the
 * total norm (before any rescaling); clipping and the minimum-norm rescale; the optimiser step;
 * and the records of src/record/metrics.ts. A non-finite loss or gradient ends the experiment
 * at that batch with a DivergenceRecord; nothing is thrown and everything before it is kept.
 */
import type { Model, SequenceBatch } from '../model/model.js';
import type { LossKind } from '../model/config.js';
import type { BatchRecord, DivergenceRecord, EpochRecord, ExperimentSummary } from '../record/metrics.js';
import { encodeNumber } from '../record/metrics.js';
import { summariseEpoch } from '../record/epoch-summary.js';
import { measureGradientNorms, rescaleGradients } from './gradient-surgery.js';
import type { OptimizerOptions } from './optimizers.js';
import { createOptimizer } from './optimizers.js';

/** Where the batches come from (see `batchSourceFromDataset` in src/train/batch-source.ts). */
export interface BatchSource {
  readonly loss: LossKind;
  /** Training batches per epoch. */
  readonly batchesPerEpoch: number;
  /** The batches of training epoch `epoch` (from 1), in the order the seed gives for it. */
  trainingBatches(epoch: number): Iterable<SequenceBatch>;
  /** The validation split in batches (empty when there is none). */
  validationBatches(): Iterable<SequenceBatch>;
  /** The test split in batches (empty when there is none). */
  testBatches(): Iterable<SequenceBatch>;
}

export interface TrainingOptions {
  optimizer: OptimizerOptions;
  epochs: number;
  /** Clip the total gradient norm to this maximum (null: off). */
  clipMaxNorm: number | null;
  /** The original's minimum-norm rescale threshold (null: off). */
  clipMinNorm: number | null;
  /** Record ‖dL/dh_t‖ on every k-th batch of an epoch (the first batch always). Default 1. */
  hiddenGradientEvery?: number;
  /**
   * Keep every BatchRecord in the outcome (default true). A runner that streams records to disk
   * through the listener turns it off: a long run's batch records take hundreds of megabytes.
   */
  keepBatches?: boolean;
}

export interface BatchProgress {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
}

export interface TrainingListener {
  onBatch?(record: BatchRecord, progress: BatchProgress): void;
  onEpoch?(record: EpochRecord): void;
}

export interface TrainingOutcome {
  epochs: EpochRecord[];
  batches: BatchRecord[];
  divergence: DivergenceRecord | null;
  final: ExperimentSummary['final'];
  /** Wall-clock seconds of the whole run. */
  seconds: number;
}

interface SplitScore {
  loss: number;
  accuracy: number | null;
}

/** Evaluates the model on batches: the loss averaged over predictions, and the accuracy. */
export function evaluateBatches(model: Model, batches: Iterable<SequenceBatch>, loss: LossKind): SplitScore | null {
  let lossSum = 0;
  let correct = 0;
  let predictions = 0;
  for (const batch of batches) {
    const result = model.evaluate({ ...batch, loss });
    lossSum += result.loss * result.predictions;
    correct += result.correct;
    predictions += result.predictions;
  }
  if (predictions === 0) return null;
  return { loss: lossSum / predictions, accuracy: loss === 'cross_entropy' ? correct / predictions : null };
}

/** Trains `model` on `data`; see the file comment. Synchronous: run it in a worker to keep a UI alive. */
export function trainExperiment(model: Model, data: BatchSource, options: TrainingOptions, listener: TrainingListener = {}): TrainingOutcome {
  const started = performance.now();
  const parameters = model.parameters();
  const names = model.parameterNames();
  const kernels = model.kernels;
  const optimizer = createOptimizer(parameters, options.optimizer);
  const hiddenGradientEvery = options.hiddenGradientEvery ?? 1;
  if (!Number.isInteger(hiddenGradientEvery) || hiddenGradientEvery < 1) {
    throw new Error(`hiddenGradientEvery must be a positive integer; got ${hiddenGradientEvery}`);
  }
  const keepBatches = options.keepBatches ?? true;
  const epochs: EpochRecord[] = [];
  const batches: BatchRecord[] = [];
  let divergence: DivergenceRecord | null = null;

  for (let epoch = 1; epoch <= options.epochs && divergence === null; epoch++) {
    const epochStarted = performance.now();
    const epochBatches: BatchRecord[] = [];
    let batchIndex = 0;
    for (const batch of data.trainingBatches(epoch)) {
      batchIndex++;
      const result = model.lossAndGradients({ ...batch, loss: data.loss });
      const norms = measureGradientNorms(parameters, kernels);
      let minNorm = Infinity;
      let minName = names[0];
      let zeroGradientParameters = 0;
      norms.perParameter.forEach((norm, i) => {
        if (norm === 0) zeroGradientParameters++;
        if (norm < minNorm || Number.isNaN(norm)) {
          minNorm = norm;
          minName = names[i];
        }
      });
      const gradientNorms: Record<string, ReturnType<typeof encodeNumber>> = {};
      names.forEach((name, i) => (gradientNorms[name] = encodeNumber(norms.perParameter[i])));
      const record: BatchRecord = {
        epoch,
        batch: batchIndex,
        batchSize: batch.batchSize,
        loss: encodeNumber(result.loss),
        accuracy: data.loss === 'cross_entropy' ? result.correct / result.predictions : null,
        gradientNorms,
        totalGradientNorm: encodeNumber(norms.total),
        minLayerGradientNorm: encodeNumber(minNorm),
        minLayerParameter: minName,
        zeroGradientParameters,
        rescaleFactor: 1,
        updateToWeightRatio: {},
        saturatedFraction: result.saturatedFraction,
      };
      if ((batchIndex - 1) % hiddenGradientEvery === 0) {
        record.hiddenGradientNorms = result.hiddenGradientNorms.map((layer) => Array.from(layer, encodeNumber));
      }
      const reason = nonFiniteReason(result.loss, norms.perParameter, names);
      if (reason !== null) {
        divergence = { epoch, batch: batchIndex, reason };
        for (const name of names) record.updateToWeightRatio[name] = 0;
        if (keepBatches) batches.push(record);
        listener.onBatch?.(record, { epoch, batch: batchIndex, batchesPerEpoch: data.batchesPerEpoch });
        break;
      }
      record.rescaleFactor = rescaleGradients(parameters, kernels, norms.total, { maxNorm: options.clipMaxNorm, minNorm: options.clipMinNorm });
      optimizer.step();
      parameters.forEach((p, i) => {
        const weightNorm = Math.sqrt(kernels.sumOfSquares(p.data, 0, p.data.length));
        record.updateToWeightRatio[p.name] = encodeNumber(weightNorm > 0 ? optimizer.lastUpdateNorms[i] / weightNorm : 0);
      });
      if (keepBatches) batches.push(record);
      epochBatches.push(record);
      listener.onBatch?.(record, { epoch, batch: batchIndex, batchesPerEpoch: data.batchesPerEpoch });
    }
    if (epochBatches.length === 0) break;
    const validation = divergence === null ? evaluateBatches(model, data.validationBatches(), data.loss) : null;
    const record = summariseEpoch(epoch, epochBatches, names, validation, (performance.now() - epochStarted) / 1000);
    epochs.push(record);
    listener.onEpoch?.(record);
  }

  const test = divergence === null ? evaluateBatches(model, data.testBatches(), data.loss) : null;
  const last = epochs.at(-1);
  return {
    epochs,
    batches,
    divergence,
    final: {
      loss: last?.meanLoss ?? null,
      accuracy: last?.meanAccuracy ?? null,
      validationLoss: last?.validationLoss ?? null,
      validationAccuracy: last?.validationAccuracy ?? null,
      testLoss: test === null ? null : encodeNumber(test.loss),
      testAccuracy: test?.accuracy ?? null,
      minLayerGradientNorm: last?.meanMinLayerGradientNorm ?? null,
    },
    seconds: (performance.now() - started) / 1000,
  };
}

/** Why a batch counts as diverged, or null when its loss and every gradient norm are finite. */
function nonFiniteReason(loss: number, gradientNorms: Float64Array, names: string[]): string | null {
  if (!Number.isFinite(loss)) return `loss is ${loss}`;
  for (let i = 0; i < gradientNorms.length; i++) {
    if (!Number.isFinite(gradientNorms[i])) return `gradient of ${names[i]} has norm ${gradientNorms[i]}`;
  }
  return null;
}

/**
 * The training loop of the original program, measuring far more on the way.
 *
 * Per batch: forward, loss, backward through time; every parameter's gradient norm and the
 * total norm (before any rescaling); clipping and the minimum-norm rescale; the optimiser step;
 * and the records of src/record/metrics.ts. A non-finite loss, gradient or weight (checked after
 * every update, so a kernel that hid a NaN cannot hide a divergence) ends the experiment at that
 * batch with a DivergenceRecord; nothing is thrown and everything before it is kept.
 *
 * At the end of every epoch the listener can take the training state (TrainingState: the epochs
 * so far, the weights, the optimiser's state and the batch order's); a run given that state as
 * `resume` continues with the next epoch exactly as the uninterrupted run would, bit for bit.
 */
import type { Evaluation, GradientThroughTime, Model, SequenceBatch } from '../model/model.js';
import type { LossKind } from '../model/config.js';
import type { BatchRecord, DivergenceRecord, EpochRecord, ExperimentSummary, GradientThroughTimeRecord } from '../record/metrics.js';
import { encodeNumber } from '../record/metrics.js';
import { summariseEpoch } from '../record/epoch-summary.js';
import { measureGradientNorms, rescaleGradients } from './gradient-surgery.js';
import type { MagnitudeHistogram } from '../record/histogram.js';
import { checkTrainingOption, trainingOptionDefaults } from './option-table.js';
import { magnitudeHistogram } from '../record/histogram.js';
import type { Parameter } from '../model/parameters.js';
import type { FloatArray } from '../kernels/kernels.js';
import type { RandomState } from '../random.js';
import { randomStateProblem } from '../random.js';
import type { Optimizer, OptimizerOptions, OptimizerState } from './optimizers.js';
import { createOptimizer } from './optimizers.js';

/** Where the batches come from (see `batchSourceFromDataset` in src/train/batch-source.ts). */
export interface BatchSource {
  readonly loss: LossKind;
  /**
   * With a head at every step: accuracy counts the steps from this one on (the copy task's
   * recall). Default 0: every prediction counts.
   */
  readonly accuracyFromStep?: number;
  /** Training batches per epoch. */
  readonly batchesPerEpoch: number;
  /** The batches of training epoch `epoch` (from 1), in the order the seed gives for it. */
  trainingBatches(epoch: number): Iterable<SequenceBatch>;
  /** The validation split in batches (empty when there is none). */
  validationBatches(): Iterable<SequenceBatch>;
  /** The test split in batches (empty when there is none). */
  testBatches(): Iterable<SequenceBatch>;
  /** The state the training order is drawn from, when it has one (saved in a TrainingState). */
  orderState?(): RandomState;
  /** Restores a state from `orderState`. */
  restoreOrderState?(state: RandomState): void;
}

/**
 * Everything the rest of a run depends on after an epoch, besides the model's configuration and
 * the data: what a checkpoint holds.
 */
export interface TrainingState {
  /** The records of the epochs trained so far (the next epoch is `epochs.length + 1`). */
  epochs: EpochRecord[];
  /** Every parameter's values, in the model's parameter order and precision. */
  weights: FloatArray[];
  optimizer: OptimizerState;
  /** The batch order's state; null when the batch source has none. */
  batchOrder: RandomState | null;
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
   * With the loss read at every step: run the last-step probe (one more backward pass) on every
   * k-th batch of an epoch (the first batch always). Default 10.
   */
  lastStepProbeEvery?: number;
  /** Record magnitude histograms of the weight matrices and their gradients on every k-th batch (the first always). Default 10. */
  histogramEvery?: number;
  /**
   * Keep every BatchRecord in the outcome (default true). A runner that streams records to disk
   * through the listener turns it off: a long run's batch records take hundreds of megabytes.
   */
  keepBatches?: boolean;
  /**
   * Continue from this state (taken at the end of an epoch of a run with the same model, data
   * and options) instead of from the model's weights as they are. The outcome then covers the
   * whole run: the resumed epochs and the new ones.
   */
  resume?: TrainingState;
}

export interface BatchProgress {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
}

export interface TrainingListener {
  onBatch?(record: BatchRecord, progress: BatchProgress): void;
  /**
   * After every epoch. `state` gives the training state to continue from (a copy, taken when
   * called); null when the epoch ended in a divergence, from which there is nothing to continue.
   */
  onEpoch?(record: EpochRecord, state: (() => TrainingState) | null): void;
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

/** Correct and counted predictions over the steps from `fromStep` on (all of them when 0 or without per-step counts). */
function scoredPredictions(evaluation: Evaluation, fromStep: number, batchSize: number): { correct: number; counted: number } {
  const perStep = evaluation.correctPerStep;
  if (perStep === null || fromStep <= 0) return { correct: evaluation.correct, counted: evaluation.predictions };
  let correct = 0;
  for (let t = fromStep; t < perStep.length; t++) correct += perStep[t];
  return { correct, counted: (perStep.length - fromStep) * batchSize };
}

/** Evaluates the model on batches: the loss averaged over predictions, and the accuracy over the scored steps. */
export function evaluateBatches(model: Model, batches: Iterable<SequenceBatch>, loss: LossKind, accuracyFromStep = 0): SplitScore | null {
  let lossSum = 0;
  let correct = 0;
  let counted = 0;
  let predictions = 0;
  for (const batch of batches) {
    const result = model.evaluate({ ...batch, loss });
    lossSum += result.loss * result.predictions;
    predictions += result.predictions;
    const scored = scoredPredictions(result, accuracyFromStep, batch.batchSize);
    correct += scored.correct;
    counted += scored.counted;
  }
  if (predictions === 0) return null;
  return { loss: lossSum / predictions, accuracy: loss === 'cross_entropy' ? correct / counted : null };
}

function recordThroughTime(through: GradientThroughTime): GradientThroughTimeRecord {
  return {
    hiddenGradientNorms: through.hiddenGradientNorms.map((layer) => Array.from(layer, encodeNumber)),
    inputGradientNorms: Array.from(through.inputGradientNorms, encodeNumber),
  };
}

/** Trains `model` on `data`; see the file comment. Synchronous: run it in a worker to keep a UI alive. */
export function trainExperiment(model: Model, data: BatchSource, options: TrainingOptions, listener: TrainingListener = {}): TrainingOutcome {
  const training = new Training(model, data, options, listener);
  while (training.step() !== null) { /* every batch of every epoch */ }
  return training.outcome();
}

/**
 * The training loop one batch at a time, for a caller that interleaves it with other work (the
 * playground's worker draws between batches); `trainExperiment` is this run to the end. Each
 * `step()` trains one batch and, where an epoch ends, validates and summarises it, exactly as
 * the uninterrupted loop would: the same records, bit for bit.
 */
export class Training {
  private readonly started = performance.now();
  private readonly parameters: readonly Parameter[];
  private readonly names: string[];
  // Filled by measureGradientNorms every batch and read before the next one: one buffer for the run.
  private readonly gradientNormBuffer: Float64Array;
  private readonly optimizer: Optimizer;
  private readonly hiddenGradientEvery: number;
  private readonly lastStepProbeEvery: number;
  private readonly histogramEvery: number;
  private readonly keepBatches: boolean;
  private readonly accuracyFromStep: number;
  private readonly epochs: EpochRecord[] = [];
  private readonly batches: BatchRecord[] = [];
  private divergence: DivergenceRecord | null = null;
  /** The epoch being trained, its batches so far and where its batches come from; null between epochs. */
  private epoch: { number: number; started: number; batches: BatchRecord[]; index: number; source: Iterator<SequenceBatch> } | null = null;
  private nextEpoch: number;
  private finished = false;

  constructor(private readonly model: Model, private readonly data: BatchSource, private readonly options: TrainingOptions, private readonly listener: TrainingListener = {}) {
    this.parameters = model.parameters();
    this.names = model.parameterNames();
    this.gradientNormBuffer = new Float64Array(this.parameters.length);
    this.hiddenGradientEvery = options.hiddenGradientEvery ?? 1;
    this.lastStepProbeEvery = options.lastStepProbeEvery ?? trainingOptionDefaults.lastStepProbeEvery;
    this.histogramEvery = options.histogramEvery ?? trainingOptionDefaults.histogramEvery;
    // Checked against the table experiment files are validated with, before anything trains.
    checkTrainingOption('training', 'epochs', options.epochs);
    if (options.clipMaxNorm !== null) checkTrainingOption('training', 'clipMaxNorm', options.clipMaxNorm);
    if (options.clipMinNorm !== null) checkTrainingOption('training', 'clipMinNorm', options.clipMinNorm);
    checkTrainingOption('training', 'hiddenGradientEvery', this.hiddenGradientEvery);
    checkTrainingOption('training', 'lastStepProbeEvery', this.lastStepProbeEvery);
    checkTrainingOption('training', 'histogramEvery', this.histogramEvery);
    this.optimizer = createOptimizer(this.parameters, options.optimizer, model.kernels);
    this.keepBatches = options.keepBatches ?? true;
    this.accuracyFromStep = data.accuracyFromStep ?? 0;
    if (options.resume !== undefined) {
      restoreTrainingState(options.resume, this.parameters, this.optimizer, data);
      this.epochs.push(...options.resume.epochs);
    }
    this.nextEpoch = this.epochs.length + 1;
  }

  /** True once every epoch is trained or the run diverged. */
  get done(): boolean {
    return this.finished;
  }

  /** The epochs summarised so far. */
  get epochRecords(): readonly EpochRecord[] {
    return this.epochs;
  }

  /** Where and why the run diverged, or null. */
  get divergenceRecord(): DivergenceRecord | null {
    return this.divergence;
  }

  /**
   * Trains the next batch (first ending the epoch before it where its batches ran out) and
   * returns its record; null when there is nothing left to train.
   */
  step(): BatchRecord | null {
    while (!this.finished) {
      if (this.epoch === null) {
        if (this.nextEpoch > this.options.epochs) {
          this.finished = true;
          break;
        }
        this.epoch = { number: this.nextEpoch, started: performance.now(), batches: [], index: 0, source: this.data.trainingBatches(this.nextEpoch)[Symbol.iterator]() };
      }
      const next = this.epoch.source.next();
      if (next.done === true) {
        this.endEpoch();
        continue;
      }
      const record = this.trainBatch(this.epoch, next.value);
      if (this.divergence !== null) this.endEpoch();
      return record;
    }
    return null;
  }

  /** The run's outcome: the records so far and the test split's score (evaluated now, once training is done). */
  outcome(): TrainingOutcome {
    const test = this.divergence === null ? evaluateBatches(this.model, this.data.testBatches(), this.data.loss, this.accuracyFromStep) : null;
    const last = this.epochs.at(-1);
    return {
      epochs: this.epochs,
      batches: this.batches,
      divergence: this.divergence,
      final: {
        loss: last?.meanLoss ?? null,
        accuracy: last?.meanAccuracy ?? null,
        validationLoss: last?.validationLoss ?? null,
        validationAccuracy: last?.validationAccuracy ?? null,
        testLoss: test === null ? null : encodeNumber(test.loss),
        testAccuracy: test?.accuracy ?? null,
        minLayerGradientNorm: last?.meanMinLayerGradientNorm ?? null,
      },
      seconds: (performance.now() - this.started) / 1000,
    };
  }

  private readonly currentState = (): TrainingState => ({
    epochs: [...this.epochs],
    weights: this.parameters.map((p) => p.data.slice()),
    optimizer: this.optimizer.exportState(),
    batchOrder: this.data.orderState?.() ?? null,
  });

  /** Validates and summarises the epoch (none when not one of its batches finished) and moves on. */
  private endEpoch(): void {
    const epoch = this.epoch!;
    this.epoch = null;
    this.nextEpoch = epoch.number + 1;
    if (this.divergence !== null) this.finished = true;
    if (epoch.batches.length === 0) {
      this.finished = true;
      return;
    }
    const validation = this.divergence === null ? evaluateBatches(this.model, this.data.validationBatches(), this.data.loss, this.accuracyFromStep) : null;
    const record = summariseEpoch(epoch.number, epoch.batches, this.names, validation, (performance.now() - epoch.started) / 1000);
    this.epochs.push(record);
    this.listener.onEpoch?.(record, this.divergence === null ? this.currentState : null);
  }

  private trainBatch(epoch: NonNullable<Training['epoch']>, batch: SequenceBatch): BatchRecord {
    const { model, data, parameters, names, optimizer } = this;
    const kernels = model.kernels;
    epoch.index++;
    const batchIndex = epoch.index;
    const recordThrough = (batchIndex - 1) % this.hiddenGradientEvery === 0;
    const probe = recordThrough && (batchIndex - 1) % this.lastStepProbeEvery === 0;
    const result = model.lossAndGradients({ ...batch, loss: data.loss }, { lastStepProbe: probe });
    const norms = measureGradientNorms(parameters, kernels, this.gradientNormBuffer);
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
    const scored = scoredPredictions(result, this.accuracyFromStep, batch.batchSize);
    const record: BatchRecord = {
      epoch: epoch.number,
      batch: batchIndex,
      batchSize: batch.batchSize,
      loss: encodeNumber(result.loss),
      accuracy: data.loss === 'cross_entropy' ? scored.correct / scored.counted : null,
      gradientNorms,
      totalGradientNorm: encodeNumber(norms.total),
      minLayerGradientNorm: encodeNumber(minNorm),
      minLayerParameter: minName,
      zeroGradientParameters,
      rescaleFactor: 1,
      updateToWeightRatio: {},
      saturatedFraction: result.saturatedFraction,
      activationRms: result.activationRms.map(encodeNumber),
    };
    if (recordThrough) {
      const through = recordThroughTime(result);
      record.hiddenGradientNorms = through.hiddenGradientNorms;
      record.inputGradientNorms = through.inputGradientNorms;
      if (result.lastStepProbe !== null) record.lastStepProbe = recordThroughTime(result.lastStepProbe);
    }
    // Before clipping and the update: the gradient as backpropagation made it, the weights it was taken at.
    if ((batchIndex - 1) % this.histogramEvery === 0) record.histograms = weightHistograms(parameters);
    const progress = { epoch: epoch.number, batch: batchIndex, batchesPerEpoch: data.batchesPerEpoch };
    const diverged = (reason: string): BatchRecord => {
      this.divergence = { epoch: epoch.number, batch: batchIndex, reason };
      if (this.keepBatches) this.batches.push(record);
      this.listener.onBatch?.(record, progress);
      return record;
    };
    const reason = nonFiniteReason(result.loss, norms.perParameter, names);
    if (reason !== null) {
      for (const name of names) record.updateToWeightRatio[name] = 0;
      return diverged(reason);
    }
    record.rescaleFactor = rescaleGradients(parameters, kernels, norms.total, { maxNorm: this.options.clipMaxNorm, minNorm: this.options.clipMinNorm });
    optimizer.step();
    let nonFiniteWeight: string | null = null;
    parameters.forEach((p, i) => {
      // Relative to the weights BEFORE the step: after a huge step the new weights are the step itself.
      const before = optimizer.lastNormsBefore[i];
      if (!Number.isFinite(optimizer.lastNormsAfter[i]) && nonFiniteWeight === null) nonFiniteWeight = p.name;
      record.updateToWeightRatio[p.name] = encodeNumber(before > 0 ? optimizer.lastUpdateNorms[i] / before : 0);
    });
    if (nonFiniteWeight !== null) return diverged(`weights of ${nonFiniteWeight} are not finite after the update`);
    if (this.keepBatches) this.batches.push(record);
    epoch.batches.push(record);
    this.listener.onBatch?.(record, progress);
    return record;
  }
}

/** Puts `state` into the parameters, the optimiser and the batch source; throws, naming the misfit, before changing anything when it does not fit them. */
function restoreTrainingState(state: TrainingState, parameters: readonly Parameter[], optimizer: Optimizer, data: BatchSource): void {
  if (state.weights.length !== parameters.length) throw new Error(`resume: ${state.weights.length} weight arrays for ${parameters.length} parameters`);
  parameters.forEach((p, i) => {
    const saved = state.weights[i];
    if (saved.constructor !== p.data.constructor || saved.length !== p.data.length) {
      throw new Error(`resume: ${p.name} needs ${p.data.length} values of ${p.data.constructor.name}, got ${saved.length} of ${saved.constructor.name}`);
    }
  });
  if ((state.batchOrder === null) !== (data.orderState === undefined)) throw new Error('resume: the batch order state does not fit the batch source');
  const orderProblem = state.batchOrder === null ? null : randomStateProblem(state.batchOrder);
  if (orderProblem !== null) throw new Error(`resume: batch order: ${orderProblem}`);
  if (state.epochs.some((record, i) => record.epoch !== i + 1)) throw new Error('resume: the epoch records are not epochs 1, 2, …');
  optimizer.importState(state.optimizer);
  parameters.forEach((p, i) => p.data.set(state.weights[i]));
  if (state.batchOrder !== null) data.restoreOrderState?.(state.batchOrder);
}

/** Magnitude histograms of every weight matrix (not the biases) and of its gradient. */
function weightHistograms(parameters: readonly Parameter[]): NonNullable<BatchRecord['histograms']> {
  const gradient: Record<string, MagnitudeHistogram> = {};
  const weight: Record<string, MagnitudeHistogram> = {};
  for (const p of parameters) {
    if (p.shape.length !== 2) continue;
    gradient[p.name] = magnitudeHistogram(p.grad);
    weight[p.name] = magnitudeHistogram(p.data);
  }
  return { gradient, weight };
}

/** Why a batch counts as diverged, or null when its loss and every gradient norm are finite. */
function nonFiniteReason(loss: number, gradientNorms: Float64Array, names: string[]): string | null {
  if (!Number.isFinite(loss)) return `loss is ${loss}`;
  for (let i = 0; i < gradientNorms.length; i++) {
    if (!Number.isFinite(gradientNorms[i])) return `gradient of ${names[i]} has norm ${gradientNorms[i]}`;
  }
  return null;
}

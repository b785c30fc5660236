/**
 * Runs one experiment from its resolved configuration: data → model → trainer → recorder →
 * diagnosis, streaming every record into the experiment's folder (record/run-folder-write.ts) and
 * saving a checkpoint after every epoch (checkpoint.ts). Synchronous and self-contained, so it
 * runs the same in the main thread or in a worker; the same configuration gives bit-identical
 * records wherever it runs — and whether it ran in one go or was stopped and resumed from a
 * checkpoint, or finished and extended to more epochs.
 */
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { makeFolder } from '../record/output-folder.js';
import type { DatasetOptions } from '../data/load.js';
import { datasetOptionsFromFile, loadDataset } from '../data/load.js';
import { appendToTrace, diagnose, traceOfBatches } from '../diagnose/diagnose.js';
import { createModel } from '../model/model.js';
import type { BatchRecord, EpochRecord, ExperimentSummary, RecordedNumber } from '../record/metrics.js';
import { batchSourceFromDataset } from '../train/batch-source.js';
import type { OptimizerOptions } from '../train/optimizers.js';
import { trainExperiment } from '../train/trainer.js';
import type { DataSection, ExperimentConfig, TrainingSection } from './suite.js';
import { modelOptionsFromFile } from './suite.js';
import { ExperimentWriter, writeJson } from '../record/run-folder-write.js';
import { experimentFiles } from '../record/run-format.js';
import { join } from 'node:path';
import type { Model } from '../model/model.js';
import type { BatchSource } from '../train/trainer.js';
import type { Checkpoint } from './checkpoint.js';
import { datasetFingerprint, readCheckpoint, streamPrefixProblem, writeCheckpoint } from './checkpoint.js';
import { datasetShape, hiddenGradientEvery } from './record-size.js';
import { predictionRecord } from '../theory/prediction-record.js';

/** What a running experiment tells its caller (small and plain: it crosses thread boundaries). */
export type ExperimentEvent =
  /** `firstEpoch`: 1, or the epoch a resumed experiment continues with (the ones before are in its checkpoint). */
  | { type: 'start'; experiment: string; epochs: number; firstEpoch: number; batchesPerEpoch: number; kernels: string }
  | { type: 'batch'; experiment: string; epoch: number; batch: number; batchesPerEpoch: number; batchSize: number; loss: RecordedNumber }
  /** Something the user should know about this experiment's run (e.g. why it could not resume). */
  | { type: 'notice'; experiment: string; message: string }
  | {
    type: 'epoch'; experiment: string; epoch: number; epochs: number; meanLoss: RecordedNumber; meanTotalGradientNorm: RecordedNumber;
    meanMinLayerGradientNorm: RecordedNumber; validationAccuracy: number | null; validationLoss: RecordedNumber | null;
  }
  | { type: 'done'; experiment: string; summary: ExperimentSummary };

/** The data module's options from an experiment file's `data` section (nulls mean "default"). */
export function datasetOptions(data: DataSection): DatasetOptions {
  const { dataset, ...fileOptions } = data;
  return datasetOptionsFromFile(dataset, fileOptions);
}

export function optimizerOptions(training: TrainingSection): OptimizerOptions {
  return training.optimizer === 'adam'
    ? { type: 'adam', learningRate: training.learning_rate, beta1: training.beta1, beta2: training.beta2, epsilon: training.epsilon, weightDecay: training.weight_decay }
    : { type: 'sgd', learningRate: training.learning_rate, momentum: training.momentum, weightDecay: training.weight_decay, nesterov: training.nesterov };
}

function epochEvent(experiment: string, epochs: number, record: EpochRecord): ExperimentEvent {
  return {
    type: 'epoch', experiment, epoch: record.epoch, epochs, meanLoss: record.meanLoss, meanTotalGradientNorm: record.meanTotalGradientNorm,
    meanMinLayerGradientNorm: record.meanMinLayerGradientNorm, validationAccuracy: record.validationAccuracy, validationLoss: record.validationLoss,
  };
}

/** How an experiment starts. */
export interface RunExperimentOptions {
  /**
   * Continue from the checkpoint in `folder` when it has a usable one (a resumed or extended
   * run); without one, or when it does not fit, train from the start and say why (a notice).
   */
  resume?: boolean;
}

/** Where a resumed experiment continues: its checkpoint, and the batch stream file that file covers. */
interface ContinuePoint {
  checkpoint: Checkpoint;
  stream: string;
}

/**
 * The checkpoint to continue from, or why there is none that fits (null: the experiment never
 * started, nothing to say). Reads only; nothing is changed until it fits.
 */
function continuePoint(folder: string, config: ExperimentConfig, model: Model, source: BatchSource, fingerprint: string): ContinuePoint | { problem: string } | null {
  if (!existsSync(folder)) return null;
  const reading = readCheckpoint(folder, { config, parameters: model.parameters(), dataFingerprint: fingerprint, hasBatchOrder: source.orderState !== undefined });
  if ('problem' in reading) return reading;
  // Killed while finishing, or finished and now extended: the stream was already renamed whole.
  const partial = join(folder, experimentFiles.batchesPartial);
  const stream = existsSync(partial) ? partial : join(folder, experimentFiles.batches);
  const problem = streamPrefixProblem(stream, reading.checkpoint.batches.segments);
  if (problem !== null) return { problem: `checkpoint does not fit: ${problem}` };
  return { checkpoint: reading.checkpoint, stream };
}

/**
 * Makes `folder` the records of `point`: the stream back under its streaming name, the summary
 * of a finished run and a failed attempt's error removed, temporary files of a killed write
 * dropped. In this order, so a kill at any moment leaves a folder a later resume reads the same.
 */
function reopenRecords(folder: string, point: ContinuePoint): void {
  const partial = join(folder, experimentFiles.batchesPartial);
  if (point.stream !== partial) renameSync(point.stream, partial);
  for (const file of [experimentFiles.summary, experimentFiles.error]) rmSync(join(folder, file), { force: true });
  for (const file of readdirSync(folder)) if (/^\..*\.tmp$/.test(file)) rmSync(join(folder, file), { force: true });
}

/**
 * Trains `config` into `folder` and returns the summary it wrote last. From the start (the folder
 * emptied first: an unfinished earlier attempt is discarded) or, with `resume`, from the folder's
 * checkpoint (see RunExperimentOptions).
 *
 * `config` is an experiment in the file format's spelling (snake_case, every default filled in, as
 * `resolveSuite` returns it and a run's config.json holds it), not createModel's camelCase options:
 * an experiment read back from a run folder runs again as it is, and its records name the fields
 * as the user wrote them. The one conversion to the library's options is modelOptionsFromFile /
 * datasetOptionsFromFile, generated from the field table.
 */
export function runExperiment(config: ExperimentConfig, folder: string, onEvent: (event: ExperimentEvent) => void = () => {}, options: RunExperimentOptions = {}): ExperimentSummary {
  const started = performance.now();
  const { model: m, training } = config;
  const dataset = loadDataset(datasetOptions(config.data), training.seed);
  const model = createModel(modelOptionsFromFile(m, dataset, training.seed));
  const source = batchSourceFromDataset(dataset, { batchSize: training.batch_size, samplesPerEpoch: training.samples_per_epoch, seed: training.seed });
  const parameterNames = model.parameterNames();
  const fingerprint = datasetFingerprint(dataset);
  const notice = (message: string): void => onEvent({ type: 'notice', experiment: config.name, message });

  let resumed: Checkpoint | null = null;
  if (options.resume === true) {
    const point = continuePoint(folder, config, model, source, fingerprint);
    if (point !== null && 'problem' in point) {
      notice(`${point.problem}: trained from the start`);
    } else if (point !== null) {
      reopenRecords(folder, point);
      resumed = point.checkpoint;
      if (resumed.kernels !== model.kernels.name) {
        notice(`its first ${resumed.training.epochs.length} epochs ran on the ${resumed.kernels} kernels, the rest run on ${model.kernels.name}: the records can differ in the last digits from a run on one of them`);
      }
    }
  }
  if (resumed === null) {
    rmSync(folder, { recursive: true, force: true });
    makeFolder(folder);
  }
  writeJson(join(folder, experimentFiles.config), config);
  const writer = resumed === null
    ? new ExperimentWriter(folder, parameterNames)
    : new ExperimentWriter(folder, parameterNames, { epochs: resumed.training.epochs, batchBytes: resumed.batches.segments.reduce((sum, segment) => sum + segment.bytes, 0) });
  const firstEpoch = (resumed?.training.epochs.length ?? 0) + 1;
  onEvent({ type: 'start', experiment: config.name, epochs: training.epochs, firstEpoch, batchesPerEpoch: source.batchesPerEpoch, kernels: model.kernels.name });

  // What the diagnosis reads of the whole run: the first batch in full, and a few scalars of every batch.
  let firstBatch: BatchRecord | null = resumed?.firstBatch ?? null;
  const trace = resumed?.trace ?? traceOfBatches([]);
  // The checkpoint's account of the batch stream, kept up to date epoch by epoch.
  let lines = resumed?.batches.lines ?? 0;
  const segments = [...(resumed?.batches.segments ?? [])];
  const earlierSeconds = resumed?.elapsedSeconds ?? 0;
  const elapsed = (): number => earlierSeconds + (performance.now() - started) / 1000;
  let outcome;
  try {
    outcome = trainExperiment(model, source, {
      optimizer: optimizerOptions(training),
      epochs: training.epochs,
      clipMaxNorm: training.clip_max_norm,
      clipMinNorm: training.clip_min_norm,
      hiddenGradientEvery: hiddenGradientEvery(config, datasetShape(dataset)),
      lastStepProbeEvery: config.record.last_step_probe_every,
      histogramEvery: config.record.histogram_every,
      keepBatches: false,
      resume: resumed?.training,
    }, {
      onBatch: (record, progress) => {
        writer.writeBatch(record);
        lines++;
        firstBatch ??= record;
        appendToTrace(trace, record);
        onEvent({ type: 'batch', experiment: config.name, epoch: progress.epoch, batch: progress.batch, batchesPerEpoch: progress.batchesPerEpoch, batchSize: record.batchSize, loss: record.loss });
      },
      onEpoch: (record, state) => {
        writer.writeEpoch(record);
        // After a divergence there is nothing to continue: the last checkpoint stays the one before it.
        if (state !== null) {
          segments.push(writer.sealEpochSegment(record.epoch));
          writeCheckpoint(folder, {
            experiment: config.name, config, dataFingerprint: fingerprint, kernels: model.kernels.name, training: state(),
            batches: { lines, segments: [...segments] }, trace, firstBatch, elapsedSeconds: elapsed(),
          }, model.parameters());
        }
        onEvent(epochEvent(config.name, training.epochs, record));
      },
    });
  } catch (error) {
    writer.closeBatches();
    throw error;
  }

  const d = config.diagnosis;
  const requiredLag = d.required_lag === null
    ? dataset.requiredLag
    : { steps: Math.min(d.required_lag, dataset.steps - 1), reason: `diagnosis.required_lag = ${d.required_lag}` };
  const verdict = diagnose({
    epochs: outcome.epochs,
    divergence: outcome.divergence,
    firstBatch,
    trace,
    parameterNames,
    numLayers: m.num_layers,
    steps: dataset.steps,
    task: { lossAtEveryStep: dataset.output === 'every', requiredLag, chance: dataset.baseline },
    setup: { init: m.init, nonlinearity: m.nonlinearity, cell: m.cell, clipMinNorm: training.clip_min_norm },
  }, {
    borderlineTimeConstants: d.borderline_time_constants, vanishingTimeConstants: d.vanishing_time_constants, explodedLossFactor: d.exploded_loss_factor,
    explodingUpdateRatio: d.exploding_update_ratio, absoluteVanishing: d.absolute_vanishing, learnedLossFraction: d.learned_loss_fraction,
    chanceMargin: d.chance_margin, judgedEpochs: d.judged_epochs,
  });
  const summary: ExperimentSummary = {
    name: config.name,
    modelType: config.model_type,
    mitigation: config.mitigation,
    status: outcome.divergence === null ? 'finished' : 'diverged',
    divergence: outcome.divergence,
    epochsCompleted: outcome.epochs.length,
    parameterNames,
    numLayers: m.num_layers,
    cell: m.cell,
    nonlinearity: m.cell === 'rnn' ? m.nonlinearity : 'tanh',
    steps: dataset.steps,
    final: outcome.final,
    baseline: { ...dataset.baseline },
    verdict,
    expected: config.expect,
    seconds: elapsed(),
    kernels: model.kernels.name,
    prediction: predictionRecord(model.config, dataset, requiredLag.steps),
  };
  writer.finish(summary);
  // A finished run keeps its last checkpoint: `--resume --epochs N` continues from it. A diverged
  // one has nothing to continue (more epochs would end at the same NaN), so it is removed.
  if (outcome.divergence !== null) rmSync(join(folder, experimentFiles.checkpoint), { force: true });
  onEvent({ type: 'done', experiment: config.name, summary });
  return summary;
}

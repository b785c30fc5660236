/**
 * Runs one experiment from its resolved configuration: data → model → trainer → recorder →
 * diagnosis, streaming every record into the experiment's folder (experiment-files.ts).
 * Synchronous and self-contained, so it runs the same in the main thread or in a worker; the
 * same configuration gives bit-identical records wherever it runs.
 */
import { rmSync } from 'node:fs';
import { makeFolder } from '../record/output-folder.js';
import type { DatasetOptions } from '../data/load.js';
import { loadDataset } from '../data/load.js';
import { appendToTrace, diagnose, traceOfBatches } from '../diagnose/diagnose.js';
import { createModel } from '../model/model.js';
import type { BatchRecord, EpochRecord, ExperimentSummary, RecordedNumber } from '../record/metrics.js';
import { batchSourceFromDataset } from '../train/batch-source.js';
import type { OptimizerOptions } from '../train/optimizers.js';
import { trainExperiment } from '../train/trainer.js';
import { camelCase } from './fields.js';
import type { DataSection, ExperimentConfig, TrainingSection } from './suite.js';
import { ExperimentWriter, experimentFiles, writeJson } from './experiment-files.js';
import { join } from 'node:path';

/** What a running experiment tells its caller (small and plain: it crosses thread boundaries). */
export type ExperimentEvent =
  | { type: 'start'; experiment: string; epochs: number; batchesPerEpoch: number; kernels: string }
  | { type: 'batch'; experiment: string; epoch: number; batch: number; batchesPerEpoch: number; loss: RecordedNumber }
  | {
    type: 'epoch'; experiment: string; epoch: number; epochs: number; meanLoss: RecordedNumber; meanTotalGradientNorm: RecordedNumber;
    meanMinLayerGradientNorm: RecordedNumber; validationAccuracy: number | null; validationLoss: RecordedNumber | null;
  }
  | { type: 'done'; experiment: string; summary: ExperimentSummary };

/** The data module's options from an experiment file's `data` section (nulls mean "default"). */
export function datasetOptions(data: DataSection): DatasetOptions {
  const options: Record<string, unknown> = { name: data.dataset };
  for (const [key, value] of Object.entries(data)) {
    if (key !== 'dataset' && value !== null) options[camelCase(key)] = value;
  }
  return options as unknown as DatasetOptions;
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

/**
 * Trains `config` into `folder` (emptied first: an unfinished earlier attempt is discarded) and
 * returns the summary it wrote last.
 */
export function runExperiment(config: ExperimentConfig, folder: string, onEvent: (event: ExperimentEvent) => void = () => {}): ExperimentSummary {
  const started = performance.now();
  rmSync(folder, { recursive: true, force: true });
  makeFolder(folder);
  writeJson(join(folder, experimentFiles.config), config);

  const { model: m, training } = config;
  const dataset = loadDataset(datasetOptions(config.data), training.seed);
  const model = createModel({
    architecture: m.architecture, cell: m.cell, nonlinearity: m.nonlinearity, inputSize: dataset.inputSize,
    hiddenSize: m.hidden_size, numLayers: m.num_layers, outputSize: dataset.outputSize, output: dataset.output,
    init: m.init, recurrentGain: m.recurrent_gain, forgetBias: m.forget_bias ?? undefined, seed: training.seed, dtype: m.dtype,
  });
  const source = batchSourceFromDataset(dataset, { batchSize: training.batch_size, samplesPerEpoch: training.samples_per_epoch, seed: training.seed });
  const parameterNames = model.parameterNames();
  const writer = new ExperimentWriter(folder, parameterNames);
  onEvent({ type: 'start', experiment: config.name, epochs: training.epochs, batchesPerEpoch: source.batchesPerEpoch, kernels: model.kernels.name });

  // What the diagnosis reads of the whole run: the first batch in full, and a few scalars of every batch.
  let firstBatch: BatchRecord | null = null;
  const trace = traceOfBatches([]);
  let outcome;
  try {
    outcome = trainExperiment(model, source, {
      optimizer: optimizerOptions(training),
      epochs: training.epochs,
      clipMaxNorm: training.clip_max_norm,
      clipMinNorm: training.clip_min_norm,
      hiddenGradientEvery: config.record.hidden_gradient_every,
      lastStepProbeEvery: config.record.last_step_probe_every,
      histogramEvery: config.record.histogram_every,
      keepBatches: false,
    }, {
      onBatch: (record, progress) => {
        writer.writeBatch(record);
        firstBatch ??= record;
        appendToTrace(trace, record);
        onEvent({ type: 'batch', experiment: config.name, epoch: progress.epoch, batch: progress.batch, batchesPerEpoch: progress.batchesPerEpoch, loss: record.loss });
      },
      onEpoch: (record) => {
        writer.writeEpoch(record);
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
    seconds: (performance.now() - started) / 1000,
    kernels: model.kernels.name,
  };
  writer.finish(summary);
  onEvent({ type: 'done', experiment: config.name, summary });
  return summary;
}

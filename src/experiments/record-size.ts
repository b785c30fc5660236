/**
 * What an experiment's records will cost on the disk, known before it trains, and the one
 * recording choice made by cost: how often the gradient through time (‖∂L/∂h_t‖ for every layer
 * and step, ‖∂L/∂x_t‖ for every step) is recorded when the experiment file leaves it to us.
 *
 * The estimate builds the records the run will write — a batch record with and without the
 * gradient through time, the histograms of the model's initial weights, an epoch record
 * summarised from them — with numbers written to full precision, as the trainer writes them, and
 * counts how many of each the run writes. Tested against real runs (within 25 %).
 */
import type { SequenceDataset } from '../data/dataset.js';
import type { HeadPlacement } from '../model/config.js';
import { createModel } from '../model/model.js';
import { summariseEpoch } from '../record/epoch-summary.js';
import { magnitudeHistogram } from '../record/histogram.js';
import type { MagnitudeHistogram } from '../record/histogram.js';
import type { BatchRecord, RecordedNumber } from '../record/metrics.js';
import type { ExperimentConfig } from './suite.js';
import { modelOptionsFromFile } from './suite.js';

/** The dataset's sizes that decide the records' sizes. */
export interface DatasetShape {
  steps: number;
  inputSize: number;
  outputSize: number;
  output: HeadPlacement;
  loss: SequenceDataset['loss'];
  trainSize: number;
}

export function datasetShape(dataset: SequenceDataset): DatasetShape {
  return { steps: dataset.steps, inputSize: dataset.inputSize, outputSize: dataset.outputSize, output: dataset.output, loss: dataset.loss, trainSize: dataset.train.size };
}

/**
 * With `hidden_gradient_every: null` (the default), the gradient through time is recorded on
 * every batch while an epoch's worth of it stays within this many numbers (about 5 MB of JSON),
 * and on every k-th batch, the smallest k that keeps it within, beyond. Every preset but `seed`
 * stays within at k = 1; the `seed` preset's 21 × 784 values per batch make it k = 9.
 */
export const throughTimeNumbersPerEpoch = 250_000;

/** Training batches per epoch, as the batch source makes them. */
export function batchesPerEpoch(config: ExperimentConfig, shape: Pick<DatasetShape, 'trainSize'>): number {
  const samples = Math.min(shape.trainSize, config.training.samples_per_epoch ?? shape.trainSize);
  return Math.ceil(samples / config.training.batch_size);
}

/** The k of "record the gradient through time on every k-th batch" this experiment runs with. */
export function hiddenGradientEvery(config: ExperimentConfig, shape: Pick<DatasetShape, 'steps' | 'trainSize'>): number {
  const configured = config.record.hidden_gradient_every;
  if (configured !== null) return configured;
  const perBatch = (config.model.num_layers + 1) * shape.steps;
  return Math.max(1, Math.ceil((batchesPerEpoch(config, shape) * perBatch) / throughTimeNumbersPerEpoch));
}

export interface RecordEstimate {
  batchesPerEpoch: number;
  hiddenGradientEvery: number;
  /** batches.jsonl at the end. */
  batchBytes: number;
  /** epochs.jsonl and epochs.csv. */
  epochBytes: number;
  /** checkpoint.bin after the last epoch. */
  checkpointBytes: number;
  totalBytes: number;
}

/** A number written as the trainer writes a measured one: a double to full precision. */
const measured = 0.012345678901234568;
/** A fraction of units or predictions (shorter: a ratio of small counts). */
const fraction = 0.123046875;

/** Batches of an epoch `every`-th from the first: 1, 1 + every, … */
function everyKth(batches: number, every: number): number {
  return Math.ceil(batches / every);
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/** The records' sizes of `config` on a dataset of `shape` (see the file comment). */
export function estimateRecords(config: ExperimentConfig, shape: DatasetShape): RecordEstimate {
  const { model: m, training, record } = config;
  // The model itself gives the parameters' names and shapes, and weights for the histograms: with
  // PyTorch's default init, a uniform fill (an orthogonal init takes seconds at 20 × 256 and changes
  // the histograms' width by a bin or two).
  const model = createModel({ ...modelOptionsFromFile(m, shape, training.seed), init: 'default' });
  const parameters = model.parameters();
  const names = parameters.map((p) => p.name);
  const perName = (): Record<string, RecordedNumber> => Object.fromEntries(names.map((name) => [name, measured]));
  const layers = m.num_layers;
  const base: BatchRecord = {
    epoch: 10, batch: 100, batchSize: training.batch_size, loss: measured, accuracy: shape.loss === 'cross_entropy' ? fraction : null,
    gradientNorms: perName(), totalGradientNorm: measured, minLayerGradientNorm: measured, minLayerParameter: names[0], zeroGradientParameters: 0,
    rescaleFactor: training.clip_max_norm !== null || training.clip_min_norm !== null ? measured : 1, updateToWeightRatio: perName(),
    saturatedFraction: new Array<number>(layers).fill(fraction), activationRms: new Array<RecordedNumber>(layers).fill(measured),
  };
  const through = { hiddenGradientNorms: Array.from({ length: layers }, () => new Array<RecordedNumber>(shape.steps).fill(measured)), inputGradientNorms: new Array<RecordedNumber>(shape.steps).fill(measured) };
  const histograms: Record<string, MagnitudeHistogram> = {};
  for (const p of parameters) if (p.shape.length === 2) histograms[p.name] = magnitudeHistogram(p.data);
  const withThrough: BatchRecord = { ...base, ...through };
  const withProbe: BatchRecord = { ...withThrough, lastStepProbe: through };
  const withHistograms: BatchRecord = { ...base, histograms: { gradient: histograms, weight: histograms } };
  const length = (value: unknown): number => Buffer.byteLength(`${JSON.stringify(value)}\n`, 'utf8');
  const baseBytes = length(base);

  const perEpoch = batchesPerEpoch(config, shape);
  const every = hiddenGradientEvery(config, shape);
  const probeEvery = record.last_step_probe_every;
  const recorded = everyKth(perEpoch, every);
  const probed = shape.output === 'every' ? everyKth(perEpoch, (every * probeEvery) / greatestCommonDivisor(every, probeEvery)) : 0;
  const histogrammed = everyKth(perEpoch, record.histogram_every);
  const epochBatchBytes = perEpoch * baseBytes
    + recorded * (length(withThrough) - baseBytes)
    + probed * (length(withProbe) - length(withThrough))
    + histogrammed * (length(withHistograms) - baseBytes);
  const epochRecord = summariseEpoch(10, shape.output === 'every' ? [withProbe] : [withThrough], names, { loss: measured, accuracy: fraction }, measured);
  const epochRecordBytes = length(epochRecord);
  const csvRowBytes = (names.length + 9) * 20;
  const epochs = training.epochs;
  const batchBytes = epochs * epochBatchBytes;
  const epochBytes = epochs * (epochRecordBytes + csvRowBytes);
  const buffers = training.optimizer === 'adam' ? 2 : training.momentum > 0 ? 1 : 0;
  const values = parameters.reduce((sum, p) => sum + p.data.length, 0);
  const traceBytes = epochs * perEpoch * 5 * 20;
  const checkpointBytes = values * (m.dtype === 'float64' ? 8 : 4) * (1 + buffers) + epochs * epochRecordBytes + length(withProbe) + traceBytes;
  return { batchesPerEpoch: perEpoch, hiddenGradientEvery: every, batchBytes, epochBytes, checkpointBytes, totalBytes: batchBytes + epochBytes + checkpointBytes };
}

/** Bytes for people: 980 kB, 12 MB, 1.9 GB (powers of 1000, as disks are sold). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} bytes`;
  return `${value >= 100 ? Math.round(value) : value >= 10 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

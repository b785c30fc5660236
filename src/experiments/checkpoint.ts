/**
 * An experiment's checkpoint, `checkpoint.bin` in its folder: everything a resumed run needs to
 * continue after the last finished epoch and end bit-identical to an uninterrupted run — the
 * training state (weights, the optimiser's step count and buffers, the batch order's generator),
 * the records so far (the epoch records, the diagnosis's per-batch trace and first batch), and
 * where the batch records of those epochs end in the batch stream, with a SHA-256 of each epoch's
 * part so the stream can be checked and cut back to it.
 *
 * Layout (version 1): the magic line `vanishing-checkpoint\n`; the header's length (uint32,
 * little-endian); the header (JSON, UTF-8); the arrays it lists, each little-endian in the
 * model's precision; and the SHA-256 of everything before it (32 bytes). Written atomically (see
 * record/atomic-file.ts). Read back, everything is checked — the checksum, the version, every
 * header field, the arrays' sizes against the model — and any problem is one line saying why
 * the checkpoint cannot be used; never a crash, never a resume from a state that does not fit.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { SequenceDataset } from '../data/dataset.js';
import type { RunTrace } from '../diagnose/measures.js';
import type { FloatArray } from '../kernels/kernels.js';
import type { Parameter } from '../model/parameters.js';
import { randomStateProblem } from '../random.js';
import type { RandomState } from '../random.js';
import { writeFileAtomically } from '../record/atomic-file.js';
import { experimentFiles } from '../record/run-format.js';
import type { StreamSegment } from '../record/run-format.js';
import type { BatchRecord, EpochRecord, RecordedNumber } from '../record/metrics.js';
import { decodeNumber, encodeNumber } from '../record/metrics.js';
import type { OptimizerState } from '../train/optimizers.js';
import type { TrainingState } from '../train/trainer.js';
import type { ExperimentConfig } from './suite.js';

/** The file's name, for the runner's callers (the run format defines it). */
export const checkpointFile = experimentFiles.checkpoint;
export const checkpointVersion = 1;
const magic = Buffer.from('vanishing-checkpoint\n', 'latin1');
const digestBytes = 32;

/** Everything a checkpoint holds. */
export interface Checkpoint {
  experiment: string;
  /** The configuration trained under; a resume needs the same one, `training.epochs` aside. */
  config: ExperimentConfig;
  /** SHA-256 of the dataset's splits (see `datasetFingerprint`): a data file changed since is not resumed. */
  dataFingerprint: string;
  /** The kernels the epochs so far ran on (resuming on others is allowed, and said). */
  kernels: string;
  training: TrainingState;
  /** The batch stream of the epochs so far: its lines and one segment per epoch. */
  batches: { lines: number; segments: StreamSegment[] };
  /** The diagnosis's per-batch scalars so far. */
  trace: RunTrace;
  /** The first batch's record (the model at initialisation); null before any batch. */
  firstBatch: BatchRecord | null;
  /** Wall-clock seconds spent on this experiment up to the checkpoint, over every attempt. */
  elapsedSeconds: number;
}

/** Bytes of the batch stream the checkpoint covers. */
export function streamBytes(checkpoint: Pick<Checkpoint, 'batches'>): number {
  return checkpoint.batches.segments.reduce((sum, segment) => sum + segment.bytes, 0);
}

/** JSON with object keys sorted, so two equal values give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What decides the training's numbers: the model, the data, the training (its length aside) and what is recorded. */
export function trainingIdentity(config: ExperimentConfig): string {
  const { epochs: _length, ...training } = config.training;
  return canonicalJson({ name: config.name, model: config.model, data: config.data, training, record: config.record });
}

/** SHA-256 over every split's inputs and targets and the shapes: the data a run trains on, whatever file it came from. */
export function datasetFingerprint(dataset: SequenceDataset): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson({ name: dataset.name, steps: dataset.steps, inputSize: dataset.inputSize, outputSize: dataset.outputSize, loss: dataset.loss, output: dataset.output }));
  for (const split of [dataset.train, dataset.validation, dataset.test]) {
    hash.update(`|${split.size}|`);
    hash.update(littleEndianBytes(split.inputs));
    hash.update(littleEndianBytes(split.targets));
  }
  return hash.digest('hex');
}

type ArrayKind = 'float32' | 'float64';

/** The header's description of one stored array. */
interface ArrayEntry {
  /** `weight` or an optimiser buffer kind (`momentum`, `firstMoment`, `secondMoment`). */
  role: string;
  parameter: string;
  dtype: ArrayKind;
  length: number;
}

interface Header {
  format: 'vanishing-checkpoint';
  version: number;
  experiment: string;
  config: ExperimentConfig;
  dataFingerprint: string;
  kernels: string;
  epochs: EpochRecord[];
  optimizer: { type: OptimizerState['type']; steps: number; buffers: string[] };
  batchOrder: RandomState | null;
  batches: { lines: number; segments: StreamSegment[] };
  trace: Record<keyof RunTrace, RecordedNumber[]>;
  firstBatch: BatchRecord | null;
  elapsedSeconds: number;
  arrays: ArrayEntry[];
}

function dtypeOf(array: FloatArray): ArrayKind {
  return array instanceof Float64Array ? 'float64' : 'float32';
}

const bigEndian = endianness() === 'BE';

/** The bytes of a typed array in little-endian order (a copy on big-endian machines only). */
function littleEndianBytes(array: Float32Array | Float64Array | Int32Array): Buffer {
  const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  if (!bigEndian) return bytes;
  const copy = Buffer.from(bytes);
  return array instanceof Float64Array ? copy.swap64() : copy.swap32();
}

function fromLittleEndian(bytes: Buffer, dtype: ArrayKind): FloatArray {
  const copy = Buffer.from(bytes); // aligned, owned memory
  if (bigEndian) {
    if (dtype === 'float64') copy.swap64();
    else copy.swap32();
  }
  return dtype === 'float64'
    ? new Float64Array(copy.buffer, copy.byteOffset, copy.length / 8)
    : new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4);
}

/** Writes `checkpoint` to `folder/checkpoint.bin`, whole or not at all. */
export function writeCheckpoint(folder: string, checkpoint: Checkpoint, parameters: readonly Parameter[]): void {
  const { training } = checkpoint;
  const arrays: { entry: ArrayEntry; data: FloatArray }[] = [];
  parameters.forEach((p, i) => arrays.push({ entry: { role: 'weight', parameter: p.name, dtype: dtypeOf(training.weights[i]), length: training.weights[i].length }, data: training.weights[i] }));
  const bufferKinds = Object.keys(training.optimizer.buffers).sort();
  for (const kind of bufferKinds) {
    training.optimizer.buffers[kind].forEach((buffer, i) => arrays.push({ entry: { role: kind, parameter: parameters[i].name, dtype: dtypeOf(buffer), length: buffer.length }, data: buffer }));
  }
  const encodeTrace = (trace: RunTrace): Header['trace'] => ({
    epoch: trace.epoch, batch: trace.batch, loss: trace.loss.map(encodeNumber),
    totalGradientNorm: trace.totalGradientNorm.map(encodeNumber), rescaleFactor: trace.rescaleFactor.map(encodeNumber),
  });
  const header: Header = {
    format: 'vanishing-checkpoint',
    version: checkpointVersion,
    experiment: checkpoint.experiment,
    config: checkpoint.config,
    dataFingerprint: checkpoint.dataFingerprint,
    kernels: checkpoint.kernels,
    epochs: training.epochs,
    optimizer: { type: training.optimizer.type, steps: training.optimizer.steps, buffers: bufferKinds },
    batchOrder: training.batchOrder,
    batches: checkpoint.batches,
    trace: encodeTrace(checkpoint.trace),
    firstBatch: checkpoint.firstBatch,
    elapsedSeconds: checkpoint.elapsedSeconds,
    arrays: arrays.map((array) => array.entry),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  const parts = [magic, length, headerBytes, ...arrays.map((array) => littleEndianBytes(array.data))];
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  writeFileAtomically(join(folder, experimentFiles.checkpoint), Buffer.concat([...parts, hash.digest()]));
}

/** What a resume checks a checkpoint against. */
export interface CheckpointExpectation {
  config: ExperimentConfig;
  parameters: readonly Parameter[];
  dataFingerprint: string;
  /** The batch source has an order state (a checkpoint of one must hold one). */
  hasBatchOrder: boolean;
}

/** A checkpoint, or why it cannot be used (one line). */
export type CheckpointReading = { checkpoint: Checkpoint } | { problem: string };

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isRecordedNumber = (value: unknown): value is RecordedNumber => (typeof value === 'number' && Number.isFinite(value)) || value === 'NaN' || value === 'Infinity' || value === '-Infinity';
const isNumberList = (value: unknown): value is RecordedNumber[] => Array.isArray(value) && value.every(isRecordedNumber);
const isNumberTable = (value: unknown): value is RecordedNumber[][] => Array.isArray(value) && value.every(isNumberList);
const isNumberMap = (value: unknown): boolean => isObject(value) && Object.values(value).every(isRecordedNumber);
const isFraction = (value: unknown): boolean => value === null || (typeof value === 'number' && Number.isFinite(value));

/** Why `value` is not the record of epoch `epoch`, or null. */
function epochRecordProblem(value: unknown, epoch: number): string | null {
  if (!isObject(value)) return 'not an object';
  const checks: [string, boolean][] = [
    ['epoch', value.epoch === epoch],
    ['batches', isCount(value.batches) && value.batches > 0],
    ['meanLoss', isRecordedNumber(value.meanLoss)],
    ['meanAccuracy', isFraction(value.meanAccuracy)],
    ['meanTotalGradientNorm', isRecordedNumber(value.meanTotalGradientNorm)],
    ['meanMinLayerGradientNorm', isRecordedNumber(value.meanMinLayerGradientNorm)],
    ['meanGradientNorms', isNumberMap(value.meanGradientNorms)],
    ['lastTotalGradientNorms', isNumberList(value.lastTotalGradientNorms)],
    ['meanHiddenGradientNorms', value.meanHiddenGradientNorms === null || isNumberTable(value.meanHiddenGradientNorms)],
    ['meanInputGradientNorms', value.meanInputGradientNorms === null || isNumberList(value.meanInputGradientNorms)],
    ['meanLastStepProbe', value.meanLastStepProbe === null || (isObject(value.meanLastStepProbe) && isNumberTable(value.meanLastStepProbe.hiddenGradientNorms) && isNumberList(value.meanLastStepProbe.inputGradientNorms))],
    ['meanActivationRms', isNumberList(value.meanActivationRms)],
    ['meanSaturatedFraction', Array.isArray(value.meanSaturatedFraction) && value.meanSaturatedFraction.every((f) => typeof f === 'number')],
    ['meanUpdateToWeightRatio', isNumberMap(value.meanUpdateToWeightRatio)],
    ['validationLoss', value.validationLoss === null || isRecordedNumber(value.validationLoss)],
    ['validationAccuracy', isFraction(value.validationAccuracy)],
    ['seconds', typeof value.seconds === 'number' && Number.isFinite(value.seconds)],
  ];
  const bad = checks.find(([, ok]) => !ok);
  return bad === undefined ? null : `${bad[0]} is not what an epoch record holds`;
}

/** Why `value` is not a first batch record (epoch 1, batch 1), or null. */
function firstBatchProblem(value: unknown): string | null {
  if (!isObject(value)) return 'not an object';
  if (value.epoch !== 1 || value.batch !== 1) return 'not epoch 1, batch 1';
  if (!isNumberMap(value.gradientNorms) || !isRecordedNumber(value.loss) || !isRecordedNumber(value.totalGradientNorm)) return 'its loss or gradient norms are not numbers';
  if (value.hiddenGradientNorms !== undefined && !isNumberTable(value.hiddenGradientNorms)) return 'hiddenGradientNorms is not a table of numbers';
  if (value.inputGradientNorms !== undefined && !isNumberList(value.inputGradientNorms)) return 'inputGradientNorms is not a list of numbers';
  if (value.activationRms !== undefined && !isNumberList(value.activationRms)) return 'activationRms is not a list of numbers';
  if (!Array.isArray(value.saturatedFraction)) return 'saturatedFraction is not a list';
  return null;
}

/** The header's problems against what the run expects, one line each (empty: it fits). */
function headerProblems(header: Record<string, unknown>, expected: CheckpointExpectation, payloadBytes: number): string[] {
  const problems: string[] = [];
  if (header.format !== 'vanishing-checkpoint') return ['not a checkpoint (format)'];
  if (header.version !== checkpointVersion) return [`format version ${String(header.version)}, this vanishing reads version ${checkpointVersion}`];
  if (header.experiment !== expected.config.name) problems.push(`it is experiment ${JSON.stringify(header.experiment)}'s`);
  if (!isObject(header.config) || !isObject(header.config.training) || trainingIdentity(header.config as unknown as ExperimentConfig) !== trainingIdentity(expected.config)) {
    problems.push('it was trained with another configuration (model, data, training or record fields differ)');
  }
  if (header.dataFingerprint !== expected.dataFingerprint) problems.push('the data differ from the data it was trained on');
  if (typeof header.kernels !== 'string') problems.push('kernels: not a name');
  const epochs = header.epochs;
  if (!Array.isArray(epochs) || epochs.length === 0) {
    problems.push('epochs: no epoch records');
  } else {
    if (epochs.length > expected.config.training.epochs) problems.push(`it holds ${epochs.length} epochs, the run asks for ${expected.config.training.epochs}`);
    epochs.forEach((record, i) => {
      const problem = epochRecordProblem(record, i + 1);
      if (problem !== null) problems.push(`epochs[${i}]: ${problem}`);
    });
  }
  const optimizer = header.optimizer;
  const wanted = expected.config.training.optimizer;
  if (!isObject(optimizer) || optimizer.type !== wanted || !isCount(optimizer.steps) || !Array.isArray(optimizer.buffers) || !optimizer.buffers.every((kind) => typeof kind === 'string')) {
    problems.push(`optimizer: not the state of a ${wanted} optimizer`);
  }
  if (expected.hasBatchOrder ? randomStateProblem(header.batchOrder) !== null : header.batchOrder !== null) problems.push('batchOrder: not a generator state');
  const batches = header.batches;
  if (!isObject(batches) || !isCount(batches.lines) || !Array.isArray(batches.segments)
    || !batches.segments.every((segment, i) => isObject(segment) && segment.epoch === i + 1 && isCount(segment.bytes) && typeof segment.sha256 === 'string' && /^[0-9a-f]{64}$/.test(segment.sha256))
    || (Array.isArray(epochs) && batches.segments.length !== epochs.length)) {
    problems.push('batches: not one stream segment per epoch');
  }
  if (Array.isArray(epochs) && isObject(batches) && epochs.every((record) => isObject(record) && isCount(record.batches))
    && epochs.reduce((sum: number, record) => sum + ((record as { batches: number }).batches), 0) !== batches.lines) {
    problems.push('batches: the epoch records count other batches than the stream holds');
  }
  const trace = header.trace;
  const traceKeys: (keyof RunTrace)[] = ['epoch', 'batch', 'loss', 'totalGradientNorm', 'rescaleFactor'];
  if (!isObject(trace) || !traceKeys.every((key) => isNumberList(trace[key]) && (trace[key] as unknown[]).length === (isObject(batches) ? batches.lines : -1))) {
    problems.push('trace: not one entry per batch record');
  }
  if (header.firstBatch !== null || (isObject(batches) && isCount(batches.lines) && batches.lines > 0)) {
    const problem = firstBatchProblem(header.firstBatch);
    if (problem !== null) problems.push(`firstBatch: ${problem}`);
  }
  if (typeof header.elapsedSeconds !== 'number' || !(header.elapsedSeconds >= 0)) problems.push('elapsedSeconds: not a duration');
  // The arrays: every weight, then each optimiser buffer kind, parameter by parameter, as the model has them.
  const arrays = header.arrays;
  const kinds = isObject(optimizer) && Array.isArray(optimizer.buffers) ? (optimizer.buffers as string[]) : [];
  const layout: ArrayEntry[] = ['weight', ...kinds].flatMap((role) => expected.parameters.map((p) => ({ role, parameter: p.name, dtype: dtypeOf(p.data), length: p.data.length })));
  if (!Array.isArray(arrays) || canonicalJson(arrays) !== canonicalJson(layout)) {
    problems.push('arrays: not the weights (and optimizer buffers) of this model');
  } else {
    const needed = layout.reduce((sum, entry) => sum + entry.length * (entry.dtype === 'float64' ? 8 : 4), 0);
    if (needed !== payloadBytes) problems.push(`arrays: ${payloadBytes} bytes stored, the model needs ${needed}`);
  }
  return problems;
}

/**
 * Reads `folder/checkpoint.bin` and checks it against the run that would continue from it.
 * Returns the checkpoint, or one line saying why it cannot be used (absent, corrupt, another
 * version, another configuration or data, a model it does not fit).
 */
export function readCheckpoint(folder: string, expected: CheckpointExpectation): CheckpointReading {
  const path = join(folder, experimentFiles.checkpoint);
  if (!existsSync(path)) return { problem: 'no checkpoint (stopped before its first epoch ended)' };
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { problem: `checkpoint unreadable: ${(error as Error).message.split('\n')[0]}` };
  }
  if (bytes.length < magic.length + 4 + digestBytes || !bytes.subarray(0, magic.length).equals(magic)) return { problem: 'checkpoint is not a vanishing checkpoint' };
  const body = bytes.subarray(0, bytes.length - digestBytes);
  if (!createHash('sha256').update(body).digest().equals(bytes.subarray(bytes.length - digestBytes))) return { problem: 'checkpoint is corrupt (its checksum does not match)' };
  const headerLength = body.readUInt32LE(magic.length);
  const headerStart = magic.length + 4;
  if (headerStart + headerLength > body.length) return { problem: 'checkpoint is corrupt (header longer than the file)' };
  let header: unknown;
  try {
    header = JSON.parse(body.subarray(headerStart, headerStart + headerLength).toString('utf8'));
  } catch {
    return { problem: 'checkpoint is corrupt (header is not JSON)' };
  }
  if (!isObject(header)) return { problem: 'checkpoint is corrupt (header is not an object)' };
  const payload = body.subarray(headerStart + headerLength);
  const problems = headerProblems(header, expected, payload.length);
  if (problems.length > 0) return { problem: `checkpoint does not fit: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}` };

  const valid = header as unknown as Header;
  let offset = 0;
  const take = (entry: ArrayEntry): FloatArray => {
    const size = entry.length * (entry.dtype === 'float64' ? 8 : 4);
    const array = fromLittleEndian(payload.subarray(offset, offset + size), entry.dtype);
    offset += size;
    return array;
  };
  const count = expected.parameters.length;
  const arrays = valid.arrays.map(take);
  const buffers: Record<string, FloatArray[]> = {};
  valid.optimizer.buffers.forEach((kind, k) => (buffers[kind] = arrays.slice((k + 1) * count, (k + 2) * count)));
  const decodeAll = (values: RecordedNumber[]): number[] => values.map(decodeNumber);
  return {
    checkpoint: {
      experiment: valid.experiment,
      config: valid.config,
      dataFingerprint: valid.dataFingerprint,
      kernels: valid.kernels,
      training: {
        epochs: valid.epochs,
        weights: arrays.slice(0, count),
        optimizer: { type: valid.optimizer.type, steps: valid.optimizer.steps, buffers },
        batchOrder: valid.batchOrder,
      },
      batches: valid.batches,
      trace: {
        epoch: decodeAll(valid.trace.epoch), batch: decodeAll(valid.trace.batch), loss: decodeAll(valid.trace.loss),
        totalGradientNorm: decodeAll(valid.trace.totalGradientNorm), rescaleFactor: decodeAll(valid.trace.rescaleFactor),
      },
      firstBatch: valid.firstBatch,
      elapsedSeconds: valid.elapsedSeconds,
    },
  };
}

/**
 * Checks that the batch stream at `path` begins with the checkpoint's segments (each epoch's
 * bytes hash to its SHA-256): then it can be cut back to them. Returns why not, or null.
 */
export function streamPrefixProblem(path: string, segments: readonly StreamSegment[]): string | null {
  const needed = segments.reduce((sum, segment) => sum + segment.bytes, 0);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return 'its batch records are missing';
  }
  if (size < needed) return `its batch records are shorter (${size} bytes) than the checkpoint's epochs (${needed} bytes)`;
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let position = 0;
    for (const segment of segments) {
      const hash = createHash('sha256');
      let left = segment.bytes;
      while (left > 0) {
        const read = readSync(fd, chunk, 0, Math.min(chunk.length, left), position);
        if (read <= 0) return 'its batch records ended early';
        hash.update(chunk.subarray(0, read));
        position += read;
        left -= read;
      }
      if (hash.digest('hex') !== segment.sha256) return `its batch records of epoch ${segment.epoch} differ from the checkpoint's`;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

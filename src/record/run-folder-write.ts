/**
 * Writing a run folder: the files of an experiment folder (named in ./run-format.ts, their records
 * in ./metrics.ts, documented in docs/run-format.md) and how they are written so that a run killed
 * at any moment leaves no corrupt file:
 * - config.json, epochs.jsonl, epochs.csv and summary.json are replaced atomically (temp file,
 *   fsync, rename) — after every epoch for the epoch files;
 * - batch records stream into `batches.jsonl.partial`, renamed to `batches.jsonl` when the
 *   experiment ends, so a `batches.jsonl` is always whole;
 * - summary.json is written last: its presence means the experiment finished; it carries the run
 *   format's version, as suite.json does;
 * - checkpoint.bin (written by experiments/checkpoint.ts: it holds model and optimizer state) is replaced after every epoch once the batch
 *   stream is on the disk; it says where that epoch's records end in the stream, so a resumed
 *   run cuts the stream back there and appends.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { writeAll, writeFileAtomically } from './atomic-file.js';
import type { BatchRecord, EpochRecord, ExperimentSummary, RecordedNumber } from './metrics.js';
import { experimentFiles, versioned } from './run-format.js';
import type { StreamSegment } from './run-format.js';
import { readBatchesFile, readEpochsFile, readSummaryFile } from './run-folder-read.js';

/** Writes `text` to `path` atomically: whole or not at all (see record/atomic-file.ts). */
export function writeAtomically(path: string, text: string): void {
  writeFileAtomically(path, text);
}

export function writeJson(path: string, value: unknown): void {
  writeAtomically(path, `${JSON.stringify(value, null, 2)}\n`);
}

function csvCell(value: RecordedNumber | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

/** The scalar columns of every epoch plus one mean gradient norm column per parameter. */
export function epochsCsv(epochs: readonly EpochRecord[], parameterNames: readonly string[]): string {
  const header = [
    'epoch', 'batches', 'mean_loss', 'mean_accuracy', 'mean_total_grad_norm', 'mean_min_layer_grad_norm',
    'validation_loss', 'validation_accuracy', 'seconds', ...parameterNames.map((name) => `grad_norm:${name}`),
  ];
  const rows = epochs.map((e) => [
    e.epoch, e.batches, e.meanLoss, e.meanAccuracy, e.meanTotalGradientNorm, e.meanMinLayerGradientNorm,
    e.validationLoss, e.validationAccuracy, Number(e.seconds.toFixed(3)), ...parameterNames.map((name) => e.meanGradientNorms[name]),
  ].map(csvCell).join(','));
  return `${[header.join(','), ...rows].join('\n')}\n`;
}

/** Where a resumed experiment's records continue: the epochs kept and the bytes of the batch stream they cover. */
export interface RecordsSoFar {
  epochs: readonly EpochRecord[];
  batchBytes: number;
}

/** Streams one experiment's records into its folder. */
export class ExperimentWriter {
  private readonly epochs: EpochRecord[] = [];
  private batchesFd: number | null;
  /** The bytes of the epoch being trained, hashed as they are written (its stream segment). */
  private segmentHash: Hash = createHash('sha256');
  private segmentBytes = 0;

  /**
   * A new stream, or (`continuing`) the records of a resumed run: the batch stream cut back to
   * the bytes its kept epochs cover (what a killed attempt appended after them is dropped) and
   * the epoch files rewritten to those epochs.
   */
  constructor(private readonly folder: string, private readonly parameterNames: readonly string[], continuing?: RecordsSoFar) {
    const partial = join(folder, experimentFiles.batchesPartial);
    if (continuing === undefined) {
      this.batchesFd = openSync(partial, 'w');
      return;
    }
    truncateSync(partial, continuing.batchBytes);
    this.batchesFd = openSync(partial, 'a');
    this.epochs.push(...continuing.epochs);
    this.writeEpochFiles();
  }

  writeBatch(record: BatchRecord): void {
    if (this.batchesFd === null) throw new Error('ExperimentWriter: batch after finish');
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    writeAll(this.batchesFd, line, join(this.folder, experimentFiles.batchesPartial));
    this.segmentHash.update(line);
    this.segmentBytes += line.length;
  }

  /**
   * Ends the epoch's part of the batch stream: flushed to the disk (a checkpoint may now point
   * past it) and returned as a segment for the checkpoint.
   */
  sealEpochSegment(epoch: number): StreamSegment {
    if (this.batchesFd === null) throw new Error('ExperimentWriter: segment after finish');
    fsyncSync(this.batchesFd);
    const segment = { epoch, bytes: this.segmentBytes, sha256: this.segmentHash.digest('hex') };
    this.segmentHash = createHash('sha256');
    this.segmentBytes = 0;
    return segment;
  }

  writeEpoch(record: EpochRecord): void {
    this.epochs.push(record);
    this.writeEpochFiles();
  }

  private writeEpochFiles(): void {
    writeAtomically(join(this.folder, experimentFiles.epochs), this.epochs.map((e) => `${JSON.stringify(e)}\n`).join(''));
    writeAtomically(join(this.folder, experimentFiles.epochsCsv), epochsCsv(this.epochs, this.parameterNames));
  }

  /** Completes batches.jsonl, then writes the summary (last: it marks the experiment finished). */
  finish(summary: ExperimentSummary): void {
    // On the disk before it counts as whole.
    if (this.batchesFd !== null) fsyncSync(this.batchesFd);
    this.closeBatches();
    renameSync(join(this.folder, experimentFiles.batchesPartial), join(this.folder, experimentFiles.batches));
    if (this.epochs.length === 0) writeAtomically(join(this.folder, experimentFiles.epochs), '');
    if (this.epochs.length === 0) writeAtomically(join(this.folder, experimentFiles.epochsCsv), epochsCsv([], this.parameterNames));
    writeJson(join(this.folder, experimentFiles.summary), versioned(summary));
  }

  /** Releases the file after a failure; the partial file stays as evidence and is never read as whole. */
  closeBatches(): void {
    if (this.batchesFd !== null) closeSync(this.batchesFd);
    this.batchesFd = null;
  }
}

/**
 * The summary of a finished experiment, or null when it did not finish — or when any of its
 * records is unreadable (a file truncated by a full disk under an earlier version): then it is
 * trained again rather than kept broken forever.
 */
export function readFinishedSummary(folder: string): ExperimentSummary | null {
  if (!existsSync(join(folder, experimentFiles.summary))) return null;
  try {
    const summary = readSummaryFile(folder);
    // Both present and whole (a missing file would read as no records).
    if (!existsSync(join(folder, experimentFiles.epochs)) || !existsSync(join(folder, experimentFiles.batches))) return null;
    readEpochsFile(folder);
    readBatchesFile(folder);
    return summary;
  } catch {
    return null;
  }
}

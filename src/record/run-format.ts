/**
 * The run folder as a contract: its file names, the records in suite.json and config.json, and
 * the format's version. The runner writes a run folder, the report, `--resume` and a comparison
 * of runs read it back; all of them take names and the version rule from here, so the folder is
 * defined once (docs/run-format.md documents it for readers in other languages).
 *
 * The batch, epoch and summary records themselves are in ./metrics.ts (the trainer and the
 * diagnosis hold them in memory in the same shape as on the disk); ./run-folder-write.ts writes
 * an experiment's files and ./run-folder-read.ts reads them back, validated.
 *
 *   runs/<suite>-<time>/
 *     suite.json              SuiteRecord (carries `format_version`)
 *     run.lock                while a process writes the folder
 *     report.html, plots/     drawn from the records
 *     <experiment>/
 *       config.json           ConfigRecord: the experiment, every default filled in
 *       batches.jsonl         one BatchRecord per line (batches.jsonl.partial while training)
 *       epochs.jsonl          one EpochRecord per line
 *       epochs.csv            the epochs' scalar columns
 *       checkpoint.bin        the state after the last epoch (its own binary format and version)
 *       summary.json          ExperimentSummary (carries `format_version`), written last
 *       error.txt             why the experiment failed, when it did
 */
import { resolve } from 'node:path';
import type { Expectation } from './metrics.js';
import { showValue } from './show-value.js';

/**
 * The run format this version of vanishing writes. Raise it when a file changes in a way an older
 * reader would misread (a field renamed, removed or given another meaning or unit); adding a field
 * does not need it, since readers ignore fields they do not know.
 */
export const runFormatVersion = 1;

/**
 * The oldest run format this version still reads. Folders written before the field existed carry
 * no `format_version`: they are format 1, which is the format written today.
 */
export const oldestReadableRunFormat = 1;

/**
 * One epoch's part of an experiment's batch stream (batches.jsonl): its length in bytes and its
 * SHA-256 (hex). The writer seals one per epoch; a checkpoint lists them, so a resumed run can
 * check that the stream on the disk is the one the checkpoint saw before cutting it back.
 */
export interface StreamSegment {
  epoch: number;
  bytes: number;
  sha256: string;
}

/** Files of the run folder itself. */
export const runFiles = {
  suite: 'suite.json',
  /** One row per point of a sweep (sweep runs only). */
  sweepTable: 'sweep.csv',
  report: 'report.html',
  plots: 'plots',
  lock: 'run.lock',
} as const;

/** Files of an experiment's folder (`<run folder>/<experiment name>/`). */
export const experimentFiles = {
  config: 'config.json',
  batches: 'batches.jsonl',
  batchesPartial: 'batches.jsonl.partial',
  epochs: 'epochs.jsonl',
  epochsCsv: 'epochs.csv',
  summary: 'summary.json',
  checkpoint: 'checkpoint.bin',
  error: 'error.txt',
} as const;

/**
 * Names an experiment may not take: its folder would replace a file of the run folder.
 * `state.json` is not a file but the address `report --watch` serves the live state at, beside the
 * experiments' folders.
 */
export const reservedNames: readonly string[] = [runFiles.suite, runFiles.sweepTable, runFiles.report, runFiles.plots, runFiles.lock, 'state.json'];

/** Why an experiment name cannot be a folder of the run, or null when it can. */
export function experimentNameProblem(name: string): string | null {
  // Case-folded: on macOS and Windows `Plots` is the folder `plots`.
  if (reservedNames.some((reserved) => reserved.toLowerCase() === name.toLowerCase())) {
    return `${JSON.stringify(name)} is a file of the run folder (reserved: ${reservedNames.join(', ')})`;
  }
  return null;
}

/**
 * config.json as the run format guarantees it: the fields a reader may rely on. The rest (the
 * `data`, `record` and `diagnosis` sections, the other model and training fields) is the
 * experiment file format (README, "Experiments as files"), kept as written.
 */
export interface ConfigRecord {
  name: string;
  description?: string;
  model_type: string;
  mitigation: string;
  model: { num_layers: number; cell: string; nonlinearity: string };
  training: { epochs: number; seed: number };
  expect?: Expectation | null;
}

/** suite.json: the suite as resolved when the run started (what `--resume` continues). */
/** One axis of a sweep: a field (`model.num_layers`) and the values it takes, in order. */
export interface SweepAxisRecord {
  field: string;
  values: (number | string | boolean | null)[];
}

/** A sweep: its axes, and for each point the experiment that ran it (its folder), its base experiment and its values (one per axis). */
export interface SweepRecord {
  axes: SweepAxisRecord[];
  points: { experiment: string; base: string; values: (number | string | boolean | null)[] }[];
}

export interface SuiteRecord<Config extends ConfigRecord = ConfigRecord> {
  /** The run format it was written in; absent in folders written before the field existed (format 1). */
  format_version?: number;
  name: string;
  description: string;
  source: string;
  createdAt: string;
  /** Experiment names in the suite's order (each has a folder of that name). */
  experiments: string[];
  /** Where the PNG plots of this run go: relative to the run folder (`plots`), or absolute when asked for elsewhere. */
  plotsDir: string;
  configs: Config[];
  /** The sweep the experiments are the points of; absent for a suite without one. */
  sweep?: SweepRecord;
}

/**
 * Why a record's `format_version` cannot be read by this version, or null when it can. `where`
 * is what the line names: the run folder for suite.json, the file for an experiment's summary.
 */
export function formatVersionProblem(record: unknown, where: string): string | null {
  if (record === null || typeof record !== 'object' || Array.isArray(record) || !('format_version' in record)) return null;
  const version = (record as { format_version: unknown }).format_version;
  const readable = oldestReadableRunFormat === runFormatVersion ? `format ${runFormatVersion}` : `formats ${oldestReadableRunFormat}–${runFormatVersion}`;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return `${where}: format_version: must be a run format version (a whole number from 1), got ${showValue(version)}`;
  }
  if (version > runFormatVersion) return `${where} was written by run format ${version}; this version of vanishing reads ${readable} (a newer vanishing reads it)`;
  if (version < oldestReadableRunFormat) return `${where} was written by run format ${version}; this version of vanishing reads ${readable} (an older vanishing reads it)`;
  return null;
}

/**
 * A record as written: `format_version` first (a reader sees it before anything else) and set to
 * the format this version writes, whatever the record carried when it was read.
 */
export function versioned<T extends object>(record: T): { format_version: number } & Omit<T, 'format_version'> {
  const { format_version: _old, ...fields } = record as T & { format_version?: unknown };
  return { format_version: runFormatVersion, ...fields };
}

/** Where a run's PNGs live: suite.json's plotsDir, relative to the run folder unless absolute. */
export function plotsFolder(runFolder: string, suite: Pick<SuiteRecord, 'plotsDir'>): string {
  return resolve(runFolder, typeof suite.plotsDir === 'string' && suite.plotsDir !== '' ? suite.plotsDir : runFiles.plots);
}

/**
 * Runs a suite: creates the run folder `runs/<suite>-<time>/`, writes suite.json, and runs every
 * experiment not yet finished — on this machine (./train-locally.ts: a worker pool, one worker per
 * core by default, or this thread) or on whatever `options.train` hands them to (a job queue,
 * src/distributed/). Each experiment depends only on its own configuration and seed, so the
 * records are identical wherever they are trained. A failure inside one experiment is recorded
 * and the suite goes on.
 *
 * `--resume` continues a run: finished experiments are kept, unfinished ones continue from their
 * last checkpoint (experiments/checkpoint.ts); with `--epochs N` finished ones are extended to N
 * epochs from the checkpoint they kept. Before training, the plan (batches and the records'
 * estimated size, experiments/record-size.ts) goes to the caller.
 */
import { mkdirSync, statfsSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import type { ExperimentSummary } from '../record/metrics.js';
import { InputError, showValue } from './errors.js';
import { readFinishedSummary, writeAtomically, writeJson } from '../record/run-folder-write.js';
import { sweepCsv, sweepRows } from '../record/sweep-table.js';
import type { SuiteRecord as SuiteFileRecord } from '../record/run-format.js';
import { runFiles, versioned } from '../record/run-format.js';
import { readSuiteDocument, RunFolderError } from '../record/run-folder-read.js';
import { asWriteError, FileWriteError } from '../record/atomic-file.js';
import { checkOutputFolder, makeFolder, OutputFolderError } from '../record/output-folder.js';
import type { ExperimentEvent } from './run-experiment.js';
import { datasetOptions } from './run-experiment.js';
import { DataError } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import type { ExperimentConfig, Suite } from './suite.js';
import { resolveSuite } from './suite.js';
import { lockRunFolder } from './run-lock.js';
import type { PendingWork, TrainPending } from './pending-work.js';
import { trainLocally } from './train-locally.js';
import { trainingFields, withDataSectionPath } from './fields.js';
import type { DatasetShape, RecordEstimate } from './record-size.js';
import { datasetShape, estimateRecords } from './record-size.js';

/** suite.json (record/run-format.ts) with its experiments resolved as the runner uses them. */
export type SuiteRecord = SuiteFileRecord<ExperimentConfig>;

/** The name of suite.json, for the runner's callers (the run format defines it). */
export const suiteFile = runFiles.suite;

export interface RunSuiteOptions {
  /** Folder that holds run folders. Default `runs`. */
  outRoot?: string;
  /** Continue this run folder instead of starting a new one. */
  resume?: string;
  /** Worker threads; 0 runs in this thread. Default: one per core, at most one per experiment. */
  workers?: number;
  /**
   * Threads each experiment's kernel calls may use (1–64). Default: the cores shared out among the
   * experiments running at once (at least 1), so a suite of fewer experiments than cores still
   * uses every core. Results do not depend on it.
   */
  threads?: number;
  /** Where plots go (recorded in suite.json). Default: `plots/` inside the run folder, so the run folder holds everything. */
  plotsDir?: string;
  onEvent?: (event: ExperimentEvent) => void;
  /** Called once the run folder exists and is locked, before any training. */
  onFolder?: (folder: string) => void;
  /** A note for the caller, e.g. which experiments a resume skips. */
  onNotice?: (line: string) => void;
  /** With `resume`: extend every experiment to this many epochs (never fewer than it has). */
  epochs?: number;
  /** Called once before training with what will be trained and the records' estimated size. */
  onPlan?: (plan: SuitePlan) => void;
  /** Clock for the folder name (tests). */
  now?: Date;
  /**
   * How the pending experiments are trained. Default: on this machine (`workers`, `threads`;
   * ./train-locally.ts); a run on a job queue passes the queue's (src/distributed/).
   */
  train?: TrainPending;
}

export interface ExperimentOutcome {
  name: string;
  folder: string;
  /** null when the experiment failed with an internal error (see `error`). */
  summary: ExperimentSummary | null;
  /** Finished in an earlier attempt (resume). */
  skipped: boolean;
  error?: string;
}

/** One experiment about to train. */
export interface ExperimentPlan {
  name: string;
  epochs: number;
  batchesPerEpoch: number;
  /** The size of its records when it ends (see record-size.ts). */
  estimate: RecordEstimate;
}

/** What a run is about to train, before it starts. */
export interface SuitePlan {
  folder: string;
  /** The experiments to train (a resume leaves out the finished ones). */
  experiments: ExperimentPlan[];
  /** Experiments kept from an earlier attempt. */
  kept: number;
  /** Their records' estimated size in bytes, together. */
  recordBytes: number;
  /** Free bytes on the run folder's disk (null when the system does not say). */
  freeBytes: number | null;
}

export interface SuiteOutcome {
  folder: string;
  record: SuiteRecord;
  experiments: ExperimentOutcome[];
}

function timestamp(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** A new run folder; never reuses an existing one. */
function createRunFolder(outRoot: string, suiteName: string, now: Date): string {
  makeFolder(outRoot);
  const base = join(outRoot, `${suiteName}-${timestamp(now)}`);
  for (let attempt = 1; ; attempt++) {
    const folder = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      mkdirSync(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw asWriteError(folder, error);
    }
  }
}

function toDocumentExperiment(config: ExperimentConfig): Record<string, unknown> {
  const { expect, ...rest } = config;
  if (expect === null || expect === undefined) return rest;
  const expectation: Record<string, unknown> = {};
  if (expect.verdict !== null) expectation.verdict = expect.verdict;
  if (expect.atInitialisation !== null) expectation.at_initialisation = expect.atInitialisation;
  if (expect.learning !== null) expectation.learning = expect.learning;
  if (expect.why !== '') expectation.why = expect.why;
  return { ...rest, expect: expectation };
}

/**
 * Reads the suite.json of a run folder to resume it. Everything in it is checked as a suite file
 * is (a run folder may have been edited or come from elsewhere): the experiments are resolved
 * again through the schema, their names must be folders inside the run, and the plots folder a
 * plain relative path or an absolute one. A missing or broken record is an input error, raised
 * before anything is touched.
 */
export function readSuiteRecord(folder: string): SuiteRecord {
  let path: string;
  let raw: unknown;
  try {
    ({ path, value: raw } = readSuiteDocument(folder));
  } catch (error) {
    if (error instanceof RunFolderError) throw new InputError([error.message]);
    throw error;
  }
  const record = raw as Partial<SuiteRecord> | null;
  const problems: string[] = [];
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw new InputError([`${path}: must be a suite record (an object), got ${showValue(raw)}`]);
  if (!Array.isArray(record.configs) || record.configs.length === 0) throw new InputError([`${path}: configs: must be a non-empty list of experiments, got ${showValue(record.configs)}`]);
  if (!Array.isArray(record.experiments)) problems.push(`experiments: must be a list of names, got ${showValue(record.experiments)}`);
  if (typeof record.plotsDir !== 'string' || record.plotsDir === '' || (!isAbsolute(record.plotsDir) && normalize(record.plotsDir).split(/[\\/]/).includes('..'))) {
    problems.push(`plotsDir: must be a folder inside the run or an absolute path, got ${showValue(record.plotsDir)}`);
  }
  for (const key of ['name', 'description', 'source', 'createdAt'] as const) {
    if (typeof record[key] !== 'string') problems.push(`${key}: must be a string, got ${showValue(record[key])}`);
  }
  const configs = record.configs as unknown[];
  if (problems.length > 0) throw new InputError(problems.map((line) => `${path}: ${line}`));
  let resolved: Suite;
  try {
    const document = {
      name: record.name,
      description: record.description,
      experiments: configs.map((config) => (config !== null && typeof config === 'object' && !Array.isArray(config)
        ? toDocumentExperiment(config as ExperimentConfig) : config)),
    };
    resolved = resolveSuite(document, path);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The record holds resolved experiments under `configs`; say so in the field paths.
    throw new InputError(error.problems.map((line) => line.replace(`${path}: experiments[`, `${path}: configs[`)));
  }
  const names = resolved.experiments.map((experiment) => experiment.name);
  if (JSON.stringify(record.experiments) !== JSON.stringify(names)) {
    throw new InputError([`${path}: experiments: must list the configs' names in order (${names.join(', ')}), got ${showValue(record.experiments)}`]);
  }
  const sweepProblem = record.sweep === undefined ? null : sweepRecordProblem(record.sweep, names);
  if (sweepProblem !== null) throw new InputError([`${path}: sweep: ${sweepProblem}`]);
  return { ...(record as SuiteRecord), configs: resolved.experiments };
}

/** Why a suite record's sweep does not fit its experiments, or null. */
function sweepRecordProblem(sweep: unknown, names: readonly string[]): string | null {
  if (sweep === null || typeof sweep !== 'object' || Array.isArray(sweep)) return `must be an object with axes and points, got ${showValue(sweep)}`;
  const { axes, points } = sweep as { axes?: unknown; points?: unknown };
  if (!Array.isArray(axes) || !axes.every((axis) => axis !== null && typeof axis === 'object' && typeof (axis as { field?: unknown }).field === 'string' && Array.isArray((axis as { values?: unknown }).values))) {
    return `axes: must be a list of { field, values }, got ${showValue(axes)}`;
  }
  if (!Array.isArray(points)) return `points: must be a list, got ${showValue(points)}`;
  for (const point of points as unknown[]) {
    const { experiment, values } = (point ?? {}) as { experiment?: unknown; values?: unknown };
    if (typeof experiment !== 'string' || !names.includes(experiment)) return `points: ${showValue(experiment)} is not an experiment of the run`;
    if (!Array.isArray(values) || values.length !== axes.length) return `points: ${experiment} needs one value per axis (${axes.length}), got ${showValue(values)}`;
  }
  return null;
}

/** The key of an experiment's dataset: the same data section and seed give the same data. */
function datasetKey(config: ExperimentConfig): string {
  return JSON.stringify([config.data, config.training.seed]);
}

/**
 * Loads every distinct dataset of `configs` once and returns their shapes by dataset key; bad
 * data (a truncated .npy, labels out of range) is an input error naming the experiment
 * (`where(index)` says in which file and at which path it is written), not a failure halfway through a run.
 */
function datasetShapes(configs: readonly ExperimentConfig[], where: (index: number) => { file: string; path: string }): Map<string, DatasetShape> {
  const problems: string[] = [];
  const shapes = new Map<string, DatasetShape>();
  const failed = new Set<string>();
  configs.forEach((experiment, index) => {
    const key = datasetKey(experiment);
    if (shapes.has(key) || failed.has(key)) return;
    try {
      shapes.set(key, datasetShape(loadDataset(datasetOptions(experiment.data), experiment.training.seed)));
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      failed.add(key);
      // The data module names options `data.x`; the user wrote them at `experiments[i].data.x`.
      const at = where(index);
      problems.push(`${at.file}: ${at.path}.data (${experiment.name}): ${withDataSectionPath(error.message, `${at.path}.data`)}`);
    }
  });
  if (problems.length > 0) throw new InputError(problems);
  return shapes;
}

/**
 * Loads every distinct dataset of the suite once before anything is written, so bad data (a
 * truncated .npy, labels out of range) is an input error naming the experiment, not a failure
 * halfway through a run. Returns the datasets' shapes (see `datasetShapes`).
 */
export function checkSuiteData(suite: Suite): Map<string, DatasetShape> {
  return datasetShapes(suite.experiments, (index) => ({ file: suite.source, path: `experiments[${index}]` }));
}

/**
 * The run record with every experiment extended to `epochs` (`--resume --epochs N`); an input
 * error when that would shorten one. No learning-rate schedule or anything else in training
 * depends on the number of epochs, so an extended experiment is bit-identical to one trained for
 * N epochs from the start.
 */
function extendedRecord(folder: string, record: SuiteRecord, epochs: number): SuiteRecord {
  const maximum = trainingFields.epochs.maximum ?? Infinity;
  if (!Number.isSafeInteger(epochs) || epochs < 1 || epochs > maximum) throw new InputError([`--epochs: must be a whole number from 1 to ${maximum}, got ${showValue(epochs)}`]);
  const longer = record.configs.filter((config) => config.training.epochs > epochs);
  if (longer.length > 0) {
    const most = Math.max(...longer.map((config) => config.training.epochs));
    throw new InputError([`--epochs ${epochs}: ${folder} already trains ${longer.map((config) => `${config.name} for ${config.training.epochs}`).join(', ')} epochs; a run can be extended, not shortened: give --epochs ${most} or more`]);
  }
  return { ...record, configs: record.configs.map((config) => ({ ...config, training: { ...config.training, epochs } })) };
}

/** Free bytes on the disk holding `folder`, or null when the system does not say. */
function freeBytes(folder: string): number | null {
  try {
    const stats = statfsSync(folder);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

export async function runSuite(suite: Suite | null, options: RunSuiteOptions = {}): Promise<SuiteOutcome> {
  const onEvent = options.onEvent ?? (() => {});
  let folder: string;
  let record: SuiteRecord;
  let shapes: Map<string, DatasetShape> | null = null;
  let extended = false;
  if (options.resume !== undefined) {
    folder = resolve(options.resume);
    record = readSuiteRecord(folder);
    checkOutputFolder(folder, '--resume');
    if (isAbsolute(record.plotsDir)) checkOutputFolder(record.plotsDir, `${suiteFile} plotsDir`);
    // The data may have moved or changed since the run started: bad data is an input error now, not a failure later.
    checkSuiteData({ name: record.name, description: record.description, source: join(folder, suiteFile), experiments: record.configs, sweep: record.sweep ?? null });
    if (options.epochs !== undefined) {
      const longer = extendedRecord(folder, record, options.epochs);
      extended = JSON.stringify(longer.configs) !== JSON.stringify(record.configs);
      record = longer;
    }
  } else {
    if (suite === null) throw new InputError(['run: name a preset or an experiment file, or --resume a run folder']);
    checkOutputFolder(options.outRoot ?? 'runs', '--out');
    if (options.plotsDir !== undefined) checkOutputFolder(options.plotsDir, '--plots');
    shapes = checkSuiteData(suite);
    try {
      folder = createRunFolder(resolve(options.outRoot ?? 'runs'), suite.name, options.now ?? new Date());
    } catch (error) {
      // Nothing was trained yet: an --out that cannot be made is bad input.
      if (error instanceof FileWriteError) throw new OutputFolderError(`--out: cannot be created: ${error.message}`);
      throw error;
    }
    record = {
      name: suite.name,
      description: suite.description,
      source: suite.source,
      createdAt: (options.now ?? new Date()).toISOString(),
      experiments: suite.experiments.map((e) => e.name),
      plotsDir: options.plotsDir === undefined ? 'plots' : resolve(options.plotsDir),
      configs: suite.experiments,
      ...(suite.sweep !== null ? { sweep: suite.sweep } : {}),
    };
    writeJson(join(folder, suiteFile), versioned(record));
  }
  const lock = lockRunFolder(folder);
  try {
    options.onFolder?.(folder);
    const outcome = await trainPending(folder, record, options, onEvent, shapes, extended);
    // One row per point, from the summaries on the disk (kept ones of a resumed run included).
    if (record.sweep !== undefined) {
      const sweep = record.sweep;
      const summaries = new Map(outcome.experiments.map((experiment) => [experiment.name, experiment.summary]));
      writeAtomically(join(folder, runFiles.sweepTable), sweepCsv(sweep, sweepRows(sweep, (name) => summaries.get(name) ?? null)));
    }
    return outcome;
  } finally {
    lock.release();
  }
}

async function trainPending(folder: string, record: SuiteRecord, options: RunSuiteOptions, onEvent: (event: ExperimentEvent) => void, knownShapes: Map<string, DatasetShape> | null, extended: boolean): Promise<SuiteOutcome> {
  const outcomes: ExperimentOutcome[] = record.configs.map((config) => ({ name: config.name, folder: join(folder, config.name), summary: null, skipped: false }));
  const configOf = (name: string): ExperimentConfig => record.configs.find((c) => c.name === name)!;
  const pending: ExperimentOutcome[] = [];
  for (const outcome of outcomes) {
    const finished = options.resume !== undefined ? readFinishedSummary(outcome.folder) : null;
    const epochs = configOf(outcome.name).training.epochs;
    // A finished experiment with fewer epochs than the run now asks for is extended (continued from its checkpoint).
    if (finished !== null && !(finished.status === 'finished' && finished.epochsCompleted < epochs)) {
      outcome.summary = finished;
      outcome.skipped = true;
      const divergence = finished.divergence;
      options.onNotice?.(options.epochs !== undefined && divergence !== null
        ? `${outcome.name}: diverged at epoch ${divergence.epoch}, batch ${divergence.batch} in the earlier attempt: more epochs would end the same way, kept`
        : `${outcome.name}: finished in the earlier attempt, kept`);
    } else {
      if (finished !== null) options.onNotice?.(`${outcome.name}: finished ${plural(finished.epochsCompleted, 'epoch')}, extended to ${epochs}`);
      pending.push(outcome);
    }
  }
  const pendingConfigs = pending.map((outcome) => configOf(outcome.name));
  const shapes = knownShapes ?? datasetShapes(pendingConfigs, (index) => ({ file: join(folder, suiteFile), path: `configs[${record.configs.indexOf(pendingConfigs[index])}]` }));
  const experiments = pendingConfigs.map((config): ExperimentPlan => {
    const estimate = estimateRecords(config, shapes.get(datasetKey(config))!);
    return { name: config.name, epochs: config.training.epochs, batchesPerEpoch: estimate.batchesPerEpoch, estimate };
  });
  options.onPlan?.({
    folder, experiments, kept: outcomes.length - pending.length,
    recordBytes: experiments.reduce((sum, experiment) => sum + experiment.estimate.totalBytes, 0), freeBytes: freeBytes(folder),
  });
  // The run record says what the run trains: written (atomically) once the data is checked, before any experiment is extended.
  if (extended) writeJson(join(folder, suiteFile), versioned(record));
  const resume = options.resume !== undefined;

  const train = options.train ?? ((work: PendingWork) => trainLocally(work, { workers: options.workers, threads: options.threads }));
  await train({ folder, record, pending, configOf, resume, onEvent, onNotice: (line) => options.onNotice?.(line) });
  return { folder, record, experiments: outcomes };
}

/** "1 epoch", "3 epochs". */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

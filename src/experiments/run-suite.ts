/**
 * Runs a suite: creates the run folder `runs/<suite>-<time>/`, writes suite.json, and runs every
 * experiment not yet finished — in parallel on a worker pool (one worker per core by default)
 * or in this thread. Each experiment depends only on its own configuration and seed, so the
 * records are identical whatever the number of workers. A failure inside one experiment is
 * recorded and the suite goes on.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ExperimentSummary } from '../record/metrics.js';
import { InputError, showValue } from './errors.js';
import { readFinishedSummary, writeJson } from './experiment-files.js';
import type { ExperimentEvent } from './run-experiment.js';
import { datasetOptions, runExperiment } from './run-experiment.js';
import { DataError } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import type { ExperimentConfig, Suite } from './suite.js';
import type { ExperimentTask } from './worker.js';
import { endOfEvents } from './worker.js';

/** suite.json: the suite as resolved when the run started (what `--resume` continues). */
export interface SuiteRecord {
  name: string;
  description: string;
  source: string;
  createdAt: string;
  /** Experiment names in the suite's order (each has a folder of that name). */
  experiments: string[];
  /** Where the PNG plots of this run go: relative to the run folder (`plots`), or absolute when asked for elsewhere. */
  plotsDir: string;
  configs: ExperimentConfig[];
}

export const suiteFile = 'suite.json';

export interface RunSuiteOptions {
  /** Folder that holds run folders. Default `runs`. */
  outRoot?: string;
  /** Continue this run folder instead of starting a new one. */
  resume?: string;
  /** Worker threads; 0 runs in this thread. Default: one per core, at most one per experiment. */
  workers?: number;
  /** Where plots go (recorded in suite.json). Default: `plots/` inside the run folder, so the run folder holds everything. */
  plotsDir?: string;
  onEvent?: (event: ExperimentEvent) => void;
  /** A note for the caller, e.g. which experiments a resume skips. */
  onNotice?: (line: string) => void;
  /** Clock for the folder name (tests). */
  now?: Date;
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
  mkdirSync(outRoot, { recursive: true });
  const base = join(outRoot, `${suiteName}-${timestamp(now)}`);
  for (let attempt = 1; ; attempt++) {
    const folder = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      mkdirSync(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Reads the suite.json of a run folder to resume it; a missing or broken one is an input error. */
export function readSuiteRecord(folder: string): SuiteRecord {
  const path = join(folder, suiteFile);
  if (!existsSync(path)) throw new InputError([`${folder}: not a run folder (no ${suiteFile})`]);
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as SuiteRecord;
    if (!Array.isArray(record.configs) || !Array.isArray(record.experiments)) throw new Error('configs or experiments missing');
    return record;
  } catch (error) {
    throw new InputError([`${path}: unreadable suite record: ${(error as Error).message}`]);
  }
}

function workerFile(): string {
  // Under tsx the sources run as .ts; built, as .js.
  const here = fileURLToPath(import.meta.url);
  return here.replace(/run-suite\.(ts|js)$/, (_, ext: string) => `worker.${ext}`);
}

/**
 * Loads every distinct dataset of the suite once before anything is written, so bad data (a
 * truncated .npy, labels out of range) is an input error naming the experiment, not a failure
 * halfway through a run.
 */
export function checkSuiteData(suite: Suite): void {
  const problems: string[] = [];
  const checked = new Set<string>();
  suite.experiments.forEach((experiment, index) => {
    const key = JSON.stringify([experiment.data, experiment.training.seed]);
    if (checked.has(key)) return;
    checked.add(key);
    try {
      loadDataset(datasetOptions(experiment.data), experiment.training.seed);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      problems.push(`${suite.source}: experiments[${index}].data (${experiment.name}): ${error.message}`);
    }
  });
  if (problems.length > 0) throw new InputError(problems);
}

export async function runSuite(suite: Suite | null, options: RunSuiteOptions = {}): Promise<SuiteOutcome> {
  const onEvent = options.onEvent ?? (() => {});
  let folder: string;
  let record: SuiteRecord;
  if (options.resume !== undefined) {
    folder = resolve(options.resume);
    record = readSuiteRecord(folder);
  } else {
    if (suite === null) throw new InputError(['run: name a preset or an experiment file, or --resume a run folder']);
    checkSuiteData(suite);
    folder = createRunFolder(resolve(options.outRoot ?? 'runs'), suite.name, options.now ?? new Date());
    record = {
      name: suite.name,
      description: suite.description,
      source: suite.source,
      createdAt: (options.now ?? new Date()).toISOString(),
      experiments: suite.experiments.map((e) => e.name),
      plotsDir: options.plotsDir === undefined ? 'plots' : resolve(options.plotsDir),
      configs: suite.experiments,
    };
    writeJson(join(folder, suiteFile), record);
  }

  const outcomes: ExperimentOutcome[] = record.configs.map((config) => ({ name: config.name, folder: join(folder, config.name), summary: null, skipped: false }));
  const pending: ExperimentOutcome[] = [];
  for (const outcome of outcomes) {
    const finished = options.resume !== undefined ? readFinishedSummary(outcome.folder) : null;
    if (finished !== null) {
      outcome.summary = finished;
      outcome.skipped = true;
      options.onNotice?.(`${outcome.name}: finished in the earlier attempt, kept`);
    } else {
      pending.push(outcome);
    }
  }
  const configOf = (name: string): ExperimentConfig => record.configs.find((c) => c.name === name)!;

  const requested = options.workers ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 0) throw new InputError([`--workers: must be a whole number ≥ 0, got ${showValue(requested)}`]);
  const workers = Math.min(requested, pending.length);

  if (workers === 0) {
    for (const outcome of pending) {
      try {
        outcome.summary = runExperiment(configOf(outcome.name), outcome.folder, onEvent);
      } catch (error) {
        recordFailure(outcome, error);
      }
    }
  } else {
    const pool = new Piscina({ filename: workerFile(), minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
    try {
      await Promise.all(pending.map(async (outcome) => {
        const channel = new MessageChannel();
        // Messages on a port arrive in order: the worker's final 'end' comes after all its events.
        let ended = (): void => {};
        const drained = new Promise<void>((done) => (ended = done));
        channel.port1.on('message', (message: ExperimentEvent | typeof endOfEvents) => {
          if (message === endOfEvents) ended();
          else onEvent(message);
        });
        const task: ExperimentTask = { config: configOf(outcome.name), folder: outcome.folder, port: channel.port2 };
        try {
          outcome.summary = await pool.run(task, { transferList: [channel.port2] }) as ExperimentSummary;
          await drained;
        } catch (error) {
          recordFailure(outcome, error);
          // A worker that died may never send 'end'.
          await Promise.race([drained, new Promise((done) => setTimeout(done, 1000))]);
        } finally {
          channel.port1.close();
        }
      }));
    } finally {
      await pool.destroy();
    }
  }
  return { folder, record, experiments: outcomes };
}

function recordFailure(outcome: ExperimentOutcome, error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  outcome.error = error instanceof Error ? error.message : String(error);
  try {
    mkdirSync(outcome.folder, { recursive: true });
    writeFileSync(join(outcome.folder, 'error.txt'), `${message}\n`);
  } catch {
    // The error is still returned to the caller; the file is a courtesy.
  }
}

/**
 * Reads a run folder back (suite.json and each experiment's files) so plots and the report can
 * be redrawn from saved metrics alone. An experiment that did not finish (no summary.json) is
 * skipped with a warning; a malformed file is a ReportInputError naming it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { SuiteRecord } from '../experiments/run-suite.js';
import { suiteFile } from '../experiments/run-suite.js';
import type { ExperimentConfig } from '../experiments/suite.js';
import { experimentNameProblem } from '../experiments/suite.js';
import { batchRecordSchema, compileRecordSchema, configSchema, epochRecordSchema, firstProblem, runRecordSchema, summarySchema } from './record-schemas.js';
import type { BatchRecord, EpochRecord, ExperimentMetrics, ExperimentSummary } from '../record/metrics.js';

/** A run folder that cannot be read: the CLI exits with code 2. */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

export interface RunExperiment extends ExperimentMetrics {
  config: ExperimentConfig | null;
  folder: string;
}

export interface RunContents {
  folder: string;
  suite: SuiteRecord;
  experiments: RunExperiment[];
  warnings: string[];
}

/** Records larger than this are not a run's (the `seed` preset's biggest file is far below it). */
const maximumRecordBytes = 8 * 1024 * 1024 * 1024;

/** The text of a record file; a folder, pipe or device in its place is an input error, not a hang. */
function readText(path: string): string {
  const stats = statSync(path);
  if (!stats.isFile()) throw new ReportInputError(`${path}: not a regular file`);
  if (stats.size > maximumRecordBytes) throw new ReportInputError(`${path}: ${stats.size} bytes, more than any run writes`);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ReportInputError(`${path}: cannot be read: ${(error as Error).message.split('\n')[0]}`);
  }
}

function readJson<T>(path: string, validate: ValidateFunction): T {
  let value: unknown;
  try {
    value = JSON.parse(readText(path)) as unknown;
  } catch (error) {
    if (error instanceof ReportInputError) throw error;
    throw new ReportInputError(`${path}: not readable JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!validate(value)) throw new ReportInputError(`${path}: ${firstProblem(validate.errors)}`);
  return value as T;
}

/** JSON lines; with `growing`, a last line still being written is left out instead of being an error. */
function readJsonLines<T>(path: string, validate: ValidateFunction, growing = false): T[] {
  if (!existsSync(path)) return [];
  const records: T[] = [];
  const lines = readText(path).split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line) as unknown;
    } catch {
      if (growing && index === lines.length - 1) return;
      throw new ReportInputError(`${path}: line ${index + 1} is not valid JSON`);
    }
    if (!validate(value)) throw new ReportInputError(`${path}: line ${index + 1}: ${firstProblem(validate.errors)}`);
    records.push(value as T);
  });
  return records;
}

const validateSummary = compileRecordSchema(summarySchema);
const validateEpoch = compileRecordSchema(epochRecordSchema);
const validateBatch = compileRecordSchema(batchRecordSchema);
const validateConfig = compileRecordSchema(configSchema);
const validateRun = compileRecordSchema(runRecordSchema);

/**
 * suite.json as the report needs it: names that are folders inside the run, a plots folder
 * inside the run or given as an absolute path.
 */
function readRunRecord(suitePath: string): SuiteRecord {
  const suite = readJson<SuiteRecord>(suitePath, validateRun);
  suite.experiments.forEach((name, index) => {
    const problem = experimentNameProblem(name);
    if (problem !== null) throw new ReportInputError(`${suitePath}: experiments.${index}: ${problem}`);
  });
  if (new Set(suite.experiments).size !== suite.experiments.length) throw new ReportInputError(`${suitePath}: experiments: a name appears twice`);
  if (!isAbsolute(suite.plotsDir) && normalize(suite.plotsDir).split(/[\\/]/).includes('..')) {
    throw new ReportInputError(`${suitePath}: plotsDir: must be a folder inside the run or an absolute path, got ${JSON.stringify(suite.plotsDir.slice(0, 60))}`);
  }
  return suite;
}

/** Cross-checks a summary against the folder it is in and its records' shapes. */
function checkConsistent(dir: string, name: string, summary: ExperimentSummary, epochs: EpochRecord[], batches: BatchRecord[]): void {
  const path = join(dir, 'summary.json');
  if (summary.name !== name) throw new ReportInputError(`${path}: name: ${JSON.stringify(summary.name)} is not the experiment's folder ${JSON.stringify(name)}`);
  const layers = summary.numLayers;
  for (const [index, batch] of batches.entries()) {
    const where = `${join(dir, 'batches.jsonl')}: line ${index + 1}`;
    if (batch.saturatedFraction.length !== layers || batch.activationRms.length !== layers) throw new ReportInputError(`${where}: saturatedFraction/activationRms: one value per layer (${layers}) expected`);
    if (batch.hiddenGradientNorms !== undefined && batch.hiddenGradientNorms.length !== layers) throw new ReportInputError(`${where}: hiddenGradientNorms: one row per layer (${layers}) expected`);
  }
  for (const [index, epoch] of epochs.entries()) {
    if (epoch.meanHiddenGradientNorms !== null && epoch.meanHiddenGradientNorms.length !== layers) {
      throw new ReportInputError(`${join(dir, 'epochs.jsonl')}: line ${index + 1}: meanHiddenGradientNorms: one row per layer (${layers}) expected`);
    }
  }
}

/** An experiment still training, read from what it has written so far: a summary that says so. */
function runningExperiment(dir: string, config: ExperimentConfig, epochs: EpochRecord[], batches: BatchRecord[]): RunExperiment {
  const last = epochs.at(-1);
  const lastBatch = batches.at(-1);
  const where = lastBatch === undefined ? 'starting' : `epoch ${lastBatch.epoch} of ${config.training.epochs}, batch ${lastBatch.batch}`;
  const summary: ExperimentSummary = {
    name: config.name,
    modelType: config.model_type,
    mitigation: config.mitigation,
    status: 'running',
    divergence: null,
    epochsCompleted: epochs.length,
    parameterNames: lastBatch === undefined ? [] : Object.keys(lastBatch.gradientNorms),
    numLayers: config.model.num_layers,
    cell: config.model.cell,
    nonlinearity: config.model.nonlinearity,
    steps: batches[0]?.inputGradientNorms?.length ?? 0,
    final: {
      loss: last?.meanLoss ?? null, accuracy: last?.meanAccuracy ?? null, validationLoss: last?.validationLoss ?? null,
      validationAccuracy: last?.validationAccuracy ?? null, testLoss: null, testAccuracy: null, minLayerGradientNorm: last?.meanMinLayerGradientNorm ?? null,
    },
    baseline: null,
    verdict: {
      kind: 'inconclusive',
      headline: `Training (${where}): the verdict comes when it ends.`,
      atInitialisation: null,
      learning: { kind: 'unknown', sentence: 'Did it learn? Not yet known: still training.' },
      evidence: [],
      measures: {},
    },
    expected: config.expect,
    seconds: epochs.reduce((sum, e) => sum + e.seconds, 0),
    kernels: '',
  };
  return { summary, epochs, batches, config, folder: dir };
}

/**
 * Summaries written before the verdict had a verdict at initialisation and a learning answer
 * (vanishing 0.1.0): their verdict is kept as it was judged then, the new fields marked as not judged.
 */
/** Where a run's PNGs live: suite.json's plotsDir, relative to the run folder unless absolute. */
export function plotsFolder(runFolder: string, suite: Pick<SuiteRecord, 'plotsDir'>): string {
  return resolve(runFolder, typeof suite.plotsDir === 'string' && suite.plotsDir !== '' ? suite.plotsDir : 'plots');
}

function withCurrentVerdictFields(summary: ExperimentSummary): ExperimentSummary {
  const verdict = summary.verdict as Partial<ExperimentSummary['verdict']> & Pick<ExperimentSummary['verdict'], 'kind' | 'headline' | 'evidence' | 'measures'>;
  return {
    ...summary,
    verdict: {
      ...verdict,
      atInitialisation: verdict.atInitialisation ?? null,
      learning: verdict.learning ?? { kind: 'unknown', sentence: 'Did it learn? Not judged: this run was diagnosed by an earlier version of vanishing.' },
    },
  };
}

/**
 * Reads a run folder. `unfinished`: experiments still training (a config.json, no summary.json
 * yet) come too, with what they have written so far — for a report watched while the run goes on.
 */
export function readRunFolder(runFolder: string, options: { batches?: boolean; unfinished?: boolean } = {}): RunContents {
  const folder = resolve(runFolder);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ReportInputError(`${runFolder}: no such run folder`);
  const suitePath = join(folder, suiteFile);
  if (!existsSync(suitePath)) throw new ReportInputError(`${runFolder}: not a run folder (no ${suiteFile})`);
  const suite = readRunRecord(suitePath);
  const warnings: string[] = [];
  const experiments: RunExperiment[] = [];
  for (const name of suite.experiments) {
    const dir = join(folder, name);
    const summaryPath = join(dir, 'summary.json');
    if (!existsSync(summaryPath)) {
      const configPath = join(dir, 'config.json');
      if (options.unfinished === true && existsSync(configPath)) {
        const epochs = readJsonLines<EpochRecord>(join(dir, 'epochs.jsonl'), validateEpoch);
        const batches = options.batches === false ? [] : readJsonLines<BatchRecord>(join(dir, 'batches.jsonl.partial'), validateBatch, true);
        experiments.push(runningExperiment(dir, readJson<ExperimentConfig>(configPath, validateConfig), epochs, batches));
        continue;
      }
      warnings.push(`${name}: not finished (no summary.json), left out of the plots and the report`);
      continue;
    }
    const summary = withCurrentVerdictFields(readJson<ExperimentSummary>(summaryPath, validateSummary));
    const epochs = readJsonLines<EpochRecord>(join(dir, 'epochs.jsonl'), validateEpoch);
    const batches = options.batches === false ? [] : readJsonLines<BatchRecord>(join(dir, 'batches.jsonl'), validateBatch);
    checkConsistent(dir, name, summary, epochs, batches);
    const configPath = join(dir, 'config.json');
    const config = existsSync(configPath) ? readJson<ExperimentConfig>(configPath, validateConfig) : null;
    experiments.push({ summary, epochs, batches, config, folder: dir });
  }
  return { folder, suite, experiments, warnings };
}

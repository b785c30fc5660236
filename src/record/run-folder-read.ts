/**
 * Reading a run folder's files back, checked: the report, `--resume` and a comparison of runs read
 * through here, never with a bare `JSON.parse(…) as T`. Each file is checked for its run format
 * version first (a folder of a newer vanishing is one line saying so, not a list of odd fields),
 * then against its schema (run-schemas.ts); a problem is a RunFolderError of one line naming the
 * file and the field, which each caller turns into its own input error (exit 2 through the CLI).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { BatchRecord, EpochRecord, ExperimentSummary } from './metrics.js';
import type { ConfigRecord, SuiteRecord } from './run-format.js';
import { experimentFiles, experimentNameProblem, formatVersionProblem, runFiles } from './run-format.js';
import { batchRecordSchema, compileRecordSchema, configSchema, epochRecordSchema, firstProblem, runRecordSchema, summarySchema } from './run-schemas.js';

/** A run folder file that cannot be read as the run format says: one line naming it. */
export class RunFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFolderError';
  }
}

/** Records larger than this are not a run's (the `seed` preset's biggest file is far below it). */
const maximumRecordBytes = 8 * 1024 * 1024 * 1024;

/** The text of a record file; a folder, pipe or device in its place is an input error, not a hang. */
function readText(path: string): string {
  const stats = statSync(path);
  if (!stats.isFile()) throw new RunFolderError(`${path}: not a regular file`);
  if (stats.size > maximumRecordBytes) throw new RunFolderError(`${path}: ${stats.size} bytes, more than any run writes`);
  try {
    // A byte-order mark, as an editor may add when the file is edited by hand.
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new RunFolderError(`${path}: cannot be read: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A JSON file whose format version this version reads; `where` names it in a version line. */
function readVersionedJson(path: string, where: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(readText(path)) as unknown;
  } catch (error) {
    if (error instanceof RunFolderError) throw error;
    throw new RunFolderError(`${path}: not readable JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  // Before the schema: a newer format may have changed any field, and its version is the one line that explains them all.
  const problem = formatVersionProblem(value, where);
  if (problem !== null) throw new RunFolderError(problem);
  return value;
}

function checked<T>(path: string, value: unknown, validate: ValidateFunction): T {
  if (!validate(value)) throw new RunFolderError(`${path}: ${firstProblem(validate.errors)}`);
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
      throw new RunFolderError(`${path}: line ${index + 1} is not valid JSON`);
    }
    if (!validate(value)) throw new RunFolderError(`${path}: line ${index + 1}: ${firstProblem(validate.errors)}`);
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
 * suite.json parsed and its format version checked, nothing more: for `--resume`, which checks
 * the experiments in it as it checks an experiment file.
 */
export function readSuiteDocument(runFolder: string): { path: string; value: unknown } {
  const path = join(runFolder, runFiles.suite);
  if (!existsSync(path)) throw new RunFolderError(`${runFolder}: not a run folder (no ${runFiles.suite})`);
  return { path, value: readVersionedJson(path, runFolder) };
}

/**
 * suite.json as a reader of the records needs it: names that are folders inside the run, a plots
 * folder inside the run or given as an absolute path. The configs are the experiments as written
 * (see ConfigRecord); `--resume` checks them further.
 */
export function readSuiteFile(runFolder: string): SuiteRecord {
  const { path, value } = readSuiteDocument(runFolder);
  const suite = checked<SuiteRecord>(path, value, validateRun);
  suite.experiments.forEach((name, index) => {
    const problem = experimentNameProblem(name);
    if (problem !== null) throw new RunFolderError(`${path}: experiments.${index}: ${problem}`);
  });
  if (new Set(suite.experiments).size !== suite.experiments.length) throw new RunFolderError(`${path}: experiments: a name appears twice`);
  if (!isAbsolute(suite.plotsDir) && normalize(suite.plotsDir).split(/[\\/]/).includes('..')) {
    throw new RunFolderError(`${path}: plotsDir: must be a folder inside the run or an absolute path, got ${JSON.stringify(suite.plotsDir.slice(0, 60))}`);
  }
  return suite;
}

/**
 * Summaries written before the verdict had a verdict at initialisation and a learning answer
 * (vanishing 0.1.0): their verdict is kept as it was judged then, the new fields marked as not judged.
 */
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

/** Whether the experiment in `experimentFolder` finished: its summary.json is written last. */
export function hasSummary(experimentFolder: string): boolean {
  return existsSync(join(experimentFolder, experimentFiles.summary));
}

/** summary.json of a finished experiment (its `format_version` checked, the file named in the line). */
export function readSummaryFile(experimentFolder: string): ExperimentSummary {
  const path = join(experimentFolder, experimentFiles.summary);
  return withCurrentVerdictFields(checked<ExperimentSummary>(path, readVersionedJson(path, path), validateSummary));
}

/** config.json, or null when the experiment has none (it never started). */
export function readConfigFile(experimentFolder: string): ConfigRecord | null {
  const path = join(experimentFolder, experimentFiles.config);
  if (!existsSync(path)) return null;
  return checked<ConfigRecord>(path, readVersionedJson(path, path), validateConfig);
}

/** epochs.jsonl: the epochs finished so far (none when the file is not there yet). */
export function readEpochsFile(experimentFolder: string): EpochRecord[] {
  return readJsonLines<EpochRecord>(join(experimentFolder, experimentFiles.epochs), validateEpoch);
}

/**
 * batches.jsonl, or with `streaming` the `batches.jsonl.partial` of an experiment still training,
 * whose last line may be half written.
 */
export function readBatchesFile(experimentFolder: string, options: { streaming?: boolean } = {}): BatchRecord[] {
  const streaming = options.streaming === true;
  return readJsonLines<BatchRecord>(join(experimentFolder, streaming ? experimentFiles.batchesPartial : experimentFiles.batches), validateBatch, streaming);
}

/** Cross-checks a summary against the folder it is in and its records' shapes. */
export function checkRecordsAgree(experimentFolder: string, name: string, summary: ExperimentSummary, epochs: readonly EpochRecord[], batches: readonly BatchRecord[]): void {
  const path = join(experimentFolder, experimentFiles.summary);
  if (summary.name !== name) throw new RunFolderError(`${path}: name: ${JSON.stringify(summary.name)} is not the experiment's folder ${JSON.stringify(name)}`);
  const layers = summary.numLayers;
  for (const [index, batch] of batches.entries()) {
    const where = `${join(experimentFolder, experimentFiles.batches)}: line ${index + 1}`;
    if (batch.saturatedFraction.length !== layers || batch.activationRms.length !== layers) throw new RunFolderError(`${where}: saturatedFraction/activationRms: one value per layer (${layers}) expected`);
    if (batch.hiddenGradientNorms !== undefined && batch.hiddenGradientNorms.length !== layers) throw new RunFolderError(`${where}: hiddenGradientNorms: one row per layer (${layers}) expected`);
  }
  for (const [index, epoch] of epochs.entries()) {
    if (epoch.meanHiddenGradientNorms !== null && epoch.meanHiddenGradientNorms.length !== layers) {
      throw new RunFolderError(`${join(experimentFolder, experimentFiles.epochs)}: line ${index + 1}: meanHiddenGradientNorms: one row per layer (${layers}) expected`);
    }
  }
}

/**
 * A run folder as the report needs it: suite.json and each experiment's files, read through the
 * run format's reader (record/run-folder-read.ts), so plots and the report can be redrawn from
 * saved metrics alone. An experiment that did not finish (no summary.json) is skipped with a
 * warning; a malformed file, or a folder of a run format this version does not read, is a
 * ReportInputError naming it.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExperimentMetrics, ExperimentSummary, BatchRecord, EpochRecord } from '../record/metrics.js';
import type { ConfigRecord, SuiteRecord } from '../record/run-format.js';
import { experimentFiles } from '../record/run-format.js';
import {
  checkRecordsAgree, hasSummary, readBatchesFile, readConfigFile, readEpochsFile, readSuiteFile, readSummaryFile, RunFolderError,
} from '../record/run-folder-read.js';

// The report's callers find where the PNGs go here, beside the reading.
export { plotsFolder } from '../record/run-format.js';

/** A run folder that cannot be read: the CLI exits with code 2. */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

export interface RunExperiment extends ExperimentMetrics {
  config: ConfigRecord | null;
  folder: string;
}

export interface RunContents {
  folder: string;
  suite: SuiteRecord;
  experiments: RunExperiment[];
  warnings: string[];
}

/** An experiment still training, read from what it has written so far: a summary that says so. */
function runningExperiment(dir: string, config: ConfigRecord, epochs: EpochRecord[], batches: BatchRecord[]): RunExperiment {
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
    expected: config.expect ?? null,
    seconds: epochs.reduce((sum, e) => sum + e.seconds, 0),
    kernels: '',
  };
  return { summary, epochs, batches, config, folder: dir };
}

/**
 * Reads a run folder. `unfinished`: experiments still training (a config.json, no summary.json
 * yet) come too, with what they have written so far — for a report watched while the run goes on.
 */
export function readRunFolder(runFolder: string, options: { batches?: boolean; unfinished?: boolean } = {}): RunContents {
  try {
    return readRun(runFolder, options);
  } catch (error) {
    if (error instanceof RunFolderError) throw new ReportInputError(error.message);
    throw error;
  }
}

function readRun(runFolder: string, options: { batches?: boolean; unfinished?: boolean }): RunContents {
  const folder = resolve(runFolder);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new ReportInputError(`${runFolder}: no such run folder`);
  const suite = readSuiteFile(runFolder);
  const warnings: string[] = [];
  const experiments: RunExperiment[] = [];
  for (const name of suite.experiments) {
    const dir = join(folder, name);
    if (!hasSummary(dir)) {
      const config = options.unfinished === true ? readConfigFile(dir) : null;
      if (config !== null) {
        const epochs = readEpochsFile(dir);
        const batches = options.batches === false ? [] : readBatchesFile(dir, { streaming: true });
        experiments.push(runningExperiment(dir, config, epochs, batches));
        continue;
      }
      warnings.push(`${name}: not finished (no ${experimentFiles.summary}), left out of the plots and the report`);
      continue;
    }
    const summary = readSummaryFile(dir);
    const epochs = readEpochsFile(dir);
    const batches = options.batches === false ? [] : readBatchesFile(dir);
    checkRecordsAgree(dir, name, summary, epochs, batches);
    experiments.push({ summary, epochs, batches, config: readConfigFile(dir), folder: dir });
  }
  return { folder, suite, experiments, warnings };
}

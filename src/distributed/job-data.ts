/**
 * What a job carries to a worker (one experiment and the versions it needs) and what a finished
 * job returns (which attempt won, and the digest of every file it wrote), with the checks each
 * side makes on what it reads back from Redis: anything there may have been written by another
 * version of vanishing, or by hand.
 */
import type { ExperimentConfig } from '../experiments/suite.js';
import { runFormatVersion } from '../record/run-format.js';

/** A job's data: everything a worker needs to train the experiment, and nothing secret. */
export interface ExperimentJobData {
  runId: string;
  experiment: string;
  /** The experiment as in its config.json (every default filled in). */
  config: ExperimentConfig;
  /** queue-names.ts configDigest of `config`. */
  configDigest: string;
  /** The run format the submitter writes: the worker must write the same. */
  formatVersion: number;
  /** The submitter's vanishing: the worker must be the same, so the records equal a local run's bit for bit. */
  packageVersion: string;
}

/** Size and SHA-256 (hex) of one file of an experiment's folder. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** What a completed job returns. */
export interface ExperimentJobResult {
  /** The attempt whose records are the experiment's (record-stream.ts: each attempt has its own token). */
  attempt: string;
  /** Who trained it, e.g. `gpu-box-2 (pid 4242)`. */
  worker: string;
  /** summary.json exactly as the worker wrote it; the submitter writes it last. */
  summaryJson: string;
  /** Every other file of the experiment's folder by name (`batches.jsonl`, not the `.partial` it streamed into). */
  files: Record<string, FileDigest>;
}

export function jobData(runId: string, config: ExperimentConfig, digest: string, version: string): ExperimentJobData {
  return { runId, experiment: config.name, config, configDigest: digest, formatVersion: runFormatVersion, packageVersion: version };
}

/** Why this worker cannot run a job with `data`, or null when it can. */
export function versionProblem(data: unknown, workerVersion: string): string | null {
  const { formatVersion, packageVersion } = (data ?? {}) as Partial<ExperimentJobData>;
  if (formatVersion === runFormatVersion && packageVersion === workerVersion) return null;
  const submitted = typeof packageVersion === 'string' ? `vanishing ${packageVersion}` : 'an unknown version of vanishing';
  const format = typeof formatVersion === 'number' ? `run format ${formatVersion}` : 'an unknown run format';
  return `the job was submitted by ${submitted} (${format}); this worker runs vanishing ${workerVersion} (run format ${runFormatVersion}), `
    + 'and the records must come from the same version to equal a local run\'s';
}

function isDigest(value: unknown): value is FileDigest {
  const digest = value as Partial<FileDigest> | null;
  return digest !== null && typeof digest === 'object' && Number.isSafeInteger(digest.bytes) && typeof digest.sha256 === 'string' && /^[0-9a-f]{64}$/.test(digest.sha256);
}

/** A completed job's return value, checked; null when it is not one (another version, or damaged). */
export function readJobResult(value: unknown): ExperimentJobResult | null {
  const result = value as Partial<ExperimentJobResult> | null;
  if (result === null || typeof result !== 'object') return null;
  if (typeof result.attempt !== 'string' || typeof result.worker !== 'string' || typeof result.summaryJson !== 'string') return null;
  const files = result.files;
  if (files === null || typeof files !== 'object' || !Object.values(files).every(isDigest)) return null;
  return { attempt: result.attempt, worker: result.worker, summaryJson: result.summaryJson, files: files as Record<string, FileDigest> };
}

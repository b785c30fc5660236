/**
 * The step of a run that trains: the experiments a run has left to train, handed to whatever
 * trains them. `runSuite` does everything around it the same way wherever the training happens
 * (the run folder, suite.json, what a resume keeps, the plan, sweep.csv); the training itself is
 * pluggable: this machine's worker pool (./train-locally.ts) or a job queue (src/distributed/).
 */
import { join } from 'node:path';
import { writeFileAtomically } from '../record/atomic-file.js';
import { makeFolder } from '../record/output-folder.js';
import { experimentFiles } from '../record/run-format.js';
import type { ExperimentEvent } from './run-experiment.js';
import type { ExperimentOutcome, SuiteRecord } from './run-suite.js';
import type { ExperimentConfig } from './suite.js';

/** What is left to train of a run, and where its records go. */
export interface PendingWork {
  /** The run folder (locked by the caller; suite.json written). */
  folder: string;
  record: SuiteRecord;
  /**
   * The experiments to train, in the suite's order. The trainer fills in each one's `summary`,
   * or records why it failed with `recordFailure`; its records go to `outcome.folder`.
   */
  pending: readonly ExperimentOutcome[];
  configOf(name: string): ExperimentConfig;
  /** A resumed run: continue each experiment from its folder's checkpoint when it has one that fits. */
  resume: boolean;
  onEvent(event: ExperimentEvent): void;
  /** A line for the user (not about one experiment's training). */
  onNotice(line: string): void;
}

/** Trains a run's pending experiments; resolves when every one has a summary or a recorded failure. */
export type TrainPending = (work: PendingWork) => Promise<void>;

/** Marks `outcome` failed with `error`, and writes why into the experiment's error.txt. */
export function recordFailure(outcome: ExperimentOutcome, error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  outcome.error = error instanceof Error ? error.message : String(error);
  try {
    makeFolder(outcome.folder);
    // Whole or absent: on a full disk there is no error.txt rather than an empty one.
    writeFileAtomically(join(outcome.folder, experimentFiles.error), `${message}\n`);
  } catch {
    // The error is still returned to the caller; the file is a courtesy.
  }
}

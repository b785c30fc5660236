/**
 * The worker-pool task: runs one experiment in a worker thread and forwards its events through
 * the MessagePort it was given.
 */
import type { MessagePort } from 'node:worker_threads';
import { setDefaultKernelThreads } from '../kernels/select.js';
import type { ExperimentSummary } from '../record/metrics.js';
import type { ExperimentConfig } from './suite.js';
import { runExperiment } from './run-experiment.js';

export interface ExperimentTask {
  config: ExperimentConfig;
  folder: string;
  /** Continue from the folder's checkpoint when it has a usable one. */
  resume: boolean;
  /** Threads each native kernel call of this experiment may use (results do not depend on it). */
  threads: number;
  port: MessagePort;
}

/** The last message a task sends on its port. */
export const endOfEvents = 'end-of-events';

export default function runExperimentTask(task: ExperimentTask): ExperimentSummary {
  try {
    setDefaultKernelThreads(task.threads);
    return runExperiment(task.config, task.folder, (event) => task.port.postMessage(event), { resume: task.resume });
  } finally {
    task.port.postMessage(endOfEvents);
    task.port.close();
  }
}

/**
 * Trains a run's pending experiments on this machine: in parallel on a worker pool (one worker
 * per core by default) or, with no workers, in this thread. Each experiment depends only on its
 * own configuration and seed, so the records are identical whatever the number of workers. A
 * failure inside one experiment is recorded and the others go on.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { defaultKernelThreads, maxKernelThreads, setDefaultKernelThreads } from '../kernels/select.js';
import type { ExperimentSummary } from '../record/metrics.js';
import { InputError, showValue } from './errors.js';
import type { PendingWork } from './pending-work.js';
import { recordFailure } from './pending-work.js';
import type { ExperimentEvent } from './run-experiment.js';
import { runExperiment } from './run-experiment.js';
import type { ExperimentTask } from './worker.js';
import { endOfEvents } from './worker.js';

export interface LocalTrainingOptions {
  /** Worker threads; 0 trains in this thread. Default: one per core, at most one per experiment. */
  workers?: number;
  /** Threads each experiment's kernel calls may use (1–64). Default: the cores shared out among the experiments running at once. */
  threads?: number;
}

/** The worker-pool task's file (./worker.ts): under tsx the sources run as .ts; built, as .js. */
export function experimentWorkerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.replace(/train-locally\.(ts|js)$/, (_, ext: string) => `worker.${ext}`);
}

export async function trainLocally(work: PendingWork, options: LocalTrainingOptions): Promise<void> {
  const { pending, resume, onEvent } = work;
  const requested = options.workers ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 0) throw new InputError([`--workers: must be a whole number ≥ 0, got ${showValue(requested)}`]);
  const workers = Math.min(requested, pending.length);
  const threads = options.threads ?? Math.max(1, Math.floor(availableParallelism() / Math.max(1, workers)));
  if (!Number.isInteger(threads) || threads < 1 || threads > maxKernelThreads) {
    throw new InputError([`--threads: must be a whole number from 1 to ${maxKernelThreads}, got ${showValue(threads)}`]);
  }

  if (workers === 0) {
    const callersThreads = defaultKernelThreads();
    setDefaultKernelThreads(threads);
    try {
      for (const outcome of pending) {
        try {
          outcome.summary = runExperiment(work.configOf(outcome.name), outcome.folder, onEvent, { resume });
        } catch (error) {
          recordFailure(outcome, error);
        }
      }
    } finally {
      setDefaultKernelThreads(callersThreads);
    }
    return;
  }
  const pool = new Piscina({ filename: experimentWorkerFile(), minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  try {
    await Promise.all(pending.map(async (outcome) => {
      try {
        outcome.summary = await runOnPool(pool, { config: work.configOf(outcome.name), folder: outcome.folder, resume, threads }, onEvent);
      } catch (error) {
        recordFailure(outcome, error);
      }
    }));
  } finally {
    await pool.destroy();
  }
}

/**
 * Runs one experiment on `pool` (a pool of ./worker.ts) and passes its events on, every one of
 * them before this resolves. Shared with the queue's worker (src/distributed/), which trains the
 * same way.
 */
export async function runOnPool(pool: Piscina, task: Omit<ExperimentTask, 'port'>, onEvent: (event: ExperimentEvent) => void): Promise<ExperimentSummary> {
  const channel = new MessageChannel();
  // Messages on a port arrive in order: the worker's final 'end' comes after all its events.
  let ended = (): void => {};
  const drained = new Promise<void>((done) => (ended = done));
  channel.port1.on('message', (message: ExperimentEvent | typeof endOfEvents) => {
    if (message === endOfEvents) ended();
    else onEvent(message);
  });
  const full: ExperimentTask = { ...task, port: channel.port2 };
  try {
    const summary = await pool.run(full, { transferList: [channel.port2] }) as ExperimentSummary;
    await drained;
    return summary;
  } catch (error) {
    // A worker that died may never send 'end'.
    await Promise.race([drained, new Promise((done) => setTimeout(done, 1000))]);
    throw error;
  } finally {
    channel.port1.close();
  }
}

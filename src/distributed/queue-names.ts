/**
 * The names a run on the queue uses in Redis, defined once for the submitter and the workers:
 * the queue, a run's id, an experiment's job id and the stream its records travel through.
 *
 *   vanishing:experiments:…            BullMQ's keys for the queue (prefix `vanishing`)
 *   vanishing:records:<run>/<exp>      one stream per job: the records of its attempts (record-stream.ts)
 */
import { createHash } from 'node:crypto';

/** BullMQ's key prefix for the queue, and the prefix of every other key vanishing uses. */
export const keyPrefix = 'vanishing';

/** The one queue every submitter and worker of this Redis database shares. */
export const queueName = 'experiments';

/** The queue as a user may see it (in Redis: `vanishing:experiments:*`). */
export const queueLabel = `${keyPrefix}:${queueName}`;

/**
 * A run's id: the suite's name (readable in Redis) and a digest of what identifies the run for
 * good — its name, when it started (to the millisecond) and where the suite came from. It is
 * derived from suite.json, so a run resumed from its folder, on any machine, finds its jobs again.
 */
export function runIdOf(run: { name: string; createdAt: string; source: string }): string {
  const digest = createHash('sha256').update(JSON.stringify([run.name, run.createdAt, run.source])).digest('hex').slice(0, 12);
  const readable = run.name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return `${readable}-${digest}`;
}

/**
 * An experiment's job id: one job per run and experiment, so adding it again (a resumed
 * submitter) finds the job there instead of adding a second. BullMQ refuses `:` in a job id;
 * `/` is in neither a run id nor an experiment name, so the pair reads back unambiguously.
 */
export function jobIdOf(runId: string, experiment: string): string {
  return `${runId}/${experiment}`;
}

/** The stream a job's records travel through, from the worker training it to the submitter. */
export function recordStreamKey(jobId: string): string {
  return `${keyPrefix}:records:${jobId}`;
}

/** A digest of an experiment's configuration: a job of an earlier, shorter configuration (`--resume --epochs N`) is not this one. */
export function configDigest(config: unknown): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

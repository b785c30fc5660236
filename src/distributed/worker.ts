/**
 * `vanishing worker <redis-url>`: takes experiments from the queue and trains them, any number of
 * these on any number of machines. Each job is one experiment, trained by the same code as a
 * local run (experiments/train-locally.ts runOnPool → runExperiment, in a worker thread) into a
 * fresh temporary folder, so its records are bit-identical to a local run's; what it writes goes
 * to the submitter through the job's record stream as it is written (record-sender.ts), and the
 * job returns which attempt it was and the digest of every file (job-data.ts).
 *
 * Training runs in worker threads, so this thread stays free to renew the jobs' locks: a worker
 * that is killed stops renewing them, and after `stallSeconds` BullMQ's stalled-job check (run by
 * every other worker) puts its jobs back in the queue for another worker. A job submitted by
 * another version of vanishing is refused with one line and put back in the queue for another
 * worker, never failed; the refusing worker takes no job for a few seconds, so the others get it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Piscina } from 'piscina';
import { InputError } from '../experiments/errors.js';
import type { ExperimentConfig } from '../experiments/suite.js';
import { experimentWorkerFile, runOnPool } from '../experiments/train-locally.js';
import { experimentFiles } from '../record/run-format.js';
import type { RedisTarget } from './connection.js';
import { clientOptions, describeTarget, scrubSecret } from './connection.js';
import { checkCredentials } from './credentials.js';
import type { ExperimentJobData, ExperimentJobResult, FileDigest } from './job-data.js';
import { versionProblem } from './job-data.js';
import { reportOutages } from './outage-notice.js';
import { packageVersion } from './package-version.js';
import { keyPrefix, queueLabel, queueName, recordStreamKey } from './queue-names.js';
import { encodeEntry } from './record-stream.js';
import { RecordSender } from './record-sender.js';

export interface QueueWorkerOptions {
  /** Experiments trained at once. Default: one per core. */
  concurrency?: number;
  /** How this worker is named in the submitter's progress and in Redis. Default: the host name. */
  name?: string;
  /**
   * Seconds a job's lock lasts without renewal (renewed every half of it while the worker lives):
   * how soon the jobs of a worker that died go to another. Default 30.
   */
  stallSeconds?: number;
  /** Where the worker's lines go. */
  say?: (line: string) => void;
}

/** A running worker. */
export interface QueueWorker {
  /** Puts the experiments it is training back in the queue (for another worker, at once) and stops. */
  stop(): Promise<void>;
}

/** How long a worker takes no job after refusing one: the queue's other workers get it meanwhile. */
const refusedBackoffMs = 3000;
/** How many times a job may be taken back from a worker that stopped answering before it counts as failed. */
const maxStalledCount = 5;

/**
 * The version this worker runs. VANISHING_WORKER_VERSION_OVERRIDE exists for the tests only: a
 * worker that claims another version, to show that such a worker refuses the job.
 */
function workerVersion(): string {
  return process.env.VANISHING_WORKER_VERSION_OVERRIDE ?? packageVersion();
}

/** Size and SHA-256 of every file of a finished experiment's folder but summary.json (hidden temporary files aside). */
function folderDigests(folder: string): Record<string, FileDigest> {
  const files: Record<string, FileDigest> = {};
  for (const name of readdirSync(folder).sort()) {
    if (name.startsWith('.') || name === experimentFiles.summary || !statSync(join(folder, name)).isFile()) continue;
    const data = readFileSync(join(folder, name));
    files[name] = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }
  return files;
}

/** Where a job trains: a fresh temporary folder named for this process (see removeOrphanedFolders). */
const jobFolderPrefix = 'vanishing-job-';

/**
 * Removes the job folders that workers killed on this machine left behind (a killed process
 * cleans nothing up): those whose process is gone. A living worker's folders are left alone.
 */
function removeOrphanedFolders(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = new RegExp(`^${jobFolderPrefix}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      // ESRCH: no such process (EPERM: it exists, another user's).
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/** An error that only says the connection is down: the outage line already said it. */
function isConnectionError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN)$/.test(code))
    || /Connection is closed|connect ECONNREFUSED|getaddrinfo/.test(error.message);
}

export async function startQueueWorker(target: RedisTarget, options: QueueWorkerOptions = {}): Promise<QueueWorker> {
  const say = (line: string): void => (options.say ?? ((text: string) => process.stdout.write(`${text}\n`)))(scrubSecret(line, target));
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InputError([`--concurrency: must be a whole number ≥ 1, got ${concurrency}`]);
  const stallMs = Math.round((options.stallSeconds ?? 30) * 1000);
  const name = options.name ?? hostname();
  const label = `${name} (pid ${process.pid})`;
  const version = workerVersion();
  const where = describeTarget(target);

  const records = new Redis(clientOptions(target));
  const quiet = reportOutages(records, where, say);
  try {
    await checkCredentials(records, target, 'worker');
  } catch (error) {
    quiet();
    records.disconnect();
    throw error;
  }

  removeOrphanedFolders();
  // Each experiment's kernel calls share the cores with the others running at once.
  const threads = Math.max(1, Math.floor(availableParallelism() / concurrency));
  const pool = new Piscina({ filename: experimentWorkerFile(), minThreads: concurrency, maxThreads: concurrency, idleTimeout: 60_000 });
  // A thread that cannot start fails the job it was given; said here, it does not stop the worker.
  pool.on('error', (error: unknown) => say(`worker thread error: ${error instanceof Error ? error.message : String(error)}`));
  /** The jobs being trained, with their lock tokens, record senders and folders (to put them back on stop). */
  const active = new Map<string, { job: Job<unknown, ExperimentJobResult>; token: string; sender: RecordSender; temporary: string }>();
  /** Jobs refused once: said once, however often they come back to this worker. */
  const refused = new Set<string>();

  const train = async (job: Job<unknown, ExperimentJobResult>, token: string | undefined): Promise<ExperimentJobResult> => {
    const id = job.id ?? '?';
    const problem = versionProblem(job.data, version);
    if (problem !== null) {
      if (!refused.has(id)) {
        refused.add(id);
        say(`[${id}] refused: ${problem}; left in the queue for a worker of that version`);
        await records.xadd(recordStreamKey(id), '*', ...encodeEntry({ kind: 'refused', worker: label, reason: problem }));
      }
      // Back in the queue at once, for a worker of that version; this one steps back a moment
      // rather than taking the same job again and again.
      await job.moveToWait(token);
      stepBack();
      // BullMQ's way to say "the job was moved, do not complete or fail it".
      throw new WaitingError();
    }
    const data = job.data as ExperimentJobData;
    const config: ExperimentConfig = data.config;
    const attempt = randomBytes(8).toString('hex');
    const temporary = mkdtempSync(join(tmpdir(), `${jobFolderPrefix}${process.pid}-`));
    const folder = join(temporary, 'experiment');
    const sender = new RecordSender(records, recordStreamKey(id), attempt, folder);
    if (token !== undefined) active.set(id, { job, token, sender, temporary });
    const started = performance.now();
    try {
      await sender.hello(label);
      say(`[${id}] started (attempt ${attempt})`);
      try {
        await runOnPool(pool, { config, folder, resume: false, threads }, (event) => sender.onEvent(event));
      } catch (error) {
        sender.stop();
        say(`[${id}] failed: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
      await sender.finish();
      const result: ExperimentJobResult = {
        attempt, worker: label, summaryJson: readFileSync(join(folder, experimentFiles.summary), 'utf8'), files: folderDigests(folder),
      };
      say(`[${id}] done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return result;
    } finally {
      active.delete(id);
      rmSync(temporary, { recursive: true, force: true });
    }
  };

  let backingOff: NodeJS.Timeout | null = null;
  const stepBack = (): void => {
    if (backingOff !== null) return;
    // Stops taking jobs (the ones it trains go on) until the timer resumes it.
    void worker.pause(true);
    backingOff = setTimeout(() => {
      backingOff = null;
      void worker.resume();
    }, refusedBackoffMs);
  };

  const worker = new Worker<unknown, ExperimentJobResult>(queueName, train, {
    connection: clientOptions(target), prefix: keyPrefix, concurrency, name,
    lockDuration: stallMs, stalledInterval: stallMs, maxStalledCount,
  });
  let lastError = '';
  worker.on('error', (error) => {
    // Said once: the same error repeats while it lasts.
    if (isConnectionError(error) || error.message === lastError) return;
    lastError = error.message;
    say(`worker error: ${error.message}`);
  });
  worker.on('stalled', (jobId) => say(`[${jobId}] its worker stopped answering: back in the queue for another`));
  say(`vanishing worker ${label}, vanishing ${version}: training experiments from ${where} (queue ${queueLabel}), ${concurrency} at a time`);

  return {
    async stop() {
      if (backingOff !== null) clearTimeout(backingOff);
      // Back in the queue at once, rather than after the lock runs out; their records stop here.
      for (const { sender } of active.values()) sender.stop();
      await Promise.all([...active.values()].map(({ job, token }) => job.moveToWait(token).catch(() => 0)));
      await worker.close(true);
      await pool.destroy();
      for (const { temporary } of active.values()) rmSync(temporary, { recursive: true, force: true });
      quiet();
      records.disconnect();
    },
  };
}

/**
 * `vanishing run|sweep … --queue <redis-url>`: the run's pending experiments trained by
 * `vanishing worker`s wherever they are, instead of on this machine. Everything else is the local
 * run's (experiments/run-suite.ts: the run folder, suite.json, what a resume keeps, the plan,
 * sweep.csv, the report); this is the one step it plugs in (experiments/pending-work.ts).
 *
 * Each experiment becomes one job (queue-names.ts jobIdOf: one per run and experiment, so a
 * restarted submitter finds its jobs instead of adding them again). The submitter follows every
 * job's record stream, writes the records into the run folder as they arrive and shows the
 * workers' progress events (record-collector.ts); when a job completes it checks that the folder
 * holds exactly the winning attempt's records, completes the experiment's folder, then removes
 * the job and its stream from Redis. Completed jobs stay in Redis until then, so a submitter that
 * was stopped (`--resume <folder> --queue <url>`) still collects them.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { PendingWork, TrainPending } from '../experiments/pending-work.js';
import { recordFailure } from '../experiments/pending-work.js';
import type { ExperimentOutcome } from '../experiments/run-suite.js';
import type { ExperimentConfig } from '../experiments/suite.js';
import type { RedisTarget } from './connection.js';
import { clientOptions, describeTarget, scrubSecret } from './connection.js';
import { checkCredentials } from './credentials.js';
import type { ExperimentJobData, ExperimentJobResult } from './job-data.js';
import { jobData, readJobResult } from './job-data.js';
import { reportOutages } from './outage-notice.js';
import { packageVersion } from './package-version.js';
import { configDigest, jobIdOf, keyPrefix, queueLabel, queueName, recordStreamKey, runIdOf } from './queue-names.js';
import { ExperimentCollector } from './record-collector.js';
import type { RecordEntry } from './record-stream.js';
import { decodeEntry, readReplyEntries, readStreamsReply } from './record-stream.js';

/** One experiment of the run on the queue, until it is collected. */
interface Collecting {
  outcome: ExperimentOutcome;
  config: ExperimentConfig;
  digest: string;
  jobId: string;
  key: string;
  collector: ExperimentCollector;
}

/** How long one read of the streams waits for something new; shorter while a job that said it ended is about to complete. */
const blockMs = 500;
const endingBlockMs = 50;
/** Every job's state is looked at this often (sooner for a job whose attempt said it ended). */
const statePollMs = 2000;
/** Stream entries read at once per stream. */
const readCount = 1000;

/** The trainer `runSuite` is given for a run on the queue at `target`. */
export function queueTrainer(target: RedisTarget): TrainPending {
  return (work) => submitToQueue(target, work);
}

async function submitToQueue(target: RedisTarget, work: PendingWork): Promise<void> {
  const where = describeTarget(target);
  const say = (line: string): void => work.onNotice(scrubSecret(line, target));
  // Three connections: commands, the blocking stream reads (XREAD BLOCK holds its connection), and BullMQ's own.
  const commands = new Redis(clientOptions(target));
  const reader = new Redis(clientOptions(target));
  const quietCommands = reportOutages(commands, where, say);
  const quietReader = reportOutages(reader, where, () => {});
  let queue: Queue<ExperimentJobData, ExperimentJobResult> | null = null;
  const collecting = new Map<string, Collecting>();
  try {
    await checkCredentials(commands, target, '--queue');
    const jobs = new Queue<ExperimentJobData, ExperimentJobResult>(queueName, { connection: clientOptions(target), prefix: keyPrefix });
    queue = jobs;
    // Its connection errors are the outage the commands' connection reports.
    jobs.on('error', () => {});
    const runId = runIdOf(work.record);
    const version = packageVersion();

    const add = async (entry: Collecting): Promise<void> => {
      await jobs.add(entry.outcome.name, jobData(runId, entry.config, entry.digest, version), {
        jobId: entry.jobId, attempts: 1, removeOnComplete: false, removeOnFail: false,
      });
    };
    /** Removes a job and its stream (collected, failed, or of an older configuration). */
    const discard = async (entry: Collecting): Promise<void> => {
      await jobs.remove(entry.jobId);
      await commands.del(entry.key);
    };
    const entryFor = (outcome: ExperimentOutcome): Collecting => {
      const config = work.configOf(outcome.name);
      const jobId = jobIdOf(runId, outcome.name);
      return {
        outcome, config, digest: configDigest(config), jobId, key: recordStreamKey(jobId),
        collector: new ExperimentCollector(outcome, { onEvent: (event) => work.onEvent(event) }),
      };
    };

    // A submitter stopped between writing an experiment's summary and removing its job left the
    // job and its stream behind; the experiment is kept from the folder, its leftovers go.
    const pendingNames = new Set(work.pending.map((outcome) => outcome.name));
    for (const name of work.record.experiments.filter((experiment) => !pendingNames.has(experiment))) {
      const jobId = jobIdOf(runId, name);
      const state = await jobs.getJobState(jobId);
      if (state === 'completed' || state === 'failed') {
        await jobs.remove(jobId);
        await commands.del(recordStreamKey(jobId));
      }
    }

    let added = 0;
    for (const outcome of work.pending) {
      const entry = entryFor(outcome);
      collecting.set(entry.key, entry);
      const job = await jobs.getJob(entry.jobId);
      const state = job === undefined ? 'unknown' : await job.getState();
      const sameConfig = (job?.data as Partial<ExperimentJobData> | undefined)?.configDigest === entry.digest;
      if (job !== undefined && state !== 'unknown' && state !== 'failed' && (sameConfig || state === 'active')) {
        // A restarted submitter: the job goes on (or is done) where it was. One of an older
        // configuration still training is replaced once it completes (see collect).
        say(`[${outcome.name}] already in the queue (${state}): collecting it`);
        continue;
      }
      if (job !== undefined) await discard(entry);
      await add(entry);
      added++;
    }
    if (added > 0) say(`Queued ${added} experiment${added === 1 ? '' : 's'} on ${where} (queue ${queueLabel}); train them with \`vanishing worker ${where}\` on any machine`);

    const wholeStream = async (key: string): Promise<RecordEntry[]> => {
      const entries: RecordEntry[] = [];
      let from = '-';
      for (;;) {
        const page = readReplyEntries(await commands.callBuffer('XRANGE', [key, from, '+', 'COUNT', String(readCount)]));
        for (const item of page) {
          const entry = decodeEntry(item.fields);
          if (entry !== null) entries.push(entry);
        }
        if (page.length < readCount) return entries;
        from = `(${page[page.length - 1].id}`;
      }
    };
    const refusedBy = new Set<string>();
    const apply = (entry: Collecting, id: string, fields: Buffer[]): void => {
      entry.collector.lastId = id;
      const decoded = decodeEntry(fields);
      if (decoded === null) return;
      if (decoded.kind === 'refused') {
        // Once per worker: it refuses every job of the run alike.
        if (!refusedBy.has(decoded.worker)) say(`worker ${decoded.worker} refused this run's experiments: ${decoded.reason}`);
        refusedBy.add(decoded.worker);
        return;
      }
      entry.collector.apply(decoded);
    };
    /** Reads whatever the stream holds past what was read: all of an attempt's entries are in before its job completes. */
    const catchUp = async (entry: Collecting): Promise<void> => {
      for (;;) {
        const page = readReplyEntries(await commands.callBuffer('XRANGE', [entry.key, `(${entry.collector.lastId}`, '+', 'COUNT', String(readCount)]));
        for (const item of page) apply(entry, item.id, item.fields);
        if (page.length < readCount) return;
      }
    };
    const finished = async (entry: Collecting): Promise<void> => {
      entry.collector.closeBatches();
      await discard(entry);
      collecting.delete(entry.key);
    };

    /** Looks at a job's state and collects it when it ended. */
    const collect = async (entry: Collecting): Promise<void> => {
      const state = await jobs.getJobState(entry.jobId);
      const name = entry.outcome.name;
      if (state === 'completed') {
        const job = await jobs.getJob(entry.jobId);
        if ((job?.data as Partial<ExperimentJobData> | undefined)?.configDigest !== entry.digest) {
          // Trained for an earlier configuration of the run (`--resume --epochs N` while it ran): trained again.
          say(`[${name}] its job trained an earlier configuration: queued again`);
          await discard(entry);
          entry.collector.lastId = '0-0';
          await add(entry);
          return;
        }
        const result = readJobResult(job?.returnvalue);
        await catchUp(entry);
        try {
          if (result === null) throw new Error('its job completed without the records\' digest (a worker of another version?)');
          const summary = await entry.collector.complete(result, () => wholeStream(entry.key));
          entry.outcome.summary = summary;
          work.onEvent({ type: 'done', experiment: name, summary });
        } catch (error) {
          recordFailure(entry.outcome, error);
        }
        await finished(entry);
      } else if (state === 'failed') {
        const job = await jobs.getJob(entry.jobId);
        const reason = job?.failedReason ?? 'its job failed';
        const failure = new Error(scrubSecret(reason, target));
        const trace = job?.stacktrace?.[job.stacktrace.length - 1];
        if (typeof trace === 'string') failure.stack = scrubSecret(trace, target);
        recordFailure(entry.outcome, failure);
        await finished(entry);
      } else if (state === 'unknown') {
        // Gone from Redis (restarted without its data, or removed by hand): the experiment is queued again.
        say(`[${name}] its job is no longer in Redis (was the server restarted without its data?): queued again`);
        entry.collector.lastId = '0-0';
        await add(entry);
      }
    };

    let lastPoll = Date.now();
    while (collecting.size > 0) {
      const open = [...collecting.values()];
      const wait = open.some((entry) => entry.collector.ended) ? endingBlockMs : blockMs;
      const reply = await reader.callBuffer('XREAD', ['COUNT', String(readCount), 'BLOCK', String(wait), 'STREAMS', ...open.map((entry) => entry.key), ...open.map((entry) => entry.collector.lastId)]);
      for (const [key, items] of readStreamsReply(reply)) {
        const entry = collecting.get(key);
        if (entry !== undefined) for (const item of items) apply(entry, item.id, item.fields);
      }
      const due = Date.now() - lastPoll >= statePollMs;
      if (due) lastPoll = Date.now();
      for (const entry of open) {
        if (due || entry.collector.ended) await collect(entry);
      }
    }
  } finally {
    for (const entry of collecting.values()) entry.collector.closeBatches();
    quietCommands();
    quietReader();
    await queue?.close().catch(() => {});
    commands.disconnect();
    reader.disconnect();
  }
}

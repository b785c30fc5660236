/**
 * Runs on the job queue, end to end: a private Redis (redis-server.ts), `vanishing worker`
 * processes from the command line, and the submitter either in this process (runSuite with the
 * queue's trainer, to watch its events) or as `vanishing run --queue`. Every run's records are
 * compared with a local run of the same suite: every file, bit for bit but for wall-clock seconds.
 *
 * - several workers give the local run's records;
 * - a worker killed (SIGKILL) mid-job: its job goes to another worker, and the run folder holds
 *   every experiment once, equal to the local run;
 * - a worker of another version refuses the job, which a worker of the right version then trains;
 * - a password in the URL works and is printed nowhere, written nowhere;
 * - a submitter killed mid-run, then `--resume <folder> --queue <url>`: finishes, equal records;
 * - Redis killed mid-run and started again empty: one line says so, the run waits, queues the
 *   lost jobs again and finishes, equal records.
 *
 * Each test uses its own Redis database, so a job of one test is never taken by another's workers.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { clientOptions, parseRedisUrl } from '../../src/distributed/connection.js';
import { queueTrainer } from '../../src/distributed/submit.js';
import type { ExperimentEvent } from '../../src/experiments/run-experiment.js';
import { runSuite } from '../../src/experiments/run-suite.js';
import { loadSuite } from '../../src/experiments/suite.js';
import type { CliProcess } from './cli-process.js';
import { startCli } from './cli-process.js';
import type { RedisServer } from './redis-server.js';
import { skipWithoutRedis, startRedis } from './redis-server.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-queue-'));
const experiments = ['a', 'b', 'c', 'd'];
const suiteFile = join(root, 'tiny.yaml');
// One-layer 8-unit RNNs on the adding problem: a few batches per epoch and enough epochs (each
// ends with its files and checkpoint flushed to the disk) that a job lasts a few seconds.
writeFileSync(suiteFile, `name: tiny
defaults:
  model: { hidden_size: 8, num_layers: 1 }
  data: { dataset: adding, length: 8, train_samples: 64, validation_samples: 16, test_samples: 16 }
  training: { epochs: 80, batch_size: 16 }
experiments:
${experiments.map((name, index) => `  - { name: ${name}, training: { seed: ${index} } }`).join('\n')}
`);
/** Seconds a dead worker keeps its jobs: small, so a killed worker's job moves on soon. */
const stallSeconds = '2';

let redis: RedisServer | null = null;
/** Processes of the test running now, killed when it ends (an idle worker still takes a core's share of time). */
let processes: CliProcess[] = [];
test.before(async () => {
  if (skipWithoutRedis === false) redis = await startRedis();
});
test.afterEach(async () => {
  await Promise.all(processes.map((process) => process.kill()));
  processes = [];
});
test.after(async () => {
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

function worker(url: string, name: string, env: Record<string, string> = {}): CliProcess {
  const process = startCli(['worker', url, '--concurrency', '1', '--name', name, '--stall-seconds', stallSeconds], { cwd: root, env });
  processes.push(process);
  return process;
}

/** Workers that have said they are ready (the local run to compare with is made meanwhile, the first time). */
async function workers(url: string, names: readonly string[]): Promise<CliProcess[]> {
  const started = names.map((name) => worker(url, name));
  await localRun();
  await Promise.all(started.map((process) => process.waitFor(/training experiments from/)));
  return started;
}

/** The local run every queue run is compared with, made once (in this thread: no worker threads to start). */
let local: Promise<string> | null = null;
function localRun(): Promise<string> {
  local ??= runSuite(loadSuite(suiteFile), { outRoot: join(root, 'local'), workers: 0 }).then((outcome) => outcome.folder);
  return local;
}

/** A file's records without wall-clock seconds (the only field that may differ between two runs of one suite). */
function withoutTimes(file: string, text: string): string {
  if (file === 'epochs.csv') {
    const rows = text.split('\n').map((row) => row.split(','));
    const seconds = rows[0].indexOf('seconds');
    return rows.map((row) => row.filter((_, index) => index !== seconds).join(',')).join('\n');
  }
  const strip = (line: string): string => {
    const record = JSON.parse(line) as Record<string, unknown>;
    delete record.seconds;
    return JSON.stringify(record);
  };
  if (file.endsWith('.jsonl')) return text.split('\n').filter((line) => line !== '').map(strip).join('\n');
  if (file === 'summary.json') return strip(text);
  return text;
}

/** Every experiment of `folder` has the same files as the local run's, with the same records. */
async function assertEqualsLocal(folder: string): Promise<void> {
  const reference = await localRun();
  for (const name of experiments) {
    const files = readdirSync(join(folder, name)).sort();
    assert.deepEqual(files, readdirSync(join(reference, name)).sort(), `${name}: the same files as the local run`);
    for (const file of files) {
      if (file === 'checkpoint.bin') continue; // binary, and it holds the elapsed seconds
      const ours = readFileSync(join(folder, name, file), 'utf8');
      const theirs = readFileSync(join(reference, name, file), 'utf8');
      if (file === 'batches.jsonl' || file === 'config.json') assert.equal(ours, theirs, `${name}/${file}: byte for byte`);
      else assert.equal(withoutTimes(file, ours), withoutTimes(file, theirs), `${name}/${file}: the same records`);
    }
  }
}

/** Nothing of the run is left in Redis once it is collected: no job, no record stream. */
async function assertRedisClean(url: string): Promise<void> {
  const client = new Redis(clientOptions(parseRedisUrl(url)));
  try {
    assert.deepEqual(await client.keys('vanishing:records:*'), []);
    const jobKeys = (await client.keys('vanishing:experiments:*')).filter((key) => /vanishing:experiments:[^:]+\//.test(key));
    assert.deepEqual(jobKeys, [], 'no job keys left');
  } finally {
    client.disconnect();
  }
}

/** runSuite on the queue at `url`, in this process; its events and notices as lines. */
async function submit(url: string, out: string): Promise<{ folder: string; lines: string[]; events: ExperimentEvent[] }> {
  const lines: string[] = [];
  const events: ExperimentEvent[] = [];
  const outcome = await runSuite(loadSuite(suiteFile), {
    outRoot: join(root, out), train: queueTrainer(parseRedisUrl(url)),
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'notice') lines.push(`[${event.experiment}] ${event.message}`);
    },
    onNotice: (line) => lines.push(line),
  });
  assert.deepEqual(outcome.experiments.map((experiment) => experiment.error ?? 'ok'), experiments.map(() => 'ok'), lines.join('\n'));
  return { folder: outcome.folder, lines, events };
}

test('a suite trained by three workers through the queue has the local run\'s records', { skip: skipWithoutRedis, timeout: 120_000 }, async () => {
  const url = redis!.url(1);
  await workers(url, ['w1', 'w2', 'w3']);
  const { folder, lines, events } = await submit(url, 'three');
  assert.match(lines.join('\n'), /Queued 4 experiments on redis:\/\/127\.0\.0\.1:\d+\/1/);
  assert.match(lines.join('\n'), /\[a\] running on w\d \(pid \d+\)/);
  assert.deepEqual(events.filter((event) => event.type === 'done').map((event) => event.experiment).sort(), experiments);
  assert.ok(events.some((event) => event.type === 'epoch' && event.epoch === 80), 'the workers\' epoch events reach the submitter');
  await assertEqualsLocal(folder);
  assert.ok(existsSync(join(folder, 'suite.json')));
  await assertRedisClean(url);
});

test('a worker killed mid-job: another takes the job over, and every experiment is in the folder once, as in a local run', { skip: skipWithoutRedis, timeout: 120_000 }, async () => {
  const url = redis!.url(2);
  const [first, second] = await workers(url, ['victim', 'survivor']);
  let killed: Promise<void> | null = null;
  const lines: string[] = [];
  const outcome = await runSuite(loadSuite(suiteFile), {
    outRoot: join(root, 'kill'), train: queueTrainer(parseRedisUrl(url)), onNotice: (line) => lines.push(line),
    onEvent: (event) => {
      if (event.type === 'notice') lines.push(`[${event.experiment}] ${event.message}`);
      // Some epochs into its first job (its records partly sent), the victim dies without a word.
      if (killed === null && event.type === 'epoch' && lines.some((line) => line === `[${event.experiment}] running on victim (pid ${first.child.pid})`)) {
        killed = first.kill();
      }
    },
  });
  assert.ok(killed !== null, 'the victim was killed mid-job');
  assert.deepEqual(outcome.experiments.map((experiment) => experiment.error ?? 'ok'), experiments.map(() => 'ok'));
  assert.match(lines.join('\n'), /taken over by survivor \(pid \d+\): the attempt on victim \(pid \d+\) did not finish \(its worker died or was stopped\); what it recorded is discarded/);
  assert.match(second.stdout(), /done in/);
  await assertEqualsLocal(outcome.folder);
  await assertRedisClean(url);
});

test('a worker of another version refuses the job with one line; a worker of this version trains it', { skip: skipWithoutRedis, timeout: 120_000 }, async () => {
  const url = redis!.url(3);
  const stranger = worker(url, 'stranger', { VANISHING_WORKER_VERSION_OVERRIDE: '99.0.0' });
  await stranger.waitFor(/training experiments from/);
  const submitted = submit(url, 'versions');
  await stranger.waitFor(/refused/);
  await workers(url, ['native']);
  const { folder, lines } = await submitted;
  assert.match(stranger.stdout(), /\[tiny-[0-9a-f]{12}\/\w\] refused: the job was submitted by vanishing \d+\.\d+\.\d+ \(run format 1\); this worker runs vanishing 99\.0\.0 \(run format 1\)/);
  assert.match(lines.join('\n'), /worker stranger \(pid \d+\) refused this run's experiments: the job was submitted by vanishing/);
  assert.doesNotMatch(lines.join('\n'), /running on stranger/);
  await assertEqualsLocal(folder);
});

test('a password in the URL works and appears in no output and no file', { skip: skipWithoutRedis, timeout: 120_000 }, async () => {
  const password = 'Sesame:op@en/42';
  const guarded = await startRedis({ password });
  try {
    const url = guarded.url(0);
    const helpers = await workers(url, ['g1', 'g2']);
    const run = startCli(['run', suiteFile, '--queue', url, '--out', 'guarded', '--no-report'], { cwd: root });
    const wrong = startCli(['run', suiteFile, '--queue', guarded.url(0).replace(encodeURIComponent(password), 'not-it'), '--out', 'wrong'], { cwd: root });
    processes.push(run, wrong);
    assert.equal(await run.exited, 0, run.stderr());
    const folder = join(root, 'guarded', readdirSync(join(root, 'guarded'))[0]);
    await assertEqualsLocal(folder);
    assert.equal(await wrong.exited, 2, wrong.stderr());
    assert.match(wrong.stderr(), /Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the connection/);
    const printed = [run, wrong, ...helpers].map((process) => process.stdout() + process.stderr()).join('\n');
    assert.match(printed, /:\*\*\*@127\.0\.0\.1/, 'the server is named, with the password as ***');
    const everything = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
      .flatMap((entry) => (entry.isDirectory() ? everything(join(dir, entry.name)) : [readFileSync(join(dir, entry.name), 'latin1')]));
    for (const form of [password, encodeURIComponent(password)]) {
      assert.equal(printed.includes(form), false, 'no password in any output');
      assert.equal(everything(folder).some((text) => text.includes(form)), false, 'no password in the run folder');
    }
  } finally {
    await guarded.stop();
  }
});

test('a submitter killed mid-run: --resume <folder> --queue <url> collects what the workers trained meanwhile', { skip: skipWithoutRedis, timeout: 120_000 }, async () => {
  const url = redis!.url(4);
  await workers(url, ['r1', 'r2']);
  const first = startCli(['run', suiteFile, '--queue', url, '--out', 'resumed', '--no-report'], { cwd: root });
  processes.push(first);
  await first.waitFor(/\[\w\] Epoch 3:/);
  await first.kill();
  const folder = join(root, 'resumed', readdirSync(join(root, 'resumed'))[0]);
  const second = startCli(['run', '--resume', folder, '--queue', url, '--no-report'], { cwd: root });
  processes.push(second);
  assert.equal(await second.exited, 0, second.stderr());
  assert.match(second.stdout(), /already in the queue \((active|completed|waiting)\): collecting it/);
  await assertEqualsLocal(folder);
  await assertRedisClean(url);
});

test('Redis gone mid-run (restarted without its data): the submitter says so once, waits, queues again, and finishes with the local run\'s records', { skip: skipWithoutRedis, timeout: 120_000 }, async () => {
  const url = redis!.url(5);
  await workers(url, ['o1', 'o2']);
  let outage: Promise<void> | null = null;
  const lines: string[] = [];
  const outcome = await runSuite(loadSuite(suiteFile), {
    outRoot: join(root, 'outage'), train: queueTrainer(parseRedisUrl(url)), onNotice: (line) => lines.push(line),
    onEvent: (event) => {
      if (event.type === 'notice') lines.push(`[${event.experiment}] ${event.message}`);
      // Mid-run, the server dies and comes back 3 s later, empty (no persistence).
      if (outage === null && event.type === 'epoch') {
        outage = (async () => {
          await redis!.kill();
          await new Promise((done) => setTimeout(done, 3000));
          await redis!.start();
        })();
      }
    },
  });
  await outage;
  assert.deepEqual(outcome.experiments.map((experiment) => experiment.error ?? 'ok'), experiments.map(() => 'ok'), lines.join('\n'));
  const said = lines.join('\n');
  assert.equal(said.match(/Redis at redis:\/\/127\.0\.0\.1:\d+\/5 unreachable \([^)]*\); retrying…/g)?.length, 1, said);
  assert.match(said, /reachable again; continuing/);
  assert.match(said, /its job is no longer in Redis \(was the server restarted without its data\?\): queued again/);
  await assertEqualsLocal(outcome.folder);
  await assertRedisClean(url);
});

/**
 * The submitter's side of the record stream without Redis: entries made from a real experiment's
 * folder, played into a collector the way a worker's death, a takeover, a resent command or a
 * stray attempt would deliver them, must leave the run's experiment folder byte for byte the
 * winning attempt's — or fail with a reason, never a half folder.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ExperimentJobResult } from '../../src/distributed/job-data.js';
import { ExperimentCollector } from '../../src/distributed/record-collector.js';
import type { RecordEntry } from '../../src/distributed/record-stream.js';
import { decodeEntry, encodeEntry, wholeFiles } from '../../src/distributed/record-stream.js';
import type { ExperimentEvent } from '../../src/experiments/run-experiment.js';
import { runExperiment } from '../../src/experiments/run-experiment.js';
import type { ExperimentOutcome } from '../../src/experiments/run-suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-collector-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const config = resolveSuite({
  name: 'one',
  experiments: [{ name: 'tiny', model: { hidden_size: 8, num_layers: 1 }, data: { dataset: 'adding', length: 8, train_samples: 64, validation_samples: 16, test_samples: 16 }, training: { epochs: 3, batch_size: 16 } }],
}, join(root, 'one.yaml')).experiments[0];
/** What a worker's finished folder holds: the bytes every collector must end with. */
const workerFolder = join(root, 'worker', 'experiment');
runExperiment(config, workerFolder);

function digest(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const result = (attempt: string): ExperimentJobResult => ({
  attempt, worker: `w-${attempt}`, summaryJson: readFileSync(join(workerFolder, 'summary.json'), 'utf8'),
  files: Object.fromEntries(readdirSync(workerFolder).filter((file) => file !== 'summary.json').map((file) => {
    const data = readFileSync(join(workerFolder, file));
    return [file, { bytes: data.length, sha256: digest(data) }];
  })),
});

/** The entries an attempt sends for the worker's folder, the batch stream in 700-byte appends (through the wire format). */
function attemptEntries(attempt: string, options: { batchBytes?: number; end?: boolean } = {}): RecordEntry[] {
  const batches = readFileSync(join(workerFolder, 'batches.jsonl')).subarray(0, options.batchBytes);
  const entries: RecordEntry[] = [{ kind: 'hello', attempt, worker: `w-${attempt}` }];
  for (let offset = 0; offset < batches.length; offset += 700) entries.push({ kind: 'append', attempt, offset, data: batches.subarray(offset, offset + 700) });
  entries.push({ kind: 'events', attempt, seq: 0, events: [{ type: 'notice', experiment: 'tiny', message: `from ${attempt}` }] });
  if (options.end !== false) {
    for (const file of wholeFiles) {
      if (!existsSync(join(workerFolder, file))) continue;
      const data = readFileSync(join(workerFolder, file));
      // Two chunks each, as a large file travels.
      const half = Math.ceil(data.length / 2);
      entries.push({ kind: 'write', attempt, file, offset: 0, data: data.subarray(0, half), last: false });
      entries.push({ kind: 'write', attempt, file, offset: half, data: data.subarray(half), last: true });
    }
    entries.push({ kind: 'end', attempt });
  }
  return entries.map((entry) => decodeEntry(encodeEntry(entry).map((field) => Buffer.from(field)))!);
}

function outcomeIn(name: string): ExperimentOutcome {
  return { name: 'tiny', folder: join(root, name, 'tiny'), summary: null, skipped: false };
}

/** The experiment folder equals the worker's, file for file and byte for byte. */
function assertSameAsWorker(folder: string): void {
  assert.deepEqual(readdirSync(folder).sort(), readdirSync(workerFolder).sort());
  for (const file of readdirSync(workerFolder)) assert.ok(readFileSync(join(folder, file)).equals(readFileSync(join(workerFolder, file))), file);
}

test('a takeover: the dead attempt\'s records are discarded, the winner\'s written once, repeats and strays skipped', async () => {
  const outcome = outcomeIn('takeover');
  const events: ExperimentEvent[] = [];
  const collector = new ExperimentCollector(outcome, { onEvent: (event) => events.push(event) });
  const dead = attemptEntries('a1', { batchBytes: 2000, end: false });
  const winner = attemptEntries('a2');
  // The dead attempt's half stream; the winner, with every entry sent twice (a command resent after a
  // lost connection) and a stray entry of the dead attempt in the middle.
  for (const entry of dead) collector.apply(entry);
  assert.ok(existsSync(join(outcome.folder, 'batches.jsonl.partial')));
  for (const [index, entry] of winner.entries()) {
    collector.apply(entry);
    collector.apply(entry);
    if (index === 3) collector.apply(dead[2]);
  }
  const summary = await collector.complete(result('a2'), () => Promise.reject(new Error('no rebuild needed')));
  assert.equal(summary.name, 'tiny');
  assertSameAsWorker(outcome.folder);
  const notices = events.filter((event) => event.type === 'notice').map((event) => (event as { message: string }).message);
  assert.deepEqual(notices, [
    'running on w-a1', 'from a1',
    'taken over by w-a2: the attempt on w-a1 did not finish (its worker died or was stopped); what it recorded is discarded and the experiment trains again from the start',
    'from a2',
  ]);
});

test('a job completed by an attempt whose entries were missed is rebuilt from the whole stream', async () => {
  const outcome = outcomeIn('rebuild');
  const collector = new ExperimentCollector(outcome, { onEvent: () => {} });
  for (const entry of attemptEntries('a1')) collector.apply(entry);
  const stream = [...attemptEntries('a1'), ...attemptEntries('a3')];
  await collector.complete(result('a3'), () => Promise.resolve(stream));
  assertSameAsWorker(outcome.folder);
});

test('records that cannot be made whole are a failure naming what is missing, and summary.json is not written', async () => {
  const outcome = outcomeIn('gap');
  const collector = new ExperimentCollector(outcome, { onEvent: () => {} });
  const entries = attemptEntries('a1');
  // One append lost, in the live feed and in the stream.
  const lost = entries.findIndex((entry) => entry.kind === 'append' && entry.offset > 0);
  const stream = entries.filter((_, index) => index !== lost);
  for (const entry of stream) collector.apply(entry);
  await assert.rejects(collector.complete(result('a1'), () => Promise.resolve(stream)), /batches\.jsonl: bytes from 700 to 1400 never arrived/);
  assert.equal(existsSync(join(outcome.folder, 'summary.json')), false);
});

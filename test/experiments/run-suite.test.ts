/**
 * Running a suite: the run folder's files, bit-identical records with any number of workers,
 * resume after a simulated kill, divergence that does not stop the suite, and bad data caught
 * before anything is written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/experiments/errors.js';
import { runSuite } from '../../src/experiments/run-suite.js';
import type { Suite } from '../../src/experiments/suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import type { BatchRecord, EpochRecord, ExperimentSummary } from '../../src/record/metrics.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-run-'));

function smallSuite(): Suite {
  return resolveSuite({
    name: 'small',
    defaults: {
      model: { hidden_size: 8, num_layers: 3 },
      data: { dataset: 'adding', length: 8, train_samples: 96, validation_samples: 32, test_samples: 32 },
      training: { epochs: 2, batch_size: 16, learning_rate: 0.05 },
      record: { hidden_gradient_every: 2 },
    },
    experiments: [
      { name: 'tanh', model: { cell: 'rnn', nonlinearity: 'tanh' } },
      { name: 'gru', model: { cell: 'gru' } },
      { name: 'blowup', model: { architecture: 'residual', nonlinearity: 'relu', init: 'xavier', num_layers: 6 }, training: { learning_rate: 50 } },
      { name: 'lstm', model: { cell: 'lstm' }, data: { dataset: 'copy', length: 4, train_samples: 64, validation_samples: 16, test_samples: 16 } },
    ],
  }, join(root, 'small.yaml'));
}

/** A run's records without wall-clock fields, for comparing runs. */
function records(folder: string, experiment: string): { batches: BatchRecord[]; epochs: EpochRecord[]; summary: ExperimentSummary } {
  const dir = join(folder, experiment);
  const lines = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as never);
  const epochs = (lines('epochs.jsonl') as EpochRecord[]).map((e) => ({ ...e, seconds: 0 }));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as ExperimentSummary;
  return { batches: lines('batches.jsonl'), epochs, summary: { ...summary, seconds: 0 } };
}

test.after(() => rmSync(root, { recursive: true, force: true }));

/**
 * The sequential run the other tests compare against, made by whichever test asks first, so each
 * test passes alone (--test-name-pattern) and in any order.
 */
let sequential: Promise<{ folder: string; events: string[] }> | null = null;
function sequentialRun(): Promise<{ folder: string; events: string[] }> {
  sequential ??= (async () => {
    const events: string[] = [];
    const outcome = await runSuite(smallSuite(), { outRoot: join(root, 'sequential'), workers: 0, onEvent: (event) => events.push(`${event.type}:${event.experiment}`) });
    return { folder: outcome.folder, events };
  })();
  return sequential;
}

test('a suite writes suite.json and, per experiment, config, batches, epochs (JSONL and CSV) and the summary', async () => {
  const { folder, events } = await sequentialRun();
  assert.match(folder, /small-\d{8}-\d{6}$/);
  const suiteRecord = JSON.parse(readFileSync(join(folder, 'suite.json'), 'utf8')) as { experiments: string[] };
  assert.deepEqual(suiteRecord.experiments, ['tanh', 'gru', 'blowup', 'lstm']);
  for (const name of suiteRecord.experiments) {
    const files = readdirSync(join(folder, name)).sort();
    // A finished experiment keeps its last checkpoint (for `--resume --epochs N`); a diverged one has nothing to continue.
    const checkpoint = name === 'blowup' ? [] : ['checkpoint.bin'];
    assert.deepEqual(files, ['batches.jsonl', ...checkpoint, 'config.json', 'epochs.csv', 'epochs.jsonl', 'summary.json'], name);
    const config = JSON.parse(readFileSync(join(folder, name, 'config.json'), 'utf8')) as { name: string; training: { learning_rate: number } };
    assert.equal(config.name, name);
  }
  const tanh = records(folder, 'tanh');
  assert.equal(tanh.batches.length, 2 * 6, '96 samples / 16 per batch × 2 epochs');
  assert.equal(tanh.epochs.length, 2);
  assert.equal(tanh.batches.filter((b) => b.hiddenGradientNorms !== undefined).length, 2 * 3, 'every 2nd batch');
  assert.equal(tanh.summary.status, 'finished');
  assert.equal(tanh.summary.parameterNames.length, 3 * 4 + 2);
  const csv = readFileSync(join(folder, 'tanh', 'epochs.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 3);
  assert.match(csv[0], /^epoch,batches,mean_loss,.*grad_norm:rnn\.weight_ih_l0/);
  assert.ok(events.includes('done:lstm') && events.includes('epoch:gru'));
});

test('a diverging experiment is recorded as diverged and the suite goes on', async () => {
  const sequentialFolder = (await sequentialRun()).folder;
  const blowup = records(sequentialFolder, 'blowup');
  assert.equal(blowup.summary.status, 'diverged');
  assert.equal(blowup.summary.verdict.kind, 'diverged');
  assert.ok(blowup.batches.length >= 1);
  assert.equal(records(sequentialFolder, 'lstm').summary.status, 'finished');
});

test('two workers give bit-identical records to a sequential run', async () => {
  const sequentialFolder = (await sequentialRun()).folder;
  const outcome = await runSuite(smallSuite(), { outRoot: join(root, 'parallel'), workers: 2 });
  for (const name of ['tanh', 'gru', 'blowup', 'lstm']) {
    assert.deepEqual(records(outcome.folder, name), records(sequentialFolder, name), name);
  }
});

test('resume after a simulated kill keeps finished experiments and reruns the unfinished one identically', async () => {
  const sequentialFolder = (await sequentialRun()).folder;
  const outcome = await runSuite(smallSuite(), { outRoot: join(root, 'resume'), workers: 0 });
  const killed = join(outcome.folder, 'gru');
  // As if killed mid-epoch: no summary, batches still streaming into the partial file.
  rmSync(join(killed, 'summary.json'));
  renameSync(join(killed, 'batches.jsonl'), join(killed, 'batches.jsonl.partial'));
  writeFileSync(join(killed, 'batches.jsonl.partial'), '{"epoch":1,"batch":1,"lo');
  const keptSummary = statSync(join(outcome.folder, 'tanh', 'summary.json')).mtimeMs;
  const notices: string[] = [];
  const resumed = await runSuite(null, { resume: outcome.folder, workers: 0, onNotice: (line) => notices.push(line) });
  assert.equal(resumed.folder, outcome.folder);
  assert.deepEqual(resumed.experiments.map((e) => e.skipped), [true, false, true, true]);
  assert.equal(notices.length, 3);
  assert.equal(statSync(join(outcome.folder, 'tanh', 'summary.json')).mtimeMs, keptSummary, 'finished experiments are not touched');
  assert.equal(existsSync(join(killed, 'batches.jsonl.partial')), false);
  assert.deepEqual(records(outcome.folder, 'gru'), records(sequentialFolder, 'gru'));
});

test('bad data is an input error before any folder is created', async () => {
  const badFolder = join(root, 'bad');
  const npy = join(root, 'truncated.npy');
  writeFileSync(npy, Buffer.from('\x93NUMPY\x01\x00', 'latin1'));
  const suite = resolveSuite({ experiments: [{ name: 'a', data: { dataset: 'npy', train_inputs: npy, train_labels: npy } }] }, join(root, 'bad.yaml'));
  await assert.rejects(runSuite(suite, { outRoot: badFolder, workers: 0 }), (error: unknown) => error instanceof InputError && /experiments\[0\]\.data \(a\): .*truncated\.npy/.test(error.message));
  assert.equal(existsSync(badFolder), false);
});

test('resuming something that is not a run folder is an input error', async () => {
  await assert.rejects(runSuite(null, { resume: root }), (error: unknown) => error instanceof InputError && /not a run folder/.test(error.message));
});

/**
 * Checkpoints: a run stopped after any epoch and resumed from its checkpoint ends bit-identical
 * to an uninterrupted run (batches.jsonl byte for byte, epochs and summary but for wall-clock
 * seconds, the final weights and optimiser state) — float32 and float64, SGD with momentum and
 * Nesterov, Adam, a loss at every step, in this thread and on a worker pool; a finished run
 * extended with `--epochs` equals one trained that long from the start; and a checkpoint that is
 * corrupt, tampered with, another experiment's or another configuration's is never used: the
 * experiment trains from the start, says why, and still ends identical.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointFile, readCheckpoint } from '../../src/experiments/checkpoint.js';
import { InputError } from '../../src/experiments/errors.js';
import type { ExperimentEvent } from '../../src/experiments/run-experiment.js';
import type { RunSuiteOptions, SuiteOutcome } from '../../src/experiments/run-suite.js';
import { runSuite, suiteFile } from '../../src/experiments/run-suite.js';
import type { ExperimentConfig, Suite } from '../../src/experiments/suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import type { EpochRecord, ExperimentSummary } from '../../src/record/metrics.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-checkpoint-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const names = ['sgd_momentum', 'adam_gru', 'lstm_copy_adam', 'nesterov_float64', 'blowup'];

function suite(epochs: number, change: (experiments: Record<string, unknown>[]) => void = () => {}): Suite {
  const experiments: Record<string, unknown>[] = [
    { name: 'sgd_momentum', model: { cell: 'rnn' }, training: { optimizer: 'sgd', momentum: 0.9 } },
    { name: 'adam_gru', model: { cell: 'gru' }, training: { optimizer: 'adam', learning_rate: 0.01, clip_max_norm: 1 } },
    {
      name: 'lstm_copy_adam', model: { cell: 'lstm' }, training: { optimizer: 'adam', learning_rate: 0.01 }, record: { last_step_probe_every: 2 },
      data: { dataset: 'copy', length: 4, train_samples: 64, validation_samples: 16, test_samples: 16 },
    },
    { name: 'nesterov_float64', model: { cell: 'rnn', dtype: 'float64' }, training: { optimizer: 'sgd', momentum: 0.5, nesterov: true, weight_decay: 0.001 } },
    { name: 'blowup', model: { architecture: 'residual', nonlinearity: 'relu', init: 'xavier', num_layers: 6 }, training: { learning_rate: 50 } },
  ];
  change(experiments);
  return resolveSuite({
    name: 'ckpt',
    defaults: {
      model: { hidden_size: 8, num_layers: 2 },
      // 64 of the 80 training samples per epoch: a different seeded subset every epoch, which a resume must continue.
      data: { dataset: 'adding', length: 10, train_samples: 80, validation_samples: 32, test_samples: 32 },
      training: { epochs, batch_size: 16, learning_rate: 0.05, samples_per_epoch: 64 },
      record: { hidden_gradient_every: 2, histogram_every: 3 },
    },
    experiments,
  }, join(root, 'ckpt.yaml'));
}

/** Everything an experiment wrote, wall-clock seconds aside; the batch records as their exact bytes. */
function records(folder: string, experiment: string): Record<string, unknown> {
  const dir = join(folder, experiment);
  const epochs = readFileSync(join(dir, 'epochs.jsonl'), 'utf8').split('\n').filter((line) => line !== '')
    .map((line) => ({ ...(JSON.parse(line) as EpochRecord), seconds: 0 }));
  const csv = readFileSync(join(dir, 'epochs.csv'), 'utf8').split('\n').map((line) => line.split(',').filter((_, i) => i !== 8).join(','));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as ExperimentSummary;
  return {
    files: readdirSync(dir).sort(),
    batchesSha256: createHash('sha256').update(readFileSync(join(dir, 'batches.jsonl'))).digest('hex'),
    epochs,
    csv,
    summary: { ...summary, seconds: 0 },
    config: readFileSync(join(dir, 'config.json'), 'utf8'),
    state: finalState(folder, experiment),
  };
}

/** The final weights and optimiser state in the checkpoint a finished experiment keeps, as hashes (null: none kept). */
function finalState(folder: string, experiment: string): Record<string, string> | null {
  const dir = join(folder, experiment);
  if (!existsSync(join(dir, checkpointFile))) return null;
  const bytes = readFileSync(join(dir, checkpointFile));
  const headerLength = bytes.readUInt32LE(21);
  const header = JSON.parse(bytes.subarray(25, 25 + headerLength).toString('utf8')) as { optimizer: unknown; batchOrder: unknown; batches: unknown };
  const arrays = bytes.subarray(25 + headerLength, bytes.length - 32);
  return {
    arrays: createHash('sha256').update(arrays).digest('hex'),
    optimizer: JSON.stringify(header.optimizer),
    batchOrder: JSON.stringify(header.batchOrder),
    batches: JSON.stringify(header.batches),
  };
}

async function run(chosen: Suite | null, options: RunSuiteOptions): Promise<{ outcome: SuiteOutcome; events: ExperimentEvent[]; notices: string[] }> {
  const events: ExperimentEvent[] = [];
  const notices: string[] = [];
  const outcome = await runSuite(chosen, { onEvent: (event) => events.push(event), onNotice: (line) => notices.push(line), ...options });
  return { outcome, events, notices };
}

const firstEpochs = (events: readonly ExperimentEvent[]): Record<string, number> =>
  Object.fromEntries(events.flatMap((event) => (event.type === 'start' ? [[event.experiment, event.firstEpoch]] : [])));
const noticesOf = (events: readonly ExperimentEvent[], experiment: string): string[] =>
  events.flatMap((event) => (event.type === 'notice' && event.experiment === experiment ? [event.message] : []));

/**
 * The uninterrupted 4-epoch run (`reference`), the same run again (`again`), and a run folder
 * stopped after epoch 2 of 4 (copied from `again` as its epoch-2 checkpoint was written, then some
 * of epoch 3 written): made by whichever test asks first, so each test passes alone
 * (--test-name-pattern) and in any order.
 */
interface SetupRuns {
  reference: string;
  again: string;
  stoppedAfterEpoch2: string;
}
let setupRuns: Promise<SetupRuns> | null = null;
function setup(): Promise<SetupRuns> {
  setupRuns ??= makeSetupRuns();
  return setupRuns;
}

async function makeSetupRuns(): Promise<SetupRuns> {
  const reference = (await run(suite(4), { outRoot: join(root, 'reference'), workers: 0 })).outcome.folder;
  // The same run again; as each experiment's epoch-2 line arrives (after its checkpoint), its folder is copied.
  const snapshots = join(root, 'snapshots');
  const { outcome } = await run(suite(4), {
    outRoot: join(root, 'again'), workers: 0,
    onEvent: (event) => {
      if (event.type === 'epoch' && event.epoch === 2) cpSync(join(outcomeFolder(), event.experiment), join(snapshots, event.experiment), { recursive: true });
    },
  });
  function outcomeFolder(): string {
    return join(root, 'again', readdirSync(join(root, 'again'))[0]);
  }
  // The stopped run: the snapshots, with what a process killed in epoch 3 leaves behind — a few batch
  // records of epoch 3 and half a line, a temporary file of an interrupted write, no summary.
  const stoppedAfterEpoch2 = join(root, 'stopped');
  mkdirSync(stoppedAfterEpoch2);
  cpSync(join(reference, suiteFile), join(stoppedAfterEpoch2, suiteFile));
  for (const name of names) {
    const dir = join(stoppedAfterEpoch2, name);
    if (!existsSync(join(snapshots, name))) {
      // blowup diverged in epoch 1: it never wrote an epoch-2 checkpoint; it is copied finished.
      cpSync(join(reference, name), dir, { recursive: true });
      continue;
    }
    cpSync(join(snapshots, name), dir, { recursive: true });
    assert.deepEqual(readdirSync(dir).sort(), ['batches.jsonl.partial', 'checkpoint.bin', 'config.json', 'epochs.csv', 'epochs.jsonl'], `${name}: the epoch-2 snapshot`);
    const epoch3 = readFileSync(join(reference, name, 'batches.jsonl'), 'utf8').split('\n').filter((line) => line.startsWith('{"epoch":3,')).slice(0, 2);
    appendFileSync(join(dir, 'batches.jsonl.partial'), `${epoch3.join('\n')}\n{"epoch":3,"batch":3,"lo`);
    writeFileSync(join(dir, `.epochs.jsonl.${process.pid}.99.tmp`), '{"epoch":3');
  }
  return { reference, again: outcome.folder, stoppedAfterEpoch2 };
}

test('setup: an uninterrupted run of 4 epochs, and the same run as it stood right after epoch 2', async () => {
  const { reference, again, stoppedAfterEpoch2 } = await setup();
  for (const name of names) assert.deepEqual(records(again, name), records(reference, name), `${name}: two runs agree`);
  assert.deepEqual(readdirSync(stoppedAfterEpoch2).sort(), [...names, suiteFile].sort());
});

for (const workers of [0, 2]) {
  test(`stopped after epoch 2 and resumed ${workers === 0 ? 'in this thread' : 'on a worker pool'}: identical to the uninterrupted run`, async () => {
    const { reference, stoppedAfterEpoch2 } = await setup();
    const folder = join(root, `resumed-${workers}`);
    cpSync(stoppedAfterEpoch2, folder, { recursive: true });
    const { events, notices } = await run(null, { resume: folder, workers });
    assert.deepEqual(firstEpochs(events), { sgd_momentum: 3, adam_gru: 3, lstm_copy_adam: 3, nesterov_float64: 3 }, 'each continued from its checkpoint');
    assert.deepEqual(notices, ['blowup: finished in the earlier attempt, kept']);
    for (const name of names) {
      assert.deepEqual(noticesOf(events, name), [], name);
      assert.deepEqual(records(folder, name), records(reference, name), name);
    }
    assert.equal(readdirSync(join(folder, 'sgd_momentum')).some((file) => file.endsWith('.tmp')), false, 'temporary files of the killed write removed');
  });
}

test('a finished run extended with --resume --epochs equals one trained that long from the start', async () => {
  const { reference } = await setup();
  const short = (await run(suite(2), { outRoot: join(root, 'short'), workers: 2 })).outcome.folder;
  const { events, notices } = await run(null, { resume: short, epochs: 4, workers: 2 });
  assert.deepEqual(firstEpochs(events), { sgd_momentum: 3, adam_gru: 3, lstm_copy_adam: 3, nesterov_float64: 3 });
  assert.ok(notices.includes('sgd_momentum: finished 2 epochs, extended to 4'), notices.join('\n'));
  assert.ok(notices.some((line) => /^blowup: diverged at epoch 1, batch \d+ in the earlier attempt: more epochs would end the same way, kept$/.test(line)), notices.join('\n'));
  const record = JSON.parse(readFileSync(join(short, suiteFile), 'utf8')) as { configs: ExperimentConfig[] };
  assert.deepEqual(record.configs.map((config) => config.training.epochs), [4, 4, 4, 4, 4], 'suite.json says what the run now trains');
  for (const name of names) {
    if (name === 'blowup') continue;
    assert.deepEqual(records(short, name), records(reference, name), name);
  }
  // Extended again by nothing: everything is kept.
  const again = await run(null, { resume: short, epochs: 4, workers: 0 });
  assert.deepEqual(firstEpochs(again.events), {});
});

test('--resume --epochs never shortens a run, and obeys the field\'s maximum', async () => {
  const { reference } = await setup();
  const before = readFileSync(join(reference, suiteFile), 'utf8');
  await assert.rejects(run(null, { resume: reference, epochs: 3, workers: 0 }),
    (error: unknown) => error instanceof InputError && /--epochs 3: .* already trains sgd_momentum for 4, .* epochs; a run can be extended, not shortened: give --epochs 4 or more/.test(error.message));
  await assert.rejects(run(null, { resume: reference, epochs: 100001, workers: 0 }), (error: unknown) => error instanceof InputError && /--epochs: must be a whole number from 1 to 100000/.test(error.message));
  assert.equal(readFileSync(join(reference, suiteFile), 'utf8'), before, 'nothing written');
});

test('killed while finishing (the stream renamed whole, no summary yet): resumed from the last checkpoint without training', async () => {
  const { reference } = await setup();
  const folder = join(root, 'finishing');
  cpSync(reference, folder, { recursive: true });
  rmSync(join(folder, 'adam_gru', 'summary.json'));
  const { events } = await run(null, { resume: folder, workers: 0 });
  assert.deepEqual(firstEpochs(events), { adam_gru: 5 }, 'all 4 epochs were in the checkpoint');
  assert.equal(events.filter((event) => event.type === 'batch').length, 0);
  assert.deepEqual(records(folder, 'adam_gru'), records(reference, 'adam_gru'));
});

/** Rewrites a checkpoint's header with `change` and a fresh checksum: a tampering a checksum cannot catch. */
function tamperHeader(path: string, change: (header: Record<string, unknown>) => void): void {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt32LE(21);
  const header = JSON.parse(bytes.subarray(25, 25 + headerLength).toString('utf8')) as Record<string, unknown>;
  change(header);
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  const body = Buffer.concat([bytes.subarray(0, 21), length, headerBytes, bytes.subarray(25 + headerLength, bytes.length - 32)]);
  writeFileSync(path, Buffer.concat([body, createHash('sha256').update(body).digest()]));
}

const unusable: { name: string; damage: (dir: string) => void; says: RegExp }[] = [
  { name: 'a flipped byte', damage: (dir) => flipByte(join(dir, checkpointFile), 0.6), says: /checkpoint is corrupt \(its checksum does not match\)/ },
  { name: 'a truncated file', damage: (dir) => writeFileSync(join(dir, checkpointFile), readFileSync(join(dir, checkpointFile)).subarray(0, 100)), says: /checkpoint is corrupt/ },
  { name: 'an empty file', damage: (dir) => writeFileSync(join(dir, checkpointFile), ''), says: /not a vanishing checkpoint/ },
  { name: 'another format version', damage: (dir) => tamperHeader(join(dir, checkpointFile), (header) => (header.version = 99)), says: /format version 99, this vanishing reads version 1/ },
  { name: 'a negative step count', damage: (dir) => tamperHeader(join(dir, checkpointFile), (header) => ((header.optimizer as { steps: number }).steps = -1)), says: /optimizer: not the state of a sgd optimizer/ },
  { name: 'arrays that do not fit the model', damage: (dir) => tamperHeader(join(dir, checkpointFile), (header) => ((header.arrays as { length: number }[])[0].length += 1)), says: /arrays: not the weights/ },
  { name: 'an all-zero generator state', damage: (dir) => tamperHeader(join(dir, checkpointFile), (header) => ((header.batchOrder as { words: number[] }).words = [0, 0, 0, 0])), says: /batchOrder: not a generator state/ },
  { name: 'an epoch record missing a field', damage: (dir) => tamperHeader(join(dir, checkpointFile), (header) => delete (header.epochs as Record<string, unknown>[])[1].meanLoss), says: /epochs\[1\]: meanLoss is not what an epoch record holds/ },
  { name: 'another experiment\'s checkpoint', damage: (dir) => cpSync(join(dir, '..', 'nesterov_float64', checkpointFile), join(dir, checkpointFile)), says: /it is experiment "nesterov_float64"'s/ },
  { name: 'batch records edited after the checkpoint was written', damage: (dir) => flipByte(join(dir, 'batches.jsonl.partial'), 0.3), says: /its batch records of epoch 1 differ from the checkpoint's/ },
  { name: 'batch records cut short', damage: (dir) => writeFileSync(join(dir, 'batches.jsonl.partial'), '{"epoch":1,"batch":1,"lo'), says: /its batch records are shorter \(24 bytes\) than the checkpoint's epochs/ },
  { name: 'no checkpoint', damage: (dir) => rmSync(join(dir, checkpointFile)), says: /no checkpoint \(stopped before its first epoch ended\)/ },
];

function flipByte(path: string, where: number): void {
  const bytes = readFileSync(path);
  const index = Math.floor(bytes.length * where);
  bytes[index] ^= 0x20;
  writeFileSync(path, bytes);
}

test('an unusable checkpoint is never used: the experiment trains from the start, says why, and ends identical', async () => {
  const { reference, stoppedAfterEpoch2 } = await setup();
  for (const { name, damage, says } of unusable) {
    const folder = join(root, `unusable-${unusable.findIndex((item) => item.name === name)}`);
    cpSync(stoppedAfterEpoch2, folder, { recursive: true });
    damage(join(folder, 'sgd_momentum'));
    const { events } = await run(null, { resume: folder, workers: 0 });
    assert.equal(firstEpochs(events).sgd_momentum, 1, `${name}: trained from the start`);
    const notices = noticesOf(events, 'sgd_momentum');
    assert.equal(notices.length, 1, `${name}: ${notices.join(' | ')}`);
    assert.match(notices[0], says, name);
    assert.match(notices[0], /: trained from the start$/, name);
    assert.deepEqual(records(folder, 'sgd_momentum'), records(reference, 'sgd_momentum'), name);
    assert.equal(firstEpochs(events).adam_gru, 3, `${name}: the other experiments still resumed`);
  }
});

test('a run record edited to another configuration: the checkpoint does not fit, the experiment trains anew on the new one', async () => {
  const { stoppedAfterEpoch2 } = await setup();
  const folder = join(root, 'edited');
  cpSync(stoppedAfterEpoch2, folder, { recursive: true });
  const path = join(folder, suiteFile);
  const record = JSON.parse(readFileSync(path, 'utf8')) as { configs: ExperimentConfig[] };
  record.configs[0].training.learning_rate = 0.04;
  writeFileSync(path, JSON.stringify(record));
  const { events } = await run(null, { resume: folder, workers: 0 });
  assert.equal(firstEpochs(events).sgd_momentum, 1);
  assert.match(noticesOf(events, 'sgd_momentum')[0], /trained with another configuration \(model, data, training or record fields differ\)/);
  const fresh = (await run(suite(4, (experiments) => ((experiments[0].training as Record<string, unknown>).learning_rate = 0.04)), { outRoot: join(root, 'edited-reference'), workers: 0 })).outcome.folder;
  assert.deepEqual(records(folder, 'sgd_momentum'), records(fresh, 'sgd_momentum'));
});

test('a finished experiment whose checkpoint was deleted is extended by training it anew', async () => {
  const { reference } = await setup();
  const short = (await run(suite(2), { outRoot: join(root, 'short-no-checkpoint'), workers: 0 })).outcome.folder;
  rmSync(join(short, 'adam_gru', checkpointFile));
  const { events } = await run(null, { resume: short, epochs: 4, workers: 0 });
  assert.equal(firstEpochs(events).adam_gru, 1);
  assert.match(noticesOf(events, 'adam_gru')[0], /no checkpoint/);
  assert.deepEqual(records(short, 'adam_gru'), records(reference, 'adam_gru'));
});

test('readCheckpoint checks the model: the same weights in another precision do not fit', async () => {
  const { stoppedAfterEpoch2 } = await setup();
  const dir = join(stoppedAfterEpoch2, 'sgd_momentum');
  const configs = (JSON.parse(readFileSync(join(stoppedAfterEpoch2, suiteFile), 'utf8')) as { configs: ExperimentConfig[] }).configs;
  const bytes = readFileSync(join(dir, checkpointFile));
  const header = JSON.parse(bytes.subarray(25, 25 + bytes.readUInt32LE(21)).toString('utf8')) as { dataFingerprint: string; arrays: { role: string; parameter: string; length: number }[] };
  const parameters = (Precision: Float32ArrayConstructor | Float64ArrayConstructor) => header.arrays.filter((entry) => entry.role === 'weight')
    .map((entry) => ({ name: entry.parameter, shape: [entry.length], data: new Precision(entry.length), grad: new Precision(entry.length) }));
  const expectation = { config: configs[0], dataFingerprint: header.dataFingerprint, hasBatchOrder: true };
  assert.ok('checkpoint' in readCheckpoint(dir, { ...expectation, parameters: parameters(Float32Array) }), 'fits the float32 model it came from');
  const reading = readCheckpoint(dir, { ...expectation, parameters: parameters(Float64Array) });
  assert.ok('problem' in reading);
  assert.equal(reading.problem, 'checkpoint does not fit: arrays: not the weights (and optimizer buffers) of this model');
  const elsewhere = readCheckpoint(dir, { ...expectation, parameters: parameters(Float32Array), dataFingerprint: 'other data' });
  assert.ok('problem' in elsewhere && elsewhere.problem === 'checkpoint does not fit: the data differ from the data it was trained on');
  renameSync(join(dir, checkpointFile), join(dir, 'moved.bin'));
  try {
    const absent = readCheckpoint(dir, { ...expectation, parameters: parameters(Float32Array) });
    assert.ok('problem' in absent && /no checkpoint/.test(absent.problem));
  } finally {
    renameSync(join(dir, 'moved.bin'), join(dir, checkpointFile));
  }
});

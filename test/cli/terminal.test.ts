/**
 * The command line around a long run: `--version`; Ctrl-C (SIGINT) stops a run with one line
 * saying how to continue and exit code 130, leaving files that `--resume` continues to records
 * identical to an uninterrupted run; `--resume --epochs N` extends a run; the run folder is said
 * up front with the plan and the records' estimated size.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CliResult } from './run-cli.js';
import { cliMain, runCli } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-terminal-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const tsx = import.meta.resolve('tsx');

function vanishing(...args: string[]): CliResult {
  return runCli(args, { cwd: root, timeoutMs: 300_000 });
}

// Long enough to be stopped in the middle: 3 experiments of 10 epochs.
const suite = join(root, 'long.yaml');
writeFileSync(suite, `name: long
defaults:
  model: { hidden_size: 16, num_layers: 3 }
  data: { dataset: adding, length: 30, train_samples: 480, validation_samples: 64, test_samples: 64 }
  training: { epochs: 10, batch_size: 16, optimizer: adam, learning_rate: 0.003 }
experiments:
  - { name: tanh, model: { cell: rnn } }
  - { name: gru, model: { cell: gru } }
  - { name: lstm, model: { cell: lstm }, training: { optimizer: sgd, momentum: 0.9, learning_rate: 0.02 } }
`);

/** An experiment's records, wall-clock seconds aside. */
function records(folder: string, experiment: string): unknown {
  const dir = join(folder, experiment);
  const epochs = readFileSync(join(dir, 'epochs.jsonl'), 'utf8').trim().split('\n').map((line) => ({ ...(JSON.parse(line) as object), seconds: 0 }));
  const summary = { ...(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as object), seconds: 0 };
  return { batches: createHash('sha256').update(readFileSync(join(dir, 'batches.jsonl'))).digest('hex'), epochs, summary };
}

const runFolder = (out: string): string => join(root, out, readdirSync(join(root, out))[0]);

test('--version prints the package\'s version', () => {
  const version = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  const result = vanishing('--version');
  assert.equal(result.status, 0);
  assert.equal(result.stdout, `${version}\n`);
});

test('Ctrl-C: one line saying how to continue, exit 130; --resume then ends identical to an uninterrupted run', async () => {
  const whole = vanishing('run', suite, '--out', 'whole', '--workers', '2', '--no-report');
  assert.equal(whole.status, 0, whole.stderr);
  assert.match(whole.stdout, /^Run folder: .*whole\/long-\d{8}-\d{6} \(if stopped, `vanishing run --resume .*` continues it\)\n/);
  assert.match(whole.stdout, /\nTo train: 3 experiments, 900 batches; records about [\d.]+ MB \(estimated, checkpoints included\)/);

  const child = spawn(process.execPath, ['--import', tsx, cliMain, 'run', suite, '--out', 'stopped', '--workers', '2', '--no-report'], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  await new Promise<void>((started) => child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    // Stopped once two epochs are done somewhere: checkpoints exist, the run is far from its end.
    if (/\] Epoch 2:/.test(stdout) && child.exitCode === null && !child.killed) {
      child.kill('SIGINT');
      started();
    }
  }));
  assert.equal(await exited, 130, stderr);
  const folder = runFolder('stopped');
  assert.deepEqual(stderr.trim().split('\n'), [`vanishing: interrupted; the epochs finished so far are kept: \`vanishing run --resume ${folder}\` continues from the last checkpoint`]);
  assert.doesNotMatch(stdout, /done in/, 'stopped before any experiment finished');
  assert.equal(existsSync(join(folder, 'run.lock')), false, 'the lock went with the process');

  const resumed = vanishing('run', '--resume', folder, '--no-report');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /\] resumed from its checkpoint at epoch \d+ of 10 epochs × 30 batches/);
  for (const name of ['tanh', 'gru', 'lstm']) assert.deepEqual(records(folder, name), records(runFolder('whole'), name), name);
});

test('--resume --epochs N extends a run; --seed, --only or a suite with --resume are refused', () => {
  const short = vanishing('run', suite, '--out', 'short', '--epochs', '1', '--workers', '0', '--no-report');
  assert.equal(short.status, 0, short.stderr);
  const folder = runFolder('short');
  const extended = vanishing('run', '--resume', folder, '--epochs', '2', '--workers', '2', '--no-report');
  assert.equal(extended.status, 0, extended.stderr);
  assert.match(extended.stdout, /tanh: finished 1 epoch, extended to 2/);
  assert.match(extended.stdout, /\[tanh\] Epoch 2:/);
  assert.doesNotMatch(extended.stdout, /\[tanh\] Epoch 1:/, 'epoch 1 is not trained again');
  const shorter = vanishing('run', '--resume', folder, '--epochs', '1');
  assert.equal(shorter.status, 2);
  assert.match(shorter.stderr, /^vanishing: --epochs 1: .* a run can be extended, not shortened: give --epochs 2 or more\n$/);
  for (const extra of [['--seed', '3'], ['--only', 'tanh'], [suite]]) {
    const refused = vanishing('run', '--resume', folder, ...extra);
    assert.equal(refused.status, 2, extra.join(' '));
    assert.match(refused.stderr, /--resume continues a run exactly as it started/);
  }
});

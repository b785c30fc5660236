/**
 * A run folder is input too: `--resume` validates its suite.json like a suite file, confines
 * experiment names to the run folder, and never touches anything when the record is bad. One
 * process writes a run folder at a time. Every record a preset resolves to survives the check.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/experiments/errors.js';
import { listPresets } from '../../src/experiments/presets.js';
import { readSuiteRecord, runSuite, suiteFile } from '../../src/experiments/run-suite.js';
import type { SuiteRecord } from '../../src/experiments/run-suite.js';
import { lockFile, lockRunFolder } from '../../src/experiments/run-lock.js';
import { loadSuite, resolveSuite } from '../../src/experiments/suite.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-safety-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function tinySuite(names: string[]): ReturnType<typeof resolveSuite> {
  return resolveSuite({
    name: 'tiny',
    defaults: {
      model: { hidden_size: 4, num_layers: 2 },
      data: { dataset: 'adding', length: 4, train_samples: 32, validation_samples: 16, test_samples: 16 },
      training: { epochs: 1, batch_size: 16 },
    },
    experiments: names.map((name) => ({ name })),
  }, join(root, 'tiny.yaml'));
}

/** Every file under `folder` with its contents, to prove nothing changed. */
function snapshot(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(path, readFileSync(path, 'utf8'));
    }
  };
  walk(folder);
  return files;
}

async function finishedRun(name: string): Promise<string> {
  const outcome = await runSuite(tinySuite(['a', 'b']), { outRoot: join(root, name), workers: 0 });
  return outcome.folder;
}

function tamper(folder: string, change: (record: Record<string, unknown>) => void): void {
  const path = join(folder, suiteFile);
  const record = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  change(record);
  writeFileSync(path, JSON.stringify(record));
}

test('every preset\'s record survives the resume check unchanged', () => {
  for (const { name: preset } of listPresets()) {
    const suite = loadSuite(preset);
    const folder = join(root, `preset-${preset}`);
    mkdirSync(folder);
    const record: SuiteRecord = {
      name: suite.name, description: suite.description, source: suite.source, createdAt: new Date(0).toISOString(),
      experiments: suite.experiments.map((e) => e.name), plotsDir: 'plots', configs: suite.experiments,
    };
    writeFileSync(join(folder, suiteFile), JSON.stringify(record));
    assert.deepEqual(readSuiteRecord(folder).configs, JSON.parse(JSON.stringify(suite.experiments)), preset);
  }
});

test('a tampered suite.json is rejected before anything in or around the run folder is touched', async () => {
  const folder = await finishedRun('tampered');
  // A folder beside the run that a name like ../victim would reach.
  const victim = join(folder, '..', 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'keep.txt'), 'precious');
  const cases: [string, (record: Record<string, unknown>) => void, RegExp][] = [
    ['escaping name', (r) => { (r.configs as { name: string }[])[0].name = '../victim'; (r.experiments as string[])[0] = '../victim'; }, /configs\[0\]\.name: must be a name of letters/],
    ['empty name', (r) => { (r.configs as { name: string }[])[0].name = ''; (r.experiments as string[])[0] = ''; }, /configs\[0\]\.name/],
    ['reserved name', (r) => { (r.configs as { name: string }[])[1].name = 'suite.json'; (r.experiments as string[])[1] = 'suite.json'; }, /configs\[1\]\.name: "suite\.json" is a file of the run folder/],
    ['case-folded reserved name', (r) => { (r.configs as { name: string }[])[1].name = 'Report.HTML'; (r.experiments as string[])[1] = 'Report.HTML'; }, /is a file of the run folder/],
    ['config out of range', (r) => { (r.configs as { training: { learning_rate: number } }[])[0].training.learning_rate = -1; }, /configs\[0\]\.training\.learning_rate: must be > 0, got -1/],
    ['unknown field', (r) => { (r.configs as { model: Record<string, unknown> }[])[0].model.layers = 3; }, /configs\[0\]\.model\.layers: unknown key/],
    ['names out of step', (r) => { r.experiments = ['b', 'a']; }, /experiments: must list the configs' names in order/],
    ['plots outside', (r) => { r.plotsDir = '../../elsewhere'; }, /plotsDir: must be a folder inside the run or an absolute path/],
    ['no configs', (r) => { r.configs = []; }, /configs: must be a non-empty list/],
  ];
  for (const [label, change, message] of cases) {
    const original = readFileSync(join(folder, suiteFile), 'utf8');
    tamper(folder, change);
    const before = snapshot(join(folder, '..'));
    await assert.rejects(runSuite(null, { resume: folder, workers: 0 }), (error: unknown) => {
      assert.ok(error instanceof InputError, label);
      assert.equal(error.problems.length, 1, `${label}: ${error.message}`);
      assert.match(error.problems[0], message, label);
      assert.ok(error.problems[0].startsWith(join(folder, suiteFile)), label);
      return true;
    });
    assert.deepEqual(snapshot(join(folder, '..')), before, `${label}: nothing touched`);
    writeFileSync(join(folder, suiteFile), original);
  }
  assert.equal(readFileSync(join(victim, 'keep.txt'), 'utf8'), 'precious');
});

test('a suite file may not name an experiment after a file of the run folder', () => {
  assert.throws(() => tinySuite(['plots']), (error: unknown) => error instanceof InputError && /experiments\[0\]\.name: "plots" is a file of the run folder/.test(error.message));
});

test('a run folder is locked while a process writes it; a stale lock is taken over', async () => {
  const folder = await finishedRun('locked');
  const lock = lockRunFolder(folder);
  assert.ok(existsSync(join(folder, lockFile)));
  // A second process (a child, which has its own pid) finds the lock held and says by whom.
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', `
    import { lockRunFolder } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'experiments', 'run-lock.ts'))};
    try { lockRunFolder(${JSON.stringify(folder)}); console.log('locked'); } catch (error) { console.log(error.message); }
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((done) => child.on('close', done));
  assert.match(output, new RegExp(`in use by process ${process.pid} since .*; wait for it to end`));
  lock.release();
  assert.equal(existsSync(join(folder, lockFile)), false);

  // A lock left by a process that no longer exists (kill -9) does not block a resume.
  writeFileSync(join(folder, lockFile), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'yesterday' }));
  const resumed = await runSuite(null, { resume: folder, workers: 0 });
  assert.deepEqual(resumed.experiments.map((e) => e.skipped), [true, true]);
  assert.equal(existsSync(join(folder, lockFile)), false, 'released at the end');
});

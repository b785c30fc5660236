/**
 * The run folder's format version: written in suite.json and summary.json; a folder from before
 * the field (none written) reads as format 1, by the report and by --resume; a folder of a format
 * this version does not read is one line, exit 2 through the command line. The fixture is a tiny
 * suite run here in a temp folder, then edited. Also runs docs/run-format.md's Python reader on it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CliResult } from '../cli/run-cli.js';
import { runCli } from '../cli/run-cli.js';
import { InputError } from '../../src/experiments/errors.js';
import { runSuite } from '../../src/experiments/run-suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import { runFormatVersion } from '../../src/record/run-format.js';
import { readRunFolder, ReportInputError } from '../../src/report/read-run.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-run-format-'));
const experiments = ['tanh', 'gru'];
let pristine = '';
let copies = 0;

before(async () => {
  const suite = resolveSuite({
    name: 'format',
    defaults: {
      model: { hidden_size: 4, num_layers: 2 },
      data: { dataset: 'adding', length: 4, train_samples: 32, validation_samples: 16, test_samples: 16 },
      training: { epochs: 2, batch_size: 16 },
    },
    experiments: experiments.map((name) => (name === 'gru' ? { name, model: { cell: 'gru' } } : { name })),
  }, join(root, 'format.yaml'));
  pristine = (await runSuite(suite, { outRoot: join(root, 'pristine'), workers: 0 })).folder;
});

after(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the finished run, each JSON file of `files` changed by `edit`. */
function editedRun(files: string[], edit: (record: Record<string, unknown>) => void): string {
  const folder = join(root, `run-${++copies}`);
  cpSync(pristine, folder, { recursive: true });
  for (const file of files) {
    const path = join(folder, file);
    const record = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(record);
    writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  }
  return folder;
}

const versionedFiles = ['suite.json', ...experiments.map((name) => join(name, 'summary.json'))];

function cli(...args: string[]): CliResult {
  return runCli(args);
}

test('suite.json and summary.json carry the format version, first; config.json is the experiment file format and does not', () => {
  for (const file of versionedFiles) {
    const text = readFileSync(join(pristine, file), 'utf8');
    assert.equal((JSON.parse(text) as { format_version: unknown }).format_version, runFormatVersion, file);
    assert.match(text, /^\{\n {2}"format_version": /, `${file}: the first field`);
  }
  assert.equal('format_version' in (JSON.parse(readFileSync(join(pristine, 'tanh', 'config.json'), 'utf8')) as object), false);
  assert.deepEqual(readRunFolder(pristine).experiments.map((e) => e.summary.name), experiments);
});

test('a run folder from before the version field reads as format 1: by the report and by --resume', async () => {
  const folder = editedRun(versionedFiles, (record) => delete record.format_version);
  assert.deepEqual(readRunFolder(folder).experiments.map((e) => e.summary.status), ['finished', 'finished']);
  const resumed = await runSuite(null, { resume: folder, workers: 0 });
  assert.deepEqual(resumed.experiments.map((e) => e.skipped), [true, true], 'finished experiments kept');
});

test('a run folder of a newer format is refused with one line: report, --resume, and exit 2 through the command line', async () => {
  const folder = editedRun(['suite.json'], (record) => (record.format_version = 3));
  const line = `${folder} was written by run format 3; this version of vanishing reads format 1 (a newer vanishing reads it)`;
  assert.throws(() => readRunFolder(folder), (error: unknown) => error instanceof ReportInputError && error.message === line);
  await assert.rejects(runSuite(null, { resume: folder, workers: 0 }), (error: unknown) => error instanceof InputError && error.problems.length === 1 && error.problems[0] === line);
  const report = cli('report', folder);
  assert.equal(report.status, 2, report.stderr);
  assert.equal(report.stderr, `vanishing: ${line}\n`);
  assert.equal(existsSync(join(folder, 'report.html')), false, 'nothing drawn');
  const resume = cli('run', '--resume', folder, '--workers', '0');
  assert.equal(resume.status, 2, resume.stderr);
  assert.equal(resume.stderr, `vanishing: ${line}\n`);
});

test('an experiment\'s summary of another format is refused naming the file; a version that is not one is a field error', () => {
  const newer = editedRun([join('gru', 'summary.json')], (record) => (record.format_version = 2));
  const summary = join(newer, 'gru', 'summary.json');
  assert.throws(() => readRunFolder(newer), (error: unknown) => error instanceof ReportInputError
    && error.message === `${summary} was written by run format 2; this version of vanishing reads format 1 (a newer vanishing reads it)`);
  for (const [value, shown] of [[0, '0'], [1.5, '1.5'], ['1', '"1"'], [null, 'null']] as const) {
    const folder = editedRun(['suite.json'], (record) => (record.format_version = value));
    assert.throws(() => readRunFolder(folder), (error: unknown) => error instanceof ReportInputError
      && error.message === `${folder}: format_version: must be a run format version (a whole number from 1), got ${shown}`, shown);
  }
});

test('the Python reader in docs/run-format.md reads a run folder with json alone', (t) => {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) {
    t.skip('no /usr/bin/python3');
    return;
  }
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'run-format.md'), 'utf8');
  const code = /```python\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(code !== undefined, 'a python block');
  const result = spawnSync(python, ['-c', code, pristine], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  const run = readRunFolder(pristine);
  assert.deepEqual(result.stdout.trim().split('\n'), run.experiments.map((e) => {
    // Python prints a list of floats as repr does: shortest round-trip digits, like JavaScript's.
    const losses = e.epochs.map((epoch) => String(epoch.meanLoss));
    return `${e.summary.name} ${e.summary.verdict.kind} [${losses.join(', ')}]`;
  }));
});

/**
 * A full or read-only disk, as a user meets it: on small tmpfs disks the run stops with one line
 * per problem naming the file and how to continue (exit 1), no file is left truncated, and once
 * space is freed `--resume` finishes the run with the same records as a run that never failed.
 * A read-only --out is refused before anything runs (exit 2).
 *
 * Mounting needs root (the CI container and this machine run as root); elsewhere the test skips
 * and says why.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { CliResult } from './run-cli.js';
import { runCli } from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-disk-'));
const mounted: string[] = [];

function vanishing(...args: string[]): CliResult {
  return runCli(args, { cwd: root });
}

/** A tmpfs of `size` at a new folder, or null when this process may not mount. */
function tmpfs(size: string, readOnly = false): string | null {
  const folder = join(root, `disk-${mounted.length}`);
  mkdirSync(folder);
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', folder], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  mounted.push(folder);
  return folder;
}

after(() => {
  for (const folder of mounted) spawnSync('umount', [folder]);
});

const suite = join(root, 'tiny.yaml');
writeFileSync(suite, `name: tiny
defaults:
  model: { hidden_size: 8, num_layers: 2 }
  data: { dataset: adding, length: 8, train_samples: 64, validation_samples: 16, test_samples: 16 }
  training: { epochs: 2, batch_size: 16 }
experiments:
  - { name: tanh }
  - { name: gru, model: { cell: gru } }
`);

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Fails when any file under `folder` is truncated or left half-written. */
function assertAllWhole(folder: string, label: string): void {
  const pngEnd = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  for (const path of filesUnder(folder)) {
    const name = path.slice(folder.length);
    assert.doesNotMatch(path, /\.tmp$/, `${label}: temporary file left: ${name}`);
    const bytes = readFileSync(path);
    if (path.endsWith('.partial')) continue; // an unfinished experiment's stream, discarded on resume
    if (path.endsWith('.json')) assert.doesNotThrow(() => JSON.parse(bytes.toString('utf8')), `${label}: ${name}`);
    if (path.endsWith('.jsonl')) {
      for (const line of bytes.toString('utf8').split('\n')) if (line !== '') assert.doesNotThrow(() => JSON.parse(line), `${label}: ${name}`);
    }
    if (path.endsWith('.png')) assert.ok(bytes.subarray(bytes.length - 8).equals(pngEnd), `${label}: ${name} is a truncated PNG`);
    if (path.endsWith('.html')) assert.match(bytes.toString('utf8').trimEnd(), /<\/html>$/, `${label}: ${name} is truncated`);
    if (path.endsWith('error.txt')) assert.ok(bytes.length > 0, `${label}: ${name} is empty`);
  }
}

function runFolderIn(disk: string): string {
  const runs = readdirSync(disk).filter((name) => name.startsWith('tiny-'));
  assert.equal(runs.length, 1);
  return join(disk, runs[0]);
}

test('a full disk: one line per problem, no truncated file, and --resume finishes the run once space is freed', (t) => {
  const probe = tmpfs('16k');
  if (probe === null) {
    t.skip('cannot mount a tmpfs here (needs root)');
    return;
  }
  const reference = vanishing('run', suite, '--out', join(root, 'reference'), '--workers', '1');
  assert.equal(reference.status, 0, reference.stderr);
  const referenceFolder = join(root, 'reference', readdirSync(join(root, 'reference'))[0]);

  // From a disk too small for the first records to one that fills up while drawing the report.
  for (const [index, size] of ['16k', '60k', '600k', '1500k'].entries()) {
    const disk = index === 0 ? probe : tmpfs(size)!;
    const result = vanishing('run', suite, '--out', disk, '--workers', '1');
    const label = `${size} disk`;
    assert.equal(result.status, 1, `${label}: ${result.stderr}`);
    const lines = result.stderr.trimEnd().split('\n');
    for (const line of lines) assert.match(line, /^vanishing: /, `${label}: ${line}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, `${label}: no stack trace`);
    assert.match(result.stderr, /: could not be written: no space left on the disk \(ENOSPC\)/, label);
    const folder = runFolderIn(disk);
    assert.match(lines.at(-1)!, new RegExp(`(vanishing run --resume|vanishing report) ${folder}`), `${label}: says how to continue`);
    assertAllWhole(disk, label);

    spawnSync('mount', ['-o', 'remount,size=20m', disk]);
    const resumed = vanishing('run', '--resume', folder);
    assert.equal(resumed.status, 0, `${label}, resumed: ${resumed.stderr}`);
    assertAllWhole(disk, `${label}, resumed`);
    for (const experiment of ['tanh', 'gru']) {
      assert.equal(readFileSync(join(folder, experiment, 'batches.jsonl'), 'utf8'), readFileSync(join(referenceFolder, experiment, 'batches.jsonl'), 'utf8'), `${label}: ${experiment} as if never interrupted`);
    }
    assert.ok(existsSync(join(folder, 'report.html')));
  }
});

test('a read-only --out is refused before anything runs', (t) => {
  const disk = tmpfs('1m', true);
  if (disk === null) {
    t.skip('cannot mount a tmpfs here (needs root)');
    return;
  }
  const result = vanishing('run', suite, '--out', join(disk, 'runs'));
  assert.equal(result.status, 2);
  assert.equal(result.stderr, `vanishing: --out: "${join(disk, 'runs')}" (${disk}) is on a read-only file system\n`);
  assert.deepEqual(readdirSync(disk), []);
});

test('an --out or --plots where no folder can be made (under /proc, where permission bits say yes) is refused before anything runs', (t) => {
  if (!existsSync('/proc/self')) {
    t.skip('no /proc here');
    return;
  }
  for (const flag of ['--out', '--plots']) {
    const result = vanishing('run', suite, '--out', flag === '--out' ? '/proc/vanishing-runs' : join(root, 'never'), ...(flag === '--plots' ? ['--plots', '/proc/vanishing-plots'] : []));
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, new RegExp(`^vanishing: ${flag}: "/proc/vanishing-(runs|plots)" \\(/proc\\) (cannot hold new folders|is not writable)`));
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
  assert.equal(existsSync(join(root, 'never')), false, 'nothing was written');
});

/**
 * Every class of hostile or mistaken experiment file found by the adversarial review, each with
 * the one line the tool now prints: YAML alias bombs, undefined and cyclic aliases, JSON nested
 * 20,000 deep, a FIFO or device as the file, a BOM, NaN and ±Infinity, YAML 1.1, duplicate JSON
 * keys, huge and multi-line keys, overrides out of range, a file name too long for a folder, and
 * a file with several problems reported in one pass.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/experiments/errors.js';
import { loadSuite } from '../../src/experiments/suite.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-documents-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

function file(text: string, extension = '.yaml'): string {
  const path = join(root, `f${count++}${extension}`);
  writeFileSync(path, text);
  return path;
}

function problemsOf(path: string, overrides: Parameters<typeof loadSuite>[1] = {}): string[] {
  try {
    loadSuite(path, overrides);
  } catch (error) {
    if (error instanceof InputError) return [...error.problems];
    throw error;
  }
  return [];
}

test('YAML: an alias bomb, an undefined alias and a cyclic alias are one line each', () => {
  const bomb = file(`a0: &a0 [x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(',')}]`).join('\n')}\nexperiments: [{name: x}]\n`);
  assert.deepEqual(problemsOf(bomb), [`${bomb}: aliases expand to too many copies (more than 100 alias uses); an alias bomb is not an experiment file`]);
  const undefinedAlias = file('experiments:\n  - name: *nope\n');
  assert.deepEqual(problemsOf(undefinedAlias), [`${undefinedAlias}: the alias *nope is used, but no anchor &nope is set before it`]);
  const cyclic = file('a: &a [*a]\nexperiments: [{name: x}]\n');
  assert.deepEqual(problemsOf(cyclic), [`${cyclic}: a[0]: an alias refers to a value that contains it (cyclic)`]);
  // A shared section through an anchor is still fine.
  const shared = file('defaults: &d\n  training: { epochs: 1 }\nexperiments:\n  - { name: a, training: { epochs: 2 } }\n');
  assert.deepEqual(problemsOf(shared), []);
});

test('JSON nested 20,000 deep, a BOM, duplicate keys and NaN', () => {
  const deep = file(`{"experiments":${'['.repeat(20000)}${']'.repeat(20000)}}`, '.json');
  assert.deepEqual(problemsOf(deep), [`${deep}: line 1, column 20015: nested 20001 deep; an experiment file needs at most 32`]);
  const bom = file('\uFEFF{"experiments":[{"name":"x"}]}', '.json');
  assert.deepEqual(problemsOf(bom), []);
  const duplicate = file('{"experiments":[{"name":"x",\n "name":"y"}]}', '.json');
  assert.deepEqual(problemsOf(duplicate), [`${duplicate}: line 2, column 2: the key "name" appears twice in one object; the second would silently win`]);
  const nan = file('experiments:\n  - name: x\n    training: { learning_rate: .nan, momentum: -.inf }\n');
  assert.deepEqual(problemsOf(nan), [
    `${nan}: experiments[0].training.learning_rate: must be a finite number, got NaN`,
    `${nan}: experiments[0].training.momentum: must be a finite number, got -Infinity`,
  ]);
});

test('YAML 1.1 is refused rather than read with other meanings', () => {
  const old = file('%YAML 1.1\n---\nexperiments:\n  - name: e0\n');
  assert.deepEqual(problemsOf(old), [`${old}: %YAML 1.1: only YAML 1.2 is read (remove the directive; in 1.1 \`yes\`, \`e0\` and \`010\` mean other things)`]);
  const current = file('%YAML 1.2\n---\nexperiments:\n  - name: e0\n');
  assert.equal(loadSuite(current).experiments[0].name, 'e0');
});

test('a FIFO and a device are refused without reading them', () => {
  const fifo = join(root, 'pipe.yaml');
  spawnSync('mkfifo', [fifo]);
  assert.deepEqual(problemsOf(fifo), [`${fifo}: is not a regular file (a pipe, device or socket); give an experiment file`]);
  assert.deepEqual(problemsOf('/dev/zero'), ['/dev/zero: is not a regular file (a pipe, device or socket); give an experiment file']);
});

test('a huge or multi-line key is named short and on one line', () => {
  const long = file(JSON.stringify({ experiments: [{ name: 'x', ['k'.repeat(20000)]: 1, training: { 'a\nb': 2 } }] }), '.json');
  const problems = problemsOf(long);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /experiments\[0\]\["k{37}…"\]: unknown key \(known: name,/);
  assert.match(problems[1], /experiments\[0\]\.training\["a\\nb"\]: unknown key/);
  for (const problem of problems) assert.ok(!problem.includes('\n') && problem.length < 400, problem);
});

test('command-line overrides obey the fields\' bounds', () => {
  const ok = file('experiments: [{name: x}]\n');
  assert.deepEqual(problemsOf(ok, { seed: 4294967296 }), ['--seed: must be ≤ 4294967295, got 4294967296']);
  assert.deepEqual(problemsOf(ok, { epochs: 100001 }), ['--epochs: must be ≤ 100000, got 100001']);
});

test('a file name too long for a folder name gives a suite name of at most 80 characters', () => {
  const path = file('experiments: [{name: x}]\n', `${'y'.repeat(200)}.yaml`);
  assert.equal(loadSuite(path).name.length, 80);
});

test('every problem in a file in one pass: structure and dataset options together', () => {
  const two = file('experiments:\n  - name: a\n    training: { learning_rate: -1 }\n    data: { dataset: adding, lenght: 5 }\n');
  const problems = problemsOf(two);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /experiments\[0\]\.training\.learning_rate: must be > 0, got -1/);
  assert.match(problems[1], /experiments\[0\]\.data\.lenght: unknown option for dataset adding/);
});

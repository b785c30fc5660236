/**
 * Generated malformed run folders (fast-check, seeded): a real finished run with one of its
 * files mutated — a field replaced by a value of another type or shape, a key deleted, the file
 * truncated, replaced by garbage, deleted or replaced by a folder. Reading it for a report either
 * works (and every chart and the page can be built) or is a one-line input error naming the file;
 * never a crash. A sample goes through `vanishing report`: exit 0 or 2, and on 2 no plots folder
 * and no report are written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/experiments/errors.js';
import { runSuite } from '../../src/experiments/run-suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import { planReport, readRunFolder, ReportInputError } from '../../src/report/index.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-fuzz-run-'));
const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const seed = 20261126;
let pristine = '';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

before(async () => {
  const suite = resolveSuite({
    name: 'fuzz',
    defaults: {
      model: { hidden_size: 4, num_layers: 2 },
      data: { dataset: 'adding', length: 4, train_samples: 32, validation_samples: 16, test_samples: 16 },
      training: { epochs: 2, batch_size: 16 },
      record: { histogram_every: 1 },
    },
    experiments: [{ name: 'tanh' }, { name: 'gru', model: { cell: 'gru' } }],
  }, join(root, 'fuzz.yaml'));
  pristine = (await runSuite(suite, { outRoot: join(root, 'pristine'), workers: 0 })).folder;
});

const files = ['suite.json', 'tanh/summary.json', 'tanh/epochs.jsonl', 'tanh/batches.jsonl', 'tanh/config.json', 'gru/summary.json', 'gru/batches.jsonl'];

const values: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, 0, -1, 1e308, 'NaN', '', '../../escape', 'suite.json', [], {}, [[1, 2]], { a: 1 }),
  fc.double() as fc.Arbitrary<Json>,
  fc.string({ maxLength: 20 }) as fc.Arbitrary<Json>,
  fc.json({ depthSize: 'small' }).map((text) => JSON.parse(text) as Json),
);

type Mutation =
  | { kind: 'set'; file: string; line: number; pick: number; value: Json }
  | { kind: 'delete-key'; file: string; line: number; pick: number }
  | { kind: 'truncate'; file: string; fraction: number }
  | { kind: 'garbage'; file: string; text: string }
  | { kind: 'remove'; file: string }
  | { kind: 'folder'; file: string };

const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), file: fc.constantFrom(...files), line: fc.nat(), pick: fc.nat(), value: values }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete-key' as const), file: fc.constantFrom(...files), line: fc.nat(), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), file: fc.constantFrom(...files), fraction: fc.double({ min: 0, max: 0.999, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), file: fc.constantFrom(...files), text: fc.string({ maxLength: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), file: fc.constantFrom(...files) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('folder' as const), file: fc.constantFrom(...files) }) },
);

/** Every (object, key) inside a JSON value, to pick one to change. */
function slots(value: Json): { holder: Record<string, Json> | Json[]; key: string | number }[] {
  const found: { holder: Record<string, Json> | Json[]; key: string | number }[] = [];
  const stack: Json[] = [value];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) node.forEach((item, index) => { found.push({ holder: node, key: index }); stack.push(item); });
    else for (const [key, item] of Object.entries(node)) { found.push({ holder: node, key }); stack.push(item); }
  }
  return found;
}

function applyMutation(folder: string, mutation: Mutation): void {
  const path = join(folder, mutation.file);
  switch (mutation.kind) {
    case 'remove': rmSync(path); return;
    case 'folder': rmSync(path); mkdirSync(path); return;
    case 'garbage': writeFileSync(path, mutation.text); return;
    case 'truncate': {
      const text = readFileSync(path);
      writeFileSync(path, text.subarray(0, Math.floor(text.length * mutation.fraction)));
      return;
    }
    default: {
      // A .json file is one (pretty-printed) value; a .jsonl file one value per line.
      const text = readFileSync(path, 'utf8');
      const lines = path.endsWith('.jsonl') ? text.split('\n') : [text];
      const jsonLines = lines.map((line, index) => [line, index] as const).filter(([line]) => line.trim() !== '');
      const [line, index] = jsonLines[mutation.line % jsonLines.length];
      const value = JSON.parse(line) as Json;
      const places = slots(value);
      if (places.length === 0) return;
      const { holder, key } = places[mutation.pick % places.length];
      if (mutation.kind === 'set') (holder as Record<string, Json>)[key as string] = structuredClone(mutation.value);
      else if (Array.isArray(holder)) holder.splice(key as number, 1);
      else delete holder[key as string];
      lines[index] = JSON.stringify(value);
      writeFileSync(path, lines.join('\n'));
    }
  }
}

let copies = 0;
function mutatedCopy(mutation: Mutation): string {
  const folder = join(root, `copy-${copies++}`, 'run');
  cpSync(pristine, folder, { recursive: true });
  rmSync(join(folder, 'plots'), { recursive: true, force: true });
  applyMutation(folder, mutation);
  return folder;
}

function isInputError(error: unknown): boolean {
  return error instanceof ReportInputError || error instanceof InputError;
}

test('a mutated run folder is read and planned for a report, or rejected in one line naming the file', () => {
  let read = 0;
  let rejected = 0;
  fc.assert(fc.property(mutations, (mutation) => {
    const folder = mutatedCopy(mutation);
    try {
      const run = readRunFolder(folder);
      planReport(run, join(folder, 'plots'));
      read++;
    } catch (error) {
      if (!isInputError(error)) throw error;
      rejected++;
      const message = (error as Error).message;
      assert.doesNotMatch(message, /\n/, message);
      assert.match(message, new RegExp(`^(${folder}|${join(folder, '..')})`), message);
    }
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }), { seed, numRuns: 150 });
  assert.ok(read > 5 && rejected > 50, `read ${read}, rejected ${rejected}`);
});

test('vanishing report on a mutated run folder: exit 0 or 2, and nothing written on 2', () => {
  const samples = fc.sample(mutations, { seed: seed + 1, numRuns: 40 });
  let rejectedTried = 0;
  let acceptedTried = 0;
  for (const mutation of samples) {
    const folder = mutatedCopy(mutation);
    let accepted: boolean;
    try {
      planReport(readRunFolder(folder), join(folder, 'plots'));
      accepted = true;
    } catch (error) {
      if (!isInputError(error)) throw error;
      accepted = false;
    }
    if ((accepted && acceptedTried >= 1) || (!accepted && rejectedTried >= 4)) continue;
    const before = readdirSync(folder).sort();
    const reportBefore = existsSync(join(folder, 'report.html')) ? statSync(join(folder, 'report.html')).mtimeMs : null;
    // An explicit plots folder: a mutated plotsDir may name any absolute path on this machine.
    const plots = join(folder, '..', 'plots-out');
    const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'report', folder, '--plots', plots], { encoding: 'utf8', timeout: 120_000 });
    if (accepted) {
      acceptedTried++;
      assert.equal(result.status, 0, result.stderr);
    } else {
      rejectedTried++;
      assert.equal(result.status, 2, `${JSON.stringify(mutation).slice(0, 200)}: ${result.stderr}`);
      assert.match(result.stderr, /^vanishing: [^\n]+\n$/);
      assert.deepEqual(readdirSync(folder).sort(), before, 'nothing new in the run folder');
      assert.equal(existsSync(plots), false, 'no plots folder');
      assert.equal(existsSync(join(folder, 'report.html')) ? statSync(join(folder, 'report.html')).mtimeMs : null, reportBefore);
    }
  }
  assert.ok(rejectedTried >= 4 && acceptedTried >= 1, `rejected ${rejectedTried}, accepted ${acceptedTried}`);
});

test('a tampered name that would put a PNG outside the plots folder is rejected, naming the field', () => {
  for (const [file, field] of [['tanh/summary.json', 'modelType'], ['tanh/summary.json', 'mitigation'], ['gru/summary.json', 'name']] as const) {
    const folder = join(root, `named-${field}`, 'run');
    cpSync(pristine, folder, { recursive: true });
    const path = join(folder, file);
    const summary = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    summary[field] = '../../outside';
    writeFileSync(path, JSON.stringify(summary));
    assert.throws(() => readRunFolder(folder), (error: unknown) => error instanceof ReportInputError && error.message === `${path}: ${field}: must be a name of letters, digits, _ . - (up to 80, starting with a letter or digit), got "../../outside"`, field);
  }
});

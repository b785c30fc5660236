/**
 * The pipeline's arrows point one way: `data → model → trainer → recorder → diagnosis → report`.
 *
 * Every folder of src/ has a rank; a module may import its own folder and lower ranks only, so
 * no folder reaches a later stage (the data module knows no model, the report knows no runner)
 * and there is no cycle between folders. Imports are read with TypeScript's own pre-processor
 * (static, type-only and dynamic imports alike), not with a regular expression.
 *
 * One placement needs a word: `record/` ranks below `train/`. The records (record/metrics.ts) are
 * the format the trainer emits, as `data/` is the format the model reads; the trainer imports
 * their types and the recorder never imports the trainer. `theory/` (the mean-field prediction)
 * sits after `diagnose/`: it reads its predicted profiles with the diagnosis's own rate fit, and
 * it builds models to measure beside the prediction; the command line shows it. `distributed/`
 * (the job queue) sits on the suite runner: it trains a run's experiments elsewhere, by the
 * runner's own code.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { root } from './entry-sources.js';

/** Lowest first. Files directly in src/ (random.ts: the seeded generator; index.ts: the engine entry) are listed by name. */
const ranks: readonly (readonly string[])[] = [
  ['random.ts', 'types'],
  ['kernels'],
  ['data'],
  ['model'],
  ['record'],
  ['train'],
  ['diagnose'],
  ['theory'],
  ['experiments'],
  ['distributed'],
  ['report'],
  ['playground'],
  ['index.ts'],
  ['cli'],
];

const sourceRoot = join(root, 'src');

function rankOf(unit: string): number {
  const rank = ranks.findIndex((names) => names.includes(unit));
  assert.notEqual(rank, -1, `src/${unit} has no rank in test/api/layering.test.ts: give it one`);
  return rank;
}

/** The folder (or top-level file) of src/ a source file belongs to. */
function unitOf(file: string): string {
  return relative(sourceRoot, file).split(sep)[0]!;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The project files a source file imports (npm packages and node: modules aside). */
function importedSourceFiles(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((reference) => reference.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
}

test('every import in src/ points to its own folder or an earlier stage of the pipeline', () => {
  const files = sourceFiles(sourceRoot);
  assert.ok(files.length > 50, `found only ${files.length} source files`);
  const backwards: string[] = [];
  let crossings = 0;
  for (const file of files) {
    const from = unitOf(file);
    for (const target of importedSourceFiles(file)) {
      const to = unitOf(target);
      if (to === from) continue;
      crossings++;
      if (rankOf(to) > rankOf(from)) backwards.push(`${relative(root, file)} imports ${relative(root, target)} (${to} comes after ${from})`);
    }
  }
  assert.ok(crossings > 50, `only ${crossings} imports between folders were read: the import reader is broken`);
  assert.deepEqual(backwards, []);
});

test('the import reader sees static, type-only and dynamic imports', () => {
  const text = [
    "import { a } from './x.js';",
    "import type { B } from '../y/z.js';",
    "export { c } from './w.js';",
    "const m = await import('./dynamic.js');",
    "import { readFileSync } from 'node:fs';",
  ].join('\n');
  const found = ts.preProcessFile(text, true, true).importedFiles.map((reference) => reference.fileName).sort();
  assert.deepEqual(found, ['../y/z.js', './dynamic.js', './w.js', './x.js', 'node:fs']);
});

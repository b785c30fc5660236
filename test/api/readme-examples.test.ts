/**
 * The README's library section is the user's documentation of the API, so its code must compile
 * as written: every ```ts block of "The engine (library API)" is written to a file in a temporary
 * folder and type-checked (strict) against the package's entry points, with `vanishing`,
 * `vanishing/data`, … mapped to the source entry files as package.json's "exports" maps them to
 * dist/. A block that does not compile fails with the compiler's message and the README line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { entrySources, root } from './entry-sources.js';

const librarySectionTitle = '## The engine (library API)';

interface CodeBlock {
  /** 1-based README line of the block's first line of code. */
  line: number;
  code: string;
}

/** The ```ts blocks between the library section's title and the next section of the same level. */
function libraryExamples(readme: string): CodeBlock[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(librarySectionTitle);
  assert.notEqual(start, -1, `README.md has no "${librarySectionTitle}" section`);
  let end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  if (end === -1) end = lines.length;
  const blocks: CodeBlock[] = [];
  for (let index = start + 1; index < end; index++) {
    if (lines[index].trim() !== '```ts') continue;
    const close = lines.findIndex((line, at) => at > index && line.trim() === '```');
    assert.ok(close !== -1 && close < end, `README.md:${index + 1}: a \`\`\`ts block that is never closed`);
    blocks.push({ line: index + 2, code: lines.slice(index + 1, close).join('\n') });
    index = close;
  }
  return blocks;
}

/** The entry points as tsconfig "paths": each import specifier to its source file. */
function entryPointSources(): Record<string, string[]> {
  return Object.fromEntries([...entrySources()].map(([specifier, source]) => [specifier, [source]]));
}

test('the README\'s library section has examples, and they use every entry point', () => {
  const blocks = libraryExamples(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 3, `expected the library section to show its API in code, found ${blocks.length} block(s)`);
  const code = blocks.map((block) => block.code).join('\n');
  for (const entry of Object.keys(entryPointSources())) {
    assert.match(code, new RegExp(`from '${entry}'`), `no example imports from '${entry}'`);
  }
});

test('every ```ts block of the README\'s library section compiles against the entry points', () => {
  const blocks = libraryExamples(readFileSync(join(root, 'README.md'), 'utf8'));
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-readme-'));
  try {
    // ESM like the package, so the examples' imports and top-level await mean what they mean to a user.
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ type: 'module' }));
    const files = blocks.map((block, index) => {
      const file = join(folder, `example-${index + 1}.ts`);
      writeFileSync(file, block.code.includes('import ') || block.code.includes('export ') ? block.code : `${block.code}\nexport {};\n`);
      return { file, block };
    });
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      paths: entryPointSources(),
    };
    const program = ts.createProgram(files.map(({ file }) => file), options);
    const problems: string[] = [];
    for (const { file, block } of files) {
      const source = program.getSourceFile(file);
      assert.ok(source !== undefined, `${file} was not compiled`);
      for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
        const at = diagnostic.start === undefined ? 0 : source.getLineAndCharacterOfPosition(diagnostic.start).line;
        problems.push(`README.md:${block.line + at}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
      }
    }
    // The source files the examples reach must compile too, or an example's types could be wrong silently.
    for (const diagnostic of program.getGlobalDiagnostics()) problems.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    assert.deepEqual(problems, [], `README examples that do not compile:\n${problems.join('\n')}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('every name the README\'s table of entry points lists is exported by the entry of its row', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(librarySectionTitle), readme.indexOf('\n## ', readme.indexOf(librarySectionTitle) + 1));
  const entries = entryPointSources();
  const program = ts.createProgram(Object.values(entries).flat(), {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true,
    types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
  });
  const checker = program.getTypeChecker();
  const rows = section.split('\n').filter((line) => /^\| `vanishing[^`]*` \|/.test(line));
  assert.deepEqual(rows.map((row) => /^\| `([^`]*)`/.exec(row)![1]).sort(), Object.keys(entries).sort(), 'the table should have one row per entry point');
  const missing: string[] = [];
  for (const row of rows) {
    const [, entry, holds] = /^\| `([^`]*)` \| ([^|]*) \|/.exec(row)!;
    const source = program.getSourceFile(entries[entry][0]);
    assert.ok(source !== undefined, `the source of '${entry}' was not found`);
    const exportedNames = new Set(checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).map((symbol) => symbol.name));
    for (const [, name] of holds.matchAll(/`([A-Za-z_$][\w$]*)`/g)) {
      if (!exportedNames.has(name)) missing.push(`'${entry}' does not export ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

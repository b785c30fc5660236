/**
 * The package's entry points load only their own layer and change nothing on import.
 *
 * Each entry is imported in a child process whose module resolution is watched by a loader hook
 * (what Node really loads, dynamic imports at load time included, not what a regex finds in the
 * source); the child also reports the globals the import added. The engine entry must not reach
 * the report, the experiment runner, the diagnosis or any npm package: that is what keeps
 * `import { createModel } from 'vanishing'` fast. Import times are in README.md, not asserted here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { textMetrics } from 'vega';
import { entrySources, root } from './entry-sources.js';

const sourceUrl = pathToFileURL(join(root, 'src')).href + '/';
const packagesUrl = pathToFileURL(join(root, 'node_modules')).href + '/';


interface ImportTrace {
  /** Every module URL resolved while importing the entry. */
  modules: string[];
  /** Own properties of globalThis that the import added. */
  addedGlobals: string[];
}

/** Imports `file` in a fresh Node (through tsx, as the tests run) and reports what it loaded. */
function traceImport(file: string): ImportTrace {
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-imports-'));
  try {
    const log = join(folder, 'modules.log');
    const hooks = join(folder, 'hooks.mjs');
    writeFileSync(hooks, [
      "import { appendFileSync } from 'node:fs';",
      'let log = null;',
      'export function initialize(data) { log = data.log; }',
      'export async function resolve(specifier, context, next) {',
      '  const result = await next(specifier, context);',
      "  appendFileSync(log, result.url + '\\n');",
      '  return result;',
      '}',
    ].join('\n'));
    const register = join(folder, 'register.mjs');
    writeFileSync(register, [
      "import { register } from 'node:module';",
      `register(${JSON.stringify(pathToFileURL(hooks).href)}, { data: { log: ${JSON.stringify(log)} } });`,
    ].join('\n'));
    writeFileSync(log, '');
    const script = [
      'const before = new Set(Object.getOwnPropertyNames(globalThis));',
      `await import(${JSON.stringify(pathToFileURL(file).href)});`,
      'const added = Object.getOwnPropertyNames(globalThis).filter((name) => !before.has(name));',
      "process.stdout.write(JSON.stringify(added));",
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--import', pathToFileURL(register).href, '--input-type=module', '-e', script], {
      cwd: root, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(child.status, 0, `importing ${file} failed:\n${child.stderr}`);
    const modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter((line) => line !== ''))];
    return { modules, addedGlobals: JSON.parse(child.stdout) as string[] };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A module's path inside src/ or its npm package name; null for Node's own modules. */
function describeModule(url: string): { source: string } | { npmPackage: string } | null {
  if (url.startsWith('node:')) return null;
  if (url.startsWith(sourceUrl)) return { source: url.slice(sourceUrl.length) };
  if (url.startsWith(packagesUrl)) {
    const parts = url.slice(packagesUrl.length).split('/');
    return { npmPackage: parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0] };
  }
  return { npmPackage: url };
}

function sourcesOf(trace: ImportTrace): string[] {
  return trace.modules.map(describeModule).flatMap((module) => (module !== null && 'source' in module ? [module.source] : []));
}

function packagesOf(trace: ImportTrace): string[] {
  return [...new Set(trace.modules.map(describeModule).flatMap((module) => (module !== null && 'npmPackage' in module ? [module.npmPackage] : [])))];
}

test('the entry points are the four layers, each with a source file', () => {
  assert.deepEqual([...entrySources().keys()].sort(), ['vanishing', 'vanishing/data', 'vanishing/experiments', 'vanishing/report']);
});

test('the engine entry loads the engine alone: no report, runner, diagnosis, dataset readers or npm packages', () => {
  const trace = traceImport(entrySources().get('vanishing')!);
  const sources = sourcesOf(trace);
  // The watch works: the model itself was seen being loaded.
  assert.ok(sources.includes('model/model.ts'), `the module log missed the model: ${sources.join(', ')}`);
  const outOfLayer = sources.filter((source) => /^(report|experiments|diagnose|cli)\//.test(source) || /^data\/(load|mnist|npy|csv|user-data|synthetic)\.ts$/.test(source));
  assert.deepEqual(outOfLayer, [], 'the engine entry loads modules of later layers');
  assert.deepEqual(packagesOf(trace), [], 'the engine entry loads npm packages');
  assert.deepEqual(trace.addedGlobals, []);
});

test('the data entry loads no model, runner or report', () => {
  const trace = traceImport(entrySources().get('vanishing/data')!);
  const sources = sourcesOf(trace);
  assert.ok(sources.includes('data/load.ts'), `the module log missed the data loader: ${sources.join(', ')}`);
  assert.deepEqual(sources.filter((source) => /^(report|experiments|diagnose|train|cli)\//.test(source)), []);
  assert.deepEqual(packagesOf(trace).filter((name) => /^(vega|vega-lite|@resvg\/resvg-js|piscina|opentype\.js)$/.test(name)), []);
  assert.deepEqual(trace.addedGlobals, []);
});

test('the experiments entry does not load the report or vega', () => {
  const trace = traceImport(entrySources().get('vanishing/experiments')!);
  const sources = sourcesOf(trace);
  assert.ok(sources.includes('experiments/run-suite.ts'), `the module log missed the runner: ${sources.join(', ')}`);
  assert.deepEqual(sources.filter((source) => /^(report|cli)\//.test(source)), []);
  assert.deepEqual(packagesOf(trace).filter((name) => /^(vega|vega-lite|@resvg\/resvg-js|opentype\.js)$/.test(name)), []);
  assert.deepEqual(trace.addedGlobals, []);
});

test('the report entry loads vega (the watch sees npm packages) and adds no globals', () => {
  const trace = traceImport(entrySources().get('vanishing/report')!);
  assert.ok(packagesOf(trace).includes('vega'), `the module log missed vega: ${packagesOf(trace).join(', ')}`);
  assert.deepEqual(trace.addedGlobals, []);
});

test('importing the report leaves vega\'s text measure alone; drawing a chart sets it, once', async () => {
  const vegaOwn = textMetrics.width;
  const report = await import('../../src/report/index.js');
  assert.equal(textMetrics.width, vegaOwn, 'importing vanishing/report replaced vega\'s text measure');
  const chart = { mark: 'point' as const, data: { values: [{ x: 1, y: 2 }] }, encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const } } };
  await report.chartToSvg(chart);
  const chartFonts = textMetrics.width;
  assert.notEqual(chartFonts, vegaOwn, 'drawing a chart did not measure text with the chart fonts');
  await report.chartToSvg(chart);
  assert.equal(textMetrics.width, chartFonts, 'drawing again installed another measure');
});

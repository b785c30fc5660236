/**
 * `npm run bench:browser`: the playground in headless Chromium, as a visitor runs it. For the
 * benchmark shape of issue 15 (a 4-layer GRU, width 32, sequence 50, batch 16, adding problem)
 * it plays the network on the WebAssembly kernels and on the TypeScript kernels (`?kernels=ts`),
 * in alternation, and reports training steps per second by the wall clock (steps shown on the
 * page over the seconds between two readings) and their ratio, plus the longest main-thread task
 * while training (the Long Tasks API reports every task over 50 ms; none means the page never
 * froze for longer).
 *
 *   npm run bench:browser -- [--seconds 5] [--rounds 2] [--json out.json]
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium). Builds the playground into a temp folder first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { servePlayground } from '../src/playground/serve.js';
import { playgroundDefaults, setupToHash } from '../src/playground/setup.js';
import { buildPlayground } from '../tools/build-playground.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' }, json: { type: 'string' } }, strict: true });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1) throw new Error('--seconds must be > 0 and --rounds a whole number ≥ 1');

const setup = { ...playgroundDefaults, cell: 'gru' as const, layers: 4, width: 32, length: 50, batchSize: 16, task: 'adding' as const };
const folder = mkdtempSync(join(tmpdir(), 'vanishing-bench-playground-'));
const out = join(folder, 'playground');
await buildPlayground(out);
const server = await servePlayground(out, { host: '127.0.0.1', port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

interface Measurement {
  kernels: string;
  stepsPerSecond: number;
  /** The longest main-thread task while playing, ms; 0 when none took over 50 ms. */
  longestTaskMs: number;
  longTasks: number;
}

async function stepCount(page: Page): Promise<number> {
  return Number(await page.evaluate('window.vanishingPlayground.snapshot?.step ?? 0'));
}

async function measure(query: string): Promise<Measurement> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Before any script of the page: count every long task from the start.
  await page.addInitScript('window.longTasks = []; new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.longTasks.push(entry.duration); }).observe({ type: "longtask", buffered: true });');
  await page.goto(`${server.url}${query}${setupToHash(setup)}`);
  await page.waitForFunction('window.vanishingPlayground?.kernels != null && window.vanishingPlayground.snapshot != null', null, { timeout: 60_000 });
  const kernels = String(await page.evaluate('window.vanishingPlayground.kernels'));
  await page.click('#play');
  // Warm-up: the JIT and the first epoch's validation.
  await page.waitForTimeout(1500);
  await page.evaluate('window.longTasks = []');
  const startSteps = await stepCount(page);
  const started = performance.now();
  await page.waitForTimeout(seconds * 1000);
  const steps = (await stepCount(page)) - startSteps;
  const elapsed = (performance.now() - started) / 1000;
  const longTasks = (await page.evaluate('window.longTasks')) as number[];
  await page.click('#play');
  await page.close();
  return { kernels, stepsPerSecond: steps / elapsed, longestTaskMs: longTasks.length === 0 ? 0 : Math.max(...longTasks), longTasks: longTasks.length };
}

console.log(`playground in headless Chromium: ${setup.cell.toUpperCase()} ${setup.layers} layers × ${setup.width}, T = ${setup.length}, batch ${setup.batchSize}; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`);
const results: { wasm: Measurement; ts: Measurement }[] = [];
for (let round = 1; round <= rounds; round++) {
  const wasm = await measure('');
  const ts = await measure('?kernels=ts');
  results.push({ wasm, ts });
  console.log(`round ${round}: ${wasm.kernels} ${wasm.stepsPerSecond.toFixed(1)} steps/s, ${ts.kernels} ${ts.stepsPerSecond.toFixed(1)} steps/s, ratio ${(wasm.stepsPerSecond / ts.stepsPerSecond).toFixed(1)}×; main thread: longest task ${wasm.longestTaskMs.toFixed(0)} ms / ${ts.longestTaskMs.toFixed(0)} ms (${wasm.longTasks + ts.longTasks} over 50 ms)`);
}
const best = (pick: (r: { wasm: Measurement; ts: Measurement }) => number): number => Math.max(...results.map(pick));
console.log(`best: WebAssembly ${best((r) => r.wasm.stepsPerSecond).toFixed(1)} steps/s, TypeScript ${best((r) => r.ts.stepsPerSecond).toFixed(1)} steps/s; goal ≥ 20 steps/s and ≥ 5× the TypeScript kernels`);
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ setup, seconds, results }, null, 2)}\n`);
await browser.close();
await server.close();
rmSync(folder, { recursive: true, force: true });

/**
 * The RNN playground in a real browser (Chromium through playwright-core): built into a temp
 * folder, served by `servePlayground`, driven as a visitor drives it. Its numbers are checked
 * against the Node engine on the same setup and seed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { loadWasmKernels } from '../../src/kernels/wasm-kernels-node.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { PlaygroundSnapshot } from '../../src/playground/session.js';
import { PlaygroundSession } from '../../src/playground/session.js';
import type { PlaygroundSetup } from '../../src/playground/setup.js';
import { playgroundDefaults, setupFromHash, setupToHash } from '../../src/playground/setup.js';
import type { PlaygroundServer } from '../../src/playground/serve.js';
import { servePlayground } from '../../src/playground/serve.js';
import { buildPlayground } from '../../tools/build-playground.js';

const chromium = '/usr/bin/chromium';
const noChromium = existsSync(chromium) ? false : `${chromium} is not installed (apt-get install -y chromium)`;

interface PageState {
  setup: PlaygroundSetup;
  snapshot: PlaygroundSnapshot | null;
  kernels: string | null;
}

describe('the playground page', { skip: noChromium }, () => {
  const folder = mkdtempSync(join(tmpdir(), 'vanishing-playground-'));
  const out = join(folder, 'playground');
  let server: PlaygroundServer;
  let browser: Browser;

  before(async () => {
    await buildPlayground(out);
    server = await servePlayground(out, { host: '127.0.0.1', port: 0 });
    const { chromium: launcher } = await import('playwright-core');
    browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A page opened at `hash`, its console errors and every request it made, ready once the kernels are loaded. */
  async function open(hash = ''): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(server.url + hash);
    await page.waitForFunction('window.vanishingPlayground?.kernels != null', null, { timeout: 30_000 });
    return { page, errors, requests };
  }

  // Page code is given as strings: this file is type-checked for Node, without the DOM's types.
  const state = (page: Page): Promise<PageState> => page.evaluate('window.vanishingPlayground') as Promise<PageState>;
  const heatmapPixels = (page: Page): Promise<string> => page.evaluate("document.getElementById('heatmap').toDataURL()") as Promise<string>;
  const waitForStep = (page: Page, step: number, exactly = false): Promise<unknown> =>
    page.waitForFunction(`(window.vanishingPlayground.snapshot?.step ?? -1) ${exactly ? '===' : '>='} ${step}`, null, { timeout: 30_000 });

  /** Waits until the page shows a snapshot of at least `steps` steps (after a reset: of the new network). */
  async function snapshotAfter(page: Page, steps: number): Promise<PlaygroundSnapshot> {
    await waitForStep(page, steps);
    return (await state(page)).snapshot!;
  }

  async function stepOnce(page: Page): Promise<PlaygroundSnapshot> {
    const before = (await state(page)).snapshot?.step ?? 0;
    await page.click('#step');
    return snapshotAfter(page, before + 1);
  }

  test('loads with no console error, requests nothing outside its folder, and runs the WebAssembly kernels', async () => {
    const { page, errors, requests } = await open();
    await stepOnce(page);
    assert.deepEqual(errors, []);
    const outside = requests.filter((url) => !url.startsWith(server.url) && !url.startsWith('data:'));
    assert.deepEqual(outside, []);
    const files = new Set(readdirSync(out));
    for (const url of requests.filter((u) => u.startsWith(server.url))) {
      const path = new URL(url).pathname.slice(1);
      assert.ok(path === '' || files.has(path.split('?')[0]), `requested ${path}, which the folder does not hold`);
    }
    assert.equal((await state(page)).kernels, 'wasm simd128');
    await page.close();
  });

  test('play advances the step counter and changes the heatmap; pause stops it', async () => {
    const { page } = await open();
    await stepOnce(page);
    const heatmapBefore = await heatmapPixels(page);
    await page.click('#play');
    const later = await snapshotAfter(page, 20);
    await page.click('#play');
    assert.ok(later.step >= 20);
    assert.ok(Number(await page.textContent('#step-count')) >= 20);
    const heatmapAfter = await heatmapPixels(page);
    assert.notEqual(heatmapAfter, heatmapBefore);
    // Paused: the counter holds still.
    await page.waitForTimeout(300);
    const paused = Number(await page.textContent('#step-count'));
    await page.waitForTimeout(500);
    assert.equal(Number(await page.textContent('#step-count')), paused);
    await page.close();
  });

  test('reset re-creates the same network: the first step\'s loss is reproduced exactly', async () => {
    const { page } = await open();
    const first = await stepOnce(page);
    await stepOnce(page);
    await page.click('#reset');
    await waitForStep(page, 0, true);
    const again = await stepOnce(page);
    assert.equal(again.step, 1);
    assert.equal(again.first!.loss, first.first!.loss);
    assert.deepEqual(again.first!.gradientNorms, first.first!.gradientNorms);
    await page.close();
  });

  test('every control changes the network', async () => {
    // Each change starts from the defaults, with a setup where the control matters (clipping binds, the forget bias needs an LSTM).
    const changes: { name: string; base?: Partial<PlaygroundSetup>; select?: [string, string]; slider?: [string, number]; fill?: [string, string] }[] = [
      { name: 'cell', select: ['cell', 'gru'] },
      { name: 'architecture', select: ['architecture', 'residual'] },
      { name: 'init', select: ['init', 'orthogonal'] },
      { name: 'task', select: ['task', 'copy'] },
      { name: 'optimizer', select: ['optimizer', 'sgd'] },
      { name: 'clipping', base: { clipNorm: 0.001 }, select: ['clipping', 'max_norm'] },
      { name: 'layers', slider: ['layers', 7] },
      { name: 'width', slider: ['width', 64] },
      { name: 'gain', slider: ['gain', 2] },
      { name: 'length', slider: ['length', 30] },
      { name: 'learning rate', slider: ['learningRate', -20] },
      { name: 'clipping norm', base: { clipping: 'max_norm', clipNorm: 0.001 }, slider: ['clipNorm', -40] },
      { name: 'forget bias', base: { cell: 'lstm' }, slider: ['forgetBias', 5] },
      { name: 'batch size', fill: ['batchSize', '8'] },
      { name: 'seed', fill: ['seed', '7'] },
    ];
    for (const change of changes) {
      const { page } = await open(setupToHash({ ...playgroundDefaults, ...change.base }));
      await stepOnce(page);
      const before = await stepOnce(page);
      const setupBefore = (await state(page)).setup;
      if (change.select !== undefined) await page.selectOption(`#setting-${change.select[0]}`, change.select[1]);
      if (change.slider !== undefined) {
        await page.evaluate(`(() => { const input = document.getElementById('setting-${change.slider[0]}'); input.value = '${change.slider[1]}'; input.dispatchEvent(new Event('input', { bubbles: true })); })()`);
      }
      if (change.fill !== undefined) await page.fill(`#setting-${change.fill[0]}`, change.fill[1]).then(() => page.press(`#setting-${change.fill![0]}`, 'Tab'));
      await waitForStep(page, 0, true);
      const setupAfter = (await state(page)).setup;
      assert.notDeepEqual(setupAfter, setupBefore, `${change.name}: the setup changed`);
      assert.equal(new URL(page.url()).hash, setupToHash(setupAfter), `${change.name}: the address bar holds the new setup`);
      await stepOnce(page);
      const after = await stepOnce(page);
      // The second step's loss depends on everything: the data, the weights, the first update.
      assert.notEqual(after.losses[1][1], before.losses[1][1], `${change.name}: the network trains differently`);
      await page.close();
    }
  });

  test('a shared link reproduces the setup, and its first step equals the Node engine\'s', async () => {
    const setup: PlaygroundSetup = { ...playgroundDefaults, cell: 'gru', layers: 3, width: 24, init: 'xavier', gain: 1.5, task: 'temporal_order', length: 40, optimizer: 'sgd', learningRate: 0.05, clipping: 'min_norm', clipNorm: 2, batchSize: 8, seed: 11 };
    const { page, errors } = await open(setupToHash(setup));
    assert.deepEqual((await state(page)).setup, setup);
    assert.equal(await page.inputValue('#setting-cell'), 'gru');
    assert.equal(await page.inputValue('#setting-layers'), '3');
    const inPage = await stepOnce(page);
    const wasm = loadWasmKernels();
    assert.ok(wasm.ok, 'the WebAssembly kernels load in Node');
    for (const kernels of [wasm.kernels, tsKernels]) {
      const session = new PlaygroundSession(setup, kernels);
      session.step();
      const inNode = session.snapshot().first!;
      const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
      assert.ok(relative(inPage.first!.loss, inNode.loss) < 1e-5, `${kernels.name}: loss ${inPage.first!.loss} in the page, ${inNode.loss} in Node`);
      assert.deepEqual(Object.keys(inPage.first!.gradientNorms), Object.keys(inNode.gradientNorms));
      for (const [name, norm] of Object.entries(inNode.gradientNorms)) {
        assert.ok(relative(inPage.first!.gradientNorms[name], norm) < 1e-4, `${kernels.name}: ‖∂L/∂${name}‖ ${inPage.first!.gradientNorms[name]} in the page, ${norm} in Node`);
      }
      if (kernels === wasm.kernels) assert.equal(inPage.first!.loss, inNode.loss, 'the same WebAssembly module gives the same loss in Node and in the browser');
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a link with values out of range keeps the rest and says what it did not take', async () => {
    const { page } = await open('#cell=lstm&layers=99&width=abc&init=identity&bogus=1');
    const { setup } = await state(page);
    assert.equal(setup.cell, 'lstm');
    assert.equal(setup.layers, playgroundDefaults.layers);
    assert.equal(setup.width, playgroundDefaults.width);
    assert.equal(setup.init, playgroundDefaults.init);
    const notice = await page.textContent('#notice');
    assert.match(notice ?? '', /layers: layers must be in \[1, 20\]; got 99/);
    assert.match(notice ?? '', /bogus: not a setting/);
    assert.match(notice ?? '', /identity is for the Elman cell/);
    await page.close();
  });
});

test('the URL hash round-trips every setting', () => {
  const setup: PlaygroundSetup = { ...playgroundDefaults, cell: 'rnn-relu', architecture: 'residual', layers: 20, width: 128, init: 'identity', gain: 0.5, forgetBias: -3, task: 'mnist', length: 200, optimizer: 'sgd', learningRate: 1e-5, clipping: 'min_norm', clipNorm: 1000, batchSize: 128, seed: 4294967295 };
  const parsed = setupFromHash(setupToHash(setup));
  assert.deepEqual(parsed, { setup, ignored: [] });
  assert.deepEqual(setupFromHash(''), { setup: playgroundDefaults, ignored: [] });
  assert.deepEqual(setupFromHash('#T=&lr=-1').ignored, ['T: length must be a number; got NaN', 'lr: learningRate must be in [0.00001, 10]; got -1']);
});

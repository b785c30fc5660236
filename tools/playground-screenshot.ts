/**
 * The README's picture of the playground (docs/playground.png): the built page in headless
 * Chromium, a setup given by its link, trained for a few seconds, then paused and captured.
 *
 *   node --import tsx tools/playground-screenshot.ts [--hash '#cell=…'] [--seconds 8] [--out docs/playground.png]
 */
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { servePlayground } from '../src/playground/serve.js';
import { playgroundDefaults, setupToHash } from '../src/playground/setup.js';
import { buildPlayground } from './build-playground.js';

const { values } = parseArgs({
  options: {
    hash: { type: 'string', default: setupToHash({ ...playgroundDefaults, cell: 'rnn-tanh', layers: 6, length: 60 }) },
    seconds: { type: 'string', default: '8' },
    out: { type: 'string', default: 'docs/playground.png' },
  },
  strict: true,
});
const folder = mkdtempSync(join(tmpdir(), 'vanishing-playground-shot-'));
try {
  await buildPlayground(join(folder, 'playground'));
  const server = await servePlayground(join(folder, 'playground'), { host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(server.url + values.hash);
  await page.waitForFunction('window.vanishingPlayground?.kernels != null && window.vanishingPlayground.snapshot != null', null, { timeout: 60_000 });
  await page.click('#play');
  await page.waitForTimeout(Number(values.seconds) * 1000);
  await page.click('#play');
  await page.waitForTimeout(500);
  const temporary = `${values.out}.tmp.png`;
  await page.screenshot({ path: temporary, fullPage: true });
  renameSync(temporary, values.out);
  console.log(`${values.out}: ${await page.textContent('#step-count')} steps, verdict ${await page.textContent('#verdict-kind')}: ${await page.textContent('#verdict-headline')}`);
  await browser.close();
  await server.close();
} finally {
  rmSync(folder, { recursive: true, force: true });
}

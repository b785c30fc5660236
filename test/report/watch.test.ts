/**
 * `vanishing report --watch`: the report served on localhost while a run trains gains points as
 * batches arrive, serves only the report, its state and the run's PNGs, and is bound to 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { watchReport } from '../../src/report/watch.js';

const chromium = '/usr/bin/chromium';
const root = mkdtempSync(join(tmpdir(), 'vanishing-watch-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('the watched report gains points while the run trains', { skip: existsSync(chromium) ? false : `${chromium} is not installed`, timeout: 120_000 }, async () => {
  const suite = join(root, 'slow.yaml');
  writeFileSync(suite, `name: slow
defaults:
  model: { hidden_size: 64, num_layers: 12 }
  data: { dataset: adding, length: 100, train_samples: 8192, validation_samples: 64, test_samples: 0 }
  training: { epochs: 2, batch_size: 32 }
experiments:
  - { name: tanh }
`);
  const main = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'run', suite, '--out', join(root, 'runs'), '--no-report', '--workers', '0'], { stdio: 'ignore' });
  try {
    // Wait for the run folder and its first batches.
    let folder = '';
    for (let i = 0; i < 200 && folder === ''; i++) {
      await new Promise((done) => setTimeout(done, 100));
      const runs = existsSync(join(root, 'runs')) ? readdirSync(join(root, 'runs')) : [];
      if (runs.length > 0 && existsSync(join(root, 'runs', runs[0], 'tanh', 'batches.jsonl.partial'))) folder = join(root, 'runs', runs[0]);
    }
    assert.notEqual(folder, '', 'the run started');
    const server = await watchReport(folder, { port: 0, pollMilliseconds: 400 });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal((await fetch(`${server.url}suite.json`)).status, 404, 'only the report, its state and PNGs are served');
      const { chromium: launcher } = await import('playwright-core');
      const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(String(error)));
        await page.goto(server.url);
        // The first batch may not be on disk yet: the page reloads itself when the curve appears.
        await page.waitForFunction('document.getElementById("curve-loss") !== null && window.vanishing !== undefined', undefined, { timeout: 60_000 });
        await page.evaluate('window.vanishing.draw("curve-loss").then(() => true)');
        const count = async (): Promise<number> => (await page.evaluate(`window.vanishing.curveValues('curve-loss', 'tanh').length`)) as number;
        const first = await count();
        let later = first;
        for (let i = 0; i < 40 && later <= first; i++) {
          await page.waitForTimeout(250);
          later = await count();
        }
        assert.ok(later > first, `points ${first} → ${later}`);
        assert.match(await page.locator('#live-status').textContent() ?? '', /live/);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    } finally {
      await server.close();
    }
  } finally {
    child.kill();
  }
});

test('--watch on a port in use or an address not on this machine is one input line', async () => {
  const { createServer } = await import('node:http');
  const { ReportInputError } = await import('../../src/report/read-run.js');
  const { runSuite } = await import('../../src/experiments/run-suite.js');
  const { resolveSuite } = await import('../../src/experiments/suite.js');
  const suite = resolveSuite({
    name: 'busy',
    defaults: { model: { hidden_size: 4, num_layers: 1 }, data: { dataset: 'adding', length: 4, train_samples: 16, validation_samples: 16, test_samples: 16 }, training: { epochs: 1, batch_size: 16 } },
    experiments: [{ name: 'a' }],
  }, join(root, 'busy.yaml'));
  const { folder } = await runSuite(suite, { outRoot: join(root, 'busy'), workers: 0 });
  const occupant = createServer();
  await new Promise<void>((ready) => occupant.listen(0, '127.0.0.1', () => ready()));
  const port = (occupant.address() as { port: number }).port;
  try {
    await assert.rejects(watchReport(folder, { port }), (error: unknown) => error instanceof ReportInputError && error.message === `report --watch: port ${port} is in use (another watch or program); choose another with --port`);
    await assert.rejects(watchReport(folder, { port: 0, host: '10.255.255.1' }), (error: unknown) => error instanceof ReportInputError && /is not an address of this machine/.test(error.message));
  } finally {
    occupant.close();
  }
});

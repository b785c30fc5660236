/**
 * Plots and the report from a real (small) run folder, including metrics with exact zeros, NaN
 * and a diverged experiment: every expected PNG exists, has the stated size and is not blank;
 * `report.html` renders every chart in headless Chromium with no console error and no network.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { runSuite } from '../../src/experiments/run-suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import type { EpochRecord } from '../../src/record/metrics.js';
import { buildReport, ReportInputError } from '../../src/report/index.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-report-'));
const plotsDir = join(root, 'plots');

async function makeRun(): Promise<string> {
  const suite = resolveSuite({
    name: 'pictures',
    defaults: {
      model: { hidden_size: 8, num_layers: 3 },
      data: { dataset: 'temporal_order', length: 12, train_samples: 64, validation_samples: 32, test_samples: 32 },
      training: { epochs: 3, batch_size: 16, learning_rate: 0.05 },
    },
    experiments: [
      { name: 'tanh_zeros', model_type: 'vanilla', mitigation: 'no_mitigation' },
      { name: 'gru', model_type: 'gru', mitigation: 'gru_cell', model: { cell: 'gru' } },
      { name: 'blowup', model_type: 'residual', mitigation: 'residual_connections', model: { architecture: 'residual', nonlinearity: 'relu', init: 'xavier', num_layers: 6 }, training: { learning_rate: 50 } },
      { name: 'adding', model_type: 'lstm', mitigation: 'regression', model: { cell: 'lstm' }, data: { dataset: 'adding', length: 10, train_samples: 64, validation_samples: 16, test_samples: 16 } },
    ],
  }, join(root, 'pictures.yaml'));
  const outcome = await runSuite(suite, { outRoot: join(root, 'runs'), workers: 0, plotsDir });
  // Underflow and non-finite values, as a long run can record them.
  const epochsPath = join(outcome.folder, 'tanh_zeros', 'epochs.jsonl');
  const epochs = readFileSync(epochsPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as EpochRecord);
  epochs[1].meanGradientNorms['rnn.weight_hh_l0'] = 0;
  epochs[2].meanGradientNorms['rnn.bias_ih_l0'] = 'NaN';
  epochs[2].meanLoss = 'Infinity';
  epochs[2].meanHiddenGradientNorms![0][0] = 0;
  epochs[2].meanHiddenGradientNorms![2][1] = 'NaN';
  writeFileSync(epochsPath, epochs.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return outcome.folder;
}

const runFolder = makeRun();

function pngOf(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

/** Variance of the grey level: a blank (single-colour) image has none. */
function greyVariance(png: PNG): number {
  let sum = 0;
  let sumOfSquares = 0;
  const pixels = png.width * png.height;
  for (let i = 0; i < pixels; i++) {
    const grey = (png.data[4 * i] + png.data[4 * i + 1] + png.data[4 * i + 2]) / 3;
    sum += grey;
    sumOfSquares += grey * grey;
  }
  const mean = sum / pixels;
  return sumOfSquares / pixels - mean * mean;
}

test('every expected PNG exists, is at least 1500×900 (10×6 in at 150 dpi) and is not blank', async () => {
  const folder = await runFolder;
  const report = await buildReport(folder);
  const perExperiment = ['training_loss', 'grad_norms', 'grad_per_layer', 'grad_heatmap', 'grad_norms_last_10', 'grad_through_time', 'grad_time_profile', 'saturation'];
  const suffixes = ['vanilla_no_mitigation', 'gru_gru_cell', 'residual_residual_connections', 'lstm_regression'];
  const expected = [
    ...suffixes.flatMap((suffix) => perExperiment.map((kind) => `${kind}_${suffix}.png`)),
    'compare_depth_profile.png', 'compare_time_profile.png', 'compare_loss.png', 'compare_accuracy.png', 'compare_verdicts.png',
  ];
  assert.deepEqual(report.plots.map((path) => path.slice(plotsDir.length + 1)).sort(), [...expected].sort());
  for (const file of expected) {
    const png = pngOf(join(plotsDir, file));
    assert.ok(png.width >= 1500, `${file} is ${png.width} px wide`);
    if (!file.startsWith('compare_verdicts')) assert.ok(png.height >= 900, `${file} is ${png.height} px high`);
    assert.ok(greyVariance(png) > 50, `${file} looks blank`);
  }
  assert.equal(report.report, join(folder, 'report.html'));
});

test('a chart with many parameters grows tall enough for every name', async () => {
  const png = pngOf(join(plotsDir, 'grad_per_layer_residual_residual_connections.png'));
  assert.ok(png.height >= 900);
});

test('report.html is self-contained: no external resources, verdicts, evidence, configs and PNG links inside', async () => {
  const html = readFileSync(join(await runFolder, 'report.html'), 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src="?https?:|url\(https?:/i);
  for (const name of ['tanh_zeros', 'gru', 'blowup', 'adding']) assert.ok(html.includes(`id="experiment-${name}"`), name);
  assert.match(html, /diverged/);
  assert.match(html, /<details><summary>Configuration<\/summary><pre>name: tanh_zeros/);
  assert.match(html, /href="\.\.\/\.\.\/plots\/grad_norms_gru_gru_cell\.png"/);
});

test('a folder that is not a run is an input error', async () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  await assert.rejects(buildReport(empty), (error: unknown) => error instanceof ReportInputError && /not a run folder/.test(error.message));
  await assert.rejects(buildReport(join(root, 'absent')), ReportInputError);
});

const chromium = '/usr/bin/chromium';

test('report.html renders every chart in headless Chromium, with tooltips, no console error and no network', { skip: existsSync(chromium) ? false : `${chromium} is not installed (apt-get install -y chromium)` }, async () => {
  const { chromium: launcher } = await import('playwright-core');
  const folder = await runFolder;
  const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => { if (!request.url().startsWith('file:')) requests.push(request.url()); });
    await page.goto(`file://${join(folder, 'report.html')}`);
    // A string, evaluated in the page (this project compiles without the DOM types).
    await page.waitForFunction(`document.querySelectorAll('.vega-chart').length > 0
      && document.querySelectorAll('.vega-chart').length === document.querySelectorAll('.vega-chart[data-rendered] canvas').length`, null, { timeout: 60_000 });
    const charts = await page.locator('.vega-chart').count();
    assert.equal(charts, 4 * 8 + 5);
    const canvas = page.locator('#compare-2 canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    assert.ok(box !== null && box.width > 500);
    // Sweep a grid over the loss chart until a point is under the cursor and the tooltip shows.
    let shown = false;
    for (let i = 0; i < 40 && !shown; i++) {
      for (let j = 0; j < 30 && !shown; j++) {
        await page.mouse.move(box.x + (box.width * i) / 40, box.y + (box.height * j) / 30);
        shown = await page.locator('#tooltip').isVisible();
      }
    }
    assert.ok(shown, 'hovering the loss chart shows a tooltip');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: join('test-artifacts', 'report.png') });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  } finally {
    await browser.close();
  }
});

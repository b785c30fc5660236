/**
 * Plots and the report from a real (small) run folder, including metrics with exact zeros, NaN
 * and a diverged experiment: every expected PNG exists, has the stated size and is not blank;
 * `report.html` renders every chart in headless Chromium with no console error and no network.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { runSuite } from '../../src/experiments/run-suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import type { EpochRecord } from '../../src/record/metrics.js';
import { buildComparisonReport, buildReport, ReportInputError } from '../../src/report/index.js';
import { logBars } from '../../src/report/chart-kinds.js';
import { chartToSvg, rasterScale, svgToPng } from '../../src/report/render.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-report-'));
const plotsDir = join(root, 'plots');
test.after(() => rmSync(root, { recursive: true, force: true }));

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

/**
 * The small run and its report, made by whichever test asks first: every test passes alone
 * (--test-name-pattern) and in any order, and a test that needs neither does not train.
 */
let made: Promise<{ folder: string; report: Awaited<ReturnType<typeof buildReport>> }> | null = null;
function reported(): Promise<{ folder: string; report: Awaited<ReturnType<typeof buildReport>> }> {
  made ??= makeRun().then(async (folder) => ({ folder, report: await buildReport(folder) }));
  return made;
}

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
  const { folder, report } = await reported();
  const perExperiment = ['training_loss', 'grad_norms', 'grad_per_layer', 'grad_heatmap', 'grad_norms_last_10', 'grad_through_time', 'grad_time_profile', 'grad_histograms', 'weight_histograms', 'saturation'];
  const suffixes = ['vanilla_no_mitigation', 'gru_gru_cell', 'residual_residual_connections', 'lstm_regression'];
  const expected = [
    ...suffixes.flatMap((suffix) => perExperiment.map((kind) => `${kind}_${suffix}.png`)),
    'compare_depth_profile.png', 'compare_time_profile.png', 'compare_time_profile_T10.png', 'compare_time_profile_T12.png', 'compare_loss.png', 'compare_accuracy.png', 'compare_verdicts.png',
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
  // A bar per parameter: 10 fit the standard 600 CSS px (900 px at 1.5×); 100 need a row each,
  // at least 16 CSS px for an 11 px name, and every name must be drawn (none dropped for overlap).
  const bars = (count: number) => Array.from({ length: count }, (_, i) => ({ label: `rnn.weight_hh_l${i}`, value: 10 ** (-i / 20) }));
  const text = { title: 'Gradient Norm per Layer', xTitle: 'mean gradient L2 norm', yTitle: 'parameter' };
  const few = svgToPng(await chartToSvg(logBars(text, bars(10))));
  const manySvg = await chartToSvg(logBars(text, bars(100)));
  const many = svgToPng(manySvg);
  assert.ok(few.height >= 900 && few.height < 1000, `10 bars: ${few.height} px high`);
  assert.ok(many.height >= 100 * 16 * rasterScale, `100 bars: ${many.height} px high, under 16 CSS px a name`);
  const drawn = new Set([...manySvg.matchAll(/>(rnn\.weight_hh_l\d+)</g)].map((match) => match[1]));
  assert.equal(drawn.size, 100, `${drawn.size} of 100 names drawn`);
});

test('report.html is self-contained: no external resources, verdicts, evidence, configs and PNG links inside', async () => {
  const html = readFileSync((await reported()).report.report, 'utf8');
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
const noChromium = existsSync(chromium) ? false : `${chromium} is not installed (apt-get install -y chromium)`;

/** A page of report.html in headless Chromium, collecting console errors and any network request. */
async function openReport(file: string, width = 1280) {
  const { chromium: launcher } = await import('playwright-core');
  const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('request', (request) => { if (!request.url().startsWith('file:') && !request.url().startsWith('blob:') && !request.url().startsWith('data:')) requests.push(request.url()); });
  await page.goto(`file://${file}`);
  return { browser, page, errors, requests };
}

test('report.html draws every chart in headless Chromium, with tooltips, no console error and no network', { skip: noChromium }, async () => {
  const { report } = await reported();
  const { browser, page, errors, requests } = await openReport(report.report, 1200);
  try {
    // Charts draw as they scroll into view; drawAll opens every section and draws the rest.
    await page.evaluate('window.vanishing.drawAll().then(() => true)');
    const charts = await page.locator('.vega-chart').count();
    assert.equal(charts, 4 * (10 + 1) + 6 + 2, 'ten per experiment and its per-layer curves, six comparisons (the verdict table is the page\'s own; two sequence lengths add one panel each), two training curves');
    assert.equal(await page.locator('.vega-chart[data-rendered] canvas').count(), charts);
    const canvas = page.locator('#chart-compare_loss canvas');
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
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  } finally {
    await browser.close();
  }
});

test('an experiment unchecked in the side panel leaves every chart, the table and its section', { skip: noChromium }, async () => {
  const { report } = await reported();
  const { browser, page, errors } = await openReport(report.report);
  try {
    await page.evaluate('window.vanishing.drawAll().then(() => true)');
    const filterable = ['chart-compare_depth_profile', 'chart-compare_time_profile', 'chart-compare_loss', 'chart-compare_accuracy', 'curve-loss', 'curve-norm'];
    for (const id of filterable) assert.ok((await page.evaluate(`window.vanishing.seriesDrawn('${id}')`) as string[]).includes('gru'), `${id} draws gru`);
    await page.click('input.experiment-box[data-name="gru"]');
    await page.waitForTimeout(300);
    for (const id of filterable) {
      const drawn = await page.evaluate(`window.vanishing.seriesDrawn('${id}')`) as string[];
      assert.ok(!drawn.includes('gru') && drawn.includes('tanh_zeros'), `${id}: ${drawn.join(', ')}`);
    }
    assert.equal(await page.locator('section[data-experiment="gru"]').isHidden(), true);
    assert.deepEqual(await page.evaluate(`[...document.querySelectorAll('tr[data-experiment="gru"]')].map((row) => row.hidden)`), [true, true], 'its numbers and its sentence');
    // The name filter narrows what is shown the same way.
    await page.fill('#filter', 'blow');
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate('window.vanishing.shown()'), ['blowup']);
    assert.deepEqual(await page.evaluate(`window.vanishing.seriesDrawn('chart-compare_loss')`), ['blowup']);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the smoothing slider changes a training curve, a brush on the strip zooms it, a double-click resets', { skip: noChromium }, async () => {
  const { report } = await reported();
  const { browser, page, errors } = await openReport(report.report);
  try {
    await page.evaluate('window.vanishing.drawAll().then(() => true)');
    await page.evaluate('window.vanishing.setSmoothing(0)');
    await page.waitForTimeout(200);
    const raw = await page.evaluate(`window.vanishing.curveValues('curve-loss', 'gru')`) as number[];
    await page.evaluate('window.vanishing.setSmoothing(0.95)');
    await page.waitForTimeout(200);
    const smooth = await page.evaluate(`window.vanishing.curveValues('curve-loss', 'gru')`) as number[];
    assert.equal(raw.length, smooth.length);
    assert.ok(raw.length >= 8);
    assert.equal(raw[0], smooth[0], 'the debiased average starts at the first value');
    assert.ok(raw.some((value, i) => Math.abs(value - smooth[i]) > 1e-6 * Math.abs(value)), 'smoothing changes the curve');

    const before = await page.evaluate(`window.vanishing.xDomain('curve-loss')`) as number[];
    const strip = page.locator('#curve-loss canvas');
    await strip.scrollIntoViewIfNeeded();
    const box = (await strip.boundingBox())!;
    // The overview strip is the lowest plot: drag across the middle third of its width.
    const y = box.y + box.height - 60;
    await page.mouse.move(box.x + box.width * 0.35, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.55, y, { steps: 8 });
    await page.mouse.up();
    await page.waitForTimeout(300);
    const zoomed = await page.evaluate(`window.vanishing.xDomain('curve-loss')`) as number[];
    assert.ok(zoomed[1] - zoomed[0] < 0.8 * (before[1] - before[0]), `zoomed ${zoomed.join('–')} from ${before.join('–')}`);
    await page.mouse.dblclick(box.x + box.width * 0.45, y);
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(`window.vanishing.xDomain('curve-loss')`), before);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a chart downloads as CSV with its rows, and as SVG', { skip: noChromium }, async () => {
  const { report } = await reported();
  const { browser, page, errors } = await openReport(report.report);
  try {
    await page.locator('#chart-compare_loss').scrollIntoViewIfNeeded();
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('button[data-chart="chart-compare_loss"][data-download="csv"]')]);
    assert.equal(csv.suggestedFilename(), 'compare_loss.csv');
    const text = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
    assert.match(text[0], /series,x,y,kind,value,dash/);
    // One row per experiment and epoch and split: 4 experiments × up to 3 epochs × 2 splits.
    assert.ok(text.length - 1 >= 12, `${text.length - 1} rows`);
    assert.ok(text.some((line) => line.startsWith('gru,1,')));
    const [svg] = await Promise.all([page.waitForEvent('download'), page.click('button[data-chart="chart-compare_loss"][data-download="svg"]')]);
    assert.match(readFileSync((await svg.path())!, 'utf8'), /^<svg/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('seventeen experiments with long names: no horizontal overflow at 1280 px, seventeen distinct colours', { skip: noChromium }, async () => {
  const names = Array.from({ length: 17 }, (_, i) => `adding_${String(i).padStart(2, '0')}_with_a_rather_long_experiment_name`);
  const suite = resolveSuite({
    name: 'wide',
    defaults: { model: { hidden_size: 4, num_layers: 2 }, data: { dataset: 'adding', length: 6, train_samples: 32, validation_samples: 8, test_samples: 0 }, training: { epochs: 1, batch_size: 16 } },
    experiments: names.map((name, i) => ({ name, training: { learning_rate: 0.001 * (i + 1) } })),
  }, join(root, 'wide.yaml'));
  const outcome = await runSuite(suite, { outRoot: join(root, 'wide-runs'), workers: 0 });
  const report = await buildReport(outcome.folder);
  const { browser, page, errors } = await openReport(report.report);
  try {
    await page.evaluate('window.vanishing.drawAll().then(() => true)');
    assert.ok(await page.evaluate('document.documentElement.scrollWidth') as number <= 1280);
    // Nothing pokes out of the window either (a table or chart scrolled inside its box would).
    await page.click('#expand-all');
    await page.evaluate('window.vanishing.drawAll().then(() => true)');
    const poking = await page.evaluate(`[...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((el) => el.tagName + '.' + el.className + ' in #' + el.closest('[id]')?.id + ' ' + Math.round(el.getBoundingClientRect().right)).slice(0, 5)`) as string[];
    assert.deepEqual(poking, []);
    const colours = await page.evaluate(`window.vanishing.views['chart-compare_loss'].scale('color').range().slice(0, 17)`) as string[];
    assert.equal(new Set(colours).size, 17);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('two runs compared in one report: experiments labelled by run, seeds drawn as a mean with a band', { skip: noChromium }, async () => {
  const twin = (seed: number) => resolveSuite({
    name: 'twins',
    defaults: { model: { hidden_size: 4, num_layers: 2 }, data: { dataset: 'adding', length: 6, train_samples: 32, validation_samples: 16, test_samples: 0 }, training: { epochs: 2, batch_size: 16, seed } },
    experiments: [{ name: 'tanh' }, { name: 'gru', model: { cell: 'gru' } }],
  }, join(root, 'twins.yaml'));
  const first = await runSuite(twin(0), { outRoot: join(root, 'twins', 'a'), workers: 0 });
  const second = await runSuite(twin(1), { outRoot: join(root, 'twins', 'b'), workers: 0 });
  const report = await buildComparisonReport([first.folder, second.folder], { outFolder: join(root, 'twins', 'compared') });
  assert.equal(report.report, join(root, 'twins', 'compared', 'report.html'));
  const { browser, page, errors } = await openReport(report.report);
  try {
    await page.evaluate('window.vanishing.drawAll().then(() => true)');
    const labels = await page.evaluate(`[...document.querySelectorAll('input.experiment-box')].map((box) => box.dataset.name)`) as string[];
    assert.equal(labels.length, 4);
    assert.ok(labels.every((label) => /^((a|b)\/)?twins-\d{8}-\d{6}(-\d+)?\/(tanh|gru)$/.test(label)), labels.join(', '));
    const loss = await page.evaluate(`window.vanishing.seriesDrawn('chart-compare_loss')`) as string[];
    assert.deepEqual(loss, ['gru (2 seeds)', 'tanh (2 seeds)']);
    for (const label of labels.filter((l) => l.endsWith('/tanh'))) await page.click(`input.experiment-box[data-name="${label}"]`);
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(`window.vanishing.seriesDrawn('chart-compare_loss')`), ['gru (2 seeds)']);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

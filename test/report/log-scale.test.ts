/**
 * Log axes label their ticks one way: plain decimals within 0.001…10,000, powers of ten beyond,
 * never "1,000,000" beside "1e-8" on one axis.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coincidingSeries, groupedBars, logLines } from '../../src/report/chart-kinds.js';
import { logTickLabelExpression, narrowLogTicks } from '../../src/report/log-scale.js';
import { chartToSvg } from '../../src/report/render.js';

const text = { title: 'ticks', xTitle: 'layer', yTitle: 'norm' };

/** The text of every axis label in an SVG (vega writes each as a <text> element). */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1] ?? '');
}

test('a log axis over twelve decades labels every tick as a power of ten', async () => {
  const points = [1e-9, 1e-6, 1e-3, 1, 1e3].map((value, x) => ({ series: 'a', x, value }));
  const labels = svgTexts(await chartToSvg(logLines(text, points)));
  for (const expected of ['10⁻⁹', '10⁻⁶', '10⁻³', '10⁰', '10³']) assert.ok(labels.includes(expected), `${expected} missing from ${labels.join(' | ')}`);
  assert.ok(!labels.some((label) => /\de[-+]?\d/.test(label) || label.includes(',')), `mixed formats: ${labels.join(' | ')}`);
});

test('a log axis within 0.001…10,000 keeps plain decimals', async () => {
  const points = [0.12, 0.5, 3, 11].map((value, x) => ({ series: 'a', x, value }));
  const labels = svgTexts(await chartToSvg(logLines(text, points)));
  assert.ok(labels.includes('1') && labels.includes('10'), labels.join(' | '));
  assert.ok(!labels.some((label) => label.includes('⁰') || label.includes('⁻')), labels.join(' | '));
  assert.equal(logTickLabelExpression(1e-3, 1e4), undefined);
});

test('over fewer than three decades the in-between ticks are labelled too', () => {
  const narrow = logTickLabelExpression(2e-6, 5e-5);
  const wide = logTickLabelExpression(1e-9, 1e-2);
  assert.ok(narrow !== undefined && narrow.includes("'×'"));
  assert.ok(wide !== undefined && !wide.includes("'×'"));
});

test('within one decade the ticks are round values with three significant digits, never one label repeated', async () => {
  for (const [low, high, expected] of [[1.2e5, 3.4e5, ['1.5×10⁵', '2×10⁵', '2.5×10⁵', '3×10⁵']], [0.21, 0.29, ['0.2', '0.25', '0.3']]] as const) {
    const points = [low, (low + high) / 2, high].map((value, x) => ({ series: 'a', x: 10 * (x + 1), value }));
    const labels = svgTexts(await chartToSvg(logLines(text, points, { xInteger: true })));
    // Each tick label once (the x axis, 0…2 here, is the only other numeric text).
    for (const label of expected) assert.equal(labels.filter((text) => text === label).length, 1, `${label} in ${labels.join(' | ')}`);
    const yTicks = labels.filter((text) => text.includes('×10'));
    assert.equal(new Set(yTicks).size, yTicks.length, `repeated tick labels: ${yTicks.join(' | ')}`);
  }
  assert.deepEqual(narrowLogTicks(2, 9), [2, 4, 6, 8]);
  assert.equal(narrowLogTicks(1, 100), null);
});

test('a diverged run goes on the top line, off scale, and the chance level is drawn as a line', async () => {
  const points = [
    ...[2.3, 1.5, 0.9].map((value, x) => ({ series: 'learns', x: x + 1, value })),
    ...[2.3, 2.29, 2.3].map((value, x) => ({ series: 'stuck', x: x + 1, value })),
    { series: 'blowup', x: 1, value: 9.5e4 },
  ];
  const svg = await chartToSvg(logLines(text, points, { offScaleSeries: new Set(['blowup']), references: [{ value: 2.3, label: 'chance 2.3' }] }));
  const labels = svgTexts(svg);
  assert.ok(labels.includes('off scale') && labels.includes('chance 2.3'), labels.join(' | '));
  // The axis spans the others' range (0.9 … 2.3), not up to 9.5e4.
  assert.ok(!labels.some((label) => label.includes('10⁴') || label.includes('10,000')), labels.join(' | '));
});

test('identical curves are said, not hidden', () => {
  const points = [1, 2, 3].flatMap((x) => [{ series: 'baseline', x, value: 1 / x }, { series: 'rescaled', x, value: 1 / x }, { series: 'other', x, value: x }]);
  assert.deepEqual(coincidingSeries(points), ['baseline = rescaled']);
});

test('a bar chart\'s axis reaches past its tallest bar (a rounded top tick above 22.6 %, not a bar cut at 22 %)', async () => {
  const bars = [0.018, 0.226, 0.145].map((value, layer) => ({ label: String(layer), value, group: 'epoch 5' }));
  const labels = svgTexts(await chartToSvg(groupedBars({ ...text, groupTitle: 'epoch' }, bars, { percent: true })));
  const ticks = labels.filter((label) => /^\d+%$/.test(label)).map((label) => Number(label.slice(0, -1)));
  assert.ok(Math.max(...ticks) >= 22.6, `top tick ${Math.max(...ticks)} % below the tallest bar: ${ticks.join(' ')}`);
});

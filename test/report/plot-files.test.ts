/**
 * Where a run's pictures go: inside its run folder by default, every file name unique within the
 * run, the count said equal to the files on disk, and links in report.html that still work when
 * the run folder is moved.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { runSuite } from '../../src/experiments/run-suite.js';
import { resolveSuite } from '../../src/experiments/suite.js';
import { buildReport, comparisonCharts, readRunFolder } from '../../src/report/index.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-plot-files-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('plots live in the run folder, names never collide, links survive a move', async () => {
  // Two LSTMs without model_type/mitigation: both would be *_lstm_no_mitigation.png.
  const suite = resolveSuite({
    name: 'collide',
    defaults: { model: { hidden_size: 4, num_layers: 1, cell: 'lstm' }, training: { epochs: 1, batch_size: 16 } },
    experiments: [
      { name: 'lstm1_adding', data: { dataset: 'adding', length: 6, train_samples: 32, validation_samples: 16, test_samples: 0 } },
      { name: 'lstm1_order', data: { dataset: 'temporal_order', length: 10, train_samples: 32, validation_samples: 16, test_samples: 0 } },
    ],
  }, join(root, 'collide.yaml'));
  const outcome = await runSuite(suite, { outRoot: join(root, 'runs'), workers: 0 });
  const report = await buildReport(outcome.folder);
  assert.equal(report.plotsDir, join(outcome.folder, 'plots'));
  const onDisk = readdirSync(report.plotsDir).filter((file) => file.endsWith('.png'));
  assert.equal(report.plots.length, onDisk.length, 'the count said is the count on disk');
  assert.equal(new Set(report.plots).size, report.plots.length);
  assert.ok(onDisk.includes('training_loss_lstm_no_mitigation_lstm1_adding.png'), onDisk.join(', '));
  assert.ok(onDisk.includes('training_loss_lstm_no_mitigation_lstm1_order.png'));
  // Two sequence lengths (6 and 10): the time profile also once per length, each experiment in its own colour everywhere.
  assert.ok(onDisk.includes('compare_time_profile_T6.png') && onDisk.includes('compare_time_profile_T10.png'), onDisk.join(', '));
  const charts = comparisonCharts(readRunFolder(outcome.folder).experiments, 'collide');
  const colorOf = (file: string, series: string): string => {
    const spec = JSON.stringify(charts.find((chart) => chart.file === file)!.spec);
    const scale = JSON.parse(/"scale":(\{"domain":\[[^\]]*\],"range":\[[^\]]*\]\})/.exec(spec)![1]) as { domain: string[]; range: string[] };
    return scale.range[scale.domain.indexOf(series)];
  };
  assert.equal(colorOf('compare_time_profile_T10.png', 'lstm1_order'), colorOf('compare_time_profile.png', 'lstm1_order'));
  assert.notEqual(colorOf('compare_time_profile_T10.png', 'lstm1_order'), colorOf('compare_time_profile_T6.png', 'lstm1_adding'));

  const moved = join(root, 'elsewhere', 'run');
  mkdirSync(dirname(moved));
  renameSync(outcome.folder, moved);
  const html = readFileSync(join(moved, 'report.html'), 'utf8');
  const links = [...html.matchAll(/href="([^"#][^"]*\.png)"/g)].map((match) => decodeURIComponent(match[1]));
  assert.ok(links.length >= onDisk.length, `${links.length} links`);
  for (const link of links) assert.ok(existsSync(join(moved, link)), link);
});

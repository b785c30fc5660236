/**
 * The records' size known before a run: the estimate against what real runs write, the gradient
 * through time recorded by cost when the file leaves it open (every batch in every preset but
 * `seed`, whose records it keeps to a few hundred MB), and the files a run writes following it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/load.js';
import { datasetOptions } from '../../src/experiments/run-experiment.js';
import type { SuitePlan } from '../../src/experiments/run-suite.js';
import { runSuite } from '../../src/experiments/run-suite.js';
import { datasetShape, estimateRecords, formatBytes, hiddenGradientEvery, throughTimeNumbersPerEpoch } from '../../src/experiments/record-size.js';
import { loadSuite, resolveSuite } from '../../src/experiments/suite.js';
import type { BatchRecord } from '../../src/record/metrics.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-record-size-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('the estimate is within 25 % of what a run writes: batch records, epoch files, checkpoint', async () => {
  const suite = resolveSuite({
    name: 'sizes',
    defaults: { training: { epochs: 3, batch_size: 16, samples_per_epoch: 256 }, data: { dataset: 'mnist', variant: 'row', samples: 600 } },
    experiments: [
      { name: 'tanh_stack', model: { hidden_size: 16, num_layers: 6 } },
      { name: 'lstm_adam', model: { cell: 'lstm', hidden_size: 16, num_layers: 2 }, training: { optimizer: 'adam', learning_rate: 0.003 } },
      { name: 'copy_gru', model: { cell: 'gru', hidden_size: 16, num_layers: 1 }, data: { dataset: 'copy', length: 20, train_samples: 256, validation_samples: 32, test_samples: 0 }, record: { histogram_every: 1 } },
    ],
  }, join(root, 'sizes.yaml'));
  let plan: SuitePlan | null = null;
  const outcome = await runSuite(suite, { outRoot: root, workers: 0, onPlan: (given) => (plan = given) });
  const planned = plan as SuitePlan | null;
  assert.ok(planned !== null);
  assert.deepEqual(planned.experiments.map((e) => [e.name, e.epochs, e.batchesPerEpoch]), [['tanh_stack', 3, 16], ['lstm_adam', 3, 16], ['copy_gru', 3, 16]]);
  for (const experiment of planned.experiments) {
    const dir = join(outcome.folder, experiment.name);
    const size = (file: string): number => statSync(join(dir, file)).size;
    const actual = { batchBytes: size('batches.jsonl'), epochBytes: size('epochs.jsonl') + size('epochs.csv'), checkpointBytes: size('checkpoint.bin') };
    for (const key of ['batchBytes', 'epochBytes', 'checkpointBytes'] as const) {
      const ratio = experiment.estimate[key] / actual[key];
      assert.ok(ratio > 0.75 && ratio < 1.25, `${experiment.name} ${key}: estimated ${experiment.estimate[key]}, written ${actual[key]} (×${ratio.toFixed(2)})`);
    }
  }
  assert.equal(planned.recordBytes, planned.experiments.reduce((sum, e) => sum + e.estimate.totalBytes, 0));
});

test('by cost: every batch in every preset but seed; the seed preset\'s gradient through time on every 9th batch', () => {
  for (const preset of ['quick', 'verdicts', 'classics', 'seed']) {
    for (const experiment of loadSuite(preset).experiments) {
      assert.equal(experiment.record.hidden_gradient_every, null, `${preset}/${experiment.name} leaves it to the cost`);
      const shape = datasetShape(loadDataset(datasetOptions(experiment.data), experiment.training.seed));
      const every = hiddenGradientEvery(experiment, shape);
      // seed: 125 batches × 21 × 784 values = 2.06 million per epoch; every 9th keeps 14 of them, 230,496 values.
      assert.equal(every, preset === 'seed' ? 9 : 1, `${preset}/${experiment.name}`);
      if (preset === 'seed') {
        const estimate = estimateRecords(experiment, shape);
        assert.ok(estimate.totalBytes > 150e6 && estimate.totalBytes < 400e6, `${experiment.name}: ${formatBytes(estimate.totalBytes)}`);
      }
    }
  }
  assert.equal(throughTimeNumbersPerEpoch, 250_000);
});

test('a run records the gradient through time on the batches the cost rule picks', async () => {
  // 9 layers × 250 steps: 2,500 values a batch; 120 batches an epoch would be 300,000: every 2nd batch.
  const suite = resolveSuite({
    name: 'by-cost',
    experiments: [{
      name: 'long', model: { hidden_size: 3, num_layers: 9 }, data: { dataset: 'adding', length: 250, train_samples: 480, validation_samples: 8, test_samples: 0 },
      training: { epochs: 1, batch_size: 4 },
    }],
  }, join(root, 'by-cost.yaml'));
  const outcome = await runSuite(suite, { outRoot: root, workers: 0 });
  const batches = readFileSync(join(outcome.folder, 'long', 'batches.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as BatchRecord);
  assert.equal(batches.length, 120);
  assert.deepEqual(batches.filter((b) => b.hiddenGradientNorms !== undefined).map((b) => b.batch), Array.from({ length: 60 }, (_, i) => 2 * i + 1));
});

test('formatBytes speaks as disks are sold', () => {
  assert.deepEqual([999, 1000, 15_300, 2_340_000, 983e6, 2.3e9].map(formatBytes), ['999 bytes', '1.0 kB', '15 kB', '2.3 MB', '983 MB', '2.3 GB']);
});

/**
 * Reading a run folder back: summaries written before the verdict had a verdict at
 * initialisation and a learning answer still read, with those marked as not judged.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readRunFolder } from '../../src/report/read-run.js';

test('a summary from before the learning answer reads with the new fields marked as not judged', () => {
  const root = mkdtempSync(join(tmpdir(), 'vanishing-read-run-'));
  try {
    writeFileSync(join(root, 'suite.json'), JSON.stringify({ name: 'old', description: '', source: 'old.yaml', createdAt: '2026-11-24', experiments: ['a'], plotsDir: 'plots', configs: [] }));
    mkdirSync(join(root, 'a'));
    const oldVerdict = { kind: 'vanishing', headline: 'Gradients vanish down the stack.', evidence: ['…'], measures: { depthRatioPerLayer: 0.5 } };
    const final = { loss: 2.3, accuracy: 0.1, validationLoss: 2.3, validationAccuracy: 0.1, testLoss: null, testAccuracy: null, minLayerGradientNorm: 1e-5 };
    writeFileSync(join(root, 'a', 'summary.json'), JSON.stringify({
      name: 'a', modelType: 'vanilla', mitigation: 'none', status: 'finished', divergence: null, epochsCompleted: 1, parameterNames: [],
      numLayers: 2, steps: 28, final, baseline: null, verdict: oldVerdict, seconds: 1, kernels: 'native',
    }));
    const [experiment] = readRunFolder(root, { batches: false }).experiments;
    assert.equal(experiment.summary.verdict.kind, 'vanishing');
    assert.equal(experiment.summary.verdict.atInitialisation, null);
    assert.equal(experiment.summary.verdict.learning.kind, 'unknown');
    assert.match(experiment.summary.verdict.learning.sentence, /earlier version/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/**
 * The labelled verdict benchmark (presets/verdicts.yaml): every scenario whose answer is known —
 * by construction, by theory or by a PyTorch reference run — gives its expected verdict (and,
 * where stated, its verdict at initialisation and whether it learned) on seeds 0, 1 and 2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expectationMismatches } from '../../src/diagnose/expectation.js';
import { runSuite } from '../../src/experiments/run-suite.js';
import { loadSuite } from '../../src/experiments/suite.js';

const root = mkdtempSync(join(tmpdir(), 'vanishing-verdicts-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('the benchmark has at least 24 scenarios, each with a known answer and the reason it is known', () => {
  const suite = loadSuite('verdicts');
  assert.ok(suite.experiments.length >= 24, String(suite.experiments.length));
  for (const experiment of suite.experiments) {
    assert.ok(experiment.expect !== null, experiment.name);
    assert.ok(experiment.expect.verdict !== null || experiment.expect.atInitialisation !== null, experiment.name);
    assert.ok(experiment.expect.why.length > 20, experiment.name);
  }
  const kinds = new Set(suite.experiments.map((e) => e.expect?.verdict ?? e.expect?.atInitialisation));
  for (const kind of ['vanishing', 'exploding', 'diverged', 'healthy', 'borderline']) assert.ok(kinds.has(kind as never), kind);
});

for (const seed of [0, 1, 2]) {
  test(`every scenario gives its expected verdict on seed ${seed}`, async (t) => {
    const outcome = await runSuite(loadSuite('verdicts', { seed }), { outRoot: join(root, `seed-${seed}`), workers: 2 });
    const failures: string[] = [];
    for (const experiment of outcome.experiments) {
      const summary = experiment.summary;
      if (summary === null) {
        failures.push(`${experiment.name}: failed (${experiment.error ?? 'no summary'})`);
        continue;
      }
      const mismatches = expectationMismatches(summary.verdict, summary.expected);
      t.diagnostic(`${experiment.name}: ${summary.verdict.kind} (init ${summary.verdict.atInitialisation?.kind ?? '—'}, ${summary.verdict.learning.kind})${mismatches.length > 0 ? ` ✗ ${mismatches.join('; ')}` : ''}`);
      if (mismatches.length > 0) failures.push(`${experiment.name}: ${mismatches.join('; ')} — ${summary.verdict.headline}`);
    }
    assert.deepEqual(failures, []);
  });
}

/**
 * The PyTorch parity of test/model/pytorch-parity.test.ts on the native kernels explicitly, so it
 * runs whatever VANISHING_KERNELS says: loss, every gradient and ‖dL/dh_t‖ of every fixture case
 * (written by tools/reference/make_fixtures.py) within float32's 1e-4 relative error. Once per
 * build variant this machine runs (each loaded in-process), the best one first; a variant that
 * is not built or cannot run here is a skipped test that says why.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Architecture, CellType, HeadPlacement, LossKind, Nonlinearity } from '../../src/model/config.js';
import { createModel } from '../../src/model/model.js';
import { loadNativeVariant, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';

interface FixtureCase {
  name: string;
  config: {
    architecture: Architecture; cell: CellType; nonlinearity: Nonlinearity; inputSize: number; hiddenSize: number;
    numLayers: number; outputSize: number; output: HeadPlacement;
  };
  loss: LossKind;
  batchSize: number;
  steps: number;
  inputs: number[];
  targets: number[];
  parameters: { name: string; shape: number[]; data: number[] }[];
  lossValue: number;
  gradients: Record<string, number[]>;
  hiddenGradientNorms: number[][];
}

const cases = JSON.parse(readFileSync(new URL('../fixtures/pytorch/models.json', import.meta.url), 'utf8')) as FixtureCase[];

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff) / Math.sqrt(norm);
}

for (const status of nativeVariantStatuses()) {
  test(`PyTorch parity on the native ${status.variant} kernels, float32: ${cases.length} cases`, { skip: status.runnable ? false : `native ${status.variant} unavailable: ${status.why}` }, (t) => {
    const native = loadNativeVariant(status.variant);
    if (!native.ok) assert.fail(native.reason);
    const tolerance = 1e-4;
    let worst = 0;
    let worstWhere = '';
    for (const fixture of cases) {
      const model = createModel({ ...fixture.config, init: 'default', seed: 0, dtype: 'float32', kernels: native.kernels });
      assert.equal(model.kernels.name, `native ${status.variant}`);
      for (const p of fixture.parameters) model.setParameter(p.name, p.data);
      const targets = fixture.loss === 'cross_entropy' ? Int32Array.from(fixture.targets) : Float32Array.from(fixture.targets);
      const result = model.lossAndGradients({ inputs: Float32Array.from(fixture.inputs), batchSize: fixture.batchSize, steps: fixture.steps, targets, loss: fixture.loss });
      const check = (what: string, error: number) => {
        if (error > worst) {
          worst = error;
          worstWhere = `${fixture.name} ${what}`;
        }
        assert.ok(error <= tolerance, `${fixture.name} ${what}: relative error ${error.toExponential(2)}`);
      };
      check('loss', Math.abs(result.loss - fixture.lossValue) / Math.abs(fixture.lossValue));
      for (const [name, expected] of Object.entries(fixture.gradients)) {
        const actual = result.gradients.get(name);
        assert.ok(actual !== undefined, `${fixture.name}: no gradient for ${name}`);
        check(name, relativeError(actual, expected));
      }
      fixture.hiddenGradientNorms.forEach((expected, layer) => check(`‖dL/dh_t‖ layer ${layer}`, relativeError(result.hiddenGradientNorms[layer], expected)));
    }
    t.diagnostic(`largest relative error: ${worst.toExponential(2)} (${worstWhere})`);
  });
}

/**
 * The PyTorch model fixtures (test/fixtures/pytorch/models.json, written by
 * tools/reference/make_fixtures.py; see test/fixtures/pytorch/README.md) and the one comparison
 * both parity files run: test/model/pytorch-parity.test.ts on the reference kernels in float64 and
 * float32, test/kernels/native-parity.test.ts on each native build variant. Each (kernels, dtype)
 * pair is checked in one place only.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Kernels } from '../../src/kernels/kernels.js';
import type { Architecture, CellType, HeadPlacement, LossKind, Nonlinearity } from '../../src/model/config.js';
import { createModel } from '../../src/model/model.js';
import type { Dtype } from '../../src/model/parameters.js';

export interface FixtureCase {
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

export const cases = JSON.parse(readFileSync(new URL('../fixtures/pytorch/models.json', import.meta.url), 'utf8')) as FixtureCase[];

/** ‖actual − expected‖ / ‖expected‖ (the absolute difference when expected is all zeros). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff) / Math.sqrt(norm);
}

/**
 * Every case's loss, every gradient and ‖dL/dh_t‖ of every layer with PyTorch's parameters loaded,
 * each within `tolerance` relative error; returns the largest error and where it was.
 */
export function checkAllCases(kernels: Kernels, dtype: Dtype, tolerance: number): { worst: number; where: string } {
  let worst = 0;
  let where = '';
  for (const fixture of cases) {
    const model = createModel({ ...fixture.config, init: 'default', seed: 0, dtype, kernels });
    assert.equal(model.kernels.name, kernels.name, fixture.name);
    assert.deepEqual(model.parameterNames(), fixture.parameters.map((p) => p.name), fixture.name);
    for (const p of fixture.parameters) {
      assert.deepEqual(model.getParameter(p.name).shape, p.shape, `${fixture.name} ${p.name} shape`);
      model.setParameter(p.name, p.data);
    }
    const targets = fixture.loss === 'cross_entropy' ? Int32Array.from(fixture.targets) : (dtype === 'float64' ? Float64Array.from(fixture.targets) : Float32Array.from(fixture.targets));
    const inputs = dtype === 'float64' ? Float64Array.from(fixture.inputs) : Float32Array.from(fixture.inputs);
    const result = model.lossAndGradients({ inputs, batchSize: fixture.batchSize, steps: fixture.steps, targets, loss: fixture.loss });
    const check = (what: string, error: number) => {
      if (error > worst) {
        worst = error;
        where = `${fixture.name} ${what}`;
      }
      assert.ok(error <= tolerance, `${fixture.name} ${what}: relative error ${error.toExponential(2)}`);
    };
    check('loss', Math.abs(result.loss - fixture.lossValue) / Math.abs(fixture.lossValue));
    assert.deepEqual(Object.keys(fixture.gradients).sort(), model.parameterNames().sort(), `${fixture.name}: a gradient for every parameter`);
    for (const [name, expected] of Object.entries(fixture.gradients)) {
      const actual = result.gradients.get(name);
      assert.ok(actual !== undefined, `${fixture.name}: no gradient for ${name}`);
      check(name, relativeError(actual, expected));
    }
    assert.equal(result.hiddenGradientNorms.length, fixture.hiddenGradientNorms.length, `${fixture.name}: ‖dL/dh_t‖ of every layer`);
    fixture.hiddenGradientNorms.forEach((expected, layer) => check(`‖dL/dh_t‖ layer ${layer}`, relativeError(result.hiddenGradientNorms[layer], expected)));
  }
  return { worst, where };
}

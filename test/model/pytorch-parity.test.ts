/**
 * Loss, every gradient and the gradient through time against PyTorch, on the fixtures written
 * by tools/reference/make_fixtures.py (float64 PyTorch on float32-representable inputs).
 * Our float32 model must agree to a relative error of 1e-4, our float64 model to 1e-10.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createModel } from '../../src/model/model.js';
import type { Architecture, CellType, HeadPlacement, LossKind, Nonlinearity } from '../../src/model/config.js';
import type { Dtype } from '../../src/model/parameters.js';
import { defaultKernels } from '../../src/kernels/select.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';

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

const fixtureUrl = new URL('../fixtures/pytorch/models.json', import.meta.url);
const cases = JSON.parse(readFileSync(fixtureUrl, 'utf8')) as FixtureCase[];

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

const precisions: { dtype: Dtype; tolerance: number; kernels: typeof tsKernels; label: string }[] = [
  { dtype: 'float64', tolerance: 1e-10, kernels: tsKernels, label: 'float64' },
  { dtype: 'float32', tolerance: 1e-4, kernels: tsKernels, label: 'float32 ts kernels' },
];
if (defaultKernels().name !== 'ts') {
  precisions.push({ dtype: 'float32', tolerance: 1e-4, kernels: defaultKernels(), label: `float32 ${defaultKernels().name} kernels` });
}

test('the fixtures cover every cell, architecture, nonlinearity, head and loss', () => {
  const seen = new Set(cases.map((c) => `${c.config.architecture}/${c.config.cell}/${c.config.cell === 'rnn' ? c.config.nonlinearity : '-'}/${c.config.output}/${c.loss}`));
  assert.equal(seen.size, 2 * 4 * 2 * 2);
});

for (const { dtype, tolerance, kernels, label } of precisions) {
  test(`PyTorch parity, ${label}: loss, gradients and ‖dL/dh_t‖ of ${cases.length} cases`, (t) => {
    let worst = 0;
    let worstWhere = '';
    for (const fixture of cases) {
      const model = createModel({ ...fixture.config, init: 'default', seed: 0, dtype, kernels });
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
          worstWhere = `${fixture.name} ${what}`;
        }
        assert.ok(error <= tolerance, `${fixture.name} ${what}: relative error ${error.toExponential(2)}`);
      };
      check('loss', Math.abs(result.loss - fixture.lossValue) / Math.abs(fixture.lossValue));
      for (const [name, expected] of Object.entries(fixture.gradients)) check(name, relativeError(result.gradients.get(name)!, expected));
      fixture.hiddenGradientNorms.forEach((expected, layer) => check(`‖dL/dh_t‖ layer ${layer}`, relativeError(result.hiddenGradientNorms[layer], expected)));
    }
    t.diagnostic(`largest relative error: ${worst.toExponential(2)} (${worstWhere})`);
  });
}

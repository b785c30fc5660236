/**
 * Optimiser steps and gradient surgery against PyTorch (test/fixtures/pytorch/optimizers.json,
 * written by tools/reference/make_optimizer_fixtures.py): five steps of SGD (plain, momentum,
 * weight decay), Adam (with and without weight decay), clipping and the minimum-norm rescale.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Parameter } from '../../src/model/parameters.js';
import { createOptimizer } from '../../src/train/optimizers.js';
import type { OptimizerOptions } from '../../src/train/optimizers.js';
import { measureGradientNorms, rescaleGradients } from '../../src/train/gradient-surgery.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';

interface OptimizerCase {
  name: string;
  optimizer: OptimizerOptions;
  clipMaxNorm: number | null;
  clipMinNorm: number | null;
  parameters: { name: string; shape: number[]; data: number[] }[];
  steps: { gradients: Record<string, number[]>; totalNorm: number; gradientsAfterSurgery: Record<string, number[]>; parametersAfter: Record<string, number[]> }[];
}

const cases = JSON.parse(readFileSync(new URL('../fixtures/pytorch/optimizers.json', import.meta.url), 'utf8')) as OptimizerCase[];

function close(actual: ArrayLike<number>, expected: number[], tolerance: number, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1e-3, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

for (const dtype of ['float64', 'float32'] as const) {
  const tolerance = dtype === 'float64' ? 1e-10 : 1e-5;
  for (const fixture of cases) {
    test(`${fixture.name} matches torch.optim over 5 steps (${dtype})`, () => {
      const make = (values: number[]) => (dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values));
      const parameters: Parameter[] = fixture.parameters.map((p) => ({ name: p.name, shape: p.shape, data: make(p.data), grad: make(p.data.map(() => 0)) }));
      const optimizer = createOptimizer(parameters, fixture.optimizer);
      fixture.steps.forEach((step, index) => {
        for (const p of parameters) p.grad.set(step.gradients[p.name]);
        const norms = measureGradientNorms(parameters, tsKernels);
        assert.ok(Math.abs(norms.total - step.totalNorm) <= tolerance * step.totalNorm, `step ${index} total norm`);
        rescaleGradients(parameters, tsKernels, norms.total, { maxNorm: fixture.clipMaxNorm, minNorm: fixture.clipMinNorm });
        for (const p of parameters) close(p.grad, step.gradientsAfterSurgery[p.name], tolerance, `step ${index} ${p.name} grad`);
        optimizer.step();
        for (const p of parameters) close(p.data, step.parametersAfter[p.name], tolerance, `step ${index} ${p.name}`);
      });
    });
  }
}

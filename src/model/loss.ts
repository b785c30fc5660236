/**
 * Losses on the head's logits, with PyTorch's reductions:
 * - `cross_entropy`: F.cross_entropy, mean over the rows (B for the last step, T·B for every step);
 * - `mse`: F.mse_loss, mean over every element.
 * Both write dL/d(logits) for the backward pass.
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import type { LossKind } from './config.js';

export interface LossValue {
  loss: number;
  /** Rows whose arg-max is the target class (cross-entropy; 0 for MSE). */
  correct: number;
  /** With `rowsPerStep` (a head at every step, cross-entropy): the correct rows of each step. */
  correctPerStep: Int32Array | null;
}

/**
 * targets are time-major like the logits: Int32Array class ids, one per row, for cross-entropy;
 * a float array of rows × classes values for MSE. With `rowsPerStep` (the batch size of a head
 * at every step) cross-entropy also counts the correct rows step by step, so a task can score
 * only the steps that matter (the copy task's recall), into `correctPerStep` when given (a buffer
 * of exactly rows / rowsPerStep entries the caller keeps, so a training step allocates nothing;
 * the returned counts are then that buffer, overwritten by the next call).
 */
export function computeLoss(
  kind: LossKind,
  kernels: Kernels,
  logits: FloatArray,
  rows: number,
  classes: number,
  targets: Int32Array | FloatArray,
  dLogits: FloatArray,
  rowsPerStep?: number,
  correctPerStep?: Int32Array,
): LossValue {
  if (kind === 'cross_entropy') {
    if (rowsPerStep === undefined) {
      const { lossSum, correct } = kernels.softmaxCrossEntropy(rows, classes, logits, 0, targets as Int32Array, 0, dLogits, 0, 1 / rows);
      return { loss: lossSum / rows, correct, correctPerStep: null };
    }
    const steps = rows / rowsPerStep;
    const counts = correctPerStep !== undefined && correctPerStep.length === steps ? correctPerStep : new Int32Array(steps);
    let lossSum = 0;
    for (let t = 0; t < steps; t++) {
      const first = t * rowsPerStep;
      const step = kernels.softmaxCrossEntropy(rowsPerStep, classes, logits, first * classes, targets as Int32Array, first, dLogits, first * classes, 1 / rows);
      lossSum += step.lossSum;
      counts[t] = step.correct;
    }
    return { loss: lossSum / rows, correct: counts.reduce((sum, c) => sum + c, 0), correctPerStep: counts };
  }
  const n = rows * classes;
  const sum = kernels.squaredError(n, logits, 0, targets as FloatArray, 0, dLogits, 0, 1 / n);
  return { loss: sum / n, correct: 0, correctPerStep: null };
}

/** Rejects targets of the wrong type, length or range with a message naming the value. */
export function validateTargets(kind: LossKind, targets: unknown, expectedLength: number, classes: number, lengthFormula: string): void {
  if (kind === 'cross_entropy') {
    if (!(targets instanceof Int32Array)) {
      throw new Error(`targets must be an Int32Array of class ids for loss cross_entropy; got ${describe(targets)}`);
    }
    if (targets.length !== expectedLength) {
      throw new Error(`targets has length ${targets.length}, expected ${lengthFormula} = ${expectedLength}`);
    }
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (target < 0 || target >= classes) throw new Error(`targets[${i}] = ${target} is not a class id in [0, ${classes})`);
    }
    return;
  }
  if (!(targets instanceof Float32Array || targets instanceof Float64Array)) {
    throw new Error(`targets must be a Float32Array or Float64Array for loss mse; got ${describe(targets)}`);
  }
  if (targets.length !== expectedLength) {
    throw new Error(`targets has length ${targets.length}, expected ${lengthFormula} = ${expectedLength}`);
  }
  for (let i = 0; i < targets.length; i++) {
    if (!Number.isFinite(targets[i])) throw new Error(`targets[${i}] = ${targets[i]} is not finite`);
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

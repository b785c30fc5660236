/**
 * The measurements the mean-field prediction is compared with: a freshly initialised model and
 * one backward pass over random inputs of a stated variance, read in one of two ways —
 * - measurePerStepFactor: the per-step factor of ‖dL/dh_t‖ between two steps in the middle of the
 *   sequence, away from the first steps (h_{−1} = 0: q_t has not reached q* yet) and the last
 *   (where the head's gradient enters);
 * - measureLikeDiagnosis: the rates the diagnosis itself fits on a first batch (measures.ts).
 */
import type { Kernels } from '../kernels/kernels.js';
import type { ModelOptions } from '../model/config.js';
import type { LossAndGradients } from '../model/model.js';
import { createModel } from '../model/model.js';
import { SeededRandom } from '../random.js';
import type { Snapshot } from '../diagnose/measures.js';
import { measureDepth, measureTime } from '../diagnose/measures.js';

export interface PerStepMeasurement {
  /**
   * Geometric mean of ‖dL/dh_{t−1}‖ / ‖dL/dh_t‖ over steps from..to of the bottom layer, averaged
   * (geometrically) over the seeds: the factor per step back, as the diagnosis's ×/step reads it.
   */
  perStep: number;
  /** The same, seed by seed. */
  perSeed: number[];
}

export interface PerStepMeasurementOptions {
  /** The model, without `seed` (the seeds are given here) and without the task's sizes. */
  model: Omit<ModelOptions, 'seed' | 'outputSize' | 'kernels'>;
  steps: number;
  batchSize: number;
  /** Variance of every input value, drawn N(0, inputVariance): E‖x_t‖² = inputVariance · inputSize. */
  inputVariance: number;
  /** Steps (0 = first) between which the factor is read; from < to. */
  window: { from: number; to: number };
  seeds: readonly number[];
  kernels?: Kernels;
}

/** One backward pass of a model initialised with `seed`, on inputs N(0, inputVariance) and random classes at the last step. */
function backwardAtInitialisation(options: Omit<PerStepMeasurementOptions, 'window'>, seed: number): LossAndGradients {
  const { steps, batchSize } = options;
  const classes = 4;
  const model = createModel({ ...options.model, outputSize: classes, seed, ...(options.kernels === undefined ? {} : { kernels: options.kernels }) });
  const random = new SeededRandom(seed).fork('theory-inputs');
  const scale = Math.sqrt(options.inputVariance);
  const inputs = new Float32Array(batchSize * steps * options.model.inputSize).map(() => scale * random.normal());
  const targets = new Int32Array(batchSize).map(() => random.integer(classes));
  return model.lossAndGradients({ inputs, targets, batchSize, steps });
}

/** Measures the per-step factor of the gradient back through time at initialisation (see PerStepMeasurementOptions). */
export function measurePerStepFactor(options: PerStepMeasurementOptions): PerStepMeasurement {
  const { window, seeds } = options;
  const perSeed = seeds.map((seed) => {
    const norms = backwardAtInitialisation(options, seed).hiddenGradientNorms[0];
    return Math.exp((Math.log(norms[window.from]) - Math.log(norms[window.to])) / (window.to - window.from));
  });
  const perStep = Math.exp(perSeed.reduce((sum, factor) => sum + Math.log(factor), 0) / perSeed.length);
  return { perStep, perSeed };
}

export interface DiagnosisMeasurement {
  /** The input gradient's factor per step back over the lag, fitted by the diagnosis (its "arrival"). */
  perStep: number;
  /** The gradient arriving per layer, √Σ_t ‖dL/dh_t‖², its factor per layer down, fitted by the diagnosis; null with one layer. */
  perLayer: number | null;
}

/**
 * What the diagnosis reads at initialisation (diagnose/measures.ts on the first batch), averaged
 * geometrically over the seeds: the per-step rate of ‖dL/dx_t‖ over `requiredLag` and the
 * per-layer rate of the gradient arriving at each layer.
 */
export function measureLikeDiagnosis(options: Omit<PerStepMeasurementOptions, 'window'> & { requiredLag: number }): DiagnosisMeasurement {
  const logs = options.seeds.map((seed) => {
    const measured = backwardAtInitialisation(options, seed);
    const hiddenGradient = measured.hiddenGradientNorms.map((profile) => [...profile]);
    const arriving = hiddenGradient.map((profile) => Math.sqrt(profile.reduce((sum, norm) => sum + norm * norm, 0)));
    const snapshot: Snapshot = {
      inputGradient: [...measured.inputGradientNorms], hiddenGradient, depth: arriving, depthKind: 'gradient', depthGradient: null,
      arrivingGradient: arriving, activationRms: null, saturatedFraction: null, loss: measured.loss,
    };
    const time = measureTime(snapshot, options.requiredLag)?.arrival ?? null;
    const depth = measureDepth(snapshot)?.arriving ?? null;
    if (time === null) throw new Error('no gradient arrived at the input: nothing to fit');
    return { time: time.fit.slope, depth: depth === null ? null : depth.fit.slope };
  });
  const meanOf = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  const depthSlopes = logs.map((log) => log.depth).filter((slope): slope is number => slope !== null);
  return {
    perStep: Math.exp(meanOf(logs.map((log) => log.time))),
    perLayer: depthSlopes.length === 0 ? null : Math.exp(meanOf(depthSlopes)),
  };
}

/**
 * `vanishing predict`: the mean-field prediction at initialisation (theory/mean-field.ts) for every
 * experiment of a suite, before anything is trained. The task's side comes from the experiment's
 * own data — the same dataset and seed `run` would load — so the input drive E‖x_t‖² is measured
 * on the training split rather than assumed, and the lag is the one the diagnosis will judge.
 */
import type { SequenceDataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { resolveModelConfig } from '../model/config.js';
import type { ResolvedModelConfig } from '../model/config.js';
import { datasetOptions } from '../experiments/run-experiment.js';
import type { ExperimentConfig, Suite } from '../experiments/suite.js';
import { modelOptionsFromFile } from '../experiments/suite.js';
import type { FixedPointPrediction, MeanFieldPrediction } from '../theory/mean-field.js';
import { noTheoryReason, predictMeanField } from '../theory/mean-field.js';
import { inputSquaredNorm } from '../theory/prediction-record.js';

/** Below this width the large-width limit is a rough guide (the deviations go as 1/√H). */
const NARROW_WIDTH = 64;

/** A number in 3 significant digits, in exponent form when very small or large. */
function show(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '∞';
  if (value === Number.NEGATIVE_INFINITY) return '−∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) return value.toExponential(2).replace('e+', 'e');
  return Number(value.toPrecision(3)).toString();
}

function describeModel(model: ResolvedModelConfig): string {
  const cell = model.cell === 'rnn' ? `rnn ${model.nonlinearity}` : model.cell;
  return `${cell}, ${model.init} init, gain ${show(model.recurrentGain)}, ${model.numLayers} × ${model.hiddenSize} units, ${model.architecture}`;
}

/** "×0.86/step, ξ = 13 steps" (shrinking) or "×1.04/step, grows e-fold every 25 steps". */
function rateWords(fixedPoint: FixedPointPrediction): string {
  const factor = `×${show(fixedPoint.perStep)}/step (√χ)`;
  if (fixedPoint.chi === 1) return `${factor}, ξ = ∞ (the order–chaos boundary)`;
  if (fixedPoint.chi < 1) return `${factor}, ξ = ${show(fixedPoint.scale)} steps (−1/ln √χ; −1/ln χ = ${show(fixedPoint.scaleSquared)})`;
  return `${factor}, grows e-fold every ${show(-fixedPoint.scale)} steps`;
}

/** "q* = 0.39", or, where the variance map has no fixed point (linear or ReLU with σ_hh²·slope ≥ 1), that it grows. */
function fixedPointWords(fixedPoint: FixedPointPrediction): string {
  return Number.isFinite(fixedPoint.q) ? `q* = ${show(fixedPoint.q)}` : 'q* = ∞ (no fixed point: the variance grows every step)';
}

function predictionLines(prediction: MeanFieldPrediction, model: ResolvedModelConfig): string[] {
  const { variances, layers } = prediction;
  const lines = [
    `  weights: σ_hh² = ${show(variances.recurrent)}, σ_ih² = ${show(variances.inputFirst)}${model.numLayers > 1 ? ` (layers above: ${show(variances.inputAbove)})` : ''}, σ_b² = ${show(variances.bias)}; input mean square ${show(prediction.inputMeanSquare)} per feature`,
  ];
  const first = layers[0];
  lines.push(`  through time (bottom layer at its fixed point): ${fixedPointWords(first)}, χ = ${show(first.chi)}, ${rateWords(first)}`);
  if (layers.length > 1) {
    const top = layers[layers.length - 1];
    lines.push(`  through time (top layer): ${fixedPointWords(top)}, χ = ${show(top.chi)}, ${rateWords(top)}`);
  }
  if (prediction.time !== null) {
    const { lag, perStep, endToEnd } = prediction.time;
    lines.push(`  over the required lag of ${lag} steps (from h = 0, as the diagnosis fits ‖dL/dx_t‖): ×${show(perStep)}/step, end to end ${show(endToEnd)}`);
  }
  if (prediction.depth !== null) {
    const { perLayer, bottomOverTop, verticalChi } = prediction.depth;
    lines.push(`  down the stack (gradient arriving per layer): ×${show(perLayer)}/layer, bottom over top ${show(bottomOverTop)} (vertical χ = ${show(verticalChi)} per layer)`);
  }
  if (prediction.exact) lines.push('  exact at any width: linear cell, orthogonal (or identity) W_hh');
  else if (model.hiddenSize < NARROW_WIDTH) lines.push(`  (a large-width theory: at ${model.hiddenSize} units expect deviations of order 1/√${model.hiddenSize})`);
  return lines;
}

/**
 * The prediction for every experiment of `suite`, as text. Each experiment's dataset is loaded as
 * `run` loads it (same options and seed; loaded once per distinct data section and seed).
 */
export function predictText(suite: Suite): string {
  const datasets = new Map<string, SequenceDataset>();
  const datasetOf = (experiment: ExperimentConfig): SequenceDataset => {
    const key = JSON.stringify([experiment.data, experiment.training.seed]);
    let dataset = datasets.get(key);
    if (dataset === undefined) {
      dataset = loadDataset(datasetOptions(experiment.data), experiment.training.seed);
      datasets.set(key, dataset);
    }
    return dataset;
  };
  const out = [
    `Mean-field prediction at initialisation for ${suite.name} (Schoenholz et al. 2017; Chen, Pennington & Schoenholz 2018).`,
    'The per-step factors are of the gradient norm ‖dL/dh_t‖, as `run` measures it; no prediction holds once the weights are trained.',
  ];
  for (const experiment of suite.experiments) {
    const m = experiment.model;
    out.push('');
    // The reason needs no data: a gated cell or a nonlinear IRNN is answered without loading any.
    const early = noTheoryReason({ cell: m.cell, init: m.init, nonlinearity: m.nonlinearity, architecture: m.architecture, numLayers: m.num_layers });
    if (early !== null) {
      out.push(`${experiment.name}: ${early}`);
      continue;
    }
    const dataset = datasetOf(experiment);
    const model = resolveModelConfig(modelOptionsFromFile(m, dataset, experiment.training.seed));
    const requiredLag = experiment.diagnosis.required_lag === null ? dataset.requiredLag.steps : Math.min(experiment.diagnosis.required_lag, dataset.steps - 1);
    out.push(`${experiment.name} (${describeModel(model)}) on ${dataset.name}: ${dataset.steps} steps, required lag ${requiredLag}`);
    const prediction = predictMeanField(model, { inputSquaredNorm: inputSquaredNorm(dataset), requiredLag });
    if (!prediction.applies) out.push(`  ${prediction.reason}`);
    else out.push(...predictionLines(prediction, model));
  }
  return out.join('\n');
}

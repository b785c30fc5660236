/**
 * The verdict on one experiment — vanishing, exploding, healthy or diverged — and the evidence
 * in sentences, from the recorded metrics alone.
 *
 * Measures (on the last `judgedEpochs` epochs, averaged):
 * - depth: each layer's recurrent-weight gradient norm; the bottom layer's over the top
 *   layer's is the end-to-end ratio, its (L−1)-th root the ratio per layer (geometric mean);
 * - time: ‖dL/dh_t‖ at the first step over the last step in the top layer (where the loss
 *   enters), and its (T−1)-th root, the ratio per step; the bottom layer's is reported too;
 * - absolute: the smallest per-parameter gradient norm against the original's 1e-6, exact
 *   zeros counted as vanished;
 * - trend: the total gradient norm's factor per epoch (geometric, first to last epoch);
 * - step size: the largest update-to-weight ratio.
 * Vanishing needs a ratio below `vanishingRatio` (or a gradient below the absolute threshold);
 * exploding needs a ratio above 1/`vanishingRatio`… see DiagnosisThresholds. When both show,
 * the verdict is exploding (it ends training first) and the evidence states both.
 */
import type { DivergenceRecord, EpochRecord, RecordedNumber, Verdict, VerdictKind } from '../record/metrics.js';
import { decodeNumber, encodeNumber } from '../record/metrics.js';
import { recurrentWeightNames } from './parameter-layers.js';

export interface DiagnosisThresholds {
  /**
   * A gradient norm at or below this counts as vanished (the original's 1e-6). Default 1e-6.
   */
  absoluteVanishing: number;
  /**
   * An end-to-end ratio (bottom layer over top layer, or first step over last step) below
   * this is vanishing; above its inverse, exploding. Default 1e-3: a bottom layer whose
   * gradient is a thousandth of the top's learns a thousand times slower, which over a
   * training run of thousands of steps is the difference between learning and standing still.
   */
  vanishingRatio: number;
  /**
   * An update larger than this fraction of the weights, for any parameter, is exploding.
   * Default 1: a step as large as the weights themselves throws away what was learnt.
   */
  explodingUpdateRatio: number;
  /**
   * A total gradient norm that grows (or shrinks) by more than this factor per epoch is a
   * trend worth stating as exploding (or vanishing) over epochs. Default 10.
   */
  trendFactorPerEpoch: number;
  /** How many final epochs the verdict averages over. Default 1 (the last epoch). */
  judgedEpochs: number;
}

export const defaultDiagnosisThresholds: DiagnosisThresholds = {
  absoluteVanishing: 1e-6,
  vanishingRatio: 1e-3,
  explodingUpdateRatio: 1,
  trendFactorPerEpoch: 10,
  judgedEpochs: 1,
};

/** JSON Schema of the thresholds (camelCase keys), for validating experiment files. */
export const diagnosisThresholdsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    absoluteVanishing: { type: 'number', exclusiveMinimum: 0 },
    vanishingRatio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    explodingUpdateRatio: { type: 'number', exclusiveMinimum: 0 },
    trendFactorPerEpoch: { type: 'number', exclusiveMinimum: 1 },
    judgedEpochs: { type: 'integer', minimum: 1 },
  },
} as const;

export interface DiagnosisInput {
  epochs: readonly EpochRecord[];
  divergence: DivergenceRecord | null;
  /** Parameter names in PyTorch order. */
  parameterNames: readonly string[];
  numLayers: number;
  /**
   * True when the loss is read at every step (a per-step head, e.g. the copy task). Then
   * ‖∂L/∂h_1‖ holds step 1's own loss besides what flows back from later steps, so the
   * first-over-last ratio says nothing about how far back the signal reaches: it is reported,
   * not judged.
   */
  lossAtEveryStep?: boolean;
}

/** Compact number for sentences: 0.67 or 4.8e-4. */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 0.01 && magnitude < 1000) return Number(value.toPrecision(2)).toString();
  return value.toExponential(1).replace('e+', 'e');
}

function meanOver(epochs: readonly EpochRecord[], pick: (e: EpochRecord) => RecordedNumber | null | undefined): number {
  let sum = 0;
  for (const e of epochs) sum += decodeNumber(pick(e) ?? 'NaN');
  return sum / epochs.length;
}

/** a/b with 0/0 = 1 (nothing to compare) and x/0 = Infinity. */
function ratio(a: number, b: number): number {
  if (a === 0 && b === 0) return 1;
  return a / b;
}

/** "a", "a and b", "a, b and c". */
function listInWords(parts: readonly string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}`;
}

function perStep(endToEnd: number, steps: number): number {
  return steps > 0 ? endToEnd ** (1 / steps) : 1;
}

function shortName(name: string): string {
  return name.replace(/^rnn\./, '').replace(/^rnn_layers\.(\d+)\./, 'layer $1 ');
}

export function diagnose(input: DiagnosisInput, overrides: Partial<DiagnosisThresholds> = {}): Verdict {
  const thresholds = { ...defaultDiagnosisThresholds, ...overrides };
  const evidence: string[] = [];
  const measures: Record<string, RecordedNumber | null> = {};
  const { epochs, divergence } = input;

  if (divergence !== null) {
    evidence.push(`Training diverged at epoch ${divergence.epoch}, batch ${divergence.batch}: ${divergence.reason}.`);
    const before = epochs.at(-1);
    if (before !== undefined) {
      evidence.push(`Before that, in epoch ${before.epoch}, the total gradient norm averaged ${formatNumber(decodeNumber(before.meanTotalGradientNorm))} and the loss ${formatNumber(decodeNumber(before.meanLoss))}.`);
    } else {
      evidence.push('It diverged in the first epoch, before any epoch completed.');
    }
    measures.divergedEpoch = divergence.epoch;
    measures.divergedBatch = divergence.batch;
    return { kind: 'diverged', headline: `Training diverged (${divergence.reason}) at epoch ${divergence.epoch}, batch ${divergence.batch}.`, evidence, measures };
  }
  if (epochs.length === 0) {
    return { kind: 'healthy', headline: 'No epoch was recorded, so nothing could be judged.', evidence: ['The run recorded no complete epoch.'], measures };
  }

  const judged = epochs.slice(-Math.min(thresholds.judgedEpochs, epochs.length));
  const span = judged.length === 1 ? `epoch ${judged[0].epoch}` : `epochs ${judged[0].epoch}–${judged.at(-1)!.epoch}`;
  // Where gradients vanished or exploded, one entry per finding ("down the stack", "back through
  // time", …): the verdict is whichever list is non-empty, the headline names the places.
  const vanishingWhere: string[] = [];
  const explodingWhere: string[] = [];

  // Depth: the recurrent weights' gradients from the top layer down to the bottom one.
  const recurrent = recurrentWeightNames(input.parameterNames);
  if (recurrent.length >= 2) {
    const norms = recurrent.map((name) => meanOver(judged, (e) => e.meanGradientNorms[name]));
    const bottom = norms[0];
    const top = norms[norms.length - 1];
    const endToEnd = ratio(bottom, top);
    const layers = norms.length - 1;
    const each = perStep(endToEnd, layers);
    measures.depthRatioEndToEnd = encodeNumber(endToEnd);
    measures.depthRatioPerLayer = encodeNumber(each);
    const [bottomName, topName] = [shortName(recurrent[0]), shortName(recurrent[layers])];
    if (endToEnd < thresholds.vanishingRatio) {
      vanishingWhere.push('down the stack');
      if (endToEnd === 0) {
        const silent = norms.findIndex((norm) => norm !== 0);
        evidence.push(`Down the stack: no gradient at all reaches ${silent === 1 ? 'layer 0' : `layers 0–${silent - 1}`}: their recurrent weights' gradient is exactly 0 (underflowed or dead units), while the top layer's (${topName}) is ${formatNumber(top)}.`);
      } else {
        evidence.push(`Down the stack: ${bottomName}'s gradient is ${formatNumber(endToEnd)} of the top layer's (${topName}): it shrinks about ${formatNumber(each)}× per layer over ${layers} layers.`);
      }
    } else if (endToEnd > 1 / thresholds.vanishingRatio) {
      explodingWhere.push('toward the input layers');
      evidence.push(`Down the stack the gradient GROWS toward the input: ${bottomName}'s gradient is ${formatNumber(endToEnd)}× the top layer's (${topName}), about ${formatNumber(each)}× per layer over ${layers} layers.`);
    } else {
      evidence.push(`Down the stack the gradient holds up: ${bottomName}'s is ${formatNumber(endToEnd)}× the top layer's (${topName}), about ${formatNumber(each)}× per layer.`);
    }
  }

  // Time: ‖dL/dh_t‖ at the first step against the last. Judged in the top layer, where the loss
  // enters: there the ratio is the decay back through time alone. A lower layer receives gradient
  // from the layer above at every step, so its first-over-last ratio mixes depth and time (in a
  // deep stack the last step's gradient has only the short vertical path, step 1 many longer
  // ones); it is reported as a measure, not judged.
  const hidden = judged.map((e) => e.meanHiddenGradientNorms).filter((h): h is RecordedNumber[][] => h !== null);
  if (hidden.length > 0 && hidden[0][0].length >= 2) {
    const steps = hidden[0][0].length;
    const timeRatio = (layer: number): { endToEnd: number; each: number; last: number } => {
      const first = hidden.reduce((sum, h) => sum + decodeNumber(h[layer][0]), 0) / hidden.length;
      const last = hidden.reduce((sum, h) => sum + decodeNumber(h[layer][steps - 1]), 0) / hidden.length;
      const endToEnd = ratio(first, last);
      return { endToEnd, each: perStep(endToEnd, steps - 1), last };
    };
    const topLayer = input.numLayers - 1;
    const top = timeRatio(topLayer);
    const bottom = timeRatio(0);
    measures.timeRatioEndToEnd_top = encodeNumber(top.endToEnd);
    measures.timeRatioPerStep_top = encodeNumber(top.each);
    measures.timeRatioEndToEnd_bottom = encodeNumber(bottom.endToEnd);
    measures.timeRatioPerStep_bottom = encodeNumber(bottom.each);
    const where = input.numLayers > 1 ? `In the top layer (${topLayer}), where the loss enters, the` : 'The';
    if (input.lossAtEveryStep === true) {
      evidence.push(`The loss is read at every step, so each step's ‖∂L/∂h_t‖ holds that step's own loss besides what flows back from later steps: the ratio of step 1 to step ${steps}${input.numLayers > 1 ? ' in the top layer' : ''}, ${formatNumber(top.endToEnd)} (${formatNumber(top.each)}× per step), is reported, not judged.`);
    } else if (top.endToEnd < thresholds.vanishingRatio) {
      vanishingWhere.push('back through time');
      evidence.push(top.endToEnd === 0
        ? `${where} gradient underflows to exactly 0 before it reaches step 1, from ${formatNumber(top.last)} at step ${steps}.`
        : `${where} gradient reaching step 1 is ${formatNumber(top.endToEnd)} of the gradient at step ${steps}: about ${formatNumber(top.each)}× per step back through time.`);
    } else if (top.endToEnd > 1 / thresholds.vanishingRatio) {
      explodingWhere.push('back through time');
      evidence.push(`${where} gradient GROWS back through time: at step 1 it is ${formatNumber(top.endToEnd)}× the gradient at step ${steps}, about ${formatNumber(top.each)}× per step.`);
    } else {
      const how = top.endToEnd < 0.1 ? 'weakens but survives' : 'survives';
      evidence.push(`${where} gradient ${how} the trip back through time: at step 1 it is ${formatNumber(top.endToEnd)}× the gradient at step ${steps} (${formatNumber(top.each)}× per step).`);
    }
    if (input.numLayers > 1) {
      const received = Number.isFinite(bottom.endToEnd)
        ? `step 1 receives ${formatNumber(bottom.endToEnd)}× the gradient of step ${steps}`
        : `the gradient at step ${steps} underflowed to exactly 0`;
      evidence.push(`In the bottom layer, which takes its gradient from the layer above at every step, ${received}.`);
    }
  } else {
    evidence.push('The gradient through time was not recorded in the judged epochs, so it could not be judged.');
  }

  // Absolute: the original's threshold on the smallest per-parameter gradient.
  let smallestName = input.parameterNames[0] ?? '';
  let smallest = Infinity;
  for (const name of input.parameterNames) {
    const norm = meanOver(judged, (e) => e.meanGradientNorms[name]);
    if (norm < smallest) {
      smallest = norm;
      smallestName = name;
    }
  }
  measures.minLayerGradientNorm = encodeNumber(smallest);
  const zeros = input.parameterNames.filter((name) => meanOver(judged, (e) => e.meanGradientNorms[name]) === 0);
  measures.zeroGradientParameters = zeros.length;
  if (zeros.length > 0) {
    vanishingWhere.push('to exactly 0 in some parameters');
    evidence.push(`${zeros.length} parameter${zeros.length > 1 ? 's' : ''} had exactly zero gradient in ${span} (${zeros.slice(0, 3).join(', ')}${zeros.length > 3 ? ', …' : ''}): underflowed or dead, counted as vanished.`);
  } else if (smallest <= thresholds.absoluteVanishing) {
    vanishingWhere.push(`below ${formatNumber(thresholds.absoluteVanishing)} in ${shortName(smallestName)}`);
    evidence.push(`The smallest gradient, ${smallestName}'s, averages ${formatNumber(smallest)} in ${span}, at or below the vanishing threshold ${formatNumber(thresholds.absoluteVanishing)}.`);
  } else {
    evidence.push(`The smallest gradient, ${smallestName}'s, averages ${formatNumber(smallest)} in ${span} (vanishing threshold ${formatNumber(thresholds.absoluteVanishing)}).`);
  }

  // Step size: an update as large as the weights themselves.
  let largestUpdate = 0;
  let largestUpdateName = '';
  for (const name of input.parameterNames) {
    const value = meanOver(judged, (e) => e.meanUpdateToWeightRatio[name]);
    if (value > largestUpdate) {
      largestUpdate = value;
      largestUpdateName = name;
    }
  }
  measures.largestUpdateToWeightRatio = encodeNumber(largestUpdate);
  if (largestUpdate > thresholds.explodingUpdateRatio) {
    explodingWhere.push('into updates as large as the weights');
    evidence.push(`Updates are too large: ${largestUpdateName} moves by ${formatNumber(largestUpdate)}× its own norm per step.`);
  }

  // Trend over epochs.
  if (epochs.length >= 2) {
    const first = decodeNumber(epochs[0].meanTotalGradientNorm);
    const last = decodeNumber(epochs.at(-1)!.meanTotalGradientNorm);
    const factor = perStep(ratio(last, first), epochs.length - 1);
    measures.totalNormTrendPerEpoch = encodeNumber(factor);
    const sentence = `Over ${epochs.length} epochs the total gradient norm went from ${formatNumber(first)} to ${formatNumber(last)} (${formatNumber(factor)}× per epoch).`;
    if (factor > thresholds.trendFactorPerEpoch) explodingWhere.push('from epoch to epoch');
    if (factor < 1 / thresholds.trendFactorPerEpoch) vanishingWhere.push('from epoch to epoch');
    evidence.push(sentence);
  }

  const saturation = judged.at(-1)!.meanSaturatedFraction;
  if (saturation.length > 0) {
    const worst = saturation.reduce((best, value, layer) => (value > saturation[best] ? layer : best), 0);
    measures.largestSaturatedFraction = saturation[worst];
    if (saturation[worst] >= 0.5) evidence.push(`Layer ${worst} has ${Math.round(100 * saturation[worst])} % of its units saturated or dead, where almost no gradient passes.`);
  }

  const vanishing = vanishingWhere.length > 0;
  const exploding = explodingWhere.length > 0;
  let kind: VerdictKind = 'healthy';
  let headline = 'Gradients are healthy: they reach every layer and every time step without vanishing or exploding.';
  if (exploding) {
    kind = 'exploding';
    headline = `Gradients explode ${listInWords(explodingWhere)}${vanishing ? ` (and vanish ${listInWords(vanishingWhere)})` : ''}: they grow out of proportion on the way back.`;
  } else if (vanishing) {
    kind = 'vanishing';
    // Depth and time say where the signal is lost; the other findings are named only when neither does.
    const depth = vanishingWhere.includes('down the stack');
    const time = vanishingWhere.includes('back through time');
    const places = depth || time ? vanishingWhere.filter((where) => where === 'down the stack' || where === 'back through time') : vanishingWhere;
    const victims = depth && time ? 'the lower layers and the early time steps' : depth ? 'the lower layers' : time ? 'the early time steps' : 'some parameters';
    headline = `Gradients vanish ${listInWords(places)}: ${victims} receive almost no learning signal.`;
  }
  return { kind, headline, evidence, measures };
}

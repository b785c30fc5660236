/**
 * The numbers the verdict rests on, computed from recorded metrics: how fast the gradient decays
 * (or grows) back through time and down the stack, whether the forward signal survives the way
 * up, how the total gradient norm behaved over the whole run, and how the loss compares with
 * chance. No judgement here (rules.ts) and no words (sentences.ts).
 */
import type { RateFit } from './rate-fit.js';
import { fitRange, fitRate } from './rate-fit.js';

/**
 * What was recorded at one moment: the first batch (at initialisation, before any update) or the
 * judged final epochs. Profiles are indexed bottom layer first and step 0 first.
 */
export interface Snapshot {
  /** ‖dL/dx_t‖ per step: what arrives at the input (from the last-step probe when the loss is read at every step). */
  inputGradient: number[] | null;
  /** ‖dL/dh_t‖ per layer and step (from the probe when the loss is read at every step). */
  hiddenGradient: number[][] | null;
  /** Per layer, what depth is judged on: the recurrent weights' gradient norm, or their update-to-weight ratio. */
  depth: number[] | null;
  depthKind: 'gradient' | 'update';
  /** Per layer, the recurrent weights' gradient norm (reported beside update ratios). */
  depthGradient: number[] | null;
  /**
   * Per layer, the gradient arriving at its hidden states over all steps, √Σ_t ‖dL/dh_t‖²; judged
   * beside the weights' gradient at initialisation, because a weight's gradient is this times the
   * forward activations and stays level when both die (or both blow up) in opposite directions.
   */
  arrivingGradient: number[] | null;
  /** Per layer, the RMS of the signal it passes on. */
  activationRms: number[] | null;
  /** Per layer, the saturated or dead fraction of units. */
  saturatedFraction: number[] | null;
  /** The training loss of the batch (initialisation) or the epochs' mean (end). */
  loss: number;
}

/** A rate fitted over a distance, and that distance in the rate's time constants. */
export interface RateOverDistance {
  fit: RateFit;
  /** The distance judged: K steps, or L − 1 layers. */
  distance: number;
  /**
   * distance / ξ with ξ = −1/ln ρ, signed: positive when the gradient shrinks over the distance,
   * negative when it grows. The far end receives e^−span of the near end's.
   */
  span: number;
}

export interface TimeMeasure {
  /** The gradient arriving at the input, by lag back from the answer: decides vanishing through time. */
  arrival: RateOverDistance | null;
  /** The top layer's own recurrence (where the loss enters, no other path mixes in): decides exploding through time. */
  recurrence: RateOverDistance | null;
  /** The input gradient at lag K over the one at lag 0, read off the profile (for sentences). */
  arrivalEndToEnd: number | null;
  /**
   * The nearest lag (≤ K) from which the gradient arriving at the input is exactly 0 — underflowed
   * or dead —, or null. The rate is fitted on the steps before it.
   */
  arrivalUnderflowLag: number | null;
  /** True when no gradient at all reaches the input (exactly 0 at every step). */
  inputSilent: boolean;
}

export interface DepthMeasure {
  judged: RateOverDistance | null;
  /** The rate of the gradient arriving at each layer's hidden states (initialisation only). */
  arriving: RateOverDistance | null;
  /** When the judged values are update ratios: the largest gradient among the silent layers (0: they get none at all). */
  silentGradient: number;
  /** The recurrent weights' gradient rate per layer, when the judged one is the update ratio. */
  gradient: RateOverDistance | null;
  /** Layers 0..silentBelow−1 receive exactly nothing (not structural); 0 when none. */
  silentBelow: number;
  /** Bottom over top, read off the profile. */
  bottomOverTop: number;
  /** The top layer's value. */
  top: number;
}

export interface ForwardMeasure {
  /** Growth of the activation RMS per layer going up (positive span: grows). */
  rate: RateOverDistance | null;
  /** The first layer (from the bottom) whose activations are exactly 0 everywhere, or null. */
  zeroFrom: number | null;
  bottom: number;
  top: number;
}

export interface SnapshotMeasures {
  time: TimeMeasure | null;
  depth: DepthMeasure | null;
  forward: ForwardMeasure | null;
}

/** How a profile's fitted rate looks over `distance`: span = −slope · distance. */
function overDistance(fit: RateFit | null, distance: number): RateOverDistance | null {
  return fit === null ? null : { fit, distance, span: -fit.slope * distance };
}

/** The first lag (≤ `lag`) at which a per-step profile is exactly 0, or null. */
function underflowLag(profile: readonly number[], lag: number): number | null {
  const last = profile.length - 1;
  for (let d = 0; d <= lag; d++) if (profile[last - d] === 0) return d;
  return null;
}

/**
 * The rate of a per-step profile (index = step) back from the last step, judged over `lag` steps
 * and fitted on the steps before the first exact zero (what underflowed says nothing about the rate).
 */
function rateBackThroughTime(profile: readonly number[], lag: number): RateOverDistance | null {
  const last = profile.length - 1;
  const zero = underflowLag(profile, lag);
  const { from, to } = fitRange(zero === null ? lag : zero - 1, last);
  return overDistance(fitRate((d) => profile[last - d], from, to), lag);
}

export function measureTime(snapshot: Snapshot, requiredLag: number): TimeMeasure | null {
  const { inputGradient, hiddenGradient } = snapshot;
  if (requiredLag < 1 || inputGradient === null || hiddenGradient === null || inputGradient.length < 2) return null;
  const lag = Math.min(requiredLag, inputGradient.length - 1);
  const inputSilent = inputGradient.every((value) => value === 0);
  const top = hiddenGradient[hiddenGradient.length - 1];
  const last = inputGradient.length - 1;
  return {
    arrival: inputSilent ? null : rateBackThroughTime(inputGradient, lag),
    recurrence: rateBackThroughTime(top, lag),
    arrivalEndToEnd: inputSilent ? null : ratio(inputGradient[last - lag], inputGradient[last]),
    arrivalUnderflowLag: inputSilent ? null : underflowLag(inputGradient, lag),
    inputSilent,
  };
}

/** a/b with 0/0 = 1 (nothing to compare). */
export function ratio(a: number, b: number): number {
  return a === 0 && b === 0 ? 1 : a / b;
}

/** Per-layer values bottom first: the rate down the stack from the top layer over L − 1 layers. */
function rateDownTheStack(values: readonly number[]): RateOverDistance | null {
  const top = values.length - 1;
  const { from, to } = fitRange(top, top);
  return overDistance(fitRate((d) => values[top - d], from, to), top);
}

export function measureDepth(snapshot: Snapshot): DepthMeasure | null {
  const { depth, depthGradient } = snapshot;
  if (depth === null || depth.length < 2) return null;
  let silentBelow = 0;
  while (silentBelow < depth.length && depth[silentBelow] === 0) silentBelow++;
  const silentGradient = depthGradient === null ? 0 : Math.max(0, ...depthGradient.slice(0, silentBelow).filter(Number.isFinite));
  const arriving = snapshot.arrivingGradient;
  return {
    judged: rateDownTheStack(depth),
    arriving: arriving !== null && arriving.length === depth.length ? rateDownTheStack(arriving) : null,
    silentGradient,
    gradient: snapshot.depthKind === 'update' && depthGradient !== null ? rateDownTheStack(depthGradient) : null,
    silentBelow,
    bottomOverTop: ratio(depth[0], depth[depth.length - 1]),
    top: depth[depth.length - 1],
  };
}

export function measureForward(snapshot: Snapshot): ForwardMeasure | null {
  const rms = snapshot.activationRms;
  if (rms === null || rms.length < 2) return null;
  const zeroIndex = rms.findIndex((value) => value === 0);
  const top = rms.length - 1;
  const { from, to } = fitRange(top, top);
  // Going up: distance from the bottom layer; a positive slope grows.
  const fit = fitRate((d) => rms[d], from, to);
  return {
    rate: fit === null ? null : { fit, distance: top, span: fit.slope * top },
    zeroFrom: zeroIndex < 0 ? null : zeroIndex,
    bottom: rms[0],
    top: rms[top],
  };
}

export function measureSnapshot(snapshot: Snapshot, requiredLag: number): SnapshotMeasures {
  return { time: measureTime(snapshot, requiredLag), depth: measureDepth(snapshot), forward: measureForward(snapshot) };
}

/** Per-batch scalars of the whole run, in training order (up to and including a diverged batch). */
export interface RunTrace {
  epoch: number[];
  batch: number[];
  loss: number[];
  /** Total gradient norm before clipping or rescaling. */
  totalGradientNorm: number[];
  /** The factor clipping or the minimum-norm rescale applied (1 when neither fired). */
  rescaleFactor: number[];
}

export interface RunMeasures {
  batches: number;
  /** The total norm at initialisation: the median of the first (up to) 5 batches. */
  initialNorm: number;
  /** The largest total norm, and where. */
  largestNorm: number;
  largestAt: number;
  /** largestNorm over initialNorm. */
  growth: number;
  /** The largest total norm over the median of the (up to) 20 batches before it, and where. */
  spike: number;
  spikeAt: number;
  /** Fraction of batches where clipping or the rescale changed the gradients, and the median factor there. */
  rescaledFraction: number;
  medianRescale: number;
}

const INITIAL_BATCHES = 5;
const SPIKE_WINDOW = 20;
const SPIKE_MIN_HISTORY = 5;

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return (sorted[Math.floor(middle)] + sorted[Math.ceil(middle)]) / 2;
}

/** Measures the run as a whole; null when no batch was trained. Non-finite norms (a divergence) are left out. */
export function measureRun(trace: RunTrace): RunMeasures | null {
  const norms = trace.totalGradientNorm;
  const finite = norms.map((norm, i) => ({ norm, i })).filter(({ norm }) => Number.isFinite(norm));
  if (finite.length === 0) return null;
  const initialNorm = median(finite.slice(0, INITIAL_BATCHES).map(({ norm }) => norm));
  let largest = finite[0];
  for (const point of finite) if (point.norm > largest.norm) largest = point;
  let spike = 1;
  let spikeAt = 0;
  for (let k = SPIKE_MIN_HISTORY; k < finite.length; k++) {
    const before = median(finite.slice(Math.max(0, k - SPIKE_WINDOW), k).map(({ norm }) => norm));
    const jump = ratio(finite[k].norm, before);
    if (jump > spike) {
      spike = jump;
      spikeAt = finite[k].i;
    }
  }
  const rescaled = trace.rescaleFactor.filter((factor) => factor !== 1);
  return {
    batches: norms.length,
    initialNorm,
    largestNorm: largest.norm,
    largestAt: largest.i,
    growth: ratio(largest.norm, initialNorm),
    spike,
    spikeAt,
    rescaledFraction: trace.rescaleFactor.length === 0 ? 0 : rescaled.length / trace.rescaleFactor.length,
    medianRescale: rescaled.length === 0 ? 1 : median(rescaled),
  };
}

export interface LearningMeasure {
  /** The loss compared with chance: the validation loss, else the last epoch's training loss. */
  loss: number;
  split: 'validation' | 'training';
  chance: number;
  /** loss / chance. */
  lossOverChance: number;
  accuracy: number | null;
  chanceAccuracy: number | null;
  /** The validation (else training) loss's change over the last epoch, relative; null with one epoch. */
  lastEpochChange: number | null;
}

export interface LearningInput {
  validationLoss: number | null;
  trainingLoss: number | null;
  accuracy: number | null;
  chance: { loss: number; accuracy?: number } | null;
  /** The compared loss of each epoch, oldest first. */
  lossPerEpoch: number[];
}

export function measureLearning(input: LearningInput): LearningMeasure | null {
  const split = input.validationLoss !== null && Number.isFinite(input.validationLoss) ? 'validation' : 'training';
  const loss = split === 'validation' ? input.validationLoss : input.trainingLoss;
  if (loss === null || input.chance === null || !(input.chance.loss > 0)) return null;
  const losses = input.lossPerEpoch;
  const lastEpochChange = losses.length >= 2 ? losses[losses.length - 1] / losses[losses.length - 2] - 1 : null;
  return {
    loss,
    split,
    chance: input.chance.loss,
    lossOverChance: loss / input.chance.loss,
    accuracy: input.accuracy,
    chanceAccuracy: input.chance.accuracy ?? null,
    lastEpochChange,
  };
}

/**
 * The rules: from measures to a status per place (through time, down the stack, over the run)
 * and to whether the model learned. Every threshold comes from DiagnosisThresholds.
 */
import type { LearningKind, VerdictKind } from '../record/metrics.js';
import type { DepthMeasure, LearningMeasure, RateOverDistance, RunMeasures, RunTrace, SnapshotMeasures, TimeMeasure } from './measures.js';
import type { DiagnosisThresholds } from './thresholds.js';

export type Status = 'vanishing' | 'exploding' | 'borderline' | 'healthy';

export interface Judged {
  status: Status;
  /** For borderline: which way the gradient goes over the distance. */
  direction: 'shrinks' | 'grows' | null;
}

/** A span of time constants (positive: shrinks) against the thresholds. */
export function judgeSpan(span: number, t: DiagnosisThresholds): Judged {
  if (span >= t.vanishingTimeConstants) return { status: 'vanishing', direction: 'shrinks' };
  if (span <= -t.vanishingTimeConstants) return { status: 'exploding', direction: 'grows' };
  if (span >= t.borderlineTimeConstants) return { status: 'borderline', direction: 'shrinks' };
  if (span <= -t.borderlineTimeConstants) return { status: 'borderline', direction: 'grows' };
  return { status: 'healthy', direction: null };
}

/** Only the shrinking side of a span counts (growth is judged elsewhere). */
function shrinkOnly(rate: RateOverDistance | null, t: DiagnosisThresholds): Judged | null {
  if (rate === null) return null;
  const judged = judgeSpan(rate.span, t);
  return judged.direction === 'grows' ? { status: 'healthy', direction: null } : judged;
}

/** Only the growing side of a span counts. */
function growOnly(rate: RateOverDistance | null, t: DiagnosisThresholds): Judged | null {
  if (rate === null) return null;
  const judged = judgeSpan(rate.span, t);
  return judged.direction === 'shrinks' ? { status: 'healthy', direction: null } : judged;
}

const severity: Record<Status, number> = { healthy: 0, borderline: 1, vanishing: 2, exploding: 3 };

function worst(judgements: readonly (Judged | null)[]): Judged | null {
  let result: Judged | null = null;
  for (const j of judgements) if (j !== null && (result === null || severity[j.status] > severity[result.status])) result = j;
  return result;
}

/**
 * Through time. Vanishing is judged on what arrives at the input (every path of the stack, the
 * LSTM's cell included); growth there can be the many paths of a deep stack adding up, so
 * exploding is judged on the top layer's own recurrence, where the loss enters and nothing else
 * mixes in.
 */
export function judgeTime(time: TimeMeasure | null, numLayers: number, t: DiagnosisThresholds): Judged | null {
  if (time === null) return null;
  // Nothing reaches the input at all: in a stack that is the depth's doing (judged there) unless the
  // top layer's own recurrence explodes; in one layer the units are dead.
  if (time.inputSilent) return numLayers > 1 ? growOnly(time.recurrence, t) : { status: 'vanishing', direction: 'shrinks' };
  const underflowed: Judged | null = time.arrivalUnderflowLag === null ? null : { status: 'vanishing', direction: 'shrinks' };
  return worst([shrinkOnly(time.arrival, t), underflowed, growOnly(time.recurrence, t)]);
}

/**
 * Down the stack: layers that receive exactly nothing vanish whatever the fit says; otherwise the
 * worse of the judged per-layer values (the weights' gradient, or the update ratio) and, at
 * initialisation, the gradient arriving at each layer's hidden states. (Mean-field theory gives
 * the latter's factor per layer as √(χ_v / (1 − χ_t)): the vertical factor over all the ways back
 * through time, with χ_v = σ_ih²·E[φ′²] and χ_t = σ_hh²·E[φ′²].)
 */
export function judgeDepth(depth: DepthMeasure | null, t: DiagnosisThresholds): Judged | null {
  if (depth === null) return null;
  if (depth.silentBelow > 0) return { status: 'vanishing', direction: 'shrinks' };
  return worst([depth.judged, depth.arriving].map((rate) => (rate === null ? null : judgeSpan(rate.span, t))));
}

export interface SnapshotJudgement {
  time: Judged | null;
  depth: Judged | null;
  /** The forward signal dies on the way up (exactly 0 somewhere, or shrinks by the vanishing span). */
  forwardDies: boolean;
  /** The forward signal grows by the vanishing span on the way up. */
  forwardBlowsUp: boolean;
  /** The loss is explodedLossFactor × the untrained scale or more: the outputs blew up. */
  lossBlewUp: boolean;
  kind: VerdictKind;
}

/** `untrainedScale`: the larger of the chance loss and the all-zero outputs' loss (null: not judged). */
export function judgeSnapshot(measures: SnapshotMeasures, loss: number, untrainedScale: number | null, numLayers: number, t: DiagnosisThresholds): SnapshotJudgement {
  const time = judgeTime(measures.time, numLayers, t);
  const depth = judgeDepth(measures.depth, t);
  const forward = measures.forward;
  const forwardDies = forward !== null && (forward.zeroFrom !== null || (forward.rate !== null && forward.rate.span <= -t.vanishingTimeConstants));
  const forwardBlowsUp = forward?.rate != null && forward.rate.span >= t.vanishingTimeConstants;
  const lossBlewUp = untrainedScale !== null && Number.isFinite(loss) && loss >= t.explodedLossFactor * untrainedScale;
  const statuses = [time?.status, depth?.status];
  let kind: VerdictKind;
  if (lossBlewUp || statuses.includes('exploding')) kind = 'exploding';
  else if (statuses.includes('vanishing')) kind = 'vanishing';
  else if (statuses.includes('borderline')) kind = 'borderline';
  else if (statuses.includes('healthy')) kind = 'healthy';
  else kind = 'inconclusive';
  return { time, depth, forwardDies, forwardBlowsUp, lossBlewUp, kind };
}

export interface RunJudgement {
  /** The total norm grew by e^vanishingTimeConstants over its initial value (first batch index where it did), or null. */
  grewAt: number | null;
  /** A batch's norm jumped by e^vanishingTimeConstants over its running median, or null. */
  spikedAt: number | null;
  /** Names of weight matrices whose mean update exceeded the weights in some epoch, with the epoch. */
  largeUpdates: { name: string; epoch: number; ratio: number }[];
  /** The compared loss ends explodedLossFactor × the untrained scale or more. */
  lossEndsBlownUp: boolean;
  exploded: boolean;
  /** The first batch index of the explosion (growth or spike), for the aftermath. */
  explodedAt: number | null;
}

export function judgeRun(
  run: RunMeasures | null,
  trace: RunTrace,
  learning: LearningMeasure | null,
  untrainedScale: number | null,
  updateRatiosPerEpoch: readonly { epoch: number; ratios: Record<string, number> }[],
  t: DiagnosisThresholds,
): RunJudgement {
  const factor = Math.exp(t.vanishingTimeConstants);
  let grewAt: number | null = null;
  if (run !== null && run.growth >= factor) {
    grewAt = trace.totalGradientNorm.findIndex((norm) => Number.isFinite(norm) && norm >= factor * run.initialNorm);
  }
  const spikedAt = run !== null && run.spike >= factor ? run.spikeAt : null;
  const largeUpdates: RunJudgement['largeUpdates'] = [];
  for (const { epoch, ratios } of updateRatiosPerEpoch) {
    for (const [name, ratio] of Object.entries(ratios)) {
      if (/weight/.test(name) && ratio > t.explodingUpdateRatio && !largeUpdates.some((u) => u.name === name)) largeUpdates.push({ name, epoch, ratio });
    }
  }
  const lossEndsBlownUp = learning !== null && untrainedScale !== null && learning.loss >= t.explodedLossFactor * untrainedScale;
  const starts = [grewAt, spikedAt].filter((i): i is number => i !== null);
  return {
    grewAt,
    spikedAt,
    largeUpdates,
    lossEndsBlownUp,
    exploded: starts.length > 0 || largeUpdates.length > 0 || lossEndsBlownUp,
    explodedAt: starts.length > 0 ? Math.min(...starts) : null,
  };
}

/** Did it learn: the loss against chance. */
export function judgeLearning(learning: LearningMeasure | null, diverged: boolean, t: DiagnosisThresholds): LearningKind {
  if (learning === null || diverged || !Number.isFinite(learning.loss)) return 'unknown';
  const r = learning.lossOverChance;
  if (r > 1 + t.chanceMargin) return 'worse_than_chance';
  if (r >= 1 - t.chanceMargin) return 'at_chance';
  if (r <= t.learnedLossFraction) return 'learned';
  return 'partly';
}

/**
 * What a training run records: the contract between the trainer (which fills it), the
 * diagnosis (which judges it) and the report (which draws it). Everything here is plain JSON
 * data, so a run folder can be read back and redrawn without retraining.
 *
 * Files of an experiment folder (named, with the format's version, in ./run-format.ts; read back
 * checked by ./run-folder-read.ts; documented for other languages in docs/run-format.md):
 *   batches.jsonl   one BatchRecord per line
 *   epochs.jsonl    one EpochRecord per line
 *   epochs.csv      the scalar columns of EpochRecord plus one mean gradient norm column per parameter
 *   summary.json    ExperimentSummary, with the run format's `format_version`
 *   config.json     the resolved experiment configuration
 *
 * A field added here needs no new format version (readers ignore fields they do not know); one
 * renamed, removed or given another meaning or unit does (run-format.ts).
 *
 * Epochs and batches are numbered from 1, as the original prints them ("Epoch 3: …").
 * Non-finite numbers cannot be written as JSON numbers: they are stored as the strings
 * "NaN", "Infinity" and "-Infinity" (see `encodeNumber` / `decodeNumber`).
 */

import type { MagnitudeHistogram } from './histogram.js';

/** A number that may be non-finite once written to JSON. */
export type RecordedNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** One training batch. */
export interface BatchRecord {
  epoch: number;
  /** Batch index within the epoch, from 1. */
  batch: number;
  /** Sequences in this batch. */
  batchSize: number;
  loss: RecordedNumber;
  /**
   * Fraction of predictions whose arg-max is the target, over the steps the task scores (the copy
   * task: the recalled symbols only); null for regression (MSE).
   */
  accuracy: number | null;
  /** ‖dL/dθ‖₂ per parameter by PyTorch name, before any clipping or rescaling. */
  gradientNorms: Record<string, RecordedNumber>;
  /** ‖dL/dθ‖₂ over all parameters together, before any clipping or rescaling. */
  totalGradientNorm: RecordedNumber;
  /**
   * The smallest per-parameter gradient norm, counting exactly-zero (underflowed) gradients as
   * the smallest (0), unlike the original, which skips them.
   */
  minLayerGradientNorm: RecordedNumber;
  /** Name of the parameter with the smallest gradient norm. */
  minLayerParameter: string;
  /** Parameters whose gradient norm is exactly 0 (underflowed or dead). */
  zeroGradientParameters: number;
  /** Factor applied to all gradients by clipping / minimum-norm rescale (1 when neither fired). */
  rescaleFactor: number;
  /** ‖Δθ‖₂ / ‖θ‖₂ of this batch's update, per parameter by name. */
  updateToWeightRatio: Record<string, RecordedNumber>;
  /**
   * Per layer: the saturated fraction of activations (tanh |h| > 0.99, LSTM |tanh c| > 0.99, GRU
   * |n| > 0.99), or for ReLU the fraction of units dead for the whole batch (0 at every step of every sequence).
   */
  saturatedFraction: number[];
  /** Per layer: the RMS of the signal it passes on (hidden states, or the residual stream): the forward signal. */
  activationRms: RecordedNumber[];
  /**
   * ‖dL/dh_t‖ over the batch, [layer][t] (layer 0 is the bottom, t = 0 the first step). Present
   * on every k-th batch (the experiment's `record.hiddenGradientEvery`), absent otherwise.
   */
  hiddenGradientNorms?: RecordedNumber[][];
  /** ‖dL/dx_t‖ over the batch, [t]: what arrives at the input of each step. Recorded with hiddenGradientNorms. */
  inputGradientNorms?: RecordedNumber[];
  /**
   * With the loss read at every step: the same two measures for the gradient of the last step's
   * loss alone, which shows how far back one loss reaches. Recorded with hiddenGradientNorms.
   */
  lastStepProbe?: GradientThroughTimeRecord;
  /**
   * Magnitude histograms of every weight matrix's gradient (before clipping) and of its values
   * (before the update), by PyTorch name. Recorded on every k-th batch (`record.histogram_every`).
   */
  histograms?: { gradient: Record<string, MagnitudeHistogram>; weight: Record<string, MagnitudeHistogram> };
}

/** ‖dL/dh_t‖ per layer and step, and ‖dL/dx_t‖ per step, from one backward pass. */
export interface GradientThroughTimeRecord {
  hiddenGradientNorms: RecordedNumber[][];
  inputGradientNorms: RecordedNumber[];
}

/** One epoch's aggregates: the original's plus ours. */
export interface EpochRecord {
  epoch: number;
  /** Batches trained in this epoch (fewer than planned when the run diverged in it). */
  batches: number;
  meanLoss: RecordedNumber;
  meanAccuracy: number | null;
  /** The original's "GradNorm": mean over batches of the total norm before clipping. */
  meanTotalGradientNorm: RecordedNumber;
  /** The original's "MinLayerGrad": mean over batches of the smallest per-parameter norm (zeros counted). */
  meanMinLayerGradientNorm: RecordedNumber;
  /** Mean over batches of each parameter's gradient norm, by PyTorch name. */
  meanGradientNorms: Record<string, RecordedNumber>;
  /** Total gradient norms of the epoch's last (up to) 10 batches, oldest first. */
  lastTotalGradientNorms: RecordedNumber[];
  /** Mean over recorded batches of ‖dL/dh_t‖, [layer][t]; null when no batch of the epoch recorded it. */
  meanHiddenGradientNorms: RecordedNumber[][] | null;
  /** Mean over recorded batches of ‖dL/dx_t‖, [t]; null when no batch of the epoch recorded it. */
  meanInputGradientNorms: RecordedNumber[] | null;
  /** Mean over recorded batches of the last-step probe; null without one. */
  meanLastStepProbe: GradientThroughTimeRecord | null;
  /** Mean over batches of each layer's activation RMS. */
  meanActivationRms: RecordedNumber[];
  /** Mean over batches of each layer's saturated / dead fraction. */
  meanSaturatedFraction: number[];
  /** Mean over batches of each parameter's update-to-weight ratio. */
  meanUpdateToWeightRatio: Record<string, RecordedNumber>;
  validationLoss: RecordedNumber | null;
  validationAccuracy: number | null;
  /** Wall-clock seconds this epoch took (training and validation). */
  seconds: number;
}

/**
 * What happened to the gradients: `vanishing` or `exploding` over the distance the task needs,
 * `borderline` near the boundary, `healthy`, `diverged` (a NaN or ∞ stopped training), or
 * `inconclusive` when nothing could be measured (the evidence says which measure is missing).
 */
export const verdictKinds = ['vanishing', 'exploding', 'diverged', 'borderline', 'healthy', 'inconclusive'] as const;
export type VerdictKind = (typeof verdictKinds)[number];

/**
 * Whether the model learned, its loss against the chance level: `learned` (at most half of it),
 * `partly`, `at_chance`, `worse_than_chance`, or `unknown` (diverged, or no chance level).
 */
export const learningKinds = ['learned', 'partly', 'at_chance', 'worse_than_chance', 'unknown'] as const;
export type LearningKind = (typeof learningKinds)[number];

export interface Verdict {
  kind: VerdictKind;
  /** One-sentence headline, e.g. "Gradients vanish down the stack: …". */
  headline: string;
  /** The verdict on the first batch, before any update (null when no batch was trained). */
  atInitialisation: { kind: VerdictKind; headline: string } | null;
  /** The second, separate answer: did it learn? */
  learning: { kind: LearningKind; sentence: string };
  /** The evidence, one sentence each, in words a student understands. */
  evidence: string[];
  /** The numbers behind the verdict (named, for the report and for tests). */
  measures: Record<string, RecordedNumber | null>;
}

/** The answer an experiment is known to give (by construction, theory or a reference run), checked after it runs. */
export interface Expectation {
  verdict: VerdictKind | null;
  /** The verdict expected on the first batch, before any update (what mean-field theory predicts). */
  atInitialisation: VerdictKind | null;
  learning: LearningKind | null;
  /** Why the answer is known. */
  why: string;
}

export interface DivergenceRecord {
  epoch: number;
  batch: number;
  /** What was not finite, e.g. "loss is NaN" or "gradient of rnn.weight_hh_l0 is Infinity". */
  reason: string;
}

export interface ExperimentSummary {
  name: string;
  /** Label used in the original's plot file names, e.g. `vanilla`. */
  modelType: string;
  /** Label used in the original's plot file names, e.g. `no_mitigation`. */
  mitigation: string;
  /** `running`: read from an experiment still training (a watched report), its verdict not given yet. */
  status: 'finished' | 'diverged' | 'running';
  divergence: DivergenceRecord | null;
  epochsCompleted: number;
  /** Parameter names in PyTorch order (rows of the per-parameter plots). */
  parameterNames: string[];
  numLayers: number;
  /** The recurrent cell and its nonlinearity (`rnn`/`tanh`, `rnn`/`relu`, `lstm`, …); absent in runs of vanishing 0.1.0. */
  cell?: string;
  nonlinearity?: string;
  /** Time steps per sequence. */
  steps: number;
  final: {
    loss: RecordedNumber | null;
    accuracy: number | null;
    validationLoss: RecordedNumber | null;
    validationAccuracy: number | null;
    testLoss: RecordedNumber | null;
    testAccuracy: number | null;
    minLayerGradientNorm: RecordedNumber | null;
  };
  /** The dataset's chance level, to show whether the model beat it. */
  baseline: { loss: number; accuracy?: number; description: string } | null;
  verdict: Verdict;
  /** The answer the experiment file expected, if it stated one. */
  expected?: Expectation | null;
  /** Wall-clock seconds for the whole experiment. */
  seconds: number;
  /** Kernel implementation used, e.g. `native` or `ts`. */
  kernels: string;
  /** The mean-field prediction at initialisation (theory/), beside the measured verdict; absent in runs before it was recorded. */
  prediction?: PredictionRecord;
}

/**
 * What mean-field theory predicts for the network at initialisation (src/theory/mean-field.ts),
 * in the units the verdict measures: factors on the gradient norm, per step back through time and
 * per layer down the stack. `applies` false: `reason` says why there is no theory.
 */
export interface PredictionRecord {
  applies: boolean;
  reason: string | null;
  /** χ = σ_hh² E[φ′(h)²] of the top layer at its fixed point: 1 is the order–chaos boundary. */
  chi: number | null;
  /** √χ: the top layer's own recurrence, per step (the verdict's `initRecurrencePerStep`). */
  recurrencePerStep: number | null;
  /** The gradient arriving at the input, fitted per step over the required lag (the verdict's `initTimePerStep`). */
  perStep: number | null;
  /** Down the stack, fitted per layer (the verdict's `initDepthPerLayer`); null for one layer. */
  perLayer: number | null;
  /** True where the prediction is exact at any width (a linear cell with an orthogonal or identity W_hh). */
  exact: boolean;
}

/** Everything recorded for one experiment, as read back from its folder. */
export interface ExperimentMetrics {
  summary: ExperimentSummary;
  epochs: EpochRecord[];
  batches: BatchRecord[];
}

export function encodeNumber(value: number): RecordedNumber {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export function decodeNumber(value: RecordedNumber): number {
  return typeof value === 'number' ? value : Number(value);
}

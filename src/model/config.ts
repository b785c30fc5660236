/**
 * What a model is: its options, their defaults, and their validation.
 */
import type { Kernels } from '../kernels/kernels.js';
import type { Dtype } from './parameters.js';
import type { HeadPlacement } from '../data/sequence-batch.js';
import type { OptionRange } from './option-table.js';
import { modelOptionDefaults, modelOptionRanges, modelOptionValues, rangeProblem } from './option-table.js';

// The task's side of the model options, defined by the data (data/sequence-batch.ts); re-exported for the model's callers.
export type { HeadPlacement, LossKind } from '../data/sequence-batch.js';

export type Architecture = (typeof modelOptionValues.architecture)[number];
export type CellType = (typeof modelOptionValues.cell)[number];
export type Nonlinearity = (typeof modelOptionValues.nonlinearity)[number];
export type InitScheme = (typeof modelOptionValues.init)[number];

/**
 * Options of `createModel`. Sizes are required; everything else has a default. The bounds are
 * the experiment files' (option-table.ts); the defaults are too, except two deliberate ones:
 * `hiddenSize` has no default and `numLayers` defaults to 1, because a library call builds a
 * model for its caller's task, where `nn.RNN`'s own default (one layer) is the expected one;
 * experiment files and presets reproduce the original study, so they default to its 256 units
 * and 20 layers (experiments/fields.ts).
 */
export interface ModelOptions {
  /** `vanilla`: a stack like `nn.RNN(num_layers=…)`; `residual`: the original's ResidualRNN. Default `vanilla`. */
  architecture?: Architecture;
  /** Recurrent cell: Elman `rnn`, `lstm` or `gru`. Default `rnn`. */
  cell?: CellType;
  /**
   * Elman cell's nonlinearity: `tanh`, `relu`, or `linear` (no nonlinearity: the gradient through
   * time is exactly the product of W_hh's, the case theory solves). Ignored by LSTM/GRU. Default `tanh`.
   */
  nonlinearity?: Nonlinearity;
  /** Features per time step. */
  inputSize: number;
  /** Units per layer, 1 to 4096. Required (experiment files: 256, the original's). */
  hiddenSize: number;
  /** Recurrent layers stacked, 1 to 256. Default 1, like `nn.RNN` (experiment files: 20, the original's). */
  numLayers?: number;
  /** Classes (cross-entropy) or regression outputs (MSE). */
  outputSize: number;
  /** Linear head on the top layer at the `last` step only (the original) or at `every` step. Default `last`. */
  output?: HeadPlacement;
  /** Parameter initialisation. Default `default` (PyTorch's own). */
  init?: InitScheme;
  /**
   * LSTM only: the forget gate's bias after initialisation — `bias_ih`'s forget rows set to this
   * value and `bias_hh`'s to 0 (Gers et al. 2000; Jozefowicz et al. 2015 recommend 1), so the
   * cell starts by remembering. Default: not set, the init's own values stay.
   */
  forgetBias?: number;
  /**
   * Every layer's W_hh is multiplied by this after initialisation (for LSTM/GRU, all gate blocks).
   * With an orthogonal W_hh and a linear cell, the gradient through time changes by exactly this
   * factor per step: below 1 it vanishes, above 1 it explodes. Default 1.
   */
  recurrentGain?: number;
  /** Seed of the parameter initialisation. Default 0. */
  seed?: number;
  /** Numeric precision of parameters and activations. Default `float32`. */
  dtype?: Dtype;
  /** Kernel implementation; default: the fastest available (`VANISHING_KERNELS`). */
  kernels?: Kernels;
}

export interface ResolvedModelConfig {
  readonly architecture: Architecture;
  readonly cell: CellType;
  readonly nonlinearity: Nonlinearity;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly outputSize: number;
  readonly output: HeadPlacement;
  readonly init: InitScheme;
  readonly forgetBias: number | null;
  readonly recurrentGain: number;
  readonly seed: number;
  readonly dtype: Dtype;
}

const allowedKeys = new Set([
  'architecture', 'cell', 'nonlinearity', 'inputSize', 'hiddenSize', 'numLayers', 'outputSize',
  'output', 'init', 'forgetBias', 'recurrentGain', 'seed', 'dtype', 'kernels',
]);

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`model option ${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
}

function positiveInteger(field: string, value: unknown, fallback?: number, range?: OptionRange): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`model option ${field} must be a positive integer; got ${JSON.stringify(value)}`);
  }
  inRange(field, value, range);
  return value;
}

function inRange(field: string, value: number, range: OptionRange | undefined): void {
  const problem = range === undefined ? null : rangeProblem(range, value);
  if (problem !== null) throw new Error(`model option ${field} ${problem}; got ${JSON.stringify(value)}`);
}

/** Fills in defaults and rejects unknown options, sizes ≤ 0 and impossible combinations. */
export function resolveModelConfig(options: ModelOptions): ResolvedModelConfig {
  for (const key of Object.keys(options)) {
    if (!allowedKeys.has(key)) throw new Error(`unknown model option ${key} (= ${JSON.stringify((options as unknown as Record<string, unknown>)[key])})`);
  }
  const cell = oneOf('cell', options.cell, modelOptionValues.cell, modelOptionDefaults.cell);
  const init = oneOf('init', options.init, modelOptionValues.init, modelOptionDefaults.init);
  if (init === 'identity' && cell !== 'rnn') {
    throw new Error(`model option init = "identity" (IRNN) needs cell "rnn"; got cell ${JSON.stringify(cell)}`);
  }
  const forgetBias = options.forgetBias ?? null;
  if (forgetBias !== null && (typeof forgetBias !== 'number' || !Number.isFinite(forgetBias))) {
    throw new Error(`model option forgetBias must be a finite number; got ${JSON.stringify(forgetBias)}`);
  }
  if (forgetBias !== null) inRange('forgetBias', forgetBias, modelOptionRanges.forgetBias);
  if (forgetBias !== null && cell !== 'lstm') {
    throw new Error(`model option forgetBias = ${forgetBias} needs cell "lstm" (only the LSTM has a forget gate); got cell ${JSON.stringify(cell)}`);
  }
  const recurrentGain = options.recurrentGain ?? modelOptionDefaults.recurrentGain;
  if (typeof recurrentGain !== 'number' || !Number.isFinite(recurrentGain) || recurrentGain <= 0) {
    throw new Error(`model option recurrentGain must be a finite number > 0; got ${JSON.stringify(recurrentGain)}`);
  }
  inRange('recurrentGain', recurrentGain, modelOptionRanges.recurrentGain);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new Error(`model option seed must be a finite number; got ${JSON.stringify(seed)}`);
  }
  return {
    architecture: oneOf('architecture', options.architecture, modelOptionValues.architecture, modelOptionDefaults.architecture),
    cell,
    nonlinearity: oneOf('nonlinearity', options.nonlinearity, modelOptionValues.nonlinearity, modelOptionDefaults.nonlinearity),
    inputSize: positiveInteger('inputSize', options.inputSize),
    hiddenSize: positiveInteger('hiddenSize', options.hiddenSize, undefined, modelOptionRanges.hiddenSize),
    numLayers: positiveInteger('numLayers', options.numLayers, 1, modelOptionRanges.numLayers),
    outputSize: positiveInteger('outputSize', options.outputSize),
    output: oneOf('output', options.output, ['last', 'every'] as const, 'last'),
    init,
    forgetBias,
    recurrentGain,
    seed,
    dtype: oneOf('dtype', options.dtype, modelOptionValues.dtype, modelOptionDefaults.dtype),
  };
}

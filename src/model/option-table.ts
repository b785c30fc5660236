/**
 * The defaults and bounds of the model's options, in one place: `createModel` (config.ts) applies
 * them and the experiment-file table (experiments/fields.ts) states them to its schema, so a
 * value the library refuses is one the file's validation refuses first, with the file's name.
 * It lives under model/ because the library must not depend on the experiment files.
 */

import type { Dtype } from './parameters.js';

/** The values each enumerated option takes; the types in config.ts are these lists' members. */
export const modelOptionValues = {
  architecture: ['vanilla', 'residual'],
  cell: ['rnn', 'lstm', 'gru'],
  nonlinearity: ['tanh', 'relu', 'linear'],
  init: ['default', 'xavier', 'he', 'orthogonal', 'identity'],
  dtype: ['float32', 'float64'] as const satisfies readonly Dtype[],
} as const;

/** A closed or open interval; an absent bound is no bound. */
export interface OptionRange {
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  readonly exclusiveMaximum?: number;
}

/**
 * Keyed by the library's (camelCase) option name. Sizes stop at 4096 units and 256 layers: one
 * 4096×4096 float64 W_hh is already 128 MiB per layer, and deeper stacks only restate the
 * 20-layer result of the original.
 */
export const modelOptionRanges = {
  hiddenSize: { minimum: 1, maximum: 4096 },
  numLayers: { minimum: 1, maximum: 256 },
  // Above 100 even one step multiplies the gradient beyond anything float32 training survives.
  recurrentGain: { exclusiveMinimum: 0, maximum: 100 },
  // sigmoid(±20) is 1 or 0 to float32 precision: a larger bias changes nothing.
  forgetBias: { minimum: -20, maximum: 20 },
} as const satisfies Record<string, OptionRange>;

/** `hiddenSize 4097` → `must be ≤ 4096`; null when `value` is inside `range`. */
export function rangeProblem(range: OptionRange, value: number): string | null {
  if (range.minimum !== undefined && value < range.minimum) return `must be ≥ ${range.minimum}`;
  if (range.exclusiveMinimum !== undefined && value <= range.exclusiveMinimum) return `must be > ${range.exclusiveMinimum}`;
  if (range.maximum !== undefined && value > range.maximum) return `must be ≤ ${range.maximum}`;
  if (range.exclusiveMaximum !== undefined && value >= range.exclusiveMaximum) return `must be < ${range.exclusiveMaximum}`;
  // NaN passes every comparison above.
  if (Number.isNaN(value)) return 'must be a number';
  return null;
}

/**
 * Defaults shared by `createModel` and experiment files. Not here: `hiddenSize` and `numLayers`,
 * whose library defaults (none, 1) differ from the files' (256, 20) on purpose (see ModelOptions).
 */
export const modelOptionDefaults = {
  architecture: 'vanilla',
  cell: 'rnn',
  nonlinearity: 'tanh',
  init: 'default',
  recurrentGain: 1,
  dtype: 'float32',
} as const satisfies {
  [K in keyof typeof modelOptionValues]: (typeof modelOptionValues)[K][number];
} & { recurrentGain: number };

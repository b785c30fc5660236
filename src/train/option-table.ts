/**
 * The defaults and bounds of the training options, in one place, as model/option-table.ts is for
 * the model: the optimiser, the batch source and the trainer enforce them, and the experiment-file
 * table (experiments/fields.ts) states them to its schema, so a value the library refuses is one
 * a file's validation has already refused with the file's name for it.
 *
 * Keyed by the library's (camelCase) option name.
 */
import type { OptionRange } from '../model/option-table.js';
import { rangeProblem } from '../model/option-table.js';

export const optimizerTypes = ['sgd', 'adam'] as const;

export const trainingOptionRanges = {
  // Above 100 the first SGD step alone moves a default-initialised weight by thousands of times its size.
  learningRate: { exclusiveMinimum: 0, maximum: 100 },
  // torch.optim.SGD takes momentum ≥ 0; 1 or more never forgets a gradient and the step grows without bound.
  momentum: { minimum: 0, exclusiveMaximum: 1 },
  dampening: { minimum: 0, maximum: 1 },
  weightDecay: { minimum: 0 },
  // torch.optim.Adam requires 0 ≤ β < 1 and ε > 0 (1 would divide by zero in the bias correction).
  beta1: { minimum: 0, exclusiveMaximum: 1 },
  beta2: { minimum: 0, exclusiveMaximum: 1 },
  epsilon: { exclusiveMinimum: 0 },
  // 65536 sequences of a 784-step MNIST batch are already 200 MB of inputs.
  batchSize: { minimum: 1, maximum: 65536 },
  epochs: { minimum: 1, maximum: 100000 },
  samplesPerEpoch: { minimum: 1 },
  clipMaxNorm: { exclusiveMinimum: 0 },
  clipMinNorm: { exclusiveMinimum: 0 },
  // The seeded generator takes a 32-bit seed.
  seed: { minimum: 0, maximum: 4294967295 },
  hiddenGradientEvery: { minimum: 1 },
  lastStepProbeEvery: { minimum: 1 },
  histogramEvery: { minimum: 1 },
} as const satisfies Record<string, OptionRange>;

/** The options whose values are whole numbers. */
export const integerTrainingOptions: ReadonlySet<keyof typeof trainingOptionRanges> = new Set([
  'batchSize', 'epochs', 'samplesPerEpoch', 'seed', 'hiddenGradientEvery', 'lastStepProbeEvery', 'histogramEvery',
]);

/**
 * Defaults shared by the library and experiment files. Not here: `learningRate`, which the
 * library requires (a step size is a decision, the file's 0.01 is the original's), and
 * `hiddenGradientEvery`, whose file default (null) means "by the record's size", a runner's
 * decision (experiments/record-size.ts); the trainer alone records every batch.
 */
export const trainingOptionDefaults = {
  optimizer: 'sgd',
  momentum: 0,
  dampening: 0,
  nesterov: false,
  weightDecay: 0,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  batchSize: 64,
  epochs: 50,
  lastStepProbeEvery: 10,
  histogramEvery: 10,
  seed: 0,
} as const satisfies { optimizer: (typeof optimizerTypes)[number] } & Partial<Record<keyof typeof trainingOptionRanges | 'nesterov', number | boolean | string>>;

/**
 * Throws when `value` is not a number of `option`'s range (and a whole one where it must be):
 * `optimizer momentum must be < 1; got 1`. `owner` says whose option it is.
 */
export function checkTrainingOption(owner: string, option: keyof typeof trainingOptionRanges, value: number): void {
  const range: OptionRange = trainingOptionRanges[option];
  const problem = typeof value !== 'number' || !Number.isFinite(value)
    ? 'must be a finite number'
    : integerTrainingOptions.has(option) && !Number.isInteger(value) ? 'must be a whole number' : rangeProblem(range, value);
  if (problem !== null) throw new RangeError(`${owner} ${option} ${problem}; got ${String(value)}`);
}

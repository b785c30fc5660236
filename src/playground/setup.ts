/**
 * What a playground visitor chooses, its bounds and defaults, and its home in the URL hash: the
 * whole setup lives in `#cell=gru&layers=4&…`, so a link re-creates the same network and (same
 * seed) the same first steps. Runs in the page, the worker and Node (the tests).
 *
 * Bounds are the playground's own (a browser tab trains 20 layers of 128 units, not 4096); within
 * them every value is one the engine accepts, and the engine still checks them (createModel,
 * createOptimizer).
 */
import type { Architecture, InitScheme } from '../model/config.js';

/** The recurrent cell as the page offers it: the Elman cell with its nonlinearity, or a gated one. */
export type PlaygroundCell = 'rnn-tanh' | 'rnn-relu' | 'lstm' | 'gru';
export type PlaygroundTask = 'adding' | 'copy' | 'temporal_order' | 'mnist';
export type Clipping = 'none' | 'max_norm' | 'min_norm';

export interface PlaygroundSetup {
  cell: PlaygroundCell;
  architecture: Architecture;
  /** Recurrent layers, 1–20. */
  layers: number;
  /** Units per layer, 4–128. */
  width: number;
  init: InitScheme;
  /** Every W_hh is multiplied by this after init, 0.5–3. */
  gain: number;
  /** LSTM only: the forget gate's bias after init; null: the init's own. */
  forgetBias: number | null;
  task: PlaygroundTask;
  /** T of the synthetic tasks, 10–200: the sequence length (the copy task's blank gap); row MNIST is always 28 rows. */
  length: number;
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  clipping: Clipping;
  /** The max-norm ceiling or the min-norm floor, whichever `clipping` says. */
  clipNorm: number;
  batchSize: number;
  seed: number;
}

export const playgroundDefaults: PlaygroundSetup = {
  cell: 'rnn-tanh',
  architecture: 'vanilla',
  layers: 4,
  width: 32,
  init: 'default',
  gain: 1,
  forgetBias: null,
  task: 'adding',
  length: 50,
  optimizer: 'adam',
  learningRate: 0.003,
  clipping: 'none',
  clipNorm: 1,
  batchSize: 16,
  seed: 0,
};

/** The choices of each enumerated field, in the order the page lists them. */
export const playgroundChoices = {
  cell: ['rnn-tanh', 'rnn-relu', 'lstm', 'gru'],
  architecture: ['vanilla', 'residual'],
  init: ['default', 'xavier', 'he', 'orthogonal', 'identity'],
  task: ['adding', 'copy', 'temporal_order', 'mnist'],
  optimizer: ['sgd', 'adam'],
  clipping: ['none', 'max_norm', 'min_norm'],
} as const satisfies Partial<Record<keyof PlaygroundSetup, readonly string[]>>;

type NumericField = 'layers' | 'width' | 'gain' | 'length' | 'learningRate' | 'clipNorm' | 'batchSize' | 'seed' | 'forgetBias';

/** Closed ranges; `integer` fields take whole numbers. */
export const playgroundRanges: Record<NumericField, { minimum: number; maximum: number; integer: boolean }> = {
  layers: { minimum: 1, maximum: 20, integer: true },
  width: { minimum: 4, maximum: 128, integer: true },
  gain: { minimum: 0.5, maximum: 3, integer: false },
  length: { minimum: 10, maximum: 200, integer: true },
  learningRate: { minimum: 1e-5, maximum: 10, integer: false },
  clipNorm: { minimum: 1e-3, maximum: 1e3, integer: false },
  batchSize: { minimum: 1, maximum: 128, integer: true },
  seed: { minimum: 0, maximum: 4294967295, integer: true },
  forgetBias: { minimum: -20, maximum: 20, integer: false },
};

/** The URL hash's key for each field (short, stable: links already shared must keep working). */
const hashKeys: Record<keyof PlaygroundSetup, string> = {
  cell: 'cell', architecture: 'arch', layers: 'layers', width: 'width', init: 'init', gain: 'gain', forgetBias: 'fbias',
  task: 'task', length: 'T', optimizer: 'opt', learningRate: 'lr', clipping: 'clip', clipNorm: 'clipnorm', batchSize: 'batch', seed: 'seed',
};

/** Why `value` cannot be `field`'s value, or null when it can. */
export function fieldProblem<K extends keyof PlaygroundSetup>(field: K, value: PlaygroundSetup[K]): string | null {
  if (field in playgroundChoices) {
    const choices: readonly string[] = playgroundChoices[field as keyof typeof playgroundChoices];
    return typeof value === 'string' && choices.includes(value) ? null : `${field} must be one of ${choices.join(', ')}; got ${String(value)}`;
  }
  if (field === 'forgetBias' && value === null) return null;
  const range = playgroundRanges[field as NumericField];
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${field} must be a number; got ${String(value)}`;
  if (range.integer && !Number.isInteger(value)) return `${field} must be a whole number; got ${value}`;
  if (value < range.minimum || value > range.maximum) return `${field} must be in [${range.minimum}, ${range.maximum}]; got ${value}`;
  return null;
}

/** Every problem of a setup, one line each (empty: the engine can build it). */
export function setupProblems(setup: PlaygroundSetup): string[] {
  const problems: string[] = [];
  for (const field of Object.keys(playgroundDefaults) as (keyof PlaygroundSetup)[]) {
    const problem = fieldProblem(field, setup[field]);
    if (problem !== null) problems.push(problem);
  }
  // As createModel: IRNN's identity initialisation is defined for the Elman cell only.
  if (setup.init === 'identity' && (setup.cell === 'lstm' || setup.cell === 'gru')) problems.push(`init identity is for the Elman cell (rnn-tanh, rnn-relu); got cell ${setup.cell}`);
  return problems;
}

/** The setup as a URL hash (`#cell=gru&layers=4…`), every field written so the link does not depend on today's defaults. */
export function setupToHash(setup: PlaygroundSetup): string {
  const parameters = new URLSearchParams();
  for (const field of Object.keys(playgroundDefaults) as (keyof PlaygroundSetup)[]) {
    const value = setup[field];
    parameters.set(hashKeys[field], value === null ? 'init' : String(value));
  }
  return `#${parameters.toString()}`;
}

/**
 * The setup a hash describes: each field it names with a valid value, the defaults for the rest.
 * `ignored` lists what was not taken and why (a page shows it rather than failing the link).
 */
export function setupFromHash(hash: string): { setup: PlaygroundSetup; ignored: string[] } {
  const parameters = new URLSearchParams(hash.replace(/^#/, ''));
  const setup: PlaygroundSetup = { ...playgroundDefaults };
  const ignored: string[] = [];
  const known = new Set(Object.values(hashKeys));
  for (const key of parameters.keys()) if (!known.has(key)) ignored.push(`${key}: not a setting`);
  for (const field of Object.keys(playgroundDefaults) as (keyof PlaygroundSetup)[]) {
    const text = parameters.get(hashKeys[field]);
    if (text === null) continue;
    const value = parseField(field, text);
    const problem = fieldProblem(field, value);
    if (problem === null) Object.assign(setup, { [field]: value });
    else ignored.push(`${hashKeys[field]}: ${problem}`);
  }
  if (setup.init === 'identity' && (setup.cell === 'lstm' || setup.cell === 'gru')) {
    ignored.push(`init: identity is for the Elman cell; ${setup.cell} starts from ${playgroundDefaults.init}`);
    setup.init = playgroundDefaults.init;
  }
  return { setup, ignored };
}

function parseField<K extends keyof PlaygroundSetup>(field: K, text: string): PlaygroundSetup[K] {
  if (field in playgroundChoices) return text as PlaygroundSetup[K];
  if (field === 'forgetBias' && text === 'init') return null as PlaygroundSetup[K];
  // Number('') is 0: an empty value is no value.
  return (text.trim() === '' ? Number.NaN : Number(text)) as PlaygroundSetup[K];
}

/**
 * Every field of an experiment file, its type, range, default and meaning: one table from which
 * the JSON Schema, the defaults and the documentation (`vanishing list --fields`, README) are
 * derived, so they cannot drift apart.
 *
 * Keys are snake_case as users write them in YAML. Dataset options come from the data module's
 * catalogue (src/data/load.ts), named by `fileOptionName` (src/data/option-names.ts); the model's
 * defaults and bounds come from src/model/option-table.ts, which `createModel` enforces too, and the
 * training's from src/train/option-table.ts, which the optimiser, batch source and trainer enforce.
 */
import { datasetCatalog } from '../data/load.js';
import { fileOptionName } from '../data/option-names.js';
import { modelOptionDefaults, modelOptionRanges, modelOptionValues } from '../model/option-table.js';
import { optimizerTypes, trainingOptionDefaults, trainingOptionRanges } from '../train/option-table.js';

export type FieldValue = number | string | boolean | null;

export interface FieldSpec {
  type: 'integer' | 'number' | 'string' | 'boolean';
  default: FieldValue;
  /** null is allowed (and means "off" / "not set"). */
  nullable?: boolean;
  enum?: readonly string[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  description: string;
}

export type SectionName = 'model' | 'training' | 'record' | 'diagnosis';

const modelFieldSpecs = {
  architecture: { type: 'string', enum: modelOptionValues.architecture, default: modelOptionDefaults.architecture, description: "vanilla: a stack like nn.RNN(num_layers=…); residual: the original's ResidualRNN (each layer after the first adds its output to its input)" },
  cell: { type: 'string', enum: modelOptionValues.cell, default: modelOptionDefaults.cell, description: 'recurrent cell: Elman rnn, lstm or gru' },
  nonlinearity: { type: 'string', enum: modelOptionValues.nonlinearity, default: modelOptionDefaults.nonlinearity, description: "the Elman cell's nonlinearity (ignored by lstm and gru); linear: none, the case theory solves exactly" },
  hidden_size: { type: 'integer', ...modelOptionRanges.hiddenSize, default: 256, description: 'units per layer (the original: 256)' },
  num_layers: { type: 'integer', ...modelOptionRanges.numLayers, default: 20, description: 'recurrent layers stacked (the original: 20)' },
  init: { type: 'string', enum: modelOptionValues.init, default: modelOptionDefaults.init, description: "default (PyTorch's), xavier / he (orthogonal recurrent weights, zero biases), orthogonal, identity (IRNN; rnn cell only)" },
  recurrent_gain: { type: 'number', ...modelOptionRanges.recurrentGain, default: modelOptionDefaults.recurrentGain, description: 'multiply every W_hh by this after init: with an orthogonal W_hh below 1 shrinks and above 1 grows the gradient through time (exactly so in a linear RNN)' },
  forget_bias: { type: 'number', ...modelOptionRanges.forgetBias, nullable: true, default: null, description: "lstm only: set the forget gate's bias to this after init (1 is the classic choice: start by remembering); null: the init's values" },
  dtype: { type: 'string', enum: modelOptionValues.dtype, default: modelOptionDefaults.dtype, description: 'precision of parameters and activations' },
} as const satisfies Record<string, FieldSpec>;
export const modelFields: Readonly<Record<string, FieldSpec>> = modelFieldSpecs;

const trainingFieldSpecs = {
  optimizer: { type: 'string', enum: optimizerTypes, default: trainingOptionDefaults.optimizer, description: 'sgd (torch.optim.SGD) or adam (torch.optim.Adam)' },
  learning_rate: { type: 'number', ...trainingOptionRanges.learningRate, default: 0.01, description: 'step size (the original: 0.01)' },
  momentum: { type: 'number', ...trainingOptionRanges.momentum, default: trainingOptionDefaults.momentum, description: 'SGD momentum' },
  nesterov: { type: 'boolean', default: trainingOptionDefaults.nesterov, description: 'SGD Nesterov momentum (needs momentum > 0)' },
  weight_decay: { type: 'number', ...trainingOptionRanges.weightDecay, default: trainingOptionDefaults.weightDecay, description: 'L2 penalty added to the gradient' },
  beta1: { type: 'number', ...trainingOptionRanges.beta1, default: trainingOptionDefaults.beta1, description: 'Adam β1' },
  beta2: { type: 'number', ...trainingOptionRanges.beta2, default: trainingOptionDefaults.beta2, description: 'Adam β2' },
  epsilon: { type: 'number', ...trainingOptionRanges.epsilon, default: trainingOptionDefaults.epsilon, description: 'Adam ε' },
  batch_size: { type: 'integer', ...trainingOptionRanges.batchSize, default: trainingOptionDefaults.batchSize, description: 'sequences per batch' },
  epochs: { type: 'integer', ...trainingOptionRanges.epochs, default: trainingOptionDefaults.epochs, description: 'passes over the training data (the original: 50)' },
  samples_per_epoch: { type: 'integer', ...trainingOptionRanges.samplesPerEpoch, nullable: true, default: null, description: 'train on at most this many (seeded, reshuffled) samples per epoch; null: all' },
  clip_max_norm: { type: 'number', ...trainingOptionRanges.clipMaxNorm, nullable: true, default: null, description: 'clip the total gradient norm to this maximum; null: off' },
  clip_min_norm: { type: 'number', ...trainingOptionRanges.clipMinNorm, nullable: true, default: null, description: "the original's minimum-norm rescale: scale gradients up to this total norm when below it; null: off" },
  seed: { type: 'integer', ...trainingOptionRanges.seed, default: trainingOptionDefaults.seed, description: 'seeds the initialisation, the data and the batch order' },
} as const satisfies Record<string, FieldSpec>;
export const trainingFields: Readonly<Record<string, FieldSpec>> = trainingFieldSpecs;

const recordFieldSpecs = {
  hidden_gradient_every: { type: 'integer', ...trainingOptionRanges.hiddenGradientEvery, nullable: true, default: null, description: 'record ‖dL/dh_t‖ for every layer and step (and ‖dL/dx_t‖) on every k-th batch of an epoch (the first always); null: by cost, every batch while an epoch records at most 250,000 of these values (about 5 MB), else the smallest k that keeps within it' },
  histogram_every: { type: 'integer', ...trainingOptionRanges.histogramEvery, default: trainingOptionDefaults.histogramEvery, description: 'record magnitude histograms of every weight matrix and its gradient on every k-th batch of an epoch (the first always)' },
  last_step_probe_every: { type: 'integer', ...trainingOptionRanges.lastStepProbeEvery, default: trainingOptionDefaults.lastStepProbeEvery, description: 'losses read at every step (copy): run the last-step probe, one more backward pass, on every k-th batch of an epoch that records the gradient through time (the first always)' },
} as const satisfies Record<string, FieldSpec>;
export const recordFields: Readonly<Record<string, FieldSpec>> = recordFieldSpecs;

const diagnosisFieldSpecs = {
  required_lag: { type: 'integer', minimum: 0, nullable: true, default: null, description: "steps back in time the answer depends on (time is judged over this distance); null: the dataset's own (adding: T − 1, copy: gap + 10, MNIST: from the first inked row; your data: T − 1)" },
  borderline_time_constants: { type: 'number', exclusiveMinimum: 0, default: 1.5, description: 'the needed distance in time constants of the fitted decay (or growth) from which gradients are borderline' },
  vanishing_time_constants: { type: 'number', exclusiveMinimum: 0, default: 6, description: 'from this many time constants they vanish (or explode): e^-6 ≈ 1/400 arrives; twice the trainability boundary of Schoenholz et al. 2017' },
  exploded_loss_factor: { type: 'number', exclusiveMinimum: 1, default: 10, description: 'a loss this many times the chance level means the outputs blew up' },
  exploding_update_ratio: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'an epoch whose mean update of a weight matrix exceeds this fraction of its norm is exploding' },
  absolute_vanishing: { type: 'number', exclusiveMinimum: 0, default: 1e-6, description: "the original's threshold on the smallest gradient (reported, not judged)" },
  learned_loss_fraction: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.5, description: 'a loss at most this fraction of chance counts as learned' },
  chance_margin: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.05, description: 'within this relative margin of the chance loss a model is at chance' },
  judged_epochs: { type: 'integer', minimum: 1, default: 1, description: 'how many final epochs the verdict at the end averages over' },
} as const satisfies Record<string, FieldSpec>;
export const diagnosisFields: Readonly<Record<string, FieldSpec>> = diagnosisFieldSpecs;

/** A field's value as a resolved experiment holds it: the enum's members, a number, a string or a boolean; null where allowed. */
export type FieldValueOf<F> =
  | (F extends { enum: readonly (infer Member)[] } ? Member
    : F extends { type: 'integer' | 'number' } ? number
    : F extends { type: 'string' } ? string
    : F extends { type: 'boolean' } ? boolean
    : never)
  | (F extends { nullable: true } ? null : never);

/** A section with every field resolved, its keys and value types read off the table above. */
export type SectionOf<Table> = { -readonly [Key in keyof Table]: FieldValueOf<Table[Key]> };

/** A resolved `model:` section (snake_case, as the file spells it). */
export type ModelSection = SectionOf<typeof modelFieldSpecs>;
/** A resolved `training:` section. */
export type TrainingSection = SectionOf<typeof trainingFieldSpecs>;
/** A resolved `record:` section; `hidden_gradient_every` null: chosen by cost (experiments/record-size.ts). */
export type RecordSection = SectionOf<typeof recordFieldSpecs>;
/** A resolved `diagnosis:` section. */
export type DiagnosisSection = SectionOf<typeof diagnosisFieldSpecs>;

export const sectionFields: Record<SectionName, Readonly<Record<string, FieldSpec>>> = {
  model: modelFields,
  training: trainingFields,
  record: recordFields,
  diagnosis: diagnosisFields,
};

/** The options each dataset takes, snake_case, from the data module's catalogue. */
export function datasetFields(): Map<string, Record<string, FieldSpec & { required?: boolean }>> {
  const byDataset = new Map<string, Record<string, FieldSpec & { required?: boolean }>>();
  for (const dataset of datasetCatalog) {
    const fields: Record<string, FieldSpec & { required?: boolean }> = {};
    for (const option of dataset.options) {
      fields[fileOptionName(option.name)] = {
        type: option.type,
        default: option.default,
        nullable: option.default === null && option.required !== true,
        ...(option.values !== undefined ? { enum: option.values } : {}),
        ...(option.minimum !== undefined ? { minimum: option.minimum } : {}),
        ...(option.maximum !== undefined ? { maximum: option.maximum } : {}),
        ...(option.required === true ? { required: true } : {}),
        description: option.description,
      };
    }
    byDataset.set(dataset.name, fields);
  }
  return byDataset;
}

/**
 * A data-module error line with its options named where the user wrote them: the data module
 * knows an option only as `data.sequence_length`; a suite user needs
 * `experiments[0].data.sequence_length`. Only known option names are rewritten (a look-behind
 * keeps a file name like `/tmp/data.path` as it is).
 */
export function withDataSectionPath(message: string, sectionPath: string): string {
  const optionNames = new Set<string>();
  for (const fields of datasetFields().values()) for (const name of Object.keys(fields)) optionNames.add(name);
  return message.replace(/(?<![\w./\\-])data\.([a-z][a-z0-9_]*)\b/g, (whole, name: string) => (optionNames.has(name) ? `${sectionPath}.${name}` : whole));
}

/** The dataset an experiment uses when it names none. */
export const defaultDatasetName = 'mnist';

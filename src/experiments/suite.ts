/**
 * From an experiment file (YAML or JSON) or a preset name to a validated suite of fully resolved
 * experiments: built-in defaults, then the file's `defaults`, then each experiment's own fields,
 * then the command line's overrides. Every problem is collected and reported at once
 * (InputError), one line each, before anything runs.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { FieldSpec, FieldValue, SectionName } from './fields.js';
import { datasetFields, defaultDatasetName, sectionFields } from './fields.js';
import { InputError, showValue } from './errors.js';
import { schemaProblems } from './schema.js';
import { presetPath } from './presets.js';
import type { Expectation, LearningKind, VerdictKind } from '../record/metrics.js';
import { lockFile } from './run-lock.js';

export interface ModelSection {
  architecture: 'vanilla' | 'residual';
  cell: 'rnn' | 'lstm' | 'gru';
  nonlinearity: 'tanh' | 'relu' | 'linear';
  hidden_size: number;
  num_layers: number;
  init: 'default' | 'xavier' | 'he' | 'orthogonal' | 'identity';
  recurrent_gain: number;
  forget_bias: number | null;
  dtype: 'float32' | 'float64';
}

export interface TrainingSection {
  optimizer: 'sgd' | 'adam';
  learning_rate: number;
  momentum: number;
  nesterov: boolean;
  weight_decay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  batch_size: number;
  epochs: number;
  samples_per_epoch: number | null;
  clip_max_norm: number | null;
  clip_min_norm: number | null;
  seed: number;
}

export interface RecordSection {
  hidden_gradient_every: number;
  last_step_probe_every: number;
  histogram_every: number;
}

export interface DiagnosisSection {
  required_lag: number | null;
  borderline_time_constants: number;
  vanishing_time_constants: number;
  exploded_loss_factor: number;
  exploding_update_ratio: number;
  absolute_vanishing: number;
  learned_loss_fraction: number;
  chance_margin: number;
  judged_epochs: number;
}


/** `dataset` plus that dataset's options (snake_case), every default filled in. */
export interface DataSection {
  dataset: string;
  [option: string]: FieldValue;
}

/** One experiment with every field resolved: what config.json holds, in the file's own vocabulary. */
export interface ExperimentConfig {
  name: string;
  description: string;
  model_type: string;
  mitigation: string;
  model: ModelSection;
  data: DataSection;
  training: TrainingSection;
  record: RecordSection;
  diagnosis: DiagnosisSection;
  /** The expected answer, when the file states one. */
  expect: Expectation | null;
}

export interface Suite {
  name: string;
  description: string;
  /** The file it came from (absolute), or `preset:<name>`. */
  source: string;
  experiments: ExperimentConfig[];
}

export interface SuiteOverrides {
  epochs?: number;
  seed?: number;
  /** Run only these experiments (by name). */
  only?: readonly string[];
}

type Json = Record<string, unknown>;

/** Names a run folder already holds: an experiment may not take one (its folder would replace it). */
export const reservedNames = ['suite.json', 'report.html', 'plots', lockFile, 'state.json'];

/** Why an experiment name cannot be a folder of the run, or null when it can. */
export function experimentNameProblem(name: string): string | null {
  if (reservedNames.some((reserved) => reserved.toLowerCase() === name.toLowerCase())) {
    return `${showValue(name)} is a file of the run folder (reserved: ${reservedNames.join(', ')})`;
  }
  return null;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sectionDefaults(fields: Record<string, FieldSpec>): Record<string, FieldValue> {
  const defaults: Record<string, FieldValue> = {};
  for (const [key, field] of Object.entries(fields)) defaults[key] = field.default;
  return defaults;
}

/** Reads a YAML or JSON file; syntax errors name the file, line and column. */
function parseFile(path: string): unknown {
  if (!existsSync(path)) throw new InputError([`${path}: no such file`]);
  if (statSync(path).isDirectory()) throw new InputError([`${path}: is a folder, not an experiment file`]);
  const text = readFileSync(path, 'utf8');
  if (extname(path).toLowerCase() === '.json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new InputError([`${path}: not valid JSON: ${(error as Error).message}`]);
    }
  }
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new InputError(document.errors.map((error) => {
      const where = error.linePos?.[0] !== undefined ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : '';
      // prettyErrors appends " at line L, column C:" and a code excerpt; the position is said once, up front.
      const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return `${path}: ${where}${message}`;
    }));
  }
  return document.toJS() as unknown;
}

function checkField(path: string, key: string, value: unknown, field: FieldSpec, problems: string[]): void {
  const got = `got ${showValue(value)}`;
  if (value === null) {
    if (field.nullable !== true) problems.push(`${path}.${key}: must be ${field.type}, ${got}`);
    return;
  }
  const typeOk = field.type === 'integer' ? typeof value === 'number' && Number.isInteger(value)
    : field.type === 'number' ? typeof value === 'number' && Number.isFinite(value)
      : typeof value === field.type;
  if (!typeOk) {
    problems.push(`${path}.${key}: must be ${field.type === 'integer' ? 'an integer' : `a ${field.type}`}, ${got}`);
    return;
  }
  if (field.enum !== undefined && !field.enum.includes(value as string)) {
    problems.push(`${path}.${key}: must be one of ${field.enum.join(', ')}; ${got}`);
  }
  if (typeof value === 'number') {
    if (field.minimum !== undefined && value < field.minimum) problems.push(`${path}.${key}: must be ≥ ${field.minimum}, ${got}`);
    if (field.maximum !== undefined && value > field.maximum) problems.push(`${path}.${key}: must be ≤ ${field.maximum}, ${got}`);
  }
}

/**
 * Checks a `data` section's options against its dataset. `dataset` is the effective dataset
 * (named here or inherited); paths of user files are resolved against the file's folder.
 */
function checkData(path: string, data: Json, dataset: string, baseDir: string, problems: string[]): Json {
  const fields = datasetFields().get(dataset);
  const checked: Json = {};
  if (fields === undefined) return checked;
  for (const [key, value] of Object.entries(data)) {
    if (key === 'dataset') continue;
    const field = fields[key];
    if (field === undefined) {
      problems.push(`${path}.${key}: unknown option for dataset ${dataset} (known: ${Object.keys(fields).join(', ')})`);
      continue;
    }
    const before = problems.length;
    checkField(path, key, value, field, problems);
    if (problems.length > before) continue;
    if (field.type === 'string' && field.enum === undefined && typeof value === 'string' && /(inputs|labels|path)$/.test(key)) {
      const absolute = isAbsolute(value) ? value : resolve(baseDir, value);
      if (!existsSync(absolute)) problems.push(`${path}.${key}: no such file ${showValue(value)} (looked for ${absolute})`);
      checked[key] = absolute;
    } else {
      checked[key] = value;
    }
  }
  return checked;
}

function datasetOf(data: unknown): string | undefined {
  return isObject(data) && typeof data.dataset === 'string' ? data.dataset : undefined;
}

/** Loads, validates and resolves a suite from a file path or a preset name. */
export function loadSuite(fileOrPreset: string, overrides: SuiteOverrides = {}): Suite {
  const preset = presetPath(fileOrPreset);
  const path = preset ?? resolve(fileOrPreset);
  if (preset === null && !existsSync(path)) {
    throw new InputError([`${fileOrPreset}: no such file, and not a preset (see \`vanishing list\`)`]);
  }
  const source = preset !== null ? `preset:${fileOrPreset}` : path;
  const document = parseFile(path);
  const suite = resolveSuite(document, path, overrides);
  return { ...suite, source };
}

/** Validates and resolves an already-parsed document; `path` names it in error lines. */
export function resolveSuite(document: unknown, path: string, overrides: SuiteOverrides = {}): Suite {
  const label = (line: string): string => `${path}: ${line}`;
  if (!isObject(document)) throw new InputError([label(`must be a mapping with an experiments list, got ${showValue(document)}`)]);
  const problems = schemaProblems(document);
  if (problems.length > 0) throw new InputError(problems.map(label));

  const baseDir = dirname(path);
  const defaults = isObject(document.defaults) ? document.defaults : {};
  const experiments = document.experiments as Json[];
  const defaultsDataset = datasetOf(defaults.data) ?? defaultDatasetName;
  const dataProblems: string[] = [];
  const defaultsData = checkData('defaults.data', isObject(defaults.data) ? defaults.data : {}, defaultsDataset, baseDir, dataProblems);

  const resolved: ExperimentConfig[] = [];
  const seen = new Set<string>();
  experiments.forEach((experiment, index) => {
    const at = `experiments[${index}]`;
    const name = experiment.name as string;
    const nameProblem = experimentNameProblem(name);
    if (nameProblem !== null) dataProblems.push(`${at}.name: ${nameProblem}`);
    if (seen.has(name)) dataProblems.push(`${at}.name: ${showValue(name)} is used by an earlier experiment; names must be unique`);
    seen.add(name);

    const dataset = datasetOf(experiment.data) ?? defaultsDataset;
    const ownData = checkData(`${at}.data`, isObject(experiment.data) ? experiment.data : {}, dataset, baseDir, dataProblems);
    // Another dataset's options would not fit: inherit the defaults' data only for the same dataset.
    const inheritedData = dataset === defaultsDataset ? defaultsData : {};
    const fields = datasetFields().get(dataset) ?? {};
    const data: DataSection = { dataset };
    for (const [key, field] of Object.entries(fields)) {
      const value = ownData[key] ?? inheritedData[key] ?? field.default;
      data[key] = value as FieldValue;
      if (field.required === true && value === null) dataProblems.push(`${at}.data.${key}: required for dataset ${dataset}, missing`);
    }

    const section = <T>(name: SectionName): T => ({
      ...sectionDefaults(sectionFields[name]),
      ...(isObject(defaults[name]) ? defaults[name] : {}),
      ...(isObject(experiment[name]) ? experiment[name] : {}),
    }) as T;
    const model = section<ModelSection>('model');
    const training = section<TrainingSection>('training');
    if (overrides.epochs !== undefined) training.epochs = overrides.epochs;
    if (overrides.seed !== undefined) training.seed = overrides.seed;
    if (model.init === 'identity' && model.cell !== 'rnn') {
      dataProblems.push(`${at}.model.init: identity (IRNN) needs cell rnn, got cell ${showValue(model.cell)}`);
    }
    if (model.forget_bias !== null && model.cell !== 'lstm') {
      dataProblems.push(`${at}.model.forget_bias: only the lstm cell has a forget gate, got cell ${showValue(model.cell)}`);
    }
    const diagnosis = section<DiagnosisSection>('diagnosis');
    if (diagnosis.borderline_time_constants >= diagnosis.vanishing_time_constants) {
      dataProblems.push(`${at}.diagnosis.borderline_time_constants: must be below vanishing_time_constants (${showValue(diagnosis.vanishing_time_constants)}), got ${showValue(diagnosis.borderline_time_constants)}`);
    }
    if (training.nesterov && training.momentum <= 0) {
      dataProblems.push(`${at}.training.nesterov: needs momentum > 0, got momentum ${showValue(training.momentum)}`);
    }
    const modelType = (experiment.model_type ?? defaults.model_type) as string | undefined;
    resolved.push({
      name,
      description: (experiment.description as string | undefined) ?? '',
      model_type: modelType ?? (model.architecture === 'residual' ? 'residual' : model.cell === 'rnn' ? 'vanilla' : model.cell),
      mitigation: (experiment.mitigation ?? defaults.mitigation ?? 'no_mitigation') as string,
      model,
      data,
      training,
      record: section<RecordSection>('record'),
      diagnosis,
      expect: isObject(experiment.expect)
        ? {
          verdict: (experiment.expect.verdict ?? null) as VerdictKind | null,
          atInitialisation: (experiment.expect.at_initialisation ?? null) as VerdictKind | null,
          learning: (experiment.expect.learning ?? null) as LearningKind | null,
          why: (experiment.expect.why as string | undefined) ?? '',
        }
        : null,
    });
  });

  let chosen = resolved;
  if (overrides.only !== undefined && overrides.only.length > 0) {
    for (const wanted of overrides.only) {
      if (!seen.has(wanted)) dataProblems.push(`--only: no experiment named ${showValue(wanted)} (known: ${[...seen].join(', ')})`);
    }
    chosen = resolved.filter((experiment) => overrides.only!.includes(experiment.name));
  }
  if (dataProblems.length > 0) throw new InputError(dataProblems.map((line) => (line.startsWith('--') ? line : label(line))));
  const fileName = basename(path, extname(path));
  return {
    name: typeof document.name === 'string' ? document.name : fileName.replace(/[^A-Za-z0-9_.-]/g, '_'),
    description: typeof document.description === 'string' ? document.description : '',
    source: path,
    experiments: chosen,
  };
}

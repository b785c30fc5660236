/**
 * From an experiment file (YAML or JSON) or a preset name to a validated suite of fully resolved
 * experiments: built-in defaults, then the file's `defaults`, then each experiment's own fields,
 * then the command line's overrides. Every problem is collected and reported at once
 * (InputError), one line each, before anything runs.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import type { DiagnosisSection, FieldSpec, FieldValue, ModelSection, RecordSection, SectionName, TrainingSection } from './fields.js';

export type { DiagnosisSection, ModelSection, RecordSection, TrainingSection };
import { datasetFields, defaultDatasetName, sectionFields } from './fields.js';
import { InputError, showValue } from './errors.js';
import { schemaProblems } from './schema.js';
import { readDocument } from './read-document.js';
import { presetPath } from './presets.js';
import type { Expectation, LearningKind, VerdictKind } from '../record/metrics.js';
import type { ModelOptions } from '../model/config.js';
import { experimentNameProblem } from '../record/run-format.js';
import type { SweepRecord } from '../record/run-format.js';
import { expandSweep, relabelProblem } from './sweep.js';

/**
 * `createModel`'s options from a file's model section: the one place the model fields change
 * spelling. The sizes the data decides (input, output, where the head reads) come from `task`.
 */
export function modelOptionsFromFile(model: ModelSection, task: Pick<ModelOptions, 'inputSize' | 'outputSize' | 'output'>, seed: number): ModelOptions {
  return {
    architecture: model.architecture, cell: model.cell, nonlinearity: model.nonlinearity, inputSize: task.inputSize,
    hiddenSize: model.hidden_size, numLayers: model.num_layers, outputSize: task.outputSize, output: task.output,
    init: model.init, recurrentGain: model.recurrent_gain, forgetBias: model.forget_bias ?? undefined, seed, dtype: model.dtype,
  };
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
  /** The sweep whose points the experiments are (sweep.ts), or null. */
  sweep: SweepRecord | null;
}

export interface SuiteOverrides {
  epochs?: number;
  seed?: number;
  /** Run only these experiments (by name). */
  only?: readonly string[];
}

type Json = Record<string, unknown>;

// The names a run folder reserves are the run format's; re-exported for the suite's callers.
export { experimentNameProblem };
export { reservedNames } from '../record/run-format.js';

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sectionDefaults(fields: Record<string, FieldSpec>): Record<string, FieldValue> {
  const defaults: Record<string, FieldValue> = {};
  for (const [key, field] of Object.entries(fields)) defaults[key] = field.default;
  return defaults;
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
  const document = readDocument(path);
  const suite = resolveSuite(document, path, overrides);
  return { ...suite, source };
}

/**
 * The dataset-option problems of a document whose structure is not valid (so resolveSuite stops
 * before its own data checks): each readable `data` section is checked against its dataset.
 */
function dataOptionProblems(document: Json, baseDir: string): string[] {
  const problems: string[] = [];
  const defaults = isObject(document.defaults) ? document.defaults : {};
  const defaultsDataset = datasetOf(defaults.data) ?? defaultDatasetName;
  if (isObject(defaults.data)) checkData('defaults.data', defaults.data, defaultsDataset, baseDir, problems);
  if (Array.isArray(document.experiments)) {
    document.experiments.forEach((experiment: unknown, index: number) => {
      if (isObject(experiment) && isObject(experiment.data)) {
        checkData(`experiments[${index}].data`, experiment.data, datasetOf(experiment.data) ?? defaultsDataset, baseDir, problems);
      }
    });
  }
  return problems;
}

/** The command line's overrides obey the same bounds as the fields they replace. */
function overrideProblems(overrides: SuiteOverrides): void {
  const problems: string[] = [];
  for (const key of ['epochs', 'seed'] as const) {
    const value = overrides[key];
    if (value === undefined) continue;
    const field = sectionFields.training[key];
    const before = problems.length;
    checkField('--', key, value, field, problems);
    // checkField names `path.key`; an override is named by its flag.
    for (let i = before; i < problems.length; i++) problems[i] = problems[i].replace(`--.${key}`, `--${key}`);
  }
  if (problems.length > 0) throw new InputError(problems);
}

/** A safe suite name from a file name: the characters a folder name may hold, at most 80. */
function suiteNameFromFile(fileName: string): string {
  const name = fileName.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 80);
  return name === '' ? 'suite' : name;
}

/** Validates and resolves an already-parsed document; `path` names it in error lines. */
export function resolveSuite(document: unknown, path: string, overrides: SuiteOverrides = {}): Suite {
  const fileLabel = (line: string): string => `${path}: ${line}`;
  if (!isObject(document)) throw new InputError([fileLabel(`must be a mapping with an experiments list, got ${showValue(document)}`)]);
  const fileProblems = schemaProblems(document);
  if (fileProblems.length > 0) {
    // Every problem in one pass: the dataset options are checked too wherever their section is readable.
    const more = dataOptionProblems(document, dirname(path)).filter((line) => !fileProblems.includes(line));
    throw new InputError([...fileProblems, ...more].map(fileLabel));
  }
  // A sweep's points become experiments of their own, validated as if written by hand, and named by their point in error lines.
  const expansion = expandSweep(document);
  if (expansion !== null && 'problems' in expansion) throw new InputError(expansion.problems.map(fileLabel));
  const sweep = expansion?.record ?? null;
  const pointLabels = expansion?.labels ?? [];
  const label = (line: string): string => fileLabel(relabelProblem(line, pointLabels));
  const suiteDocument: Json = expansion === null ? document : expansion.document;
  if (expansion !== null) {
    const pointProblems = schemaProblems(suiteDocument);
    if (pointProblems.length > 0) throw new InputError(pointProblems.map(label));
  }

  overrideProblems(overrides);
  const baseDir = dirname(path);
  const defaults = isObject(suiteDocument.defaults) ? suiteDocument.defaults : {};
  const experiments = suiteDocument.experiments as Json[];
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
    name: typeof suiteDocument.name === 'string' ? suiteDocument.name : suiteNameFromFile(fileName),
    description: typeof suiteDocument.description === 'string' ? suiteDocument.description : '',
    source: path,
    experiments: chosen,
    sweep: sweep === null ? null : { axes: sweep.axes, points: sweep.points.filter((point) => chosen.some((experiment) => experiment.name === point.experiment)) },
  };
}

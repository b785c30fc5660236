/**
 * What a run folder's records must look like when they are read back (run-folder-read.ts). A run
 * folder may be edited, truncated or come from elsewhere: every field the charts, the page and
 * `--resume` read is checked for its type and shape here (JSON Schema, ajv, as the experiment
 * files are in experiments/schema.ts), so a malformed record is one line naming the file and the
 * field — never a crash halfway through drawing, never a PNG named after a tampered field outside
 * the plots folder.
 *
 * Unknown extra fields are allowed (records of a later version stay readable); the fields
 * themselves are not optional unless the record format says so.
 */
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { learningKinds, verdictKinds } from './metrics.js';
import { showValue } from './show-value.js';

type JsonSchema = Record<string, unknown>;

/** A number as records store it: finite, or the names of the IEEE specials. */
const recorded: JsonSchema = { anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity', '-Infinity'] }] };
const recordedOrNull: JsonSchema = { anyOf: [recorded, { type: 'null' }] };
const numberOrNull: JsonSchema = { type: ['number', 'null'] };
const count: JsonSchema = { type: 'integer', minimum: 0, maximum: 1e9 };
const recordedList: JsonSchema = { type: 'array', items: recorded };
const recordedGrid: JsonSchema = { type: 'array', items: recordedList };
const recordedByName: JsonSchema = { type: 'object', additionalProperties: recorded };
/** Names become parts of file names: the same rule as names in an experiment file. */
export const safeNamePattern = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$';
const safeName: JsonSchema = { type: 'string', pattern: safeNamePattern };

const histogram: JsonSchema = {
  type: 'object',
  required: ['firstBin', 'counts', 'zeros', 'nonFinite'],
  properties: {
    firstBin: { type: 'integer', minimum: -10_000, maximum: 10_000 },
    counts: { type: 'array', items: count },
    zeros: count,
    nonFinite: count,
  },
};

const throughTime: JsonSchema = {
  type: 'object',
  required: ['hiddenGradientNorms', 'inputGradientNorms'],
  properties: { hiddenGradientNorms: recordedGrid, inputGradientNorms: recordedList },
};

export const batchRecordSchema: JsonSchema = {
  type: 'object',
  required: ['epoch', 'batch', 'batchSize', 'loss', 'accuracy', 'gradientNorms', 'totalGradientNorm', 'minLayerGradientNorm',
    'minLayerParameter', 'zeroGradientParameters', 'rescaleFactor', 'updateToWeightRatio', 'saturatedFraction', 'activationRms'],
  properties: {
    epoch: count,
    batch: count,
    batchSize: count,
    loss: recorded,
    accuracy: numberOrNull,
    gradientNorms: recordedByName,
    totalGradientNorm: recorded,
    minLayerGradientNorm: recorded,
    minLayerParameter: { type: 'string' },
    zeroGradientParameters: count,
    rescaleFactor: recorded,
    updateToWeightRatio: recordedByName,
    saturatedFraction: { type: 'array', items: { type: 'number' } },
    activationRms: recordedList,
    hiddenGradientNorms: recordedGrid,
    inputGradientNorms: recordedList,
    lastStepProbe: throughTime,
    histograms: {
      type: 'object',
      required: ['gradient', 'weight'],
      properties: {
        gradient: { type: 'object', additionalProperties: histogram },
        weight: { type: 'object', additionalProperties: histogram },
      },
    },
  },
};

export const epochRecordSchema: JsonSchema = {
  type: 'object',
  required: ['epoch', 'batches', 'meanLoss', 'meanAccuracy', 'meanTotalGradientNorm', 'meanMinLayerGradientNorm', 'meanGradientNorms',
    'lastTotalGradientNorms', 'meanHiddenGradientNorms', 'meanInputGradientNorms', 'meanActivationRms', 'meanSaturatedFraction',
    'meanUpdateToWeightRatio', 'validationLoss', 'validationAccuracy', 'seconds'],
  properties: {
    epoch: count,
    batches: count,
    meanLoss: recorded,
    meanAccuracy: numberOrNull,
    meanTotalGradientNorm: recorded,
    meanMinLayerGradientNorm: recorded,
    meanGradientNorms: recordedByName,
    lastTotalGradientNorms: recordedList,
    meanHiddenGradientNorms: { anyOf: [recordedGrid, { type: 'null' }] },
    meanInputGradientNorms: { anyOf: [recordedList, { type: 'null' }] },
    meanLastStepProbe: { anyOf: [throughTime, { type: 'null' }] },
    meanActivationRms: recordedList,
    meanSaturatedFraction: { type: 'array', items: { type: 'number' } },
    meanUpdateToWeightRatio: recordedByName,
    validationLoss: recordedOrNull,
    validationAccuracy: numberOrNull,
    seconds: { type: 'number', minimum: 0 },
  },
};

const verdictKind: JsonSchema = { enum: [...verdictKinds] };

export const summarySchema: JsonSchema = {
  type: 'object',
  required: ['name', 'modelType', 'mitigation', 'status', 'divergence', 'epochsCompleted', 'parameterNames', 'numLayers', 'steps',
    'final', 'baseline', 'verdict', 'seconds', 'kernels'],
  properties: {
    name: safeName,
    modelType: safeName,
    mitigation: safeName,
    status: { enum: ['finished', 'diverged', 'running'] },
    divergence: {
      anyOf: [{ type: 'null' }, {
        type: 'object', required: ['epoch', 'batch', 'reason'],
        properties: { epoch: count, batch: count, reason: { type: 'string' } },
      }],
    },
    epochsCompleted: count,
    parameterNames: { type: 'array', items: { type: 'string' } },
    numLayers: { type: 'integer', minimum: 1, maximum: 10_000 },
    cell: { type: 'string' },
    nonlinearity: { type: 'string' },
    steps: count,
    final: {
      type: 'object',
      required: ['loss', 'accuracy', 'validationLoss', 'validationAccuracy', 'testLoss', 'testAccuracy', 'minLayerGradientNorm'],
      properties: {
        loss: recordedOrNull, accuracy: numberOrNull, validationLoss: recordedOrNull, validationAccuracy: numberOrNull,
        testLoss: recordedOrNull, testAccuracy: numberOrNull, minLayerGradientNorm: recordedOrNull,
      },
    },
    baseline: {
      anyOf: [{ type: 'null' }, {
        type: 'object', required: ['loss', 'description'],
        properties: { loss: { type: 'number' }, accuracy: { type: 'number' }, description: { type: 'string' } },
      }],
    },
    verdict: {
      type: 'object',
      required: ['kind', 'headline', 'evidence', 'measures'],
      properties: {
        kind: verdictKind,
        headline: { type: 'string' },
        atInitialisation: {
          anyOf: [{ type: 'null' }, { type: 'object', required: ['kind', 'headline'], properties: { kind: verdictKind, headline: { type: 'string' } } }],
        },
        learning: {
          type: 'object', required: ['kind', 'sentence'],
          properties: { kind: { enum: [...learningKinds] }, sentence: { type: 'string' } },
        },
        evidence: { type: 'array', items: { type: 'string' } },
        measures: { type: 'object', additionalProperties: recordedOrNull },
      },
    },
    expected: {
      anyOf: [{ type: 'null' }, {
        type: 'object', required: ['verdict', 'atInitialisation', 'learning', 'why'],
        properties: {
          verdict: { anyOf: [verdictKind, { type: 'null' }] },
          atInitialisation: { anyOf: [verdictKind, { type: 'null' }] },
          learning: { enum: [...learningKinds, null] },
          why: { type: 'string' },
        },
      }],
    },
    seconds: { type: 'number', minimum: 0 },
    kernels: { type: 'string' },
    prediction: {
      type: 'object',
      required: ['applies', 'reason', 'chi', 'recurrencePerStep', 'perStep', 'perLayer'],
      properties: {
        applies: { type: 'boolean' }, reason: { type: ['string', 'null'] }, chi: numberOrNull, recurrencePerStep: numberOrNull,
        perStep: numberOrNull, perLayer: numberOrNull, exact: { type: 'boolean' },
      },
    },
  },
};

export const runRecordSchema: JsonSchema = {
  type: 'object',
  required: ['name', 'description', 'source', 'createdAt', 'experiments', 'plotsDir'],
  properties: {
    name: safeName,
    description: { type: 'string' },
    source: { type: 'string' },
    createdAt: { type: 'string' },
    experiments: { type: 'array', items: safeName },
    plotsDir: { type: 'string', minLength: 1 },
  },
};

/** The fields of config.json the report reads (the rest is shown as written). */
export const configSchema: JsonSchema = {
  type: 'object',
  required: ['name', 'model_type', 'mitigation', 'model', 'training'],
  properties: {
    name: safeName,
    description: { type: 'string' },
    model_type: safeName,
    mitigation: safeName,
    model: {
      type: 'object', required: ['num_layers', 'cell', 'nonlinearity'],
      properties: { num_layers: { type: 'integer', minimum: 1, maximum: 10_000 }, cell: { type: 'string' }, nonlinearity: { type: 'string' } },
    },
    training: {
      type: 'object', required: ['epochs', 'seed'],
      properties: { epochs: count, seed: { type: 'number' } },
    },
    expect: { type: ['object', 'null'] },
  },
};

// verbose: each error carries the offending value, to show it.
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true });

/** A validator for one of the schemas above. */
export function compileRecordSchema(schema: JsonSchema): ValidateFunction {
  return ajv.compile(schema);
}

/** The first problem ajv found, as `field: what is wrong` in the file's own field names. */
export function firstProblem(errors: readonly ErrorObject[] | null | undefined): string {
  const error = errors?.[0];
  if (error === undefined) return 'malformed';
  const field = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replace(/\//g, '.');
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${field === '(top level)' ? '' : `${field}.`}${String(params.missingProperty)}: required, missing`;
  const what = error.keyword === 'pattern' ? 'must be a name of letters, digits, _ . - (up to 80, starting with a letter or digit)' : (error.message ?? 'invalid');
  return `${field}: ${what}, got ${showValue(error.data)}`;
}

/**
 * The JSON Schema of an experiment file, generated from the field table (fields.ts), and the
 * translation of schema violations into one line per problem: `file: experiments[2].training.learning_rate: must be > 0, got -1`.
 *
 * The `data` section is checked separately (validate-data.ts): its keys depend on the dataset.
 */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { datasetCatalog } from '../data/load.js';
import type { FieldSpec, SectionName } from './fields.js';
import { sectionFields } from './fields.js';
import { showValue } from './errors.js';
import { learningKinds, verdictKinds } from '../record/metrics.js';

type JsonSchema = Record<string, unknown>;

function fieldSchema(field: FieldSpec): JsonSchema {
  const schema: JsonSchema = { type: field.nullable === true ? [field.type, 'null'] : field.type };
  if (field.enum !== undefined) schema.enum = field.nullable === true ? [...field.enum, null] : [...field.enum];
  for (const bound of ['minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum'] as const) {
    if (field[bound] !== undefined) schema[bound] = field[bound];
  }
  return schema;
}

function sectionSchema(section: SectionName): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, field] of Object.entries(sectionFields[section])) properties[key] = fieldSchema(field);
  return { type: 'object', additionalProperties: false, properties };
}

/** Names of experiments, suites and labels become folder and file names: keep them safe. */
const safeName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$' };
/** An experiment's name; a sweep's point names (base and point) may run longer, within what file systems take. */
const experimentName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$' };

/** `sweep:` field → a list of values, or a range `{ from, to, steps, scale }`. */
const sweepSchema: JsonSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: {
    anyOf: [
      { type: 'array', minItems: 1, items: { type: ['number', 'string', 'boolean', 'null'] } },
      {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to', 'steps'],
        properties: {
          from: { type: 'number' },
          to: { type: 'number' },
          steps: { type: 'integer', minimum: 1, maximum: 1000 },
          scale: { type: 'string', enum: ['linear', 'log'] },
        },
      },
    ],
  },
};

function experimentSchema(requireName: boolean): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    ...(requireName ? { required: ['name'] } : {}),
    properties: {
      ...(requireName ? { name: experimentName } : {}),
      description: { type: 'string' },
      model_type: safeName,
      mitigation: safeName,
      model: sectionSchema('model'),
      data: {
        type: 'object',
        properties: { dataset: { type: 'string', enum: datasetCatalog.map((d) => d.name) } },
      },
      training: sectionSchema('training'),
      record: sectionSchema('record'),
      diagnosis: sectionSchema('diagnosis'),
      ...(requireName ? { expect: expectationSchema } : {}),
    },
  };
}

/** `expect:` the verdict (and whether it learns) that an experiment is known to give, and why. */
const expectationSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    verdict: { type: 'string', enum: [...verdictKinds] },
    at_initialisation: { type: 'string', enum: [...verdictKinds] },
    learning: { type: 'string', enum: [...learningKinds] },
    why: { type: 'string' },
  },
};

export const suiteSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['experiments'],
  properties: {
    name: safeName,
    description: { type: 'string' },
    defaults: experimentSchema(false),
    sweep: sweepSchema,
    experiments: { type: 'array', minItems: 1, items: experimentSchema(true) },
  },
};

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateSuite = ajv.compile(suiteSchema);

/** `/experiments/2/training` → `experiments[2].training`. */
export function fieldPath(pointer: string, extra?: string): string {
  const parts = pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let path = '';
  for (const part of parts) {
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) path += `[${JSON.stringify(part)}]`;
    else path += path === '' ? part : `.${part}`;
  }
  return path === '' ? '(top level)' : path;
}

function valueAt(document: unknown, pointer: string): unknown {
  let node: unknown = document;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** A key as named in an error line: a 20 kB key is not echoed whole. */
function shortKey(key: string): string {
  return key.length > 40 ? `${key.slice(0, 37)}…` : key;
}

function describe(error: ErrorObject, document: unknown): string | null {
  const value = valueAt(document, error.instancePath);
  const got = `got ${showValue(value)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const parent = error.schemaPath.replace(/\/additionalProperties$/, '');
      const known = knownKeys(parent);
      return `${fieldPath(error.instancePath, shortKey(String(params.additionalProperty)))}: unknown key${known === '' ? '' : ` (known: ${known})`}`;
    }
    case 'required':
      return `${fieldPath(error.instancePath, String(params.missingProperty))}: required, missing`;
    case 'type':
      if (typeof value === 'number' && !Number.isFinite(value) && (params.type === 'number' || params.type === 'integer')) {
        return `${fieldPath(error.instancePath)}: must be a finite number, ${got}`;
      }
      return `${fieldPath(error.instancePath)}: must be ${String(params.type).replace(',', ' or ')}, ${got}`;
    case 'enum':
      return `${fieldPath(error.instancePath)}: must be one of ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}; ${got}`;
    case 'minimum':
      return `${fieldPath(error.instancePath)}: must be ≥ ${String(params.limit)}, ${got}`;
    case 'exclusiveMinimum':
      return `${fieldPath(error.instancePath)}: must be > ${String(params.limit)}, ${got}`;
    case 'maximum':
      return `${fieldPath(error.instancePath)}: must be ≤ ${String(params.limit)}, ${got}`;
    case 'exclusiveMaximum':
      return `${fieldPath(error.instancePath)}: must be < ${String(params.limit)}, ${got}`;
    case 'minItems':
      return `${fieldPath(error.instancePath)}: needs at least ${String(params.limit)} item, ${got}`;
    case 'pattern':
      return `${fieldPath(error.instancePath)}: must be a name of letters, digits, _ . - (up to ${/name$/.test(error.instancePath) && /experiments\/\d+\/name$/.test(error.instancePath) ? 200 : 80}, starting with a letter or digit), ${got}`;
    case 'anyOf':
      return /^\/sweep\//.test(error.instancePath) ? `${fieldPath(error.instancePath)}: an axis is a list of values or a range { from, to, steps, scale: linear | log }, ${got}` : `${fieldPath(error.instancePath)}: ${error.message ?? 'invalid'}, ${got}`;
    case 'minProperties':
      return `${fieldPath(error.instancePath)}: needs at least one axis, ${got}`;
    default:
      return `${fieldPath(error.instancePath)}: ${error.message ?? 'invalid'}, ${got}`;
  }
}

function knownKeys(schemaPointer: string): string {
  const node = valueAt(suiteSchema, schemaPointer);
  if (node === null || typeof node !== 'object') return '';
  const properties = (node as { properties?: Record<string, unknown> }).properties;
  return properties === undefined ? '' : Object.keys(properties).join(', ');
}

/**
 * A sweep axis is a list or a range, and ajv reports why it is neither of both: only the form the
 * user wrote is described (a list's item, a range's steps), or the choice itself when it is neither.
 */
function sweepErrorApplies(error: ErrorObject, document: unknown): boolean {
  const branch = /\/sweep\/additionalProperties\/anyOf(?:\/(\d))?/.exec(error.schemaPath);
  if (branch === null) return true;
  const axis = /^\/sweep\/[^/]+/.exec(error.instancePath);
  const value = axis === null ? undefined : valueAt(document, axis[0]);
  const form = Array.isArray(value) ? '0' : value !== null && typeof value === 'object' ? '1' : undefined;
  return branch[1] === undefined ? form === undefined : branch[1] === form;
}

/** Problems with the file's structure and fields (except dataset options), one line each. */
export function schemaProblems(document: unknown): string[] {
  if (validateSuite(document)) return [];
  const problems: string[] = [];
  for (const error of validateSuite.errors ?? []) {
    if (!sweepErrorApplies(error, document)) continue;
    // A wrong type makes ajv also report the nullable union's enum; one line per field is enough.
    const line = describe(error, document);
    if (line !== null && !problems.includes(line)) problems.push(line);
  }
  return problems;
}

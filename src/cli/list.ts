/** `vanishing list`: the presets and the datasets with their options; `vanishing list --fields`: every experiment field, alone. */
import { datasetCatalog } from '../data/load.js';
import { fileOptionName } from '../data/option-names.js';
import type { FieldSpec } from '../experiments/fields.js';
import { sectionFields } from '../experiments/fields.js';
import { listPresets } from '../experiments/presets.js';

function range(field: Pick<FieldSpec, 'minimum' | 'maximum' | 'exclusiveMinimum' | 'exclusiveMaximum' | 'enum'>): string {
  if (field.enum !== undefined) return field.enum.join(' | ');
  const low = field.minimum !== undefined ? `≥ ${field.minimum}` : field.exclusiveMinimum !== undefined ? `> ${field.exclusiveMinimum}` : '';
  const high = field.maximum !== undefined ? `≤ ${field.maximum}` : field.exclusiveMaximum !== undefined ? `< ${field.exclusiveMaximum}` : '';
  return [low, high].filter((part) => part !== '').join(', ');
}

function show(value: unknown): string {
  return value === null ? 'null' : String(value);
}

/** Every experiment field with its default, range and meaning, by section. */
function fieldsText(): string[] {
  const lines = ['Experiment fields (top level: name, description, model_type, mitigation, expect; sections below; dataset options: vanishing list):'];
  for (const [section, fields] of Object.entries(sectionFields)) {
    lines.push(`  ${section}:`);
    for (const [key, field] of Object.entries(fields)) {
      const bounds = range(field);
      lines.push(`      ${key.padEnd(24)} default ${show(field.default)}${bounds === '' ? '' : ` (${bounds}${field.nullable === true ? ' or null' : ''})`}: ${field.description}`);
    }
  }
  return lines;
}

export function listText(withFields: boolean): string {
  if (withFields) return fieldsText().join('\n');
  const lines: string[] = ['Presets (vanishing run <name>):'];
  for (const preset of listPresets()) {
    lines.push(`  ${preset.name.padEnd(10)} ${preset.description}`);
    lines.push(`  ${''.padEnd(10)} experiments: ${preset.experiments.join(', ')}`);
  }
  lines.push('', 'Datasets (data: { dataset: <name>, … }):');
  for (const dataset of datasetCatalog) {
    lines.push(`  ${dataset.name.padEnd(15)} ${dataset.description}`);
    for (const option of dataset.options) {
      const bounds = range({ minimum: option.minimum, maximum: option.maximum, enum: option.values });
      lines.push(`      ${fileOptionName(option.name).padEnd(20)} ${option.required === true ? 'required' : `default ${show(option.default)}`}${bounds === '' ? '' : ` (${bounds})`}: ${option.description}`);
    }
  }
  lines.push('', 'Every experiment field and its default: vanishing list --fields');
  return lines.join('\n');
}

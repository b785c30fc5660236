/**
 * Sweeps: a suite's `sweep:` section names fields and the values each takes, and every
 * experiment of the file is run at every point of their grid (the cartesian product):
 *
 *   sweep:
 *     model.recurrent_gain: { from: 0.5, to: 3, steps: 11 }        # or scale: log
 *     model.num_layers: [1, 2, 5, 10, 20]
 *     training.seed: [0, 1, 2]
 *
 * Expansion happens on the document, before validation: each point becomes an experiment of its
 * own (named from its base and the point, `tanh__recurrent_gain_0.5__num_layers_1__seed_0`), so
 * every point is validated exactly as a hand-written experiment would be, and a problem is named
 * by the experiment and the point (`experiments[0] at recurrent_gain=0.5, num_layers=0: …`).
 */
import { isAbsolute } from 'node:path';
import type { SweepAxisRecord, SweepRecord } from '../record/run-format.js';
import { showValue } from './errors.js';
import { datasetFields, sectionFields } from './fields.js';
import type { FieldValue, SectionName } from './fields.js';

type Json = Record<string, unknown>;

/** At most this many experiments from one sweep: 10,000 runs are days of training on a big machine. */
export const maxSweepPoints = 10000;
const sweepSections = ['model', 'training', 'record', 'diagnosis', 'data'] as const;

/** A sweep section's range form: `steps` values from `from` to `to`, both included. */
interface AxisRange {
  from: number;
  to: number;
  steps: number;
  scale?: 'linear' | 'log';
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A range's values, rounded to 6 significant digits (0.5 + 0.25·k stays 0.75, not
 * 0.7500000000000001, in names, folders and the CSV).
 */
export function rangeValues(range: AxisRange): number[] {
  const values: number[] = [];
  for (let i = 0; i < range.steps; i++) {
    const fraction = range.steps === 1 ? 0 : i / (range.steps - 1);
    const value = range.scale === 'log'
      ? Math.exp(Math.log(range.from) + fraction * (Math.log(range.to) - Math.log(range.from)))
      : range.from + fraction * (range.to - range.from);
    values.push(Number(value.toPrecision(6)));
  }
  return values;
}

/** The field an axis sets, checked against the field table; a problem line, or null. */
function axisFieldProblem(key: string): string | null {
  const [section, field, ...rest] = key.split('.');
  if (!(sweepSections as readonly string[]).includes(section) || field === undefined || rest.length > 0) {
    return `sweep.${key}: an axis names a field as section.field (sections: ${sweepSections.join(', ')}), e.g. model.num_layers`;
  }
  if (section === 'data') {
    if (field === 'dataset') return null;
    const known = new Set<string>();
    for (const fields of datasetFields().values()) for (const name of Object.keys(fields)) known.add(name);
    return known.has(field) ? null : `sweep.${key}: no dataset has an option ${field}`;
  }
  const fields = sectionFields[section as SectionName];
  if (!(field in fields)) return `sweep.${key}: unknown field (known in ${section}: ${Object.keys(fields).join(', ')})`;
  return null;
}

/** The axes of a sweep section: each field and its values, or the problems that stop it. */
export function sweepAxes(sweep: Json): { axes: SweepAxisRecord[]; problems: string[] } {
  const axes: SweepAxisRecord[] = [];
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(sweep)) {
    const problem = axisFieldProblem(key);
    if (problem !== null) {
      problems.push(problem);
      continue;
    }
    if (Array.isArray(spec)) {
      const values = spec as FieldValue[];
      const unique = new Set(values.map((value) => JSON.stringify(value)));
      if (unique.size !== values.length) problems.push(`sweep.${key}: a value is listed twice, got ${showValue(spec)}`);
      axes.push({ field: key, values });
      continue;
    }
    const range = spec as unknown as AxisRange;
    if (range.scale === 'log' && !(range.from > 0 && range.to > 0)) {
      problems.push(`sweep.${key}: a log range needs from and to > 0, got from ${showValue(range.from)}, to ${showValue(range.to)}`);
      continue;
    }
    axes.push({ field: key, values: rangeValues(range) });
  }
  const points = axes.reduce((product, axis) => product * axis.values.length, 1);
  if (points > maxSweepPoints) problems.push(`sweep: ${points} points per experiment (${axes.map((a) => a.values.length).join(' × ')}); at most ${maxSweepPoints}`);
  return { axes, problems };
}

/** A value as a name part: `0.5`, `-1`, `true`, `lstm`; characters a folder name may not hold become `_`. */
function namePart(value: FieldValue): string {
  const text = typeof value === 'string' && isAbsolute(value) ? value.split(/[\\/]/).pop() ?? value : String(value);
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Every point of the grid, in order: the first axis varies slowest. */
function gridPoints(axes: readonly SweepAxisRecord[]): FieldValue[][] {
  let points: FieldValue[][] = [[]];
  for (const axis of axes) points = points.flatMap((point) => axis.values.map((value) => [...point, value]));
  return points;
}

/** A sweep expanded: the document with one experiment per point, and where each came from. */
export interface ExpandedSweep {
  document: Json;
  /** For each expanded experiment (same order): how error lines name it. */
  labels: string[];
  record: SweepRecord;
}

/**
 * The document with `sweep:` replaced by its points, or null when it has no sweep section.
 * The document is assumed to have passed the suite schema (a sweep section of the right shape).
 */
export function expandSweep(document: Json): ExpandedSweep | { problems: string[] } | null {
  if (!isObject(document.sweep)) return null;
  const { axes, problems } = sweepAxes(document.sweep);
  if (problems.length > 0) return { problems };
  const experiments = document.experiments as Json[];
  const expanded: Json[] = [];
  const labels: string[] = [];
  const points: SweepRecord['points'] = [];
  experiments.forEach((experiment, index) => {
    for (const values of gridPoints(axes)) {
      const copy: Json = structuredClone(experiment);
      const parts: string[] = [String(experiment.name)];
      axes.forEach((axis, a) => {
        const [section, field] = axis.field.split('.');
        const target = isObject(copy[section]) ? (copy[section] as Json) : {};
        target[field] = values[a];
        copy[section] = target;
        parts.push(`${field}_${namePart(values[a])}`);
      });
      copy.name = parts.join('__');
      expanded.push(copy);
      labels.push(`experiments[${index}] at ${axes.map((axis, a) => `${axis.field.split('.')[1]}=${showValue(values[a])}`).join(', ')}`);
      points.push({ experiment: String(copy.name), base: String(experiment.name), values });
    }
  });
  const rest = { ...document };
  delete rest.sweep;
  return { document: { ...rest, experiments: expanded }, labels, record: { axes, points } };
}

/** A problem line about expanded experiment `index` (`experiments[7].model…`) named by its point instead. */
export function relabelProblem(line: string, labels: readonly string[]): string {
  // `experiments[7].model.x: …` → `experiments[0] at gain=0.5: model.x: …`
  return line.replace(/^(.*?)experiments\[(\d+)\](\.?)/, (whole, before: string, index: string, dot: string) => {
    const label = labels[Number(index)];
    return label === undefined ? whole : `${before}${label}${dot === '.' ? ': ' : ''}`;
  });
}

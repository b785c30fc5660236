/**
 * The experiment files shipped with the tool (presets/*.yaml in the package), found whether the
 * code runs from src/ (tsx) or from dist/src/ (the built package).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('vanishing: cannot find the package root (package.json) above ' + fileURLToPath(import.meta.url));
    folder = parent;
  }
  return folder;
}

export const presetsFolder = join(packageRoot(), 'presets');

/** The file of preset `name`, or null when `name` is not a preset. */
export function presetPath(name: string): string | null {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) return null;
  const path = join(presetsFolder, `${name}.yaml`);
  return existsSync(path) ? path : null;
}

export interface PresetDescription {
  name: string;
  description: string;
  experiments: string[];
  path: string;
}

/** Every preset with its description and experiment names, for `vanishing list`. */
export function listPresets(): PresetDescription[] {
  return readdirSync(presetsFolder)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const path = join(presetsFolder, file);
      const document = parse(readFileSync(path, 'utf8')) as { description?: string; experiments?: { name?: string }[] };
      return {
        name: file.replace(/\.yaml$/, ''),
        description: document.description ?? '',
        experiments: (document.experiments ?? []).map((experiment) => experiment.name ?? '?'),
        path,
      };
    });
}

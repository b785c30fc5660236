/**
 * A dataset option's two spellings: the library's camelCase (`noiseStd`) and the experiment
 * file's snake_case (`noise_std`). The one conversion between them: the file's table
 * (experiments/fields.ts), the catalogue (load.ts) and every data error line go through it, so an
 * error names an option as the user wrote it and a renamed option cannot leave a stale name
 * behind (`dataField` only takes names the options' types declare).
 */
import type { MnistOptions } from './mnist.js';
import type { AddingOptions, CopyOptions, TemporalOrderOptions } from './synthetic.js';
import type { CsvDataOptions, NpyDataOptions } from './user-data.js';

/** Every option name some dataset takes, as the library spells it. */
export type DatasetOptionName = Exclude<
  keyof MnistOptions | keyof AddingOptions | keyof CopyOptions | keyof TemporalOrderOptions | keyof NpyDataOptions | keyof CsvDataOptions,
  'name'
>;

/** `noiseStd` → `noise_std`. */
export function fileOptionName(libraryName: string): string {
  return libraryName.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The option as an error line names it: `data.noise_std` (a suite prefixes the experiment's path). */
export function dataField(name: DatasetOptionName): string {
  return `data.${fileOptionName(name)}`;
}

/**
 * The package's entry points as package.json's "exports" names them (`vanishing`,
 * `vanishing/data`, …), each mapped to the source file `npm run build` compiles it from
 * (./dist/src/data/index.js ← src/data/index.ts). Shared by the API tests.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root folder. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function entrySources(): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target !== 'object' || target === null || !('import' in target)) continue;
    const built = String((target as { import: unknown }).import);
    entries.set(subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`, join(root, built.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')));
  }
  return entries;
}

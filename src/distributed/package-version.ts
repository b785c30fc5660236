/**
 * The version of vanishing running: the version in the package.json this file ships in (found
 * upwards: src/distributed under tsx, dist/src/distributed when built). `vanishing --version`
 * prints it, and a queue's worker runs only jobs submitted by the same version (job-data.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageVersion(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const path = join(folder, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'vanishing' && typeof manifest.version === 'string') return manifest.version;
    }
    const parent = dirname(folder);
    if (parent === folder) return 'unknown';
    folder = parent;
  }
}

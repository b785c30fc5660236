/**
 * What `npm pack` ships of the native kernels: the sources and the build script, never a build
 * (native/build/ holds this machine's compiled variants, which `npm install` rebuilds anyway),
 * and no dependency on node-addon-api (the binding uses plain node_api.h, which comes with Node).
 * Of the WebAssembly kernels it ships the built module too, which no install step could rebuild.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The paths `npm pack` would ship, listed once for both tests. */
let packed: string[] | null = null;
function packedFiles(): string[] {
  if (packed !== null) return packed;
  // --ignore-scripts: listing the files must not run `prepare` (the TypeScript build).
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  const [pack] = JSON.parse(result.stdout) as { files: { path: string }[] }[];
  return (packed = pack.files.map((file) => file.path));
}

test('npm pack lists the native sources and build script, and nothing built', () => {
  const native = packedFiles().filter((path) => path.startsWith('native/')).sort();
  const sources = readdirSync(`${root}native/src`).map((file) => `native/src/${file}`);
  assert.deepEqual(native, ['native/binding.gyp', 'native/build.mjs', ...sources].sort());
});

test('npm pack ships the built WebAssembly kernels with their sources, build script and build record', () => {
  // `npm install` never needs clang: the module is shipped built (wasm/build.mjs explains).
  const wasm = packedFiles().filter((path) => path.startsWith('wasm/')).sort();
  assert.deepEqual(wasm, ['wasm/build.mjs', 'wasm/kernels.cc', 'wasm/kernels.json', 'wasm/kernels.wasm']);
});

test('the binding needs no node-addon-api', () => {
  const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  assert.equal(manifest.dependencies?.['node-addon-api'], undefined);
  assert.equal(manifest.devDependencies?.['node-addon-api'], undefined);
  for (const file of readdirSync(`${root}native/src`)) {
    assert.doesNotMatch(readFileSync(`${root}native/src/${file}`, 'utf8'), /#include\s*[<"]napi\.h[>"]/, `${file} includes napi.h (node-addon-api)`);
  }
});

// Builds the native kernels during `npm install` (package.json "install" script).
//
// One addon per instruction set (native/binding.gyp): on x86-64 baseline (SSE2), avx2 and
// avx512; on arm64 neon. src/kernels/native-kernels.ts picks the best one the running CPU
// supports when it loads. A variant the compiler cannot build (an old compiler without AVX-512,
// say) is left out and the others are kept: make runs with -k so one failure stops nothing else.
//
// Never fails the install: without a C++ compiler, node-gyp or Node's headers it prints one
// line and the models use the WebAssembly kernels (wasm/kernels.wasm, shipped built), or the
// TypeScript kernels where Node lacks WebAssembly SIMD (src/kernels/select.ts says so at run time).
// Uses the node-gyp that npm bundles and the headers of the running Node when they are on disk,
// so nothing is downloaded. VANISHING_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const say = (line) => console.log(`vanishing: ${line}`);
/** What the models run on instead (src/kernels/select.ts). */
const fallback = 'using the WebAssembly kernels (the TypeScript ones where Node has no WebAssembly SIMD)';

/** The variants binding.gyp defines for each architecture, best first. */
const variantsByArch = { x64: ['avx512', 'avx2', 'baseline'], arm64: ['neon'] };

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

function main() {
  if (process.env.VANISHING_SKIP_NATIVE === '1') return say(`native kernels skipped (VANISHING_SKIP_NATIVE=1); ${fallback}`);
  const variants = variantsByArch[process.arch];
  if (variants === undefined) return say(`no native kernels for ${process.arch} (only x64 and arm64); ${fallback}`);
  const compiler = process.env.CXX || 'g++';
  if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) {
    return say(`no C++ compiler (${compiler}); ${fallback}`);
  }
  const nodeGyp = findNodeGyp();
  const gypCommand = nodeGyp ? [process.execPath, nodeGyp] : ['node-gyp'];
  const args = ['rebuild', '--release', '--jobs', 'max'];
  // Headers of the running Node, when installed beside it: no download needed.
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  // -k: a variant that fails to compile must not stop the others from being built.
  const env = { ...process.env, MAKEFLAGS: `${process.env.MAKEFLAGS ?? ''} -k`.trim() };
  // The compiler's output goes to a file, not a pipe: a pipe's buffer has a size (spawnSync's
  // maxBuffer), and a build that printed more (pages of warnings) failed with ENOBUFS. Outside
  // native/build/, which `node-gyp rebuild` deletes first.
  const logDir = mkdtempSync(join(tmpdir(), 'vanishing-build-'));
  const logFd = openSync(join(logDir, 'build.log'), 'w');
  let result;
  try {
    result = spawnSync(gypCommand[0], [...gypCommand.slice(1), ...args], { cwd: nativeDir, env, stdio: ['ignore', logFd, logFd], timeout: 600_000 });
  } finally {
    closeSync(logFd);
  }
  const log = `${readFileSync(join(logDir, 'build.log'), 'utf8')}${result.error ? String(result.error) : ''}`;
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(join(nativeDir, 'build'), { recursive: true });
  writeFileSync(join(nativeDir, 'build', 'build.log'), log);
  const built = variants.filter((variant) => existsSync(join(nativeDir, 'build', 'Release', `vanishing_${variant}.node`)));
  const missing = variants.filter((variant) => !built.includes(variant));
  if (built.length === 0) {
    const reason = log.split('\n').find((line) => /error/i.test(line))?.trim() ?? `exit status ${result.status}`;
    return say(`native kernels not built (${reason.slice(0, 160)}; see native/build/build.log); ${fallback}`);
  }
  const left = missing.length > 0 ? `; not built: ${missing.join(', ')} (see native/build/build.log)` : '';
  say(`native kernels built: ${built.join(', ')}${left}; the best one this CPU runs is chosen when they load`);
}

try {
  main();
} catch (error) {
  say(`native kernels not built (${error instanceof Error ? error.message : String(error)}); ${fallback}`);
}

// Builds the native kernels during `npm install` (package.json "install" script).
//
// Never fails the install: without a C++ compiler, node-gyp or Node's headers it prints one
// line and the models use the TypeScript kernels (src/kernels/select.ts says so at run time).
// Uses the node-gyp that npm bundles and the headers of the running Node when they are on disk,
// so nothing is downloaded. VANISHING_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const say = (line) => console.log(`vanishing: ${line}`);

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

function main() {
  if (process.env.VANISHING_SKIP_NATIVE === '1') return say('native kernels skipped (VANISHING_SKIP_NATIVE=1); using the TypeScript kernels');
  const compiler = process.env.CXX || 'g++';
  if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) {
    return say(`no C++ compiler (${compiler}); using the TypeScript kernels`);
  }
  const nodeGyp = findNodeGyp();
  const gypCommand = nodeGyp ? [process.execPath, nodeGyp] : ['node-gyp'];
  const args = ['rebuild', '--release'];
  // Headers of the running Node, when installed beside it: no download needed.
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const result = spawnSync(gypCommand[0], [...gypCommand.slice(1), ...args], { cwd: nativeDir, encoding: 'utf8', timeout: 300_000 });
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
  mkdirSync(join(nativeDir, 'build'), { recursive: true });
  const logPath = join(nativeDir, 'build', 'build.log');
  writeFileSync(logPath, log);
  const addon = join(nativeDir, 'build', 'Release', 'vanishing_native.node');
  if (result.status === 0 && existsSync(addon)) return say('native kernels built');
  const reason = log.split('\n').find((line) => /error/i.test(line))?.trim() ?? `exit status ${result.status}`;
  say(`native kernels not built (${reason.slice(0, 160)}; see native/build/build.log); using the TypeScript kernels`);
}

try {
  main();
} catch (error) {
  say(`native kernels not built (${error instanceof Error ? error.message : String(error)}); using the TypeScript kernels`);
}

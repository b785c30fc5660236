/**
 * native/build.mjs (the install step) against a stand-in for node-gyp: a copy of the script in a
 * scratch folder, so the real native/build/ is never touched. GCC 12 once printed pages of false
 * warnings for the AVX-512 intrinsics, the script's pipe overflowed (spawnSync's ENOBUFS) and the
 * install reported no native kernels although every variant had been built.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const buildScript = fileURLToPath(new URL('../../native/build.mjs', import.meta.url));
const variants: Record<string, string[]> = { x64: ['avx512', 'avx2', 'baseline'], arm64: ['neon'] };

/** Runs a copy of build.mjs whose node-gyp writes `outputBytes` of output and then each variant's addon. */
function buildWithStandIn(outputBytes: number): { line: string; log: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'vanishing-build-test-'));
  try {
    const nativeDir = join(scratch, 'native');
    mkdirSync(nativeDir);
    copyFileSync(buildScript, join(nativeDir, 'build.mjs'));
    const standIn = join(scratch, 'node-gyp.mjs');
    writeFileSync(standIn, `
import { mkdirSync, writeFileSync } from 'node:fs';
const chunk = 'warning: a line the compiler printed\\n'.repeat(1000);
for (let written = 0; written < ${outputBytes}; written += chunk.length) process.stdout.write(chunk);
// Still compiling after it printed all that, as the real build is.
await new Promise((resolve) => setTimeout(resolve, 300));
mkdirSync('build/Release', { recursive: true });
for (const variant of ${JSON.stringify(variants[process.arch] ?? [])}) writeFileSync(\`build/Release/vanishing_\${variant}.node\`, '');
`);
    const result = spawnSync(process.execPath, [join(nativeDir, 'build.mjs')], {
      cwd: nativeDir,
      encoding: 'utf8',
      timeout: 60_000,
      // CXX=true answers `--version` like a compiler; the stand-in is found as npm's node-gyp.
      env: { ...process.env, CXX: 'true', npm_config_node_gyp: standIn, VANISHING_SKIP_NATIVE: '' },
    });
    assert.equal(result.status, 0, result.stderr);
    const logPath = join(nativeDir, 'build', 'build.log');
    return { line: result.stdout.trim(), log: statSync(logPath).size > 0 ? readFileSync(logPath, 'utf8') : '' };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

test('the native build keeps every variant however much the compiler prints, and logs all of it', { skip: variants[process.arch] === undefined ? `no native variants for ${process.arch}` : false }, () => {
  const outputBytes = 8 << 20; // eight times spawnSync's default pipe buffer
  const { line, log } = buildWithStandIn(outputBytes);
  assert.equal(line, `vanishing: native kernels built: ${variants[process.arch].join(', ')}; the best one this CPU runs is chosen when they load`);
  assert.ok(log.length >= outputBytes, `build.log holds ${log.length} bytes of the ${outputBytes} printed`);
});

/**
 * Which native variant runs: the best one the CPU supports, never one it lacks (that would be an
 * illegal instruction, not an exception), and VANISHING_NATIVE_ISA forces a lower one or fails
 * with a clear message. The CPUs this machine is not are asked through `judgeNativeVariants`;
 * the real choice runs in child processes, because it is made once per process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { judgeNativeVariants, loadNativeVariant, nativeKernelsFromFile, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = (variant: string) => `/build/vanishing_${variant}.node`;
const x64Features = (present: string[]) =>
  Object.fromEntries(['sse2', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].map((name) => [name, present.includes(name)]));

test('x86-64: a variant runs only on a CPU with every feature its flags use', () => {
  const runnable = (features: Record<string, boolean>) => judgeNativeVariants('x64', features, built).filter((s) => s.runnable).map((s) => s.variant);
  assert.deepEqual(runnable(x64Features(['sse2'])), ['baseline']);
  assert.deepEqual(runnable(x64Features(['sse2', 'avx2'])), ['baseline'], 'AVX2 without FMA');
  assert.deepEqual(runnable(x64Features(['sse2', 'avx2', 'fma'])), ['avx2', 'baseline']);
  // AVX-512F alone (Knights Landing has no BW/DQ/VL): the avx512 build would use them.
  const knightsLanding = judgeNativeVariants('x64', x64Features(['sse2', 'avx2', 'fma', 'avx512f']), built);
  assert.deepEqual(knightsLanding.filter((s) => s.runnable).map((s) => s.variant), ['avx2', 'baseline']);
  assert.equal(knightsLanding[0].why, 'this CPU lacks avx512bw, avx512dq, avx512vl');
  assert.deepEqual(runnable(x64Features(['sse2', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl'])), ['avx512', 'avx2', 'baseline']);
});

test('a variant that is not built, or a CPU that cannot be asked, runs nothing and says why', () => {
  const withoutAvx512 = judgeNativeVariants('x64', x64Features(['sse2', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl']), (v) => (v === 'avx512' ? null : built(v)));
  assert.equal(withoutAvx512[0].runnable, false);
  assert.match(withoutAvx512[0].why, /not built/);
  assert.deepEqual(withoutAvx512.filter((s) => s.runnable).map((s) => s.variant), ['avx2', 'baseline']);
  const noProbe = judgeNativeVariants('x64', 'native addon not built', built);
  assert.ok(noProbe.every((s) => !s.runnable && s.why === 'native addon not built'));
  assert.deepEqual(judgeNativeVariants('arm64', { neon: true }, built).map((s) => [s.variant, s.runnable]), [['neon', true]]);
  assert.deepEqual(judgeNativeVariants('riscv64', {}, built), []);
});

/** The notice and kernel name a fresh process reports under `env`, or its error. */
function child(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const script = "const s = await import('./src/kernels/select.ts'); console.log(s.kernelsNotice()); console.log(s.defaultKernels().name);";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, VANISHING_KERNELS: '', VANISHING_NATIVE_ISA: '', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const statuses = nativeVariantStatuses();
const runnable = statuses.filter((s) => s.runnable);
const skip = runnable.length === 0 ? `no native variant runs here (${statuses.map((s) => `${s.variant}: ${s.why}`).join('; ') || process.arch})` : false;

test('unforced, a fresh process runs the best variant and its notice says which', { skip }, () => {
  const result = child({});
  assert.equal(result.status, 0, result.stderr);
  const [notice, name] = result.stdout.trim().split('\n');
  assert.match(notice, new RegExp(`^kernels: native ${runnable[0].variant} \\(.*the best of ${runnable.map((s) => s.variant).join(', ')} for this CPU`));
  assert.equal(name, `native ${runnable[0].variant}`);
});

test('VANISHING_NATIVE_ISA forces each variant this CPU runs, and `baseline` the lowest', { skip }, () => {
  for (const { variant } of runnable) {
    const result = child({ VANISHING_NATIVE_ISA: variant });
    assert.equal(result.status, 0, result.stderr);
    const [notice, name] = result.stdout.trim().split('\n');
    assert.match(notice, new RegExp(`^kernels: native ${variant} \\(.*forced by VANISHING_NATIVE_ISA=${variant}\\)$`));
    assert.equal(name, `native ${variant}`);
  }
  const lowest = statuses[statuses.length - 1].variant;
  assert.match(child({ VANISHING_NATIVE_ISA: 'baseline' }).stdout, new RegExp(`kernels: native ${lowest} `));
});

test('VANISHING_NATIVE_ISA naming no variant of this machine, or one it cannot run, is an error', { skip }, () => {
  const unknown = child({ VANISHING_NATIVE_ISA: 'sse9' });
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, new RegExp(`VANISHING_NATIVE_ISA must be one of ${statuses.map((s) => s.variant).join(', ')}.* on ${process.arch}; got "sse9"`));
  const foreign = child({ VANISHING_NATIVE_ISA: process.arch === 'arm64' ? 'avx2' : 'neon' });
  assert.notEqual(foreign.status, 0);
  assert.match(foreign.stderr, /VANISHING_NATIVE_ISA must be one of/);
  // Even with the TypeScript kernels asked for, nothing breaks: the request is simply not used.
  const ts = child({ VANISHING_NATIVE_ISA: 'sse9', VANISHING_KERNELS: 'ts' });
  assert.equal(ts.status, 0, ts.stderr);
  assert.equal(ts.stdout.trim().split('\n')[0], 'kernels: ts (VANISHING_KERNELS=ts)');
  const unrunnable = statuses.find((s) => !s.runnable);
  if (unrunnable !== undefined) {
    const result = child({ VANISHING_NATIVE_ISA: unrunnable.variant });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, new RegExp(`VANISHING_NATIVE_ISA=${unrunnable.variant}: native variant ${unrunnable.variant} cannot run here`));
  }
});

test('a copy of a built variant loads from anywhere as that variant (npm run bench:builds), and nothing else does', { skip }, () => {
  const lowest = runnable[runnable.length - 1];
  const directory = mkdtempSync(join(tmpdir(), 'vanishing-builds-'));
  try {
    const copy = join(directory, 'before.node');
    copyFileSync(lowest.path!, copy);
    const fromCopy = nativeKernelsFromFile(copy, lowest.variant);
    const load = loadNativeVariant(lowest.variant);
    assert.ok(load.ok, load.ok ? '' : load.reason);
    // 5×7·7×3 with values whose products are not exact in float: the same code gives the same bits.
    const a = Float32Array.from({ length: 35 }, (_, i) => Math.sin(i + 1) / 3);
    const b = Float32Array.from({ length: 21 }, (_, i) => Math.cos(i * 7 + 2) / 7);
    const viaCopy = new Float32Array(15);
    const viaBuild = new Float32Array(15);
    fromCopy.gemm(false, false, 5, 3, 7, a, 0, b, 0, viaCopy, 0, false);
    load.kernels.gemm(false, false, 5, 3, 7, a, 0, b, 0, viaBuild, 0, false);
    assert.deepEqual(viaCopy, viaBuild);
    assert.ok(viaCopy.some((x) => x !== 0));
    const other = statuses.find((s) => s.variant !== lowest.variant);
    if (other !== undefined) {
      assert.throws(() => nativeKernelsFromFile(copy, other.variant), other.runnable ? new RegExp(`is the ${lowest.variant} variant, not ${other.variant}`) : /cannot run here/);
    }
    assert.throws(() => nativeKernelsFromFile(join(directory, 'missing.node'), lowest.variant), /no such addon file/);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

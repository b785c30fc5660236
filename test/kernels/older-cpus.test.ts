/**
 * The build copied to an older x86-64 CPU: Node runs under qemu-x86_64 emulating a Nehalem (SSE4.2,
 * no AVX) and a Haswell (AVX2+FMA, no AVX-512). The addon built here for this machine (which may
 * have AVX-512) must pick the variant that CPU runs, train a step with the same loss as the
 * reference kernels, and refuse a variant asked for that the CPU lacks with a message, never an
 * illegal instruction. (Loading the avx2 build on the emulated Nehalem does die of SIGILL: that is what
 * the probe prevents.) Skips with the reason without qemu-x86_64 (`apt-get install qemu-user`),
 * except with VANISHING_REQUIRE_QEMU=1 (.ci/run), where that is a failure.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nativeVariantStatuses } from '../../src/kernels/native-kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import type { ModelOptions } from '../../src/model/config.js';
import type { SequenceBatch } from '../../src/model/model.js';
import { createModel } from '../../src/model/model.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const qemu = 'qemu-x86_64';
const hasQemu = spawnSync(qemu, ['--version'], { stdio: 'ignore' }).status === 0;
const statuses = nativeVariantStatuses();
const built = (variant: string) => statuses.some((s) => s.variant === variant && s.path !== null);
// Not applicable here (another architecture, nothing to load) is always a skip; a missing qemu
// is a skip only where it is not required.
const notApplicable = process.arch !== 'x64'
  ? `this machine is ${process.arch}, not x86-64`
  : !built('baseline') || !built('avx2')
    ? `the baseline and avx2 variants are not both built (${statuses.map((s) => `${s.variant}: ${s.why || 'ok'}`).join('; ')})`
    : null;
const qemuMissing = hasQemu ? null : `${qemu} not found (apt-get install qemu-user)`;
const required = process.env.VANISHING_REQUIRE_QEMU === '1';

// The same model and batch in the child (under qemu) and here (reference kernels).
const modelOptions: ModelOptions = { cell: 'lstm', inputSize: 3, hiddenSize: 40, numLayers: 2, outputSize: 4, seed: 5 };
const batchSize = 8;
const steps = 6;
function makeBatch(): SequenceBatch {
  return { inputs: new Float32Array(batchSize * steps * 3).map((_, i) => Math.sin(i)), batchSize, steps, targets: new Int32Array(batchSize).map((_, i) => i % 4) };
}
// It also asks for the avx2 variant by name (as VANISHING_NATIVE_ISA=avx2 would), first: one
// emulated process less than a separate run, and the request must fail before anything loads.
const childScript = `
import { chooseNativeVariant } from './src/kernels/native-kernels.ts';
import { kernelsNotice } from './src/kernels/select.ts';
import { createModel } from './src/model/model.ts';
const forced = chooseNativeVariant('avx2');
const batchSize = ${batchSize}, steps = ${steps};
const model = createModel(${JSON.stringify(modelOptions)});
const batch = { inputs: new Float32Array(batchSize * steps * 3).map((_, i) => Math.sin(i)), batchSize, steps, targets: new Int32Array(batchSize).map((_, i) => i % 4) };
console.log(kernelsNotice());
console.log(JSON.stringify({ kernels: model.kernels.name, loss: model.lossAndGradients(batch).loss, forcedAvx2: forced.ok ? 'loaded' : forced.reason }));
`;

interface ChildResult {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function underQemu(cpu: string): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = execFile(qemu, ['-cpu', cpu, process.execPath, '--import', 'tsx', '--input-type=module', '-e', childScript], {
      cwd: root, timeout: 240_000, env: { ...process.env, VANISHING_KERNELS: '', VANISHING_NATIVE_ISA: '' },
    }, (_error, stdout, stderr) => {
      // qemu warns about CPU flags its emulator leaves out (TSX, x2apic …): not ours to report.
      const ours = stderr.split('\n').filter((line) => !line.startsWith('qemu-x86_64: warning:')).join('\n');
      resolve({ status: child.exitCode, signal: child.signalCode, stdout, stderr: ours });
    });
  });
}

const referenceLoss = createModel({ ...modelOptions, kernels: tsKernels }).lossAndGradients(makeBatch()).loss;
const skip = notApplicable ?? (qemuMissing !== null && !required ? qemuMissing : false);
const missing = notApplicable ?? qemuMissing;
// Both start at once (two cores): each takes several seconds of emulation.
const runs = missing === null ? { nehalem: underQemu('Nehalem'), haswell: underQemu('Haswell') } : null;

interface ChildReport {
  kernels: string;
  loss: number;
  forcedAvx2: string;
}

function assertTrained(result: ChildResult, variant: string, cpu: string): ChildReport {
  assert.equal(result.status, 0, `${cpu}: exit ${result.status} signal ${result.signal}\n${result.stderr}`);
  const [notice, json] = result.stdout.trim().split('\n');
  assert.match(notice, new RegExp(`^kernels: native ${variant} \\(.*the best of ${variant === 'avx2' ? 'avx2, baseline' : 'baseline'} for this CPU`), cpu);
  const report = JSON.parse(json) as ChildReport;
  const { kernels, loss } = report;
  assert.equal(kernels, `native ${variant}`);
  assert.ok(Math.abs(loss - referenceLoss) <= 1e-5 * Math.abs(referenceLoss), `${cpu}: loss ${loss}, reference kernels ${referenceLoss}`);
  return report;
}

test('on an emulated Nehalem (no AVX) the baseline variant is chosen and trains', { skip, timeout: 300_000 }, async (t) => {
  assert.equal(missing, null, `VANISHING_REQUIRE_QEMU=1, but ${missing}`);
  const result = await runs!.nehalem;
  assertTrained(result, 'baseline', 'Nehalem');
  t.diagnostic(result.stdout.trim().split('\n')[0]);
});

test('on an emulated Haswell (AVX2, no AVX-512) the avx2 variant is chosen and trains', { skip, timeout: 300_000 }, async (t) => {
  assert.equal(missing, null, `VANISHING_REQUIRE_QEMU=1, but ${missing}`);
  const result = await runs!.haswell;
  assertTrained(result, 'avx2', 'Haswell');
  t.diagnostic(result.stdout.trim().split('\n')[0]);
});

test('on an emulated Nehalem, asking for avx2 is a clear error, not an illegal instruction', { skip, timeout: 300_000 }, async () => {
  assert.equal(missing, null, `VANISHING_REQUIRE_QEMU=1, but ${missing}`);
  const result = await runs!.nehalem;
  assert.equal(result.signal, null, `died of ${result.signal}`);
  const report = assertTrained(result, 'baseline', 'Nehalem');
  assert.equal(report.forcedAvx2, 'VANISHING_NATIVE_ISA=avx2: native variant avx2 cannot run here: this CPU lacks avx2, fma');
  assert.equal(assertTrained(await runs!.haswell, 'avx2', 'Haswell').forcedAvx2, 'loaded');
});

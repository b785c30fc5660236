/**
 * The standalone C++ test of the native kernels (native/test/kernels_test.cc: every kernel against
 * a scalar reference, NaN and ±Inf included), compiled with exactly the flags each build variant
 * gets in native/binding.gyp, without Node in the loop:
 * - on x86-64, every variant (baseline, avx2, avx512) is compiled and each one this CPU supports
 *   is run (the baseline build reports the CPU's features, as the addon's probe does);
 * - the arm64 (NEON) variant is cross-compiled with aarch64-linux-gnu-g++ and run under
 *   qemu-aarch64 (`apt-get install g++-aarch64-linux-gnu qemu-user`), and the binding is
 *   compiled for arm64 too (syntax only: it cannot be loaded without an arm64 Node).
 * Each test's output says what ran. A missing compiler or qemu skips with the reason, except
 * with VANISHING_REQUIRE_QEMU=1 (.ci/run sets it), where it is a failure.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nativeVariantRequirements } from '../../src/kernels/native-kernels.js';

const nativeDir = fileURLToPath(new URL('../../native/', import.meta.url));
const kernelSources = ['src/gemm.cc', 'src/pointwise.cc', 'src/optimizer.cc', 'src/recurrent.cc', 'src/gated_recurrent.cc', 'src/roofline.cc'].map((file) => join(nativeDir, file));
const testSource = join(nativeDir, 'test', 'kernels_test.cc');
const requireQemu = process.env.VANISHING_REQUIRE_QEMU === '1';

interface GypTarget {
  target_name: string;
  cflags?: string[];
}
interface BindingGyp {
  target_defaults: { cflags?: string[]; cflags_cc?: string[] };
  conditions: [string, { targets: GypTarget[] }][];
}

/** binding.gyp is JSON plus `#` comments (no `#` inside its strings). */
function readBindingGyp(): BindingGyp {
  const text = readFileSync(join(nativeDir, 'binding.gyp'), 'utf8').replace(/#.*$/gm, '');
  return JSON.parse(text) as BindingGyp;
}

/** Each variant's compiler flags for `arch` (x64, arm64), as the addon is built with them. */
function variantFlags(gyp: BindingGyp, arch: string): Map<string, string[]> {
  const common = [...(gyp.target_defaults.cflags ?? []), ...(gyp.target_defaults.cflags_cc ?? [])];
  const flags = new Map<string, string[]>();
  for (const [condition, { targets }] of gyp.conditions) {
    if (condition !== `target_arch=='${arch}'`) continue;
    for (const target of targets) flags.set(target.target_name.replace(/^vanishing_/, ''), [...common, ...(target.cflags ?? [])]);
  }
  return flags;
}

function hasCommand(command: string, args = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

interface RunResult {
  ok: boolean;
  output: string;
}

/** Runs a command to completion; never rejects (the output says what went wrong). */
function run(command: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 240_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ ok: error === null, output: `${stdout}${stderr}${error !== null && stderr === '' ? String(error) : ''}` });
    });
  });
}

/** At most `limit` compilations at once: they all start when the file loads, the tests await theirs. */
function limiter(limit: number): <T>(job: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

const workDir = mkdtempSync(join(tmpdir(), 'vanishing-kernels-test-'));
after(() => rmSync(workDir, { recursive: true, force: true }));
const schedule = limiter(Math.max(1, availableParallelism()));
const gyp = readBindingGyp();
const hostCompiler = process.env.CXX || 'g++';
const hostHasCompiler = hasCommand(hostCompiler);
const hostArch = process.arch;

/**
 * The kernels with exactly the variant's flags, then the test program around them at -O1 (its
 * double-precision references need no speed, and -O3 on it doubled the compile time). Leaves
 * the program at `output`.
 */
async function compile(compiler: string, flags: string[], output: string): Promise<RunResult> {
  const directory = `${output}.objects`;
  mkdirSync(directory);
  const objects = await schedule(() => run(compiler, [...flags, '-c', ...kernelSources], directory));
  if (!objects.ok) return objects;
  return schedule(() => run(compiler, [...flags, '-O1', '-o', output, testSource, ...kernelSources.map((file) => join(directory, basename(file).replace(/\.cc$/, '.o')))]));
}

// Host builds: every variant of this architecture.
const hostFlags = variantFlags(gyp, hostArch);
const hostBuilds = new Map<string, Promise<RunResult>>();
if (hostHasCompiler) {
  for (const [variant, flags] of hostFlags) hostBuilds.set(variant, compile(hostCompiler, flags, join(workDir, `kernels_test_${variant}`)));
}

// arm64 under qemu, from an x86-64 host.
const crossCompiler = 'aarch64-linux-gnu-g++';
const qemu = ['qemu-aarch64', 'qemu-aarch64-static'].find((command) => hasCommand(command, ['--version']));
const sysroot = '/usr/aarch64-linux-gnu';
const crossNotApplicable = hostArch === 'arm64' ? 'this machine is arm64: the neon variant runs natively above' : null;
const crossMissing = crossNotApplicable !== null
  ? crossNotApplicable
  : !hasCommand(crossCompiler)
    ? `${crossCompiler} not found (apt-get install g++-aarch64-linux-gnu qemu-user)`
    : qemu === undefined
      ? 'qemu-aarch64 not found (apt-get install qemu-user)'
      : !existsSync(sysroot)
        ? `${sysroot} (the arm64 C library) not found`
        : null;
const arm64Flags = variantFlags(gyp, 'arm64').get('neon');
const crossBuild = crossMissing === null && arm64Flags !== undefined ? compile(crossCompiler, arm64Flags, join(workDir, 'kernels_test_neon')) : null;

/** The CPU's features, from the baseline build (which runs on every CPU of this architecture). */
async function hostCpuFeatures(): Promise<Record<string, boolean>> {
  const baseline = nativeVariantRequirements(hostArch).at(-1)?.variant;
  const build = baseline === undefined ? undefined : hostBuilds.get(baseline);
  assert.ok(build !== undefined, `no baseline variant for ${hostArch}`);
  const built = await build;
  assert.ok(built.ok, `the ${baseline} variant did not compile:\n${built.output}`);
  const probe = await run(join(workDir, `kernels_test_${baseline}`), ['--cpu-features']);
  assert.ok(probe.ok, probe.output);
  return Object.fromEntries(probe.output.trim().split('\n').map((line) => {
    const [name, value] = line.split('=');
    return [name, value === '1'];
  }));
}

/** The program's summary lines (one per kernel group) as test diagnostics. */
function report(t: { diagnostic(message: string): void }, output: string): void {
  for (const line of output.trim().split('\n')) t.diagnostic(line);
}

test('each variant\'s compiler flags in binding.gyp enable only what the loader checks the CPU for', () => {
  for (const arch of ['x64', 'arm64']) {
    const flags = variantFlags(gyp, arch);
    const requirements = nativeVariantRequirements(arch);
    assert.deepEqual([...flags.keys()].sort(), requirements.map((r) => r.variant).sort(), `${arch}: binding.gyp targets vs the loader's variants`);
    for (const { variant, requires } of requirements) {
      // -mavx2 → avx2, -mavx512bw → avx512bw …; -march names the architecture's baseline.
      const extensions = (flags.get(variant) ?? []).filter((flag) => /^-m(?!tune=|arch=)/.test(flag)).map((flag) => flag.slice(2));
      for (const extension of extensions) assert.ok(requires.includes(extension), `${arch} ${variant}: -m${extension} is not among the CPU features the loader checks (${requires.join(', ')})`);
      const march = (flags.get(variant) ?? []).filter((flag) => flag.startsWith('-march='));
      assert.deepEqual(march, [arch === 'x64' ? '-march=x86-64' : '-march=armv8-a'], `${arch} ${variant}: -march must be the architecture's baseline, never native`);
    }
  }
});

for (const variant of hostFlags.keys()) {
  test(`standalone C++ kernel test, ${variant} variant, on this ${hostArch} machine`, { skip: hostHasCompiler ? false : `no C++ compiler (${hostCompiler})`, timeout: 300_000 }, async (t) => {
    const built = await hostBuilds.get(variant);
    assert.ok(built !== undefined);
    // A variant the compiler cannot build is left out of the addon too; here that is a failure,
    // because this test is the one place that says so loudly.
    assert.ok(built.ok, `${variant} did not compile:\n${built.output.slice(0, 4000)}`);
    const features = await hostCpuFeatures();
    const requires = nativeVariantRequirements(hostArch).find((r) => r.variant === variant)?.requires ?? [];
    const lacking = requires.filter((feature) => features[feature] !== true);
    if (lacking.length > 0) {
      t.skip(`compiled, not run: this CPU lacks ${lacking.join(', ')}`);
      return;
    }
    const result = await run(join(workDir, `kernels_test_${variant}`), []);
    report(t, result.output);
    assert.ok(result.ok, `kernels_test (${variant}) failed:\n${result.output.slice(0, 4000)}`);
    assert.match(result.output, new RegExp(`variant ${variant} `));
    assert.match(result.output, /all checks passed/);
  });
}

test('standalone C++ kernel test, neon variant, cross-compiled for arm64 and run under qemu-aarch64', { skip: crossNotApplicable ?? (crossMissing !== null && !requireQemu ? crossMissing : false), timeout: 300_000 }, async (t) => {
  assert.equal(crossMissing, null, `VANISHING_REQUIRE_QEMU=1, but ${crossMissing}`);
  assert.ok(crossBuild !== null && arm64Flags !== undefined && qemu !== undefined, 'binding.gyp has no arm64 neon target');
  const built = await crossBuild;
  assert.ok(built.ok, `the arm64 build failed:\n${built.output.slice(0, 4000)}`);
  const result = await run(qemu, ['-L', sysroot, join(workDir, 'kernels_test_neon')]);
  report(t, `${qemu} -L ${sysroot}:\n${result.output}`);
  assert.ok(result.ok, `kernels_test (neon, qemu) failed:\n${result.output.slice(0, 4000)}`);
  assert.match(result.output, /variant neon \(NEON\)/);
  assert.match(result.output, /all checks passed/);
  // The binding itself, for arm64: it must compile there (its CPU probe reads AT_HWCAP).
  const nodeHeaders = join(dirname(process.execPath), '..', 'include', 'node');
  if (existsSync(join(nodeHeaders, 'node_api.h'))) {
    const binding = await run(crossCompiler, [...arm64Flags, '-fsyntax-only', `-I${nodeHeaders}`, join(nativeDir, 'src', 'addon.cc')]);
    assert.ok(binding.ok, `native/src/addon.cc does not compile for arm64:\n${binding.output.slice(0, 4000)}`);
    t.diagnostic('native/src/addon.cc compiles for arm64 (syntax check with the Node headers)');
  } else {
    t.diagnostic(`native/src/addon.cc not compiled for arm64: no Node headers at ${nodeHeaders}`);
  }
});

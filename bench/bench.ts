/**
 * `npm run bench`: how long one training step takes on our kernels, and on PyTorch in the same run.
 *
 * One step = forward, loss, backward (model.lossAndGradients: also ‖dL/dh_t‖ and saturation),
 * every parameter's gradient norm (measureGradientNorms), SGD step: what the trainer does per
 * batch. Median over the steps that fit a time budget, after a warm-up. Where /usr/bin/python3 has
 * PyTorch, tools/reference/bench_step.py times the same step (best of 1 and 2 threads, the counts
 * of PyTorch's two thread pools, its own and OpenBLAS's, chosen apart) and the table shows
 * ours/PyTorch. Also: our matrix product's GFLOP/s and peak memory.
 *
 * The first line says which native variant runs (the best this CPU supports, as for models);
 * `--isa avx2` (or VANISHING_NATIVE_ISA=avx2) measures a lower one: baseline, avx2, avx512, neon;
 * with `--isa`, PyTorch is held to the same instruction set (OpenBLAS's kernels and ATen's dispatch),
 * as on a CPU whose best it is, unless `--pytorch-best`.
 *
 * `--paired 5` also measures ours and PyTorch in alternation, 5 rounds per workload (ABAB: our
 * step, then PyTorch's, then ours …), and reports the median of the per-round ratios and their
 * range: a machine whose speed drifts during the run (shared cloud cores do) moves both sides of
 * a pair alike, where the one-after-the-other table can catch them in different states. Ours is
 * timed on 1 thread and, with two cores, on 2: the second ratio holds our better of the two
 * against PyTorch's better of the two, and a third ours on 1 thread against PyTorch on 1 thread
 * (one core each).
 *
 * Also printed: the CPU model and load average (start and end), the roofline (this core's clock
 * and this variant's FMA throughput, measured, against our GEMM), our GEMM against OpenBLAS's
 * sgemm on one thread in alternation (where libopenblas-dev is installed; with OPENBLAS_CORETYPE
 * set to the variant's instruction set when this OpenBLAS does not know the CPU, as Debian 12's
 * 0.3.21 does not know recent Xeons and falls back to SSE3), B on 2 threads against 1 (ABAB), and
 * C-tanh with denormals flushed to zero against the IEEE default (what VANISHING_DENORMALS=flush buys).
 *
 *   npm run bench -- [--json results.json] [--no-ts] [--no-pytorch] [--ts-on-b] [--seconds 1.5] [--only A-tanh,B-relu] [--isa avx2 [--pytorch-best]] [--paired 5] [--no-extras]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Kernels } from '../src/kernels/kernels.js';
import type { NativeAddon } from '../src/kernels/native-kernels.js';
import { chooseNativeVariant, describeNativeLoad, loadNativeKernels } from '../src/kernels/native-kernels.js';
import { tsKernels } from '../src/kernels/ts-kernels.js';
import { SeededRandom } from '../src/random.js';
import { median, selectWorkloads, trainingStep, workloads, type Workload } from './workloads.js';

interface StepTiming {
  ms: number;
  timedSteps: number;
}

interface WorkloadResult {
  workload: Workload;
  native: StepTiming | null;
  ts: StepTiming | null;
  /** PyTorch ms per step by thread count, and the best of them. */
  pytorch: { byThreads: Record<string, number>; best: number; configs: Record<string, string> | null; everyConfig: Record<string, number> | null } | null;
}

/** Median ms of one training step on `kernels`: warm-up, then steps until the budget is spent. */
function timeStep(workload: Workload, kernels: Kernels, seconds: number, minSteps: number, warmup: number): StepTiming {
  const { step } = trainingStep(workload, kernels);
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minSteps || (performance.now() - start < seconds * 1000 && times.length < 500)) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), timedSteps: times.length };
}

/** Best single-call GFLOP/s of C = A·B (row-major, no transposes) over a short budget. */
function gemmGflops(kernels: Kernels, M: number, K: number, N: number): number {
  const random = new SeededRandom(2);
  const a = Float32Array.from({ length: M * K }, () => random.uniform());
  const b = Float32Array.from({ length: K * N }, () => random.uniform());
  const c = new Float32Array(M * N);
  const flops = 2 * M * N * K;
  const reps = Math.max(10, Math.floor(2e9 / flops));
  for (let i = 0; i < 20; i++) kernels.gemm(false, false, M, N, K, a, 0, b, 0, c, 0, false);
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) kernels.gemm(false, false, M, N, K, a, 0, b, 0, c, 0, false);
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return flops / best / 1e9;
}

/** The CPU's model name as lscpu prints it (Node's os.cpus() says the same on Linux). */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.split(':')[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown CPU';
}

function loadAverage(): string {
  return loadavg().map((value) => value.toFixed(2)).join(' ');
}

/** This machine's CPU time so far from /proc/stat, in ticks: all of it and what the hypervisor stole; null off Linux. */
function cpuTicks(): { total: number; steal: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const counted = fields.slice(0, 8);
    if (counted.length < 8 || counted.some((value) => !Number.isFinite(value))) return null;
    return { total: counted.reduce((sum, value) => sum + value, 0), steal: counted[7] };
  } catch {
    return null;
  }
}

/**
 * The share of this machine's CPU time the hypervisor gave to other guests between `start` and
 * now: time our vCPUs wanted to run and could not, which slows both sides of a ratio unevenly.
 */
function stealPercentSince(start: { total: number; steal: number } | null): number | null {
  const end = cpuTicks();
  if (start === null || end === null || end.total <= start.total) return null;
  return (100 * (end.steal - start.steal)) / (end.total - start.total);
}

/** The project's targets for ours/PyTorch's best (issue 11): B, the original's width, ≤ 0.7; every other workload ≤ 0.5. */
function ratioTarget(workloadId: string): number {
  return workloadId.startsWith('B-') ? 0.7 : 0.5;
}

/** "met by 9 of 10 (missed: B-tanh 0.76)" for the median ratios of `spreads`. */
function targetsMet(spreads: { id: string; spread: Spread }[]): string {
  const missed = spreads.filter(({ id, spread }) => spread.median > ratioTarget(id));
  return `met by ${spreads.length - missed.length} of ${spreads.length}${missed.length > 0 ? ` (missed: ${missed.map(({ id, spread }) => `${id} ${spread.median.toFixed(2)}`).join(', ')})` : ''}`;
}

interface Roofline {
  clockGHz: number;
  lanes: number;
  /** FLOP per cycle the FMA loop reached, over 2 FLOP × lanes: the FMA units this core has for this width. */
  fmaUnits: number;
  measuredPeakGflops: number;
  /** FMA units (rounded) × lanes × 2 × clock. */
  peakGflops: number;
}

/** This core's clock and this variant's FMA throughput, best of three runs of the addon's loops. */
function measureRoofline(addon: NativeAddon): Roofline {
  let clockHz = 0;
  let peakFlops = 0;
  let lanes = 0;
  for (let run = 0; run < 3; run++) {
    const measured = addon.measureRoofline();
    clockHz = Math.max(clockHz, measured.clockHz);
    peakFlops = Math.max(peakFlops, measured.peakFlops);
    lanes = measured.lanes;
  }
  const fmaUnits = clockHz > 0 ? peakFlops / (clockHz * lanes * 2) : Number.NaN;
  const units = Math.max(1, Math.round(fmaUnits));
  return { clockGHz: clockHz / 1e9, lanes, fmaUnits, measuredPeakGflops: peakFlops / 1e9, peakGflops: (units * lanes * 2 * clockHz) / 1e9 };
}

/** The compiler flags native/binding.gyp builds `variant` with (binding.gyp is JSON with # comments). */
function variantCompilerFlags(variant: string): string[] | null {
  const text = readFileSync(new URL('../native/binding.gyp', import.meta.url), 'utf8').replace(/#.*$/gm, '');
  const gyp = JSON.parse(text) as {
    target_defaults: { cflags?: string[]; cflags_cc?: string[] };
    conditions: [string, { targets: { target_name: string; cflags?: string[] }[] }][];
  };
  const common = [...(gyp.target_defaults.cflags ?? []), ...(gyp.target_defaults.cflags_cc ?? [])];
  for (const [, { targets }] of gyp.conditions) {
    for (const target of targets) if (target.target_name === `vanishing_${variant}`) return [...common, ...(target.cflags ?? [])];
  }
  return null;
}

/** OpenBLAS's kernel for an instruction set: what OPENBLAS_CORETYPE names when OpenBLAS does not recognise the CPU. */
const openblasCoreByVariant: Partial<Record<string, string>> = { avx512: 'SkylakeX', avx2: 'Haswell' };

/** PyTorch's own dispatch level (ATen's vectorised kernels) for an instruction set. */
const atenCapabilityByVariant: Partial<Record<string, string>> = { avx512: 'avx512', avx2: 'avx2', baseline: 'default' };

/**
 * The instruction set PyTorch may use: the machine's best, or (`--isa`, without
 * `--pytorch-best`) the same one as our kernels, so that `--isa avx2` on an AVX-512 machine
 * measures both sides as a CPU without AVX-512 runs them: OpenBLAS given its Haswell kernels and
 * ATen its AVX2 ones.
 */
let pytorchIsa: string | null = null;

/** The environment PyTorch runs in: its BLAS's kernels and ATen's dispatch level, unless the caller set them. */
function pytorchEnvironment(): NodeJS.ProcessEnv {
  const core = openblasCoreForMachine();
  const capability = pytorchIsa === null ? undefined : atenCapabilityByVariant[pytorchIsa];
  return {
    ...process.env,
    ...(core === undefined ? {} : { OPENBLAS_CORETYPE: core }),
    ...(capability === undefined || process.env.ATEN_CPU_CAPABILITY !== undefined ? {} : { ATEN_CPU_CAPABILITY: capability }),
  };
}

/** The OpenBLAS core type PyTorch's BLAS runs: the caller's, the `--isa` level's, or this machine's best instruction set's. */
function openblasCoreForMachine(): string | undefined {
  if (process.env.OPENBLAS_CORETYPE !== undefined) return process.env.OPENBLAS_CORETYPE;
  if (pytorchIsa !== null) return openblasCoreByVariant[pytorchIsa] ?? (pytorchIsa === 'baseline' ? 'Prescott' : undefined);
  if (process.arch !== 'x64' || !existsSync('/proc/cpuinfo')) return undefined;
  const flags = readFileSync('/proc/cpuinfo', 'utf8');
  if (/\bavx512f\b/.test(flags) && /\bavx512bw\b/.test(flags)) return openblasCoreByVariant.avx512;
  if (/\bavx2\b/.test(flags)) return openblasCoreByVariant.avx2;
  return undefined;
}

interface OpenblasComparison {
  /** The core OpenBLAS chose by itself, and the one it was run with. */
  detectedCore: string;
  usedCore: string;
  shapes: { shape: string; ours: number; openblas: number }[];
}

/**
 * Our GEMM (this variant's flags) against OpenBLAS's sgemm on one thread, in alternation
 * (bench/gemm-vs-openblas.cc); null with the reason printed when there is no OpenBLAS or compiler.
 */
function compareWithOpenblas(variant: string): OpenblasComparison | string {
  const flags = variantCompilerFlags(variant);
  if (flags === null) return `no flags for ${variant} in native/binding.gyp`;
  const directory = mkdtempSync(join(tmpdir(), 'vanishing-gemm-'));
  try {
    const program = join(directory, 'gemm-vs-openblas');
    const source = fileURLToPath(new URL('gemm-vs-openblas.cc', import.meta.url));
    const gemmSource = fileURLToPath(new URL('../native/src/gemm.cc', import.meta.url));
    const compiler = process.env.CXX ?? 'g++';
    const build = spawnSync(compiler, [...flags, '-o', program, source, gemmSource, '-lopenblas'], { encoding: 'utf8' });
    if (build.status !== 0) return `could not build against OpenBLAS (apt-get install libopenblas-dev): ${(build.stderr ?? '').split('\n')[0]}`;
    const probe = spawnSync(program, [], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OPENBLAS_VERBOSE: '2' }, timeout: 10_000 });
    const detectedCore = /Core: (\S+)/.exec(probe.stdout + probe.stderr)?.[1] ?? 'unknown';
    const usedCore = process.env.OPENBLAS_CORETYPE ?? openblasCoreByVariant[variant] ?? detectedCore;
    const run = spawnSync(program, [], { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OPENBLAS_CORETYPE: usedCore }, timeout: 300_000 });
    if (run.status !== 0) return `gemm-vs-openblas failed (exit ${run.status})`;
    return { detectedCore, usedCore, ...(JSON.parse(run.stdout) as { shapes: OpenblasComparison['shapes'] }) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

interface PairedThreads {
  ratios: number[];
  median: number;
  min: number;
  max: number;
  oneThreadMs: number;
  twoThreadMs: number;
}

/** B on 2 threads against 1, in alternation: the per-round ratios and their median. */
function pairedThreads(workload: Workload, kernels: Kernels, rounds: number, seconds: number): PairedThreads {
  const ratios: number[] = [];
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const single = timeStep(workload, kernels.withSettings({ threads: 1 }), seconds, 3, 1).ms;
    const double = timeStep(workload, kernels.withSettings({ threads: 2 }), seconds, 3, 1).ms;
    one.push(single);
    two.push(double);
    ratios.push(double / single);
  }
  return { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), oneThreadMs: median(one), twoThreadMs: median(two) };
}

interface PytorchRun {
  torch: string;
  blas: string;
  /** What answers sgemm_ for torch: OpenBLAS, MKL, BLIS, reference or unknown (older scripts: absent). */
  blasProvider?: string;
  /** ATen's vector level as torch reports it (AVX2, AVX512, DEFAULT), or null. */
  capability: string | null;
  /** Per workload and thread budget, the best time and which (torch, OpenBLAS) thread counts gave it; every choice's time (older scripts: neither). */
  workloads: { id: string; ms: Record<string, number>; configs?: Record<string, string>; everyConfig?: Record<string, number> }[];
  gemm: { shape: string; gflops: number }[];
}

const python = '/usr/bin/python3';

function pytorchAvailable(): boolean {
  return existsSync(python) && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether PyTorch's products run on an optimised BLAS. Debian's torch calls whatever libblas.so.3
 * points to; with only libblas3 installed that is the reference (netlib) BLAS, about ten times
 * slower than OpenBLAS (B-tanh: 5.5 s a step against 0.39 s on the same machine), even though
 * OpenBLAS's LAPACK may be loaded beside it, so the names of the loaded libraries do not tell.
 */
function hasOptimizedBlas(run: PytorchRun): boolean {
  return run.blasProvider !== 'reference';
}
const referenceBlasWarning = 'warning: PyTorch runs on the reference BLAS (libblas3), about 10× slower than OpenBLAS, so every ratio against it flatters ours;'
  + ' install OpenBLAS (apt-get install libopenblas0-pthread) and run again';

/** Runs the PyTorch reference when /usr/bin/python3 has torch; null (with the reason printed) when not. */
function runPytorch(list: Workload[], seconds: number, quiet = false): PytorchRun | null {
  const script = fileURLToPath(new URL('../tools/reference/bench_step.py', import.meta.url));
  if (!pytorchAvailable()) {
    console.log('PyTorch: not available (/usr/bin/python3 without torch: apt-get install python3-torch libopenblas0-pthread)');
    return null;
  }
  if (!quiet) console.log('PyTorch: timing the same steps (1 and 2 threads)…');
  // Debian 12's OpenBLAS does not know recent CPUs and would run its SSE3 kernels: give PyTorch's
  // BLAS the kernels of this CPU's instruction set, its best.
  const env = pytorchEnvironment();
  const result = spawnSync(python, [script, '--seconds', String(seconds)], {
    input: JSON.stringify(list), encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 1 << 24, timeout: 1_800_000, env,
  });
  if (result.status !== 0) {
    console.log(`PyTorch: reference failed (exit ${result.status})`);
    return null;
  }
  return JSON.parse(result.stdout) as PytorchRun;
}

interface Spread {
  /** One value per round, in the order measured. */
  ratios: number[];
  median: number;
  min: number;
  max: number;
}

function spreadOf(ratios: number[]): Spread {
  return { ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

interface PairedRatios extends Spread {
  id: string;
  /**
   * ours/PyTorch with ours, like PyTorch, at its better of 1 and 2 threads in each round (what one
   * experiment gets by default on a 2-core machine: --threads is cores / experiments running);
   * null on one core. `ratios` and the rest are ours on 1 thread.
   */
  bestOfThreads: Spread | null;
  /** ours on 1 thread over PyTorch on 1 thread (both its pools at 1): one core each. */
  oneCoreEach: Spread;
}

/**
 * ABAB: per round, our step's median over `seconds` on 1 thread, then on 2 (where there are two
 * cores), then PyTorch's (best of 1 and 2 threads) over the same budget; the ratio of each round,
 * then their median and range.
 */
function pairedRatios(workload: Workload, kernels: Kernels, rounds: number, seconds: number): PairedRatios | null {
  const ratios: number[] = [];
  const bestRatios: number[] = [];
  const oneCoreRatios: number[] = [];
  const twoThreads = cpus().length >= 2;
  for (let round = 0; round < rounds; round++) {
    const ours = timeStep(workload, kernels.withSettings({ threads: 1 }), seconds, 3, 1).ms;
    const oursOnTwo = twoThreads ? timeStep(workload, kernels.withSettings({ threads: 2 }), seconds, 3, 1).ms : Infinity;
    const theirs = runPytorch([workload], seconds, true)?.workloads[0];
    if (theirs === undefined) return null;
    const theirBest = Math.min(...Object.values(theirs.ms));
    ratios.push(ours / theirBest);
    bestRatios.push(Math.min(ours, oursOnTwo) / theirBest);
    oneCoreRatios.push(ours / (theirs.ms['1'] ?? theirBest));
  }
  return { id: workload.id, ...spreadOf(ratios), bestOfThreads: twoThreads ? spreadOf(bestRatios) : null, oneCoreEach: spreadOf(oneCoreRatios) };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: 'string' },
      seconds: { type: 'string', default: '1.5' },
      'no-ts': { type: 'boolean', default: false },
      'no-pytorch': { type: 'boolean', default: false },
      'ts-on-b': { type: 'boolean', default: false },
      only: { type: 'string' },
      isa: { type: 'string' },
      paired: { type: 'string' },
      'no-extras': { type: 'boolean', default: false },
      'pytorch-best': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number; got ${values.seconds}`);
  const rounds = values.paired === undefined ? 0 : Number(values.paired);
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`--paired must be a whole number of rounds; got ${values.paired}`);
  const only = values.only?.split(',').map((s) => s.trim());
  const list = selectWorkloads(values.only);

  const native = values.isa !== undefined ? chooseNativeVariant(values.isa, '--isa') : loadNativeKernels();
  // A variant that was asked for and cannot run is an error, not a quiet benchmark of another one.
  if (!native.ok && native.requested) throw new Error(native.reason);
  if (values.isa !== undefined && !values['pytorch-best'] && native.ok) pytorchIsa = native.variant;
  const notice = `kernels: ${native.ok ? describeNativeLoad(native) : `ts only (${native.reason})`}`;
  console.log(notice);
  const startLoad = loadAverage();
  const startTicks = cpuTicks();
  console.log(`machine: ${cpuModel()}, ${cpus().length} cores, load average ${startLoad} at the start, Node ${process.version}${native.ok ? `, GEMM tile ${native.tile}` : ''}`);
  if (native.ok) console.log(`settings: ${native.kernels.settings.threads} thread per call, denormals ${native.kernels.settings.denormals === 'flush' ? 'flushed to zero (VANISHING_DENORMALS=flush)' : 'IEEE (the default; VANISHING_DENORMALS=flush flushes them)'}`);

  const results: WorkloadResult[] = [];
  for (const workload of list) {
    const result: WorkloadResult = { workload, native: null, ts: null, pytorch: null };
    if (native.ok) result.native = timeStep(workload, native.kernels, seconds, 5, 3);
    // The reference kernels run ~50× slower: fewer steps, and B (about 15 s a step) only on request.
    const tsWanted = !values['no-ts'] && (workload.hidden < 256 || values['ts-on-b']);
    if (tsWanted) result.ts = timeStep(workload, tsKernels, Math.min(seconds, 2), 2, 1);
    console.log(`  ${workload.id}: native ${result.native?.ms.toFixed(2) ?? '—'} ms, ts ${result.ts?.ms.toFixed(1) ?? '—'} ms`);
    results.push(result);
  }

  const gemm: { shape: string; ours: number | null; pytorch: number | null }[] = [
    [64, 256, 256], [256, 256, 256], [64, 64, 64],
  ].map(([M, K, N]) => ({
    shape: `${M}x${K}·${K}x${N}`,
    ours: native.ok ? gemmGflops(native.kernels, M, K, N) : null,
    pytorch: null,
  }));

  const extras = !values['no-extras'] && native.ok;
  const roofline = native.ok ? measureRoofline(native.addon) : null;
  const openblas = extras ? compareWithOpenblas(native.variant) : null;
  const workloadB = workloads().find((w) => w.id === 'B-tanh')!;
  const threadScaling = extras && cpus().length >= 2 && (only === undefined || only.includes('B-tanh')) ? pairedThreads(workloadB, native.kernels, Math.max(3, rounds), seconds) : null;
  const denormalWorkload = list.find((w) => w.id === 'C-tanh');
  const otherDenormals = native.ok && native.kernels.settings.denormals === 'flush' ? 'ieee' : 'flush';
  const denormalComparison = extras && denormalWorkload !== undefined ? timeStep(denormalWorkload, native.kernels.withSettings({ denormals: otherDenormals }), seconds, 3, 1) : null;

  const pytorch = values['no-pytorch'] ? null : runPytorch(list, seconds);
  if (pytorch !== null) {
    for (const result of results) {
      const entry = pytorch.workloads.find((w) => w.id === result.workload.id);
      if (entry !== undefined) result.pytorch = { byThreads: entry.ms, best: Math.min(...Object.values(entry.ms)), configs: entry.configs ?? null, everyConfig: entry.everyConfig ?? null };
    }
    for (const row of gemm) row.pytorch = pytorch.gemm.find((g) => g.shape === row.shape)?.gflops ?? null;
  }

  const usage = process.resourceUsage();
  const memory = process.memoryUsage();
  const peakRssMiB = usage.maxRSS / 1024;

  console.log('');
  const pytorchSettings = [
    openblasCoreForMachine() !== undefined ? `OPENBLAS_CORETYPE=${openblasCoreForMachine()}` : null,
    pytorchEnvironment().ATEN_CPU_CAPABILITY !== undefined ? `ATEN_CPU_CAPABILITY=${pytorchEnvironment().ATEN_CPU_CAPABILITY}` : null,
  ].filter((setting) => setting !== null).join(', ');
  console.log(`one training step, ms (median)${native.ok ? `, native = the ${native.variant} variant` : ''}${pytorch !== null ? `; PyTorch ${pytorch.torch} on ${pytorch.blasProvider === 'reference' ? 'the reference BLAS' : pytorch.blasProvider ?? 'an unknown BLAS'} (loaded: ${pytorch.blas})${pytorchSettings !== '' ? ` (${pytorchSettings})` : ''}, ATen ${pytorch.capability ?? 'capability unknown'}, best of 1 and 2 threads (torch's and OpenBLAS's thread counts chosen apart; the lines above name the winners)` : ''}`);
  if (pytorch !== null && pytorchIsa !== null) console.log(`PyTorch is held to ${pytorchIsa} as well, as on a CPU whose best is ${pytorchIsa} (--pytorch-best gives it this machine's best)`);
  if (pytorch !== null && !hasOptimizedBlas(pytorch)) console.log(referenceBlasWarning);
  console.log(['workload', 'L', 'H', 'B', 'T', 'I', 'native', 'ts', 'PyTorch', 'native/PyTorch', 'ts/PyTorch'].map((h, i) => pad(h, i === 0 ? 12 : i < 6 ? 4 : 10)).join(' '));
  for (const { workload: w, native: n, ts, pytorch: p } of results) {
    const ratio = (ours: StepTiming | null) => (ours !== null && p !== null ? (ours.ms / p.best).toFixed(2) : '—');
    console.log([
      pad(w.id, 12), pad(String(w.layers), 4), pad(String(w.hidden), 4), pad(String(w.batch), 4), pad(String(w.steps), 4), pad(String(w.input), 4),
      pad(n?.ms.toFixed(2) ?? '—', 10), pad(ts?.ms.toFixed(1) ?? '—', 10), pad(p?.best.toFixed(2) ?? '—', 10), pad(ratio(n), 10), pad(ratio(ts), 10),
    ].join(' '));
  }
  console.log('');
  console.log('matrix product C = A·B, float32, one thread, GFLOP/s');
  for (const row of gemm) {
    const share = row.ours !== null && row.pytorch !== null ? ` (${((100 * row.ours) / row.pytorch).toFixed(0)} % of PyTorch)` : '';
    console.log(`  ${pad(row.shape, 16)}: ours ${row.ours?.toFixed(1) ?? '—'}, PyTorch ${row.pytorch?.toFixed(1) ?? '—'}${share}`);
  }
  if (roofline !== null) {
    // Our best at 256³ in this run: the product table's and, where it ran, the OpenBLAS alternation's
    // (one timing taken while the host is busy would put the kernel, not the host, below its peak).
    const samples256 = [gemm.find((row) => row.shape === '256x256·256x256')?.ours ?? null,
      openblas !== null && typeof openblas !== 'string' ? openblas.shapes.find((row) => row.shape === '256x256·256x256')?.ours ?? null : null]
      .filter((value): value is number => value !== null);
    const ours256 = samples256.length > 0 ? Math.max(...samples256) : null;
    console.log('');
    console.log(`roofline (one core, ${native.ok ? native.variant : ''}): ${Math.round(roofline.fmaUnits)} FMA units × ${roofline.lanes} float lanes × 2 FLOP × ${roofline.clockGHz.toFixed(2)} GHz = ${roofline.peakGflops.toFixed(0)} GFLOP/s peak`
      + ` (clock measured by a chain of dependent integer multiplications; an FMA loop reached ${roofline.measuredPeakGflops.toFixed(0)} GFLOP/s = ${roofline.fmaUnits.toFixed(2)} units)`);
    if (ours256 !== null) {
      console.log(`  our GEMM at 256x256·256x256: ${ours256.toFixed(1)} GFLOP/s = ${((100 * ours256) / roofline.peakGflops).toFixed(0)} % of peak`
        + `${samples256.length > 1 ? ' (the better of the product table above and the OpenBLAS alternation below)' : ''}`);
    }
  }
  if (openblas !== null) {
    console.log('');
    if (typeof openblas === 'string') {
      console.log(`GEMM against OpenBLAS: skipped (${openblas})`);
    } else {
      const note = openblas.detectedCore !== openblas.usedCore ? ` (OpenBLAS chose ${openblas.detectedCore} by itself; run as OPENBLAS_CORETYPE=${openblas.usedCore})` : ` (core ${openblas.usedCore})`;
      console.log(`GEMM against OpenBLAS sgemm, one thread each, in alternation, best GFLOP/s${note}`);
      for (const row of openblas.shapes) {
        console.log(`  ${pad(row.shape, 22)}: ours ${row.ours.toFixed(1)}, OpenBLAS ${row.openblas.toFixed(1)} (${((100 * row.ours) / row.openblas).toFixed(0)} %)`);
      }
    }
  }
  if (threadScaling !== null) {
    console.log('');
    console.log(`B-tanh on 2 threads / 1 thread, in alternation: median ${threadScaling.median.toFixed(2)}, range ${threadScaling.min.toFixed(2)}–${threadScaling.max.toFixed(2)}`
      + ` (${threadScaling.twoThreadMs.toFixed(1)} ms vs ${threadScaling.oneThreadMs.toFixed(1)} ms)`);
  }
  if (denormalComparison !== null) {
    const asRun = results.find((r) => r.workload.id === 'C-tanh')?.native?.ms ?? null;
    console.log('');
    console.log(`C-tanh with denormals ${otherDenormals === 'flush' ? 'flushed to zero (VANISHING_DENORMALS=flush)' : 'IEEE'}: ${denormalComparison.ms.toFixed(1)} ms`
      + `${asRun !== null ? `, ${(denormalComparison.ms / asRun).toFixed(2)}× the ${otherDenormals === 'flush' ? 'IEEE' : 'flushing'} time above` : ''}`);
  }
  const paired: PairedRatios[] = [];
  if (rounds > 0 && native.ok && !values['no-pytorch'] && pytorchAvailable()) {
    console.log('');
    const twoThreads = cpus().length >= 2;
    console.log(`ours/PyTorch measured in alternation (ABAB), ${rounds} rounds of ${seconds} s each side, native ${native.variant}, PyTorch best of 1 and 2 threads;`
      + ` ours on 1 thread${twoThreads ? ', then ours at its best of 1 and 2 threads (as one experiment runs by default on 2 cores)' : ''}`);
    const describe = (spread: Spread) => `median ${spread.median.toFixed(2)}, range ${spread.min.toFixed(2)}–${spread.max.toFixed(2)} (${spread.ratios.map((r) => r.toFixed(2)).join(' ')})`;
    for (const workload of list) {
      const result = pairedRatios(workload, native.kernels, rounds, seconds);
      if (result === null) break;
      paired.push(result);
      console.log(`  ${pad(workload.id, 12)}: 1 thread: ${describe(result)}${result.bestOfThreads !== null ? `; best of 1 and 2 threads: ${describe(result.bestOfThreads)}` : ''}`
        + `; one core each (PyTorch on 1 thread too): ${describe(result.oneCoreEach)}`);
    }
    if (paired.length > 0) {
      if (pytorch !== null && !hasOptimizedBlas(pytorch)) console.log(referenceBlasWarning);
      console.log(`targets (median ours/PyTorch's best ≤ 0.5, B ≤ 0.7): ours on 1 thread: ${targetsMet(paired.map((result) => ({ id: result.id, spread: result })))}`
        + `${twoThreads ? `; ours at its best of 1 and 2 threads: ${targetsMet(paired.flatMap((result) => (result.bestOfThreads !== null ? [{ id: result.id, spread: result.bestOfThreads }] : [])))}` : ''}`
        + `; one core each (ours and PyTorch on 1 thread): ${targetsMet(paired.map((result) => ({ id: result.id, spread: result.oneCoreEach })))}`);
    }
  } else if (rounds > 0) {
    console.log(`--paired: skipped (${!native.ok ? 'no native kernels' : 'no PyTorch'})`);
  }
  const stealPercent = stealPercentSince(startTicks);
  console.log(`load average at the end: ${loadAverage()} (at the start: ${startLoad}); stolen by the hypervisor during the run: `
    + `${stealPercent === null ? 'unknown (no /proc/stat)' : `${stealPercent.toFixed(1)} % of CPU time`}`);
  console.log(`peak memory: ${peakRssMiB.toFixed(0)} MiB resident (maxRSS, this process), heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB, array buffers ${(memory.arrayBuffers / 2 ** 20).toFixed(0)} MiB`);

  if (values.json !== undefined) {
    const report = {
      kernels: notice,
      nativeVariant: native.ok ? native.variant : null,
      machine: { cpu: cpuModel(), cores: cpus().length, node: process.version, loadAverageAtStart: startLoad, loadAverageAtEnd: loadAverage(), stolenPercent: stealPercent },
      settings: native.ok ? native.kernels.settings : null,
      roofline,
      openblas,
      threadScaling,
      cTanhOtherDenormals: denormalComparison === null ? null : { denormals: otherDenormals, ms: denormalComparison.ms },
      pytorch: pytorch === null ? null : { torch: pytorch.torch, blas: pytorch.blas, optimizedBlas: hasOptimizedBlas(pytorch), capability: pytorch.capability, openblasCore: openblasCoreForMachine() ?? null, heldToIsa: pytorchIsa },
      workloads: results.map((r) => ({
        ...r.workload,
        nativeMs: r.native?.ms ?? null, nativeSteps: r.native?.timedSteps ?? null,
        tsMs: r.ts?.ms ?? null, tsSteps: r.ts?.timedSteps ?? null,
        pytorchMs: r.pytorch?.byThreads ?? null, pytorchBestMs: r.pytorch?.best ?? null, pytorchConfigs: r.pytorch?.configs ?? null, pytorchEveryConfig: r.pytorch?.everyConfig ?? null,
        nativeOverPytorch: r.native !== null && r.pytorch !== null ? r.native.ms / r.pytorch.best : null,
      })),
      gemm: gemm.map(({ shape, ours, pytorch: p }) => ({ shape, oursGflops: ours, pytorchGflops: p })),
      paired,
      memory: { maxRssMiB: peakRssMiB, heapUsedMiB: memory.heapUsed / 2 ** 20, arrayBuffersMiB: memory.arrayBuffers / 2 ** 20 },
    };
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`results written to ${values.json}`);
  }
}

main();

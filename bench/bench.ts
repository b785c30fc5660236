/**
 * `npm run bench`: how long one training step takes on our kernels, and on PyTorch in the same run.
 *
 * One step = forward, loss, backward (model.lossAndGradients: also ‖dL/dh_t‖ and saturation),
 * every parameter's gradient norm (measureGradientNorms), SGD step: what the trainer does per
 * batch. Median over the steps that fit a time budget, after a warm-up. Where /usr/bin/python3 has
 * PyTorch, tools/reference/bench_step.py times the same step (best of 1 and 2 threads) and the
 * table shows ours/PyTorch. Also: our matrix product's GFLOP/s and peak memory.
 *
 * The first line says which native variant runs (the best this CPU supports, as for models);
 * `--isa avx2` (or VANISHING_NATIVE_ISA=avx2) measures a lower one: baseline, avx2, avx512, neon.
 *
 * `--paired 5` also measures ours and PyTorch in alternation, 5 rounds per workload (ABAB: our
 * step, then PyTorch's, then ours …), and reports the median of the per-round ratios and their
 * range: a machine whose speed drifts during the run (shared cloud cores do) moves both sides of
 * a pair alike, where the one-after-the-other table can catch them in different states.
 *
 *   npm run bench -- [--json results.json] [--no-ts] [--no-pytorch] [--ts-on-b] [--seconds 1.5] [--only A-tanh,B-relu] [--isa avx2] [--paired 5]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Kernels } from '../src/kernels/kernels.js';
import { chooseNativeVariant, describeNativeLoad, loadNativeKernels } from '../src/kernels/native-kernels.js';
import { tsKernels } from '../src/kernels/ts-kernels.js';
import type { Architecture, CellType, Nonlinearity } from '../src/model/config.js';
import { createModel } from '../src/model/model.js';
import { SeededRandom } from '../src/random.js';
import { measureGradientNorms } from '../src/train/gradient-surgery.js';
import { createOptimizer } from '../src/train/optimizers.js';

interface Workload {
  id: string;
  architecture: Architecture;
  cell: CellType;
  nonlinearity: Nonlinearity;
  layers: number;
  hidden: number;
  batch: number;
  steps: number;
  input: number;
  classes: number;
}

interface StepTiming {
  ms: number;
  timedSteps: number;
}

interface WorkloadResult {
  workload: Workload;
  native: StepTiming | null;
  ts: StepTiming | null;
  /** PyTorch ms per step by thread count, and the best of them. */
  pytorch: { byThreads: Record<string, number>; best: number } | null;
}

const shapes: Record<string, Pick<Workload, 'layers' | 'hidden' | 'batch' | 'steps' | 'input'>> = {
  A: { layers: 20, hidden: 64, batch: 64, steps: 28, input: 28 }, // row-wise MNIST
  B: { layers: 20, hidden: 256, batch: 64, steps: 28, input: 28 }, // the original's width
  C: { layers: 4, hidden: 128, batch: 32, steps: 196, input: 1 }, // pixel sequence
  D: { layers: 2, hidden: 32, batch: 64, steps: 100, input: 2 }, // adding problem
};

function workloads(): Workload[] {
  const list: Workload[] = [];
  for (const [name, shape] of Object.entries(shapes)) {
    list.push({ id: `${name}-tanh`, architecture: 'vanilla', cell: 'rnn', nonlinearity: 'tanh', classes: 10, ...shape });
    list.push({ id: `${name}-res-relu`, architecture: 'residual', cell: 'rnn', nonlinearity: 'relu', classes: 10, ...shape });
  }
  list.push({ id: 'A-lstm', architecture: 'vanilla', cell: 'lstm', nonlinearity: 'tanh', classes: 10, ...shapes.A });
  list.push({ id: 'A-gru', architecture: 'vanilla', cell: 'gru', nonlinearity: 'tanh', classes: 10, ...shapes.A });
  return list;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median ms of one training step on `kernels`: warm-up, then steps until the budget is spent. */
function timeStep(workload: Workload, kernels: Kernels, seconds: number, minSteps: number, warmup: number): StepTiming {
  const model = createModel({
    architecture: workload.architecture, cell: workload.cell, nonlinearity: workload.nonlinearity,
    inputSize: workload.input, hiddenSize: workload.hidden, numLayers: workload.layers, outputSize: workload.classes,
    output: 'last', seed: 0, kernels,
  });
  const random = new SeededRandom(1);
  const inputs = new Float32Array(workload.batch * workload.steps * workload.input);
  for (let i = 0; i < inputs.length; i++) inputs[i] = random.uniform();
  const targets = new Int32Array(workload.batch);
  for (let i = 0; i < targets.length; i++) targets[i] = random.integer(workload.classes);
  const optimizer = createOptimizer(model.parameters(), { type: 'sgd', learningRate: 1e-4 });
  const step = (): void => {
    model.lossAndGradients({ inputs, batchSize: workload.batch, steps: workload.steps, targets, loss: 'cross_entropy' });
    measureGradientNorms(model.parameters(), kernels);
    optimizer.step();
  };
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

interface PytorchRun {
  torch: string;
  blas: string;
  workloads: { id: string; ms: Record<string, number> }[];
  gemm: { shape: string; gflops: number }[];
}

const python = '/usr/bin/python3';

function pytorchAvailable(): boolean {
  return existsSync(python) && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Runs the PyTorch reference when /usr/bin/python3 has torch; null (with the reason printed) when not. */
function runPytorch(list: Workload[], seconds: number, quiet = false): PytorchRun | null {
  const script = fileURLToPath(new URL('../tools/reference/bench_step.py', import.meta.url));
  if (!pytorchAvailable()) {
    console.log('PyTorch: not available (/usr/bin/python3 without torch: apt-get install python3-torch libopenblas0-pthread)');
    return null;
  }
  if (!quiet) console.log('PyTorch: timing the same steps (1 and 2 threads)…');
  const result = spawnSync(python, [script, '--seconds', String(seconds)], {
    input: JSON.stringify(list), encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 1 << 24, timeout: 1_800_000,
  });
  if (result.status !== 0) {
    console.log(`PyTorch: reference failed (exit ${result.status})`);
    return null;
  }
  return JSON.parse(result.stdout) as PytorchRun;
}

interface PairedRatios {
  id: string;
  /** ours/PyTorch of each round, in the order measured. */
  ratios: number[];
  median: number;
  min: number;
  max: number;
}

/**
 * ABAB: per round, our step's median over `seconds`, then PyTorch's (best of 1 and 2 threads)
 * over the same budget; the ratio of each pair, then their median and range.
 */
function pairedRatios(workload: Workload, kernels: Kernels, rounds: number, seconds: number): PairedRatios | null {
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const ours = timeStep(workload, kernels, seconds, 3, 1);
    const theirs = runPytorch([workload], seconds, true)?.workloads[0];
    if (theirs === undefined) return null;
    ratios.push(ours.ms / Math.min(...Object.values(theirs.ms)));
  }
  return { id: workload.id, ratios, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
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
    },
    strict: true,
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number; got ${values.seconds}`);
  const rounds = values.paired === undefined ? 0 : Number(values.paired);
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`--paired must be a whole number of rounds; got ${values.paired}`);
  const only = values.only?.split(',').map((s) => s.trim());
  const list = workloads().filter((w) => only === undefined || only.includes(w.id));
  if (list.length === 0) throw new Error(`--only matched no workload; ids: ${workloads().map((w) => w.id).join(', ')}`);

  const native = values.isa !== undefined ? chooseNativeVariant(values.isa, '--isa') : loadNativeKernels();
  // A variant that was asked for and cannot run is an error, not a quiet benchmark of another one.
  if (!native.ok && native.requested) throw new Error(native.reason);
  const notice = `kernels: ${native.ok ? describeNativeLoad(native) : `ts only (${native.reason})`}`;
  console.log(notice);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}${native.ok ? `, GEMM tile ${native.tile}` : ''}`);

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

  const pytorch = values['no-pytorch'] ? null : runPytorch(list, seconds);
  if (pytorch !== null) {
    for (const result of results) {
      const entry = pytorch.workloads.find((w) => w.id === result.workload.id);
      if (entry !== undefined) result.pytorch = { byThreads: entry.ms, best: Math.min(...Object.values(entry.ms)) };
    }
    for (const row of gemm) row.pytorch = pytorch.gemm.find((g) => g.shape === row.shape)?.gflops ?? null;
  }

  const usage = process.resourceUsage();
  const memory = process.memoryUsage();
  const peakRssMiB = usage.maxRSS / 1024;

  console.log('');
  console.log(`one training step, ms (median)${native.ok ? `, native = the ${native.variant} variant` : ''}${pytorch !== null ? `; PyTorch ${pytorch.torch} on ${pytorch.blas}, best of 1 and 2 threads` : ''}`);
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
  const paired: PairedRatios[] = [];
  if (rounds > 0 && native.ok && !values['no-pytorch'] && pytorchAvailable()) {
    console.log('');
    console.log(`ours/PyTorch measured in alternation (ABAB), ${rounds} rounds of ${seconds} s each side, native ${native.variant}`);
    for (const workload of list) {
      const result = pairedRatios(workload, native.kernels, rounds, seconds);
      if (result === null) break;
      paired.push(result);
      console.log(`  ${pad(workload.id, 12)}: median ${result.median.toFixed(2)}, range ${result.min.toFixed(2)}–${result.max.toFixed(2)} (${result.ratios.map((r) => r.toFixed(2)).join(' ')})`);
    }
  } else if (rounds > 0) {
    console.log(`--paired: skipped (${!native.ok ? 'no native kernels' : 'no PyTorch'})`);
  }
  console.log(`peak memory: ${peakRssMiB.toFixed(0)} MiB resident (maxRSS, this process), heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB, array buffers ${(memory.arrayBuffers / 2 ** 20).toFixed(0)} MiB`);

  if (values.json !== undefined) {
    const report = {
      kernels: notice,
      nativeVariant: native.ok ? native.variant : null,
      machine: { cpu: cpus()[0]?.model ?? null, cores: cpus().length, node: process.version },
      pytorch: pytorch === null ? null : { torch: pytorch.torch, blas: pytorch.blas },
      workloads: results.map((r) => ({
        ...r.workload,
        nativeMs: r.native?.ms ?? null, nativeSteps: r.native?.timedSteps ?? null,
        tsMs: r.ts?.ms ?? null, tsSteps: r.ts?.timedSteps ?? null,
        pytorchMs: r.pytorch?.byThreads ?? null, pytorchBestMs: r.pytorch?.best ?? null,
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

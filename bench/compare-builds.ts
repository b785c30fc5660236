/**
 * `npm run bench:builds -- before.node after.node`: one build of the native kernels against
 * another, for a change to the kernels: keep a copy of native/build/Release/vanishing_<variant>.node,
 * change and rebuild, then compare the copy with the new file.
 *
 * Both builds run in this one process and take turns step by step (ABBA: before, after, after,
 * before, …), each on its own model of the same workload, so whatever the machine does meanwhile
 * (another tenant on a shared core, a clock change) falls on both sides of a pair alike: the
 * median of the per-pair ratios tells a change of a few per cent where two separate runs differ
 * by more. Before timing, it checks that both builds give the same loss and gradients bit for
 * bit, or says how far apart they are (a change meant only to be faster should be identical).
 *
 *   npm run bench:builds -- before.node after.node [--only B-tanh,A-lstm] [--pairs 30] [--threads 1] [--isa avx2]
 *
 * `--isa` names the variant both files are (default: the one models run on here); `--only`
 * takes the ids of `npm run bench` (default: all ten workloads).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Kernels } from '../src/kernels/kernels.js';
import { loadNativeKernels, nativeKernelsFromFile, nativeVariantsOfThisMachine, type NativeVariant } from '../src/kernels/native-kernels.js';
import { median, selectWorkloads, trainingStep, type TrainingStep, type Workload } from './workloads.js';

interface Comparison {
  id: string;
  identical: boolean;
  /** The largest |after − before| over the loss and every gradient, relative to the largest |before|; 0 when identical. */
  relativeDifference: number;
  beforeMs: number;
  afterMs: number;
  /** after/before per pair: its median and range. */
  ratio: { median: number; min: number; max: number };
}

function largestRelativeDifference(before: Float32Array[], after: Float32Array[]): { identical: boolean; relative: number } {
  let identical = true;
  let largestDifference = 0;
  let largestValue = 0;
  before.forEach((values, i) => {
    for (let j = 0; j < values.length; j++) {
      const a = values[j];
      const b = after[i][j];
      if (Object.is(a, b)) continue;
      identical = false;
      largestDifference = Math.max(largestDifference, Number.isNaN(a) !== Number.isNaN(b) ? Infinity : Math.abs(b - a));
    }
    for (const value of values) if (Number.isFinite(value)) largestValue = Math.max(largestValue, Math.abs(value));
  });
  return { identical, relative: identical ? 0 : largestDifference / Math.max(largestValue, Number.MIN_VALUE) };
}

/** The loss and every gradient of one lossAndGradients call of a fresh model, as float arrays. */
function resultsOf(run: TrainingStep): Float32Array[] {
  const loss = run.lossAndGradients();
  return [Float32Array.of(loss), ...run.model.parameters().map((parameter) => Float32Array.from(parameter.grad))];
}

function compare(workload: Workload, before: Kernels, after: Kernels, pairs: number): Comparison {
  const sides = [trainingStep(workload, before), trainingStep(workload, after)];
  // Before either has taken a step: both models are the same seeded model on the same batch.
  const difference = largestRelativeDifference(resultsOf(sides[0]), resultsOf(sides[1]));
  for (const side of sides) for (let i = 0; i < 2; i++) side.step();
  const times: number[][] = [[], []];
  for (let pair = 0; pair < pairs; pair++) {
    // ABBA: neither build always runs first, after the other one has warmed (or cooled) the caches.
    for (const index of pair % 2 === 0 ? [0, 1] : [1, 0]) {
      const start = performance.now();
      sides[index].step();
      times[index].push(performance.now() - start);
    }
  }
  const ratios = times[1].map((afterMs, pair) => afterMs / times[0][pair]);
  return {
    id: workload.id,
    identical: difference.identical,
    relativeDifference: difference.relative,
    beforeMs: median(times[0]),
    afterMs: median(times[1]),
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
  };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      pairs: { type: 'string', default: '30' },
      threads: { type: 'string', default: '1' },
      isa: { type: 'string' },
    },
  });
  if (positionals.length !== 2) throw new Error(`give two addon files, before and after; got ${positionals.length}`);
  const pairs = Number(values.pairs);
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs must be a whole number ≥ 1; got ${values.pairs}`);
  const threads = Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > cpus().length) throw new Error(`--threads must be 1 to ${cpus().length}; got ${values.threads}`);
  const variants = nativeVariantsOfThisMachine();
  const loaded = loadNativeKernels();
  const variant = (values.isa ?? (loaded.ok ? loaded.variant : variants[0])) as NativeVariant;
  if (!variants.includes(variant)) throw new Error(`--isa must be one of ${variants.join(', ')}; got ${values.isa}`);
  const [before, after] = positionals.map((path) => nativeKernelsFromFile(path, variant).withSettings({ threads }));
  const list = selectWorkloads(values.only);
  console.log(`${variant} builds, ${threads} thread${threads === 1 ? '' : 's'}, ${pairs} pairs of training steps per workload (ABBA); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  before: ${positionals[0]}\n  after:  ${positionals[1]}`);
  for (const workload of list) {
    const result = compare(workload, before, after, pairs);
    const results = result.identical ? 'identical results' : `results differ (largest difference ${result.relativeDifference.toExponential(2)} of the largest value)`;
    console.log(
      `${workload.id.padStart(12)}: before ${result.beforeMs.toFixed(2)} ms, after ${result.afterMs.toFixed(2)} ms; after/before median ${result.ratio.median.toFixed(3)} (${result.ratio.min.toFixed(2)}–${result.ratio.max.toFixed(2)}); ${results}`,
    );
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}

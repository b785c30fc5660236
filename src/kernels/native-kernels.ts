/**
 * The native kernels: the C++ Node-API addon built from native/ during `npm install`, one build
 * variant per instruction set, and the choice among them.
 *
 * Variants (native/binding.gyp): on x86-64 `avx512` (AVX-512 F/BW/DQ/VL), `avx2` (AVX2+FMA) and
 * `baseline` (SSE2, every x86-64 CPU); on arm64 `neon`. The best one the running CPU supports is
 * loaded. The CPU is asked first, through the baseline variant's `cpuFeatures` (the compiler's
 * `__builtin_cpu_supports`): loading a variant built for instructions the CPU lacks would kill
 * the process with an illegal instruction, which no try/catch can stop.
 * `VANISHING_NATIVE_ISA=<variant>` forces a variant (`baseline` names the lowest one on every
 * architecture); asking for one the CPU cannot run, or that is not built, is an error.
 *
 * Float32 buffers go to the addon in place (no copies); Float64 buffers (the finite-difference
 * tests) go to the reference TypeScript kernels, as kernels.ts allows. The addon is looked up
 * relative to the package root, so this works from src/ under tsx and from dist/src/ alike.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Activation, AdamStepSettings, FloatArray, FusedLoops, KernelSettings, Kernels, RnnSequence, SgdStepSettings } from './kernels.js';
import { checkStepLengths, tsKernels } from './ts-kernels.js';

/** The addon's exports (native/src/addon.cc): Kernels' methods on Float32Array, activations as codes. */
export interface NativeAddon {
  /** The build variant, as in vanishing_<variant>.node. */
  readonly variant: string;
  /** Its instruction set, for people (`AVX-512 F+BW+DQ+VL`, `AVX2+FMA`, `SSE2`, `NEON`). */
  readonly isa: string;
  /** What the running CPU supports, by the compiler's feature names (`avx2`, `avx512bw`, `neon`, …). */
  readonly cpuFeatures: Readonly<Record<string, boolean>>;
  readonly gemmTileRows: number;
  readonly gemmTileCols: number;
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, c: Float32Array, cOffset: number, accumulate: boolean): void;
  addBiasRows(out: Float32Array, outOffset: number, rows: number, cols: number, bias: Float32Array, biasOffset: number): void;
  accumulateColumnSums(out: Float32Array, outOffset: number, src: Float32Array, srcOffset: number, rows: number, cols: number): void;
  activationForward(code: number, x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, n: number): void;
  activationBackward(code: number, y: Float32Array, yOffset: number, dy: Float32Array, dyOffset: number, dx: Float32Array, dxOffset: number, n: number, accumulate: boolean): void;
  axpy(n: number, alpha: number, x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, threads: number): void;
  copy(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number, threads: number): void;
  fill(x: Float32Array, xOffset: number, n: number, value: number, threads: number): void;
  scale(x: Float32Array, xOffset: number, n: number, factor: number, threads: number): void;
  sumOfSquares(x: Float32Array, xOffset: number, n: number, threads: number): number;
  countAbsAbove(x: Float32Array, xOffset: number, n: number, threshold: number, threads: number): number;
  countAbsAboveInRows(x: Float32Array, xOffset: number, rows: number, cols: number, rowStride: number, threshold: number, threads: number): number;
  countZero(x: Float32Array, xOffset: number, n: number): number;
  lstmPointwiseForward(batch: number, hidden: number, gates: Float32Array, gatesOffset: number, cPrev: Float32Array, cPrevOffset: number, c: Float32Array, cOffset: number, tanhC: Float32Array, tanhCOffset: number, h: Float32Array, hOffset: number): void;
  lstmPointwiseBackward(batch: number, hidden: number, gates: Float32Array, gatesOffset: number, cPrev: Float32Array, cPrevOffset: number, tanhC: Float32Array, tanhCOffset: number, dh: Float32Array, dhOffset: number, dc: Float32Array, dcOffset: number, dGates: Float32Array, dGatesOffset: number): void;
  gruPointwiseForward(batch: number, hidden: number, inputGates: Float32Array, inputGatesOffset: number, hiddenGates: Float32Array, hiddenGatesOffset: number, hPrev: Float32Array, hPrevOffset: number, gateActivations: Float32Array, gateActivationsOffset: number, h: Float32Array, hOffset: number): void;
  gruPointwiseBackward(batch: number, hidden: number, hiddenGates: Float32Array, hiddenGatesOffset: number, hPrev: Float32Array, hPrevOffset: number, gateActivations: Float32Array, gateActivationsOffset: number, dh: Float32Array, dhOffset: number, dInputGates: Float32Array, dInputGatesOffset: number, dHiddenGates: Float32Array, dHiddenGatesOffset: number, dhPrev: Float32Array, dhPrevOffset: number): void;
  softmaxCrossEntropy(rows: number, classes: number, logits: Float32Array, logitsOffset: number, targets: Int32Array, targetsOffset: number, dLogits: Float32Array, dLogitsOffset: number, gradientScale: number): [number, number];
  squaredError(n: number, pred: Float32Array, predOffset: number, target: Float32Array, targetOffset: number, dPred: Float32Array, dPredOffset: number, gradientScale: number): number;
  sgdStep(
    n: number, data: Float32Array, dataOffset: number, grad: Float32Array, gradOffset: number, momentumBuffer: Float32Array | null, momentumBufferOffset: number,
    learningRate: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean, first: boolean, sums: Float64Array, sumsOffset: number,
    threads: number,
  ): void;
  adamStep(
    n: number, data: Float32Array, dataOffset: number, grad: Float32Array, gradOffset: number, firstMoment: Float32Array, firstMomentOffset: number,
    secondMoment: Float32Array, secondMomentOffset: number, stepSize: number, beta1: number, beta2: number, epsilon: number, weightDecay: number,
    biasCorrection2Root: number, sums: Float64Array, sumsOffset: number, threads: number,
  ): void;
  rnnForward(
    code: number, steps: number, batch: number, inputSize: number, hidden: number,
    input: Float32Array, inputOffset: number, weightInput: Float32Array, weightInputOffset: number, weightHidden: Float32Array, weightHiddenOffset: number,
    biasInput: Float32Array, biasInputOffset: number, biasHidden: Float32Array, biasHiddenOffset: number, hiddenStates: Float32Array, hiddenStatesOffset: number,
    saturationThreshold: number, threads: number,
  ): number;
  rnnBackward(
    code: number, steps: number, batch: number, inputSize: number, hidden: number,
    input: Float32Array, inputOffset: number, weightInput: Float32Array, weightInputOffset: number, weightHidden: Float32Array, weightHiddenOffset: number,
    biasInput: Float32Array, biasInputOffset: number, biasHidden: Float32Array, biasHiddenOffset: number, hiddenStates: Float32Array, hiddenStatesOffset: number,
    dOutput: Float32Array, dOutputOffset: number, dPreActivation: Float32Array, dPreActivationOffset: number, norms: Float64Array, normsOffset: number,
    gradWeightInput: Float32Array, gradWeightInputOffset: number, gradWeightHidden: Float32Array, gradWeightHiddenOffset: number,
    gradBiasInput: Float32Array, gradBiasInputOffset: number, gradBiasHidden: Float32Array, gradBiasHiddenOffset: number,
    dInput: Float32Array | null, dInputOffset: number, accumulateInput: boolean, threads: number,
  ): void;
  lstmForward(
    steps: number, batch: number, inputSize: number, hidden: number,
    input: Float32Array, inputOffset: number, weightInput: Float32Array, weightInputOffset: number, weightHidden: Float32Array, weightHiddenOffset: number,
    biasInput: Float32Array, biasInputOffset: number, biasHidden: Float32Array, biasHiddenOffset: number, hiddenStates: Float32Array, hiddenStatesOffset: number,
    cell: Float32Array, cellOffset: number, tanhCell: Float32Array, tanhCellOffset: number, gates: Float32Array, gatesOffset: number,
    saturationThreshold: number, threads: number,
  ): number;
  lstmBackward(
    steps: number, batch: number, inputSize: number, hidden: number,
    input: Float32Array, inputOffset: number, weightInput: Float32Array, weightInputOffset: number, weightHidden: Float32Array, weightHiddenOffset: number,
    biasInput: Float32Array, biasInputOffset: number, biasHidden: Float32Array, biasHiddenOffset: number, hiddenStates: Float32Array, hiddenStatesOffset: number,
    cell: Float32Array, cellOffset: number, tanhCell: Float32Array, tanhCellOffset: number, gates: Float32Array, gatesOffset: number,
    dOutput: Float32Array, dOutputOffset: number, norms: Float64Array, normsOffset: number,
    gradWeightInput: Float32Array, gradWeightInputOffset: number, gradWeightHidden: Float32Array, gradWeightHiddenOffset: number,
    gradBiasInput: Float32Array, gradBiasInputOffset: number, gradBiasHidden: Float32Array, gradBiasHiddenOffset: number,
    dInput: Float32Array | null, dInputOffset: number, accumulateInput: boolean,
    dGates: Float32Array, dGatesOffset: number, threads: number,
  ): void;
  gruForward(
    steps: number, batch: number, inputSize: number, hidden: number,
    input: Float32Array, inputOffset: number, weightInput: Float32Array, weightInputOffset: number, weightHidden: Float32Array, weightHiddenOffset: number,
    biasInput: Float32Array, biasInputOffset: number, biasHidden: Float32Array, biasHiddenOffset: number, hiddenStates: Float32Array, hiddenStatesOffset: number,
    inputGates: Float32Array, inputGatesOffset: number, hiddenGates: Float32Array, hiddenGatesOffset: number, gateActivations: Float32Array, gateActivationsOffset: number,
    saturationThreshold: number, threads: number,
  ): number;
  gruBackward(
    steps: number, batch: number, inputSize: number, hidden: number,
    input: Float32Array, inputOffset: number, weightInput: Float32Array, weightInputOffset: number, weightHidden: Float32Array, weightHiddenOffset: number,
    biasInput: Float32Array, biasInputOffset: number, biasHidden: Float32Array, biasHiddenOffset: number, hiddenStates: Float32Array, hiddenStatesOffset: number,
    inputGates: Float32Array, inputGatesOffset: number, hiddenGates: Float32Array, hiddenGatesOffset: number, gateActivations: Float32Array, gateActivationsOffset: number,
    dOutput: Float32Array, dOutputOffset: number, norms: Float64Array, normsOffset: number,
    gradWeightInput: Float32Array, gradWeightInputOffset: number, gradWeightHidden: Float32Array, gradWeightHiddenOffset: number,
    gradBiasInput: Float32Array, gradBiasInputOffset: number, gradBiasHidden: Float32Array, gradBiasHiddenOffset: number,
    dInput: Float32Array | null, dInputOffset: number, accumulateInput: boolean,
    dInputGates: Float32Array, dInputGatesOffset: number, dHiddenGates: Float32Array, dHiddenGatesOffset: number, threads: number,
  ): void;
  /** Whether this thread's later calls flush denormals to zero (the addon keeps one flag per thread). */
  setDenormalMode(flush: boolean): void;
  /** One core's clock (Hz, 0 when unknown), this variant's measured FMA throughput (FLOP/s) and its vector width in float lanes. */
  measureRoofline(): { clockHz: number; peakFlops: number; lanes: number };
}

/**
 * IEEE denormals unless `VANISHING_DENORMALS=flush` (KernelSettings.denormals, native/src/float_mode.h).
 * Not flushing by default: the diagnosis reads a gradient that underflowed to exactly 0 as
 * vanished, and flushing makes values below 1.2e-38 zero early enough to change a verdict of the
 * benchmark (seed 1 of deep_irnn, a 20-layer IRNN whose signal shrinks 1000× per layer, reads as
 * exploding toward the input with flushing, vanishing without) — at a cost in speed on CPUs slow
 * with denormals (README, "Denormal floats").
 */
export function defaultDenormals(): KernelSettings['denormals'] {
  const requested = process.env.VANISHING_DENORMALS;
  if (requested === undefined || requested === '' || requested === 'ieee') return 'ieee';
  if (requested === 'flush') return 'flush';
  throw new Error(`VANISHING_DENORMALS must be "ieee" or "flush" (or unset: ieee); got "${requested}"`);
}

/** The most threads one call may use (native/src/parallel.h kMaxThreads). */
const maxThreads = 64;

/** Activation codes shared with native/src/pointwise.h (enum class Activation). */
const activationCodes = new Map<string, number>([['tanh', 0], ['relu', 1], ['sigmoid', 2], ['identity', 3]]);

/** The code of an activation; a name from outside the type system (JSON, a cast) throws, as the reference does. */
function activationCode(activation: Activation): number {
  const code = activationCodes.get(activation);
  if (code === undefined) throw new RangeError(`unknown activation ${JSON.stringify(activation)} (known: ${[...activationCodes.keys()].join(', ')})`);
  return code;
}

export type NativeVariant = 'avx512' | 'avx2' | 'baseline' | 'neon';

interface VariantSpec {
  readonly variant: NativeVariant;
  /** cpuFeatures that must all be true: every extension the variant's flags in binding.gyp enable. */
  readonly requires: readonly string[];
}

/** The variants of each architecture, best first; the last one is the baseline and the CPU probe. */
const variantsByArch: Partial<Record<string, readonly VariantSpec[]>> = {
  x64: [
    { variant: 'avx512', requires: ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl'] },
    { variant: 'avx2', requires: ['avx2', 'fma'] },
    { variant: 'baseline', requires: [] },
  ],
  arm64: [{ variant: 'neon', requires: ['neon'] }],
};

/** Whether a variant can run here, and if not why; `path` is set when it is built. */
export interface NativeVariantStatus {
  readonly variant: NativeVariant;
  readonly path: string | null;
  readonly runnable: boolean;
  /** Why it cannot run (not built, CPU lacks …); empty when runnable. */
  readonly why: string;
}

export type NativeLoad =
  | {
      ok: true;
      kernels: Kernels;
      variant: NativeVariant;
      isa: string;
      tile: string;
      path: string;
      /** How this variant was chosen, for the notice line. */
      chosenBy: string;
      /** The raw binding, for tests of its argument checks. */
      addon: NativeAddon;
    }
  | {
      ok: false;
      reason: string;
      /** True when VANISHING_NATIVE_ISA asked for something that cannot be had (an error, not a fallback). */
      requested: boolean;
    };

const loadedVariants = new Map<NativeVariant, NativeLoad>();
let defaultLoad: NativeLoad | null = null;
let cpuFeatures: Readonly<Record<string, boolean>> | string | null = null;

/** The build directories to look in: seen from src/kernels/ and from dist/src/kernels/. */
function builtPath(variant: NativeVariant): string | null {
  const candidates = ['../../native/build/Release/', '../../../native/build/Release/'].map((relative) =>
    fileURLToPath(new URL(`${relative}vanishing_${variant}.node`, import.meta.url)),
  );
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

function requireAddon(path: string): NativeAddon {
  return createRequire(import.meta.url)(path) as NativeAddon;
}

function firstLine(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/**
 * The CPU features each variant of `arch` requires, best first: what the tests hold the compiler
 * flags in native/binding.gyp against.
 */
export function nativeVariantRequirements(arch: string = process.arch): readonly { variant: NativeVariant; requires: readonly string[] }[] {
  return variantsByArch[arch] ?? [];
}

/** This architecture's variants, best first (empty where there are no native kernels). */
export function nativeVariantsOfThisMachine(): readonly NativeVariant[] {
  return (variantsByArch[process.arch] ?? []).map((spec) => spec.variant);
}

/** The CPU's features from the baseline variant, or why they cannot be known. */
function probeCpu(): Readonly<Record<string, boolean>> | string {
  if (cpuFeatures !== null) return cpuFeatures;
  const specs = variantsByArch[process.arch];
  if (specs === undefined) return (cpuFeatures = `no native kernels for ${process.arch} (only x64 and arm64)`);
  const probe = specs[specs.length - 1].variant;
  const path = builtPath(probe);
  if (path === null) return (cpuFeatures = `native addon not built: run \`node native/build.mjs\` (needs a C++ compiler)`);
  try {
    cpuFeatures = requireAddon(path).cpuFeatures;
  } catch (error) {
    cpuFeatures = `native addon failed to load: ${firstLine(error)}`;
  }
  return cpuFeatures;
}

/** Every variant of this architecture, best first, with whether this machine can run it. */
export function nativeVariantStatuses(): NativeVariantStatus[] {
  return judgeNativeVariants(process.arch, probeCpu(), builtPath);
}

/**
 * Which variants of `arch` can run, given the CPU's features (or why they are unknown) and where
 * each variant is built (null: not built). Pure, so the tests can ask about CPUs they do not have.
 */
export function judgeNativeVariants(
  arch: string,
  features: Readonly<Record<string, boolean>> | string,
  pathOf: (variant: NativeVariant) => string | null,
): NativeVariantStatus[] {
  return (variantsByArch[arch] ?? []).map(({ variant, requires }) => {
    const path = pathOf(variant);
    if (typeof features === 'string') return { variant, path, runnable: false, why: features };
    if (path === null) return { variant, path, runnable: false, why: 'not built (the compiler could not build it; see native/build/build.log)' };
    const lacking = requires.filter((feature) => features[feature] !== true);
    if (lacking.length > 0) return { variant, path, runnable: false, why: `this CPU lacks ${lacking.join(', ')}` };
    return { variant, path, runnable: true, why: '' };
  });
}

/**
 * Loads one variant (cached), after checking that this CPU can run it. Tests and the benchmark
 * use it to load a given variant in-process; models get theirs from `loadNativeKernels`.
 */
export function loadNativeVariant(variant: NativeVariant, chosenBy = `asked for ${variant}`): NativeLoad {
  const cached = loadedVariants.get(variant);
  if (cached !== undefined) return cached.ok ? { ...cached, chosenBy } : cached;
  const status = nativeVariantStatuses().find((s) => s.variant === variant);
  let load: NativeLoad;
  if (status === undefined) {
    load = { ok: false, requested: true, reason: `native variant ${variant} does not exist on ${process.arch} (variants: ${nativeVariantsOfThisMachine().join(', ') || 'none'})` };
  } else if (!status.runnable || status.path === null) {
    load = { ok: false, requested: true, reason: `native variant ${variant} cannot run here: ${status.why}` };
  } else {
    try {
      const addon = requireAddon(status.path);
      if (addon.variant !== variant) throw new Error(`${status.path} reports variant ${addon.variant}, expected ${variant}`);
      load = { ok: true, kernels: wrap(addon, { threads: 1, denormals: defaultDenormals() }), variant, isa: addon.isa, tile: `${addon.gemmTileRows}×${addon.gemmTileCols}`, path: status.path, chosenBy, addon };
    } catch (error) {
      load = { ok: false, requested: true, reason: `native addon failed to load: ${firstLine(error)}` };
    }
  }
  loadedVariants.set(variant, load);
  return load;
}

/**
 * The variant models run on (loaded once): the one VANISHING_NATIVE_ISA names, else the best
 * this CPU runs. Says why when there is none: not built, built for another Node, or a request
 * that cannot be met (`requested`: the caller must not quietly fall back).
 */
export function loadNativeKernels(): NativeLoad {
  if (defaultLoad === null) defaultLoad = chooseNativeVariant(process.env.VANISHING_NATIVE_ISA);
  return defaultLoad;
}

/**
 * The kernels of one addon file wherever it is (a copy of an earlier build kept to compare with,
 * as `npm run bench:builds` does), loaded only after checking that this CPU runs `variant`, and
 * only if the file is that variant. Throws a one-line error otherwise.
 */
export function nativeKernelsFromFile(path: string, variant: NativeVariant): Kernels {
  const status = nativeVariantStatuses().find((s) => s.variant === variant);
  if (status === undefined || !status.runnable) throw new Error(`native variant ${variant} cannot run here: ${status?.why ?? `not a variant of ${process.arch}`}`);
  if (!existsSync(path)) throw new Error(`no such addon file: ${path}`);
  const addon = requireAddon(resolve(path));
  if (addon.variant !== variant) throw new Error(`${path} is the ${addon.variant} variant, not ${variant}`);
  return wrap(addon, { threads: 1, denormals: defaultDenormals() });
}

/**
 * The variant `requested` names (`baseline` is the lowest one of every architecture), or the best
 * this CPU runs when it is empty; `source` names the request in messages (an option, the env var).
 */
export function chooseNativeVariant(requested: string | undefined, source = 'VANISHING_NATIVE_ISA'): NativeLoad {
  const variants = nativeVariantsOfThisMachine();
  if (requested !== undefined && requested !== '') {
    // `baseline` is the lowest variant of every architecture (on arm64, neon).
    const variant = requested === 'baseline' ? variants.at(-1) : variants.find((v) => v === requested);
    if (variant === undefined) {
      return { ok: false, requested: true, reason: `${source} must be one of ${[...variants, 'baseline'].filter((v, i, all) => all.indexOf(v) === i).join(', ')} on ${process.arch}; got "${requested}"` };
    }
    const load = loadNativeVariant(variant, `forced by ${source}=${requested}`);
    return load.ok ? load : { ...load, reason: `${source}=${requested}: ${load.reason}` };
  }
  const statuses = nativeVariantStatuses();
  const best = statuses.find((status) => status.runnable);
  if (best === undefined) {
    const why = statuses.length === 0 ? `no native kernels for ${process.arch}` : statuses[statuses.length - 1].why;
    return { ok: false, requested: false, reason: why };
  }
  const runnable = statuses.filter((s) => s.runnable).map((s) => s.variant);
  const unavailable = statuses.filter((s) => !s.runnable).map((s) => `; ${s.variant}: ${s.why}`);
  const load = loadNativeVariant(best.variant, `the best of ${runnable.join(', ')} for this CPU${unavailable.join('')}`);
  return load.ok ? load : { ...load, requested: false };
}

/** One line for logs: which variant runs and why, or why none does. */
export function describeNativeLoad(load: NativeLoad): string {
  return load.ok ? `native ${load.variant} (${load.isa}; ${load.chosenBy})` : load.reason;
}

function f32(x: FloatArray): x is Float32Array {
  return x instanceof Float32Array;
}

/** The denormal flag each loaded addon (each variant is its own library) holds for this thread. */
const threadDenormalFlag = new Map<NativeAddon, { flush: boolean }>();

/** The Kernels over the addon: float32 calls go native, anything else to the reference. */
function wrap(addon: NativeAddon, settings: KernelSettings): Kernels {
  const ts = tsKernels;
  const flush = settings.denormals === 'flush';
  let flag = threadDenormalFlag.get(addon);
  if (flag === undefined) threadDenormalFlag.set(addon, (flag = { flush: false }));
  const threadFlag = flag;
  /** The addon, with this thread's denormal flag set to these kernels' mode (one comparison when it already is). */
  const live = (): NativeAddon => {
    if (threadFlag.flush !== flush) {
      addon.setDenormalMode(flush);
      threadFlag.flush = flush;
    }
    return addon;
  };
  const code = (activation: RnnSequence['activation']): number => activationCode(activation);
  const fusedLoops: FusedLoops = {
    rnnForward(s, saturationThreshold) {
      return live().rnnForward(code(s.activation), s.steps, s.batch, s.inputSize, s.hiddenSize, s.input, 0, s.weightInput, 0, s.weightHidden, 0,
        s.biasInput, 0, s.biasHidden, 0, s.hidden, 0, saturationThreshold, settings.threads);
    },
    rnnBackward(s, g) {
      live().rnnBackward(code(s.activation), s.steps, s.batch, s.inputSize, s.hiddenSize, s.input, 0, s.weightInput, 0, s.weightHidden, 0,
        s.biasInput, 0, s.biasHidden, 0, s.hidden, 0, g.dOutput, 0, g.dPreActivation, 0, g.hiddenGradientNorms, 0,
        g.gradWeightInput, 0, g.gradWeightHidden, 0, g.gradBiasInput, 0, g.gradBiasHidden, 0, g.dInput, 0, g.accumulateInput, settings.threads);
    },
    lstmForward(s, saturationThreshold) {
      return live().lstmForward(s.steps, s.batch, s.inputSize, s.hiddenSize, s.input, 0, s.weightInput, 0, s.weightHidden, 0, s.biasInput, 0, s.biasHidden, 0,
        s.hidden, 0, s.cell, 0, s.tanhCell, 0, s.gates, 0, saturationThreshold, settings.threads);
    },
    lstmBackward(s, g) {
      live().lstmBackward(s.steps, s.batch, s.inputSize, s.hiddenSize, s.input, 0, s.weightInput, 0, s.weightHidden, 0, s.biasInput, 0, s.biasHidden, 0,
        s.hidden, 0, s.cell, 0, s.tanhCell, 0, s.gates, 0, g.dOutput, 0, g.hiddenGradientNorms, 0,
        g.gradWeightInput, 0, g.gradWeightHidden, 0, g.gradBiasInput, 0, g.gradBiasHidden, 0, g.dInput, 0, g.accumulateInput, g.dGates, 0, settings.threads);
    },
    gruForward(s, saturationThreshold) {
      return live().gruForward(s.steps, s.batch, s.inputSize, s.hiddenSize, s.input, 0, s.weightInput, 0, s.weightHidden, 0, s.biasInput, 0, s.biasHidden, 0,
        s.hidden, 0, s.inputGates, 0, s.hiddenGates, 0, s.gateActivations, 0, saturationThreshold, settings.threads);
    },
    gruBackward(s, g) {
      live().gruBackward(s.steps, s.batch, s.inputSize, s.hiddenSize, s.input, 0, s.weightInput, 0, s.weightHidden, 0, s.biasInput, 0, s.biasHidden, 0,
        s.hidden, 0, s.inputGates, 0, s.hiddenGates, 0, s.gateActivations, 0, g.dOutput, 0, g.hiddenGradientNorms, 0,
        g.gradWeightInput, 0, g.gradWeightHidden, 0, g.gradBiasInput, 0, g.gradBiasHidden, 0, g.dInput, 0, g.accumulateInput,
        g.dInputGates, 0, g.dHiddenGates, 0, settings.threads);
    },
  };
  return {
    // The variant is part of the name, so the run records and the CLI's start line say which ran.
    name: flush ? `native ${addon.variant}, denormals flushed` : `native ${addon.variant}`,
    settings,
    withSettings(changes) {
      const next: KernelSettings = { ...settings, ...changes };
      if (!Number.isInteger(next.threads) || next.threads < 1 || next.threads > maxThreads) {
        throw new RangeError(`threads must be a whole number from 1 to ${maxThreads}; got ${next.threads}`);
      }
      if (next.denormals !== 'flush' && next.denormals !== 'ieee') throw new RangeError(`denormals must be "flush" or "ieee"; got ${JSON.stringify(next.denormals)}`);
      return next.threads === settings.threads && next.denormals === settings.denormals ? this : wrap(addon, next);
    },
    fusedLoops,
    gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate) {
      if (f32(a) && f32(b) && f32(c)) live().gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate);
      else ts.gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate);
    },
    addBiasRows(out, outOffset, rows, cols, bias, biasOffset) {
      if (f32(out) && f32(bias)) live().addBiasRows(out, outOffset, rows, cols, bias, biasOffset);
      else ts.addBiasRows(out, outOffset, rows, cols, bias, biasOffset);
    },
    accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols) {
      if (f32(out) && f32(src)) live().accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols);
      else ts.accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols);
    },
    activationForward(activation, x, xOffset, y, yOffset, n) {
      if (f32(x) && f32(y)) live().activationForward(activationCode(activation), x, xOffset, y, yOffset, n);
      else ts.activationForward(activation, x, xOffset, y, yOffset, n);
    },
    activationBackward(activation, y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate) {
      if (f32(y) && f32(dy) && f32(dx)) live().activationBackward(activationCode(activation), y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate);
      else ts.activationBackward(activation, y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate);
    },
    axpy(n, alpha, x, xOffset, y, yOffset) {
      if (f32(x) && f32(y)) live().axpy(n, alpha, x, xOffset, y, yOffset, settings.threads);
      else ts.axpy(n, alpha, x, xOffset, y, yOffset);
    },
    copy(src, srcOffset, dst, dstOffset, n) {
      if (f32(src) && f32(dst)) live().copy(src, srcOffset, dst, dstOffset, n, settings.threads);
      else ts.copy(src, srcOffset, dst, dstOffset, n);
    },
    fill(x, xOffset, n, value) {
      if (f32(x)) live().fill(x, xOffset, n, value, settings.threads);
      else ts.fill(x, xOffset, n, value);
    },
    scale(x, xOffset, n, factor) {
      if (f32(x)) live().scale(x, xOffset, n, factor, settings.threads);
      else ts.scale(x, xOffset, n, factor);
    },
    sumOfSquares(x, xOffset, n) {
      return f32(x) ? live().sumOfSquares(x, xOffset, n, settings.threads) : ts.sumOfSquares(x, xOffset, n);
    },
    countAbsAbove(x, xOffset, n, threshold) {
      return f32(x) ? live().countAbsAbove(x, xOffset, n, threshold, settings.threads) : ts.countAbsAbove(x, xOffset, n, threshold);
    },
    countAbsAboveInRows(x, xOffset, rows, cols, rowStride, threshold) {
      return f32(x)
        ? live().countAbsAboveInRows(x, xOffset, rows, cols, rowStride, threshold, settings.threads)
        : ts.countAbsAboveInRows(x, xOffset, rows, cols, rowStride, threshold);
    },
    countZero(x, xOffset, n) {
      return f32(x) ? live().countZero(x, xOffset, n) : ts.countZero(x, xOffset, n);
    },
    lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset) {
      if (f32(gates) && f32(cPrev) && f32(c) && f32(tanhC) && f32(h)) {
        live().lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset);
      } else {
        ts.lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset);
      }
    },
    lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset) {
      if (f32(gates) && f32(cPrev) && f32(tanhC) && f32(dh) && f32(dc) && f32(dGates)) {
        live().lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset);
      } else {
        ts.lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset);
      }
    },
    gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset) {
      if (f32(inputGates) && f32(hiddenGates) && f32(hPrev) && f32(gateActivations) && f32(h)) {
        live().gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset);
      } else {
        ts.gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset);
      }
    },
    gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset) {
      if (f32(hiddenGates) && f32(hPrev) && f32(gateActivations) && f32(dh) && f32(dInputGates) && f32(dHiddenGates) && f32(dhPrev)) {
        live().gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset);
      } else {
        ts.gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset);
      }
    },
    softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale) {
      if (!(f32(logits) && f32(dLogits))) return ts.softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale);
      const [lossSum, correct] = live().softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale);
      return { lossSum, correct };
    },
    squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale) {
      if (f32(pred) && f32(target) && f32(dPred)) return live().squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale);
      return ts.squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale);
    },
    sgdStep(data: FloatArray, grad: FloatArray, momentumBuffer: FloatArray | null, step: SgdStepSettings, sums: Float64Array) {
      if (!(f32(data) && f32(grad) && (momentumBuffer === null || f32(momentumBuffer)))) return ts.sgdStep(data, grad, momentumBuffer, step, sums);
      checkStepLengths('sgdStep', data, grad, momentumBuffer);
      live().sgdStep(data.length, data, 0, grad, 0, momentumBuffer, 0, step.learningRate, step.momentum, step.dampening, step.weightDecay, step.nesterov, step.first, sums, 0, settings.threads);
    },
    adamStep(data: FloatArray, grad: FloatArray, firstMoment: FloatArray, secondMoment: FloatArray, step: AdamStepSettings, sums: Float64Array) {
      if (!(f32(data) && f32(grad) && f32(firstMoment) && f32(secondMoment))) return ts.adamStep(data, grad, firstMoment, secondMoment, step, sums);
      checkStepLengths('adamStep', data, grad, firstMoment, secondMoment);
      live().adamStep(data.length, data, 0, grad, 0, firstMoment, 0, secondMoment, 0, step.stepSize, step.beta1, step.beta2, step.epsilon, step.weightDecay, step.biasCorrection2Root, sums, 0, settings.threads);
    },
  };
}

/**
 * The native kernels: the C++ Node-API addon built from native/ during `npm install`.
 *
 * Float32 buffers go to the addon in place (no copies); Float64 buffers (the finite-difference
 * tests) go to the reference TypeScript kernels, as kernels.ts allows. The addon is looked up
 * relative to the package root, so this works from src/ under tsx and from dist/src/ alike.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Activation, FloatArray, Kernels } from './kernels.js';
import { tsKernels } from './ts-kernels.js';

/** The addon's exports (native/src/addon.cc): Kernels' methods on Float32Array, activations as codes. */
interface NativeAddon {
  readonly isa: string;
  readonly gemmTileRows: number;
  readonly gemmTileCols: number;
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, c: Float32Array, cOffset: number, accumulate: boolean): void;
  addBiasRows(out: Float32Array, outOffset: number, rows: number, cols: number, bias: Float32Array, biasOffset: number): void;
  accumulateColumnSums(out: Float32Array, outOffset: number, src: Float32Array, srcOffset: number, rows: number, cols: number): void;
  activationForward(code: number, x: Float32Array, xOffset: number, y: Float32Array, yOffset: number, n: number): void;
  activationBackward(code: number, y: Float32Array, yOffset: number, dy: Float32Array, dyOffset: number, dx: Float32Array, dxOffset: number, n: number, accumulate: boolean): void;
  axpy(n: number, alpha: number, x: Float32Array, xOffset: number, y: Float32Array, yOffset: number): void;
  copy(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void;
  fill(x: Float32Array, xOffset: number, n: number, value: number): void;
  scale(x: Float32Array, xOffset: number, n: number, factor: number): void;
  sumOfSquares(x: Float32Array, xOffset: number, n: number): number;
  countAbsAbove(x: Float32Array, xOffset: number, n: number, threshold: number): number;
  countZero(x: Float32Array, xOffset: number, n: number): number;
  lstmPointwiseForward(batch: number, hidden: number, gates: Float32Array, gatesOffset: number, cPrev: Float32Array, cPrevOffset: number, c: Float32Array, cOffset: number, tanhC: Float32Array, tanhCOffset: number, h: Float32Array, hOffset: number): void;
  lstmPointwiseBackward(batch: number, hidden: number, gates: Float32Array, gatesOffset: number, cPrev: Float32Array, cPrevOffset: number, tanhC: Float32Array, tanhCOffset: number, dh: Float32Array, dhOffset: number, dc: Float32Array, dcOffset: number, dGates: Float32Array, dGatesOffset: number): void;
  gruPointwiseForward(batch: number, hidden: number, inputGates: Float32Array, inputGatesOffset: number, hiddenGates: Float32Array, hiddenGatesOffset: number, hPrev: Float32Array, hPrevOffset: number, gateActivations: Float32Array, gateActivationsOffset: number, h: Float32Array, hOffset: number): void;
  gruPointwiseBackward(batch: number, hidden: number, hiddenGates: Float32Array, hiddenGatesOffset: number, hPrev: Float32Array, hPrevOffset: number, gateActivations: Float32Array, gateActivationsOffset: number, dh: Float32Array, dhOffset: number, dInputGates: Float32Array, dInputGatesOffset: number, dHiddenGates: Float32Array, dHiddenGatesOffset: number, dhPrev: Float32Array, dhPrevOffset: number): void;
  softmaxCrossEntropy(rows: number, classes: number, logits: Float32Array, logitsOffset: number, targets: Int32Array, targetsOffset: number, dLogits: Float32Array, dLogitsOffset: number, gradientScale: number): [number, number];
  squaredError(n: number, pred: Float32Array, predOffset: number, target: Float32Array, targetOffset: number, dPred: Float32Array, dPredOffset: number, gradientScale: number): number;
}

/** Activation codes shared with native/src/pointwise.h (enum class Activation). */
const activationCodes: Record<Activation, number> = { tanh: 0, relu: 1, sigmoid: 2, identity: 3 };

export type NativeLoad =
  | { ok: true; kernels: Kernels; isa: string; tile: string; path: string }
  | { ok: false; reason: string };

let loaded: NativeLoad | null = null;

/** Where `npm install` (native/build.mjs) puts the addon, seen from src/kernels/ and from dist/src/kernels/. */
function candidatePaths(): string[] {
  return ['../../native/build/Release/vanishing_native.node', '../../../native/build/Release/vanishing_native.node'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
}

/** Loads the addon once; says why when it cannot (not built, or built for another Node). */
export function loadNativeKernels(): NativeLoad {
  if (loaded !== null) return loaded;
  const found = candidatePaths().find((candidate) => existsSync(candidate));
  if (found === undefined) {
    loaded = { ok: false, reason: 'native addon not built: run `node native/build.mjs` (needs a C++ compiler)' };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(found) as NativeAddon;
    loaded = { ok: true, kernels: wrap(addon), isa: addon.isa, tile: `${addon.gemmTileRows}×${addon.gemmTileCols}`, path: found };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    loaded = { ok: false, reason: `native addon failed to load: ${message}` };
  }
  return loaded;
}

function f32(x: FloatArray): x is Float32Array {
  return x instanceof Float32Array;
}

/** The Kernels over the addon: float32 calls go native, anything else to the reference. */
function wrap(addon: NativeAddon): Kernels {
  const ts = tsKernels;
  return {
    name: 'native',
    gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate) {
      if (f32(a) && f32(b) && f32(c)) addon.gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate);
      else ts.gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate);
    },
    addBiasRows(out, outOffset, rows, cols, bias, biasOffset) {
      if (f32(out) && f32(bias)) addon.addBiasRows(out, outOffset, rows, cols, bias, biasOffset);
      else ts.addBiasRows(out, outOffset, rows, cols, bias, biasOffset);
    },
    accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols) {
      if (f32(out) && f32(src)) addon.accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols);
      else ts.accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols);
    },
    activationForward(activation, x, xOffset, y, yOffset, n) {
      if (f32(x) && f32(y)) addon.activationForward(activationCodes[activation], x, xOffset, y, yOffset, n);
      else ts.activationForward(activation, x, xOffset, y, yOffset, n);
    },
    activationBackward(activation, y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate) {
      if (f32(y) && f32(dy) && f32(dx)) addon.activationBackward(activationCodes[activation], y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate);
      else ts.activationBackward(activation, y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate);
    },
    axpy(n, alpha, x, xOffset, y, yOffset) {
      if (f32(x) && f32(y)) addon.axpy(n, alpha, x, xOffset, y, yOffset);
      else ts.axpy(n, alpha, x, xOffset, y, yOffset);
    },
    copy(src, srcOffset, dst, dstOffset, n) {
      if (f32(src) && f32(dst)) addon.copy(src, srcOffset, dst, dstOffset, n);
      else ts.copy(src, srcOffset, dst, dstOffset, n);
    },
    fill(x, xOffset, n, value) {
      if (f32(x)) addon.fill(x, xOffset, n, value);
      else ts.fill(x, xOffset, n, value);
    },
    scale(x, xOffset, n, factor) {
      if (f32(x)) addon.scale(x, xOffset, n, factor);
      else ts.scale(x, xOffset, n, factor);
    },
    sumOfSquares(x, xOffset, n) {
      return f32(x) ? addon.sumOfSquares(x, xOffset, n) : ts.sumOfSquares(x, xOffset, n);
    },
    countAbsAbove(x, xOffset, n, threshold) {
      return f32(x) ? addon.countAbsAbove(x, xOffset, n, threshold) : ts.countAbsAbove(x, xOffset, n, threshold);
    },
    countZero(x, xOffset, n) {
      return f32(x) ? addon.countZero(x, xOffset, n) : ts.countZero(x, xOffset, n);
    },
    lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset) {
      if (f32(gates) && f32(cPrev) && f32(c) && f32(tanhC) && f32(h)) {
        addon.lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset);
      } else {
        ts.lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset);
      }
    },
    lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset) {
      if (f32(gates) && f32(cPrev) && f32(tanhC) && f32(dh) && f32(dc) && f32(dGates)) {
        addon.lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset);
      } else {
        ts.lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset);
      }
    },
    gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset) {
      if (f32(inputGates) && f32(hiddenGates) && f32(hPrev) && f32(gateActivations) && f32(h)) {
        addon.gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset);
      } else {
        ts.gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset);
      }
    },
    gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset) {
      if (f32(hiddenGates) && f32(hPrev) && f32(gateActivations) && f32(dh) && f32(dInputGates) && f32(dHiddenGates) && f32(dhPrev)) {
        addon.gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset);
      } else {
        ts.gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset);
      }
    },
    softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale) {
      if (!(f32(logits) && f32(dLogits))) return ts.softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale);
      const [lossSum, correct] = addon.softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale);
      return { lossSum, correct };
    },
    squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale) {
      if (f32(pred) && f32(target) && f32(dPred)) return addon.squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale);
      return ts.squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale);
    },
  };
}

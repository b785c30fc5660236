/**
 * The reference kernels: plain TypeScript loops over Float32Array / Float64Array.
 * Clear rather than fast; every faster implementation is tested against these.
 * NaN and ±Inf propagate as IEEE arithmetic propagates them: no shortcut may turn a non-finite
 * value into a finite one (a diverged model must show a non-finite loss on every kernel set).
 */
import type { Activation, AdamStepSettings, FloatArray, Kernels, SgdStepSettings } from './kernels.js';

/** A block's rows may not overlap: a stride below the row length is a caller's bug. */
export function checkRowStride(kernel: string, rows: number, cols: number, rowStride: number): void {
  if (rows > 1 && !(rowStride >= cols)) throw new RangeError(`${kernel}: rows ${rowStride} apart cannot hold ${cols} columns`);
}

/** An optimiser step's buffers must all be as long as the parameter: anything else is a caller's bug. */
export function checkStepLengths(kernel: string, data: FloatArray, ...others: (FloatArray | null)[]): void {
  for (const other of others) {
    if (other !== null && other.length !== data.length) throw new RangeError(`${kernel}: a buffer of ${other.length} values for a parameter of ${data.length}`);
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Per row k of B during one gemm call: 0 not looked at yet, 1 every value finite, 2 not. Grown,
 * never shrunk, so the training step allocates nothing.
 */
let bRowFiniteness = new Uint8Array(0);

/** Looks at row `k` of B (N values from `rowStart`) and records 1 (all finite) or 2. */
function measureRowFiniteness(b: FloatArray, rowStart: number, N: number, k: number): number {
  let finite = true;
  for (let j = 0; j < N && finite; j++) finite = Number.isFinite(b[rowStart + j]);
  bRowFiniteness[k] = finite ? 1 : 2;
  return bRowFiniteness[k];
}

function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  a: FloatArray,
  aOffset: number,
  b: FloatArray,
  bOffset: number,
  c: FloatArray,
  cOffset: number,
  accumulate: boolean,
): void {
  if (!accumulate) c.fill(0, cOffset, cOffset + M * N);
  if (!transB) {
    // i-k-j order streams rows of B and C contiguously. A zero multiplier skips its B row (dead
    // ReLU units make this about 1.4× faster) unless that row holds a NaN or ±Inf: 0·NaN and
    // 0·Inf are NaN, and skipping them would hide a divergence.
    if (bRowFiniteness.length < K) bRowFiniteness = new Uint8Array(K);
    bRowFiniteness.fill(0, 0, K);
    for (let i = 0; i < M; i++) {
      const cRow = cOffset + i * N;
      for (let k = 0; k < K; k++) {
        const aik = transA ? a[aOffset + k * M + i] : a[aOffset + i * K + k];
        const bRow = bOffset + k * N;
        if (aik === 0 && (bRowFiniteness[k] || measureRowFiniteness(b, bRow, N, k)) === 1) continue;
        for (let j = 0; j < N; j++) c[cRow + j] += aik * b[bRow + j];
      }
    }
  } else {
    // B is N×K: each C entry is a dot product of an A row (or column) with a B row.
    for (let i = 0; i < M; i++) {
      const cRow = cOffset + i * N;
      for (let j = 0; j < N; j++) {
        const bRow = bOffset + j * K;
        let sum = 0;
        if (transA) {
          for (let k = 0; k < K; k++) sum += a[aOffset + k * M + i] * b[bRow + k];
        } else {
          const aRow = aOffset + i * K;
          for (let k = 0; k < K; k++) sum += a[aRow + k] * b[bRow + k];
        }
        c[cRow + j] += sum;
      }
    }
  }
}

function activationForward(activation: Activation, x: FloatArray, xOffset: number, y: FloatArray, yOffset: number, n: number): void {
  switch (activation) {
    case 'tanh':
      for (let i = 0; i < n; i++) y[yOffset + i] = Math.tanh(x[xOffset + i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[xOffset + i];
        // NaN passes through, as PyTorch's relu (`v > 0 ? v : 0` would turn it into 0).
        y[yOffset + i] = v <= 0 ? 0 : v;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[yOffset + i] = sigmoid(x[xOffset + i]);
      return;
    case 'identity':
      for (let i = 0; i < n; i++) y[yOffset + i] = x[xOffset + i];
      return;
    default:
      throw unknownActivation(activation);
  }
}

/** A caller outside the type system (JSON, a cast) passed a name no kernel knows. */
function unknownActivation(activation: never): Error {
  return new RangeError(`unknown activation ${JSON.stringify(activation)} (known: tanh, relu, sigmoid, identity)`);
}

/** The activations activationBackward knows (checked once per call, not per element). */
const derivativeKnown: Record<Activation, true> = { tanh: true, relu: true, sigmoid: true, identity: true };

function activationBackward(
  activation: Activation,
  y: FloatArray,
  yOffset: number,
  dy: FloatArray,
  dyOffset: number,
  dx: FloatArray,
  dxOffset: number,
  n: number,
  accumulate: boolean,
): void {
  if (!Object.hasOwn(derivativeKnown, activation)) throw unknownActivation(activation as never);
  for (let i = 0; i < n; i++) {
    const out = y[yOffset + i];
    let derivative: number;
    switch (activation) {
      case 'tanh':
        derivative = 1 - out * out;
        break;
      case 'relu':
        // relu'(NaN) is NaN: the comparison alone would call it 0 and hide the NaN from dx.
        derivative = out > 0 ? 1 : out <= 0 ? 0 : Number.NaN;
        break;
      case 'sigmoid':
        derivative = out * (1 - out);
        break;
      case 'identity':
        derivative = 1;
        break;
    }
    const value = dy[dyOffset + i] * derivative;
    if (accumulate) dx[dxOffset + i] += value;
    else dx[dxOffset + i] = value;
  }
}

export const tsKernels: Kernels = {
  name: 'ts',
  settings: { threads: 1, denormals: 'ieee' },
  withSettings: () => tsKernels,
  // The layers' own loops over these kernels are the reference the fused loops are tested against.
  fusedLoops: null,
  gemm,

  addBiasRows(out, outOffset, rows, cols, bias, biasOffset) {
    for (let r = 0; r < rows; r++) {
      const row = outOffset + r * cols;
      for (let c = 0; c < cols; c++) out[row + c] += bias[biasOffset + c];
    }
  },

  accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const row = srcOffset + r * cols;
      for (let c = 0; c < cols; c++) out[outOffset + c] += src[row + c];
    }
  },

  activationForward,
  activationBackward,

  axpy(n, alpha, x, xOffset, y, yOffset) {
    for (let i = 0; i < n; i++) y[yOffset + i] += alpha * x[xOffset + i];
  },

  copy(src, srcOffset, dst, dstOffset, n) {
    for (let i = 0; i < n; i++) dst[dstOffset + i] = src[srcOffset + i];
  },

  fill(x, xOffset, n, value) {
    x.fill(value, xOffset, xOffset + n);
  },

  scale(x, xOffset, n, factor) {
    for (let i = 0; i < n; i++) x[xOffset + i] *= factor;
  },

  sumOfSquares(x, xOffset, n) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xOffset + i];
      sum += v * v;
    }
    return sum;
  },

  countAbsAbove(x, xOffset, n, threshold) {
    let count = 0;
    for (let i = 0; i < n; i++) if (Math.abs(x[xOffset + i]) > threshold) count++;
    return count;
  },

  countAbsAboveInRows(x, xOffset, rows, cols, rowStride, threshold) {
    checkRowStride('countAbsAboveInRows', rows, cols, rowStride);
    let count = 0;
    for (let r = 0; r < rows; r++) count += tsKernels.countAbsAbove(x, xOffset + r * rowStride, cols, threshold);
    return count;
  },

  countZero(x, xOffset, n) {
    let count = 0;
    for (let i = 0; i < n; i++) if (x[xOffset + i] === 0) count++;
    return count;
  },

  // The arithmetic of lstm-layer.ts's equations (2)-(4); the derivation lives there.
  lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset) {
    const H = hidden;
    for (let b = 0; b < batch; b++) {
      const g0 = gatesOffset + b * 4 * H;
      for (let j = 0; j < H; j++) {
        const inputGate = sigmoid(gates[g0 + j]);
        const forgetGate = sigmoid(gates[g0 + H + j]);
        const cellCandidate = Math.tanh(gates[g0 + 2 * H + j]);
        const outputGate = sigmoid(gates[g0 + 3 * H + j]);
        gates[g0 + j] = inputGate;
        gates[g0 + H + j] = forgetGate;
        gates[g0 + 2 * H + j] = cellCandidate;
        gates[g0 + 3 * H + j] = outputGate;
        const k = b * H + j;
        const cell = forgetGate * cPrev[cPrevOffset + k] + inputGate * cellCandidate;
        c[cOffset + k] = cell;
        const tanhCell = Math.tanh(cell);
        tanhC[tanhCOffset + k] = tanhCell;
        h[hOffset + k] = outputGate * tanhCell;
      }
    }
  },

  // The arithmetic of lstm-layer.ts's equations (5)-(8); the derivation lives there.
  lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset) {
    const H = hidden;
    for (let b = 0; b < batch; b++) {
      const g0 = gatesOffset + b * 4 * H;
      const d0 = dGatesOffset + b * 4 * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const inputGate = gates[g0 + j];
        const forgetGate = gates[g0 + H + j];
        const cellCandidate = gates[g0 + 2 * H + j];
        const outputGate = gates[g0 + 3 * H + j];
        const tanhCell = tanhC[tanhCOffset + k];
        const dhValue = dh[dhOffset + k];
        // forward: h = o·tanh(c), so dc gains dh·o·(1 − tanh²c) on top of what step t+1 sent.
        const dcTotal = dc[dcOffset + k] + dhValue * outputGate * (1 - tanhCell * tanhCell);
        dGates[d0 + j] = dcTotal * cellCandidate * inputGate * (1 - inputGate);
        dGates[d0 + H + j] = dcTotal * cPrev[cPrevOffset + k] * forgetGate * (1 - forgetGate);
        dGates[d0 + 2 * H + j] = dcTotal * inputGate * (1 - cellCandidate * cellCandidate);
        dGates[d0 + 3 * H + j] = dhValue * tanhCell * outputGate * (1 - outputGate);
        dc[dcOffset + k] = dcTotal * forgetGate;
      }
    }
  },

  // The arithmetic of gru-layer.ts's equations (3)-(5); the derivation lives there.
  gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset) {
    const H = hidden;
    for (let b = 0; b < batch; b++) {
      const i0 = inputGatesOffset + b * 3 * H;
      const h0 = hiddenGatesOffset + b * 3 * H;
      const a0 = gateActivationsOffset + b * 3 * H;
      for (let j = 0; j < H; j++) {
        const resetGate = sigmoid(inputGates[i0 + j] + hiddenGates[h0 + j]);
        const updateGate = sigmoid(inputGates[i0 + H + j] + hiddenGates[h0 + H + j]);
        const candidate = Math.tanh(inputGates[i0 + 2 * H + j] + resetGate * hiddenGates[h0 + 2 * H + j]);
        gateActivations[a0 + j] = resetGate;
        gateActivations[a0 + H + j] = updateGate;
        gateActivations[a0 + 2 * H + j] = candidate;
        const k = b * H + j;
        h[hOffset + k] = (1 - updateGate) * candidate + updateGate * hPrev[hPrevOffset + k];
      }
    }
  },

  // The arithmetic of gru-layer.ts's equations (6)-(9) (not the W_hh term); the derivation lives there.
  gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset) {
    const H = hidden;
    for (let b = 0; b < batch; b++) {
      const h0 = hiddenGatesOffset + b * 3 * H;
      const a0 = gateActivationsOffset + b * 3 * H;
      const di0 = dInputGatesOffset + b * 3 * H;
      const dh0 = dHiddenGatesOffset + b * 3 * H;
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        const resetGate = gateActivations[a0 + j];
        const updateGate = gateActivations[a0 + H + j];
        const candidate = gateActivations[a0 + 2 * H + j];
        const dhValue = dh[dhOffset + k];
        // forward: h = (1−z)·n + z·hPrev
        const dCandidatePre = dhValue * (1 - updateGate) * (1 - candidate * candidate);
        const dUpdatePre = dhValue * (hPrev[hPrevOffset + k] - candidate) * updateGate * (1 - updateGate);
        // forward: n = tanh(i_n + r·h_n), so d(i_n) = dn_pre, d(h_n) = dn_pre·r, dr = dn_pre·h_n
        const dResetPre = dCandidatePre * hiddenGates[h0 + 2 * H + j] * resetGate * (1 - resetGate);
        dInputGates[di0 + j] = dResetPre;
        dInputGates[di0 + H + j] = dUpdatePre;
        dInputGates[di0 + 2 * H + j] = dCandidatePre;
        dHiddenGates[dh0 + j] = dResetPre;
        dHiddenGates[dh0 + H + j] = dUpdatePre;
        dHiddenGates[dh0 + 2 * H + j] = dCandidatePre * resetGate;
        dhPrev[dhPrevOffset + k] = dhValue * updateGate;
      }
    }
  },

  softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale) {
    let lossSum = 0;
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      const row = logitsOffset + r * classes;
      const dRow = dLogitsOffset + r * classes;
      const target = targets[targetsOffset + r];
      let max = -Infinity;
      let argMax = 0;
      for (let c = 0; c < classes; c++) {
        const v = logits[row + c];
        if (v > max) {
          max = v;
          argMax = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c] - max);
      const logSum = Math.log(sum) + max;
      lossSum += logSum - logits[row + target];
      if (argMax === target) correct++;
      for (let c = 0; c < classes; c++) {
        const probability = Math.exp(logits[row + c] - logSum);
        dLogits[dRow + c] = (probability - (c === target ? 1 : 0)) * gradientScale;
      }
    }
    return { lossSum, correct };
  },

  squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const diff = pred[predOffset + i] - target[targetOffset + i];
      sum += diff * diff;
      dPred[dPredOffset + i] = 2 * diff * gradientScale;
    }
    return sum;
  },

  // The two steps keep their own loops, sums included: the wasm kernels run these too, and one
  // shared loop calling an update function per element made Adam 1.8× slower.
  sgdStep(data: FloatArray, grad: FloatArray, momentumBuffer: FloatArray | null, settings: SgdStepSettings, sums: Float64Array) {
    checkStepLengths('sgdStep', data, grad, momentumBuffer);
    const { learningRate, momentum, weightDecay, nesterov, first } = settings;
    const undamped = 1 - settings.dampening;
    let moved = 0;
    let normBefore = 0;
    let normAfter = 0;
    for (let i = 0; i < data.length; i++) {
      let direction = grad[i] + weightDecay * data[i];
      if (momentumBuffer !== null) {
        momentumBuffer[i] = first ? direction : momentum * momentumBuffer[i] + undamped * direction;
        direction = nesterov ? direction + momentum * momentumBuffer[i] : momentumBuffer[i];
      }
      const before = data[i];
      data[i] = before - learningRate * direction;
      moved += (data[i] - before) ** 2;
      normBefore += before * before;
      normAfter += data[i] * data[i];
    }
    sums[0] = moved;
    sums[1] = normBefore;
    sums[2] = normAfter;
  },

  adamStep(data: FloatArray, grad: FloatArray, firstMoment: FloatArray, secondMoment: FloatArray, settings: AdamStepSettings, sums: Float64Array) {
    checkStepLengths('adamStep', data, grad, firstMoment, secondMoment);
    const { stepSize, beta1, beta2, epsilon, weightDecay, biasCorrection2Root } = settings;
    let moved = 0;
    let normBefore = 0;
    let normAfter = 0;
    for (let i = 0; i < data.length; i++) {
      const g = grad[i] + weightDecay * data[i];
      firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * g;
      secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * g * g;
      const denominator = Math.sqrt(secondMoment[i]) / biasCorrection2Root + epsilon;
      const before = data[i];
      data[i] = before - (stepSize * firstMoment[i]) / denominator;
      moved += (data[i] - before) ** 2;
      normBefore += before * before;
      normAfter += data[i] * data[i];
    }
    sums[0] = moved;
    sums[1] = normBefore;
    sums[2] = normAfter;
  },
};

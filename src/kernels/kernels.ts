/**
 * The one small interface every numeric loop of the models goes through.
 *
 * Models never loop over matrices themselves: they call these kernels on explicit buffers with
 * offsets (no subarray views, so the time loop allocates nothing). The plain TypeScript
 * implementation (`ts-kernels.ts`) is the reference and the fallback; faster implementations
 * (native, WASM) implement the same interface and must give the same results within float32
 * rounding. Every kernel accepts Float32Array and Float64Array buffers (a fast implementation
 * may hand Float64Array calls to the reference, which the finite-difference tests use).
 *
 * NaN and ±Inf propagate as IEEE arithmetic propagates them, in every implementation: no kernel
 * may skip a product or clamp a value in a way that turns a non-finite input into a finite
 * output (gemm computes 0·NaN and 0·Inf, which are NaN; relu(NaN) and relu'(NaN) are NaN;
 * tanh(±Inf) = ±1 and σ(−Inf) = 0 are IEEE's own answers). A model that diverged must show a
 * non-finite loss or gradient on every kernel set (test/kernels/non-finite.test.ts).
 *
 * Conventions: all matrices are row-major and dense. "offset" arguments are element offsets
 * into the buffer that follows them. Letters in shape comments: B batch, H hidden size,
 * I input size, G = 4H (LSTM gates i, f, g, o) or 3H (GRU gates r, z, n).
 */

/** A dense float buffer: float32 in training, float64 for finite-difference checks. */
export type FloatArray = Float32Array | Float64Array;

/** Elementwise nonlinearities whose derivative can be computed from their output. */
export type Activation = 'tanh' | 'relu' | 'sigmoid' | 'identity';

/**
 * How a kernel set runs; results never depend on `threads` (every value is computed by the same
 * operations whichever thread computes it), and depend on `denormals` only below 1.2e-38.
 */
export interface KernelSettings {
  /** Threads one call may use (the caller's and helpers); 1 runs on the calling thread only. */
  readonly threads: number;
  /**
   * `ieee` (the default): denormals are kept, as PyTorch keeps them by default. Native backward
   * products multiply operands rich in them in double (float arithmetic on them takes a microcode
   * assist per instruction on many x86 CPUs), which is at least as precise as float arithmetic.
   * `flush`: inside native calls, float32 values below 1.2e-38 (denormals) are read and written
   * as zero, faster still (`npm run bench` prints by how much for C-tanh), but tiny gradients
   * become exact zeros, which the diagnosis reads as underflowed. JavaScript's own arithmetic is
   * never affected.
   */
  readonly denormals: 'flush' | 'ieee';
}

/**
 * What every cell's fused time loop reads: the sizes, the input and the four parameters. G, the
 * gate rows, is H for the Elman cell, 4H for the LSTM and 3H for the GRU.
 */
export interface LayerSequence {
  readonly steps: number;
  readonly batch: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** x, [T, B, I]. */
  readonly input: Float32Array;
  /** W_ih [G, I], W_hh [G, H], b_ih [G], b_hh [G]. */
  readonly weightInput: Float32Array;
  readonly weightHidden: Float32Array;
  readonly biasInput: Float32Array;
  readonly biasHidden: Float32Array;
}

/** An Elman RNN layer's sequence as a fused time loop reads it (equations and shapes in model/rnn-layer.ts). */
export interface RnnSequence extends LayerSequence {
  readonly activation: Extract<Activation, 'tanh' | 'relu' | 'identity'>;
  /** h, [T, B, H]: written by the forward loop, read by the backward loop. */
  readonly hidden: Float32Array;
}

/** What backpropagation through any layer's time loop reads and writes besides its sequence and its gate gradients. */
export interface LayerSequenceGradients {
  /** dL/dh_t from the layer above or the head, without the recurrent path, [T, B, H]. */
  readonly dOutput: Float32Array;
  /** Written: ‖dL/dh_t‖ over the batch, the total derivative, [T]. */
  readonly hiddenGradientNorms: Float64Array;
  /** Accumulated: dL/dW_ih, dL/dW_hh, dL/db_ih, dL/db_hh (G gate rows: H, 4H or 3H). */
  readonly gradWeightInput: Float32Array;
  readonly gradWeightHidden: Float32Array;
  readonly gradBiasInput: Float32Array;
  readonly gradBiasHidden: Float32Array;
  /** dL/dx, [T, B, I], overwritten or (accumulateInput) added to; null when not wanted. */
  readonly dInput: Float32Array | null;
  readonly accumulateInput: boolean;
}

/** What backpropagation through an RNN layer's time loop reads and writes besides its sequence. */
export interface RnnSequenceGradients extends LayerSequenceGradients {
  /** Scratch for dL/d(pre-activation) of every step, [T, B, H]. */
  readonly dPreActivation: Float32Array;
}

/** An LSTM layer's sequence as a fused time loop reads it (equations and shapes in model/lstm-layer.ts). */
export interface LstmSequence extends LayerSequence {
  /** Written by the forward loop, read by the backward loop: h, c and tanh(c), [T, B, H]; the gate activations i, f, g, o, [T, B, 4H]. */
  readonly hidden: Float32Array;
  readonly cell: Float32Array;
  readonly tanhCell: Float32Array;
  readonly gates: Float32Array;
}

/** What backpropagation through an LSTM layer's time loop reads and writes besides its sequence. */
export interface LstmSequenceGradients extends LayerSequenceGradients {
  /** Written: dL/d(gate pre-activations) of every step, [T, B, 4H]. */
  readonly dGates: Float32Array;
}

/** A GRU layer's sequence as a fused time loop reads it (equations and shapes in model/gru-layer.ts). */
export interface GruSequence extends LayerSequence {
  /**
   * Written by the forward loop, read by the backward loop: h, [T, B, H]; x_t W_ihᵀ + b_ih,
   * h_{t-1} W_hhᵀ + b_hh and the gate activations r, z, n, each [T, B, 3H].
   */
  readonly hidden: Float32Array;
  readonly inputGates: Float32Array;
  readonly hiddenGates: Float32Array;
  readonly gateActivations: Float32Array;
}

/** What backpropagation through a GRU layer's time loop reads and writes besides its sequence. */
export interface GruSequenceGradients extends LayerSequenceGradients {
  /** Written: dL/d(inputGates) and dL/d(hiddenGates) of every step, [T, B, 3H]. */
  readonly dInputGates: Float32Array;
  readonly dHiddenGates: Float32Array;
}

/**
 * A layer's whole time loop in one call, offered by kernel sets that gain from it (the native
 * ones: no crossing into JavaScript per step, W_hh packed once, the elementwise work done on each
 * product's finished tile, or block of rows, while it is in cache). The layers' own loops over
 * the kernels below are the reference: a fused loop computes the same values within float32
 * rounding, NaN and ±Inf included.
 */
export interface FusedLoops {
  /**
   * h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) for every step, into `sequence.hidden`.
   * Returns how many values of h are above `saturationThreshold` in magnitude, counted as they are
   * written (what the layer's saturatedFraction would count over h afterwards; the gated cells
   * count tanh(c_t) and n the same way). Only tanh saturates: with relu or identity it is 0.
   */
  rnnForward(sequence: RnnSequence, saturationThreshold: number): number;
  /** Backpropagation through time of `rnnForward`, with the weight gradients and ‖dL/dh_t‖. */
  rnnBackward(sequence: RnnSequence, gradients: RnnSequenceGradients): void;
  /** The LSTM's gates, c_t, tanh(c_t) and h_t for every step (model/lstm-layer.ts (1)-(4)), into the sequence's buffers; how many |tanh(c_t)| > saturationThreshold. */
  lstmForward(sequence: LstmSequence, saturationThreshold: number): number;
  /** Backpropagation through time of `lstmForward`, with the weight gradients and ‖dL/dh_t‖. */
  lstmBackward(sequence: LstmSequence, gradients: LstmSequenceGradients): void;
  /** The GRU's gate pre-activations, r, z, n and h_t for every step (model/gru-layer.ts (1)-(5)), into the sequence's buffers; how many |n| > saturationThreshold. */
  gruForward(sequence: GruSequence, saturationThreshold: number): number;
  /** Backpropagation through time of `gruForward`, with the weight gradients and ‖dL/dh_t‖. */
  gruBackward(sequence: GruSequence, gradients: GruSequenceGradients): void;
}

/** torch.optim.SGD's settings for one step (Kernels.sgdStep). */
export interface SgdStepSettings {
  learningRate: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** The first step: the momentum buffer starts at the gradient, undamped, as PyTorch's does. */
  first: boolean;
}

/** torch.optim.Adam's quantities for step t (Kernels.adamStep). */
export interface AdamStepSettings {
  /** lr / (1 − β1^t). */
  stepSize: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** √(1 − β2^t). */
  biasCorrection2Root: number;
}

export interface Kernels {
  /** Which implementation this is, shown in logs and run records: `ts`, or `native <variant>` (`native avx512`, …). */
  readonly name: string;

  readonly settings: KernelSettings;

  /** The same kernels with other settings. The reference kernels run on one thread and are IEEE-exact whatever is asked. */
  withSettings(settings: Partial<KernelSettings>): Kernels;

  /** Whole time loops in one call, or null: the layers then run their loops over the kernels below. */
  readonly fusedLoops: FusedLoops | null;

  /**
   * C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`.
   * C is M×N. op(A) is M×K: A is stored M×K, or K×M when `transA`.
   * op(B) is K×N: B is stored K×N, or N×K when `transB`.
   */
  gemm(
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
  ): void;

  /** out[r, c] += bias[c] for a rows×cols block. */
  addBiasRows(out: FloatArray, outOffset: number, rows: number, cols: number, bias: FloatArray, biasOffset: number): void;

  /** out[c] += Σ_r src[r, c] for a rows×cols block (the gradient of a bias broadcast over rows). */
  accumulateColumnSums(out: FloatArray, outOffset: number, src: FloatArray, srcOffset: number, rows: number, cols: number): void;

  /**
   * y[i] = act(x[i]) for n elements; x and y may be the same buffer and offset. relu(x) is 0 for
   * x ≤ 0 and x otherwise, so NaN passes through (as torch.relu). An unknown activation throws.
   */
  activationForward(activation: Activation, x: FloatArray, xOffset: number, y: FloatArray, yOffset: number, n: number): void;

  /**
   * dx[i] = dy[i] · act'(x[i]) written from the activation's OUTPUT y (tanh: 1−y², relu: 1 for
   * y > 0, 0 for y ≤ 0, NaN for NaN; sigmoid: y(1−y)). Overwrites dx, or adds to it when
   * `accumulate`. dx may alias dy.
   */
  activationBackward(
    activation: Activation,
    y: FloatArray,
    yOffset: number,
    dy: FloatArray,
    dyOffset: number,
    dx: FloatArray,
    dxOffset: number,
    n: number,
    accumulate: boolean,
  ): void;

  /** y[i] += alpha · x[i] for n elements. */
  axpy(n: number, alpha: number, x: FloatArray, xOffset: number, y: FloatArray, yOffset: number): void;

  /** dst[i] = src[i] for n elements. */
  copy(src: FloatArray, srcOffset: number, dst: FloatArray, dstOffset: number, n: number): void;

  /** x[i] = value for n elements. */
  fill(x: FloatArray, xOffset: number, n: number, value: number): void;

  /** x[i] *= factor for n elements. */
  scale(x: FloatArray, xOffset: number, n: number, factor: number): void;

  /** Σ x[i]² over n elements, accumulated in double precision. NaN/Inf propagate. */
  sumOfSquares(x: FloatArray, xOffset: number, n: number): number;

  /** How many of n elements have |x| > threshold (NaN is not above anything). */
  countAbsAbove(x: FloatArray, xOffset: number, n: number, threshold: number): number;

  /**
   * countAbsAbove over a block: `cols` elements from each of `rows` rows that start `rowStride`
   * apart (rowStride ≥ cols), e.g. one gate's columns of every row of a [T·B, 3H] buffer.
   */
  countAbsAboveInRows(x: FloatArray, xOffset: number, rows: number, cols: number, rowStride: number, threshold: number): number;

  /** How many of n elements are exactly zero. */
  countZero(x: FloatArray, xOffset: number, n: number): number;

  /**
   * LSTM pointwise step (PyTorch gate order i, f, g, o).
   * gates is B×4H holding pre-activations on entry and activations (σ, σ, tanh, σ) on exit.
   * c = f·cPrev + i·g,  tanhC = tanh(c),  h = o·tanhC.   cPrev, c, tanhC, h are B×H.
   */
  lstmPointwiseForward(
    batch: number,
    hidden: number,
    gates: FloatArray,
    gatesOffset: number,
    cPrev: FloatArray,
    cPrevOffset: number,
    c: FloatArray,
    cOffset: number,
    tanhC: FloatArray,
    tanhCOffset: number,
    h: FloatArray,
    hOffset: number,
  ): void;

  /**
   * Backward of `lstmPointwiseForward`. dh is the total dL/dh_t (B×H). dc holds on entry the
   * dL/dc_t arriving from step t+1 and on exit dL/dc_{t-1} (= dc_total · f). dGates (B×4H) is
   * overwritten with dL/d(gate pre-activations).
   */
  lstmPointwiseBackward(
    batch: number,
    hidden: number,
    gates: FloatArray,
    gatesOffset: number,
    cPrev: FloatArray,
    cPrevOffset: number,
    tanhC: FloatArray,
    tanhCOffset: number,
    dh: FloatArray,
    dhOffset: number,
    dc: FloatArray,
    dcOffset: number,
    dGates: FloatArray,
    dGatesOffset: number,
  ): void;

  /**
   * GRU pointwise step (PyTorch gate order r, z, n).
   * inputGates (B×3H) = W_ih x + b_ih, hiddenGates (B×3H) = W_hh h_prev + b_hh.
   * r = σ(i_r + h_r), z = σ(i_z + h_z), n = tanh(i_n + r·h_n), h = (1−z)·n + z·hPrev.
   * Writes r, z, n into `gateActivations` (B×3H) for the backward pass, and h (B×H).
   */
  gruPointwiseForward(
    batch: number,
    hidden: number,
    inputGates: FloatArray,
    inputGatesOffset: number,
    hiddenGates: FloatArray,
    hiddenGatesOffset: number,
    hPrev: FloatArray,
    hPrevOffset: number,
    gateActivations: FloatArray,
    gateActivationsOffset: number,
    h: FloatArray,
    hOffset: number,
  ): void;

  /**
   * Backward of `gruPointwiseForward`. dh is the total dL/dh_t (B×H). Overwrites
   * dInputGates and dHiddenGates (B×3H) with dL/d(inputGates) and dL/d(hiddenGates), and
   * overwrites dhPrev (B×H) with the direct part z·dh (the caller adds dHiddenGates·W_hh).
   */
  gruPointwiseBackward(
    batch: number,
    hidden: number,
    hiddenGates: FloatArray,
    hiddenGatesOffset: number,
    hPrev: FloatArray,
    hPrevOffset: number,
    gateActivations: FloatArray,
    gateActivationsOffset: number,
    dh: FloatArray,
    dhOffset: number,
    dInputGates: FloatArray,
    dInputGatesOffset: number,
    dHiddenGates: FloatArray,
    dHiddenGatesOffset: number,
    dhPrev: FloatArray,
    dhPrevOffset: number,
  ): void;

  /**
   * Softmax cross-entropy over `rows` rows of `classes` logits. targets[targetsOffset + r] is the
   * class of row r. Writes dLogits = (softmax − onehot) · gradientScale and returns
   * { lossSum: Σ_r −log softmax[target], correct: rows whose arg-max is the target }.
   */
  softmaxCrossEntropy(
    rows: number,
    classes: number,
    logits: FloatArray,
    logitsOffset: number,
    targets: Int32Array,
    targetsOffset: number,
    dLogits: FloatArray,
    dLogitsOffset: number,
    gradientScale: number,
  ): { lossSum: number; correct: number };

  /**
   * One SGD step over a whole parameter (n = data.length, every buffer as long), per element:
   * d = grad + λ·θ; with a momentum buffer, buf = d on the first step, else μ·buf + (1 − dampening)·d,
   * and d = buf, or d + μ·buf with Nesterov; θ −= lr·d. Writes sums[0..2] = Σ (θ_after − θ_before)²,
   * Σ θ_before², Σ θ_after², in double. Each element is computed in double with these operations
   * in this order and only stored values rounded, so every implementation gives the reference's
   * θ and buffer bit for bit (the sums may differ in their last bits: they are added in another
   * order). NaN and ±Inf propagate (λ = 0 still computes 0·θ).
   */
  sgdStep(data: FloatArray, grad: FloatArray, momentumBuffer: FloatArray | null, settings: SgdStepSettings, sums: Float64Array): void;

  /**
   * One Adam step over a whole parameter, per element: g = grad + λ·θ; m = β1·m + (1 − β1)·g;
   * v = β2·v + ((1 − β2)·g)·g; θ −= (stepSize·m) / (√v / biasCorrection2Root + ε), m and v read
   * back as stored. Sums, precision and bit-identity as sgdStep.
   */
  adamStep(data: FloatArray, grad: FloatArray, firstMoment: FloatArray, secondMoment: FloatArray, settings: AdamStepSettings, sums: Float64Array): void;

  /** Σ (pred − target)² over n elements; writes dPred = 2 (pred − target) · gradientScale. */
  squaredError(
    n: number,
    pred: FloatArray,
    predOffset: number,
    target: FloatArray,
    targetOffset: number,
    dPred: FloatArray,
    dPredOffset: number,
    gradientScale: number,
  ): number;
}

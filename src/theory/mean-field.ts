/**
 * The mean-field prediction, at initialisation, of how the gradient of an Elman RNN changes per
 * step back through time and per layer down the stack — computed before anything is trained,
 * to be read beside what the engine measures. Pure functions; no training, no data loading.
 *
 * What it is not: a prediction for trained weights (training correlates W_hh with the states, and
 * every assumption below fails), nor for PyTorch's LSTM/GRU (see `noTheoryReason`).
 *
 * Sources:
 * - Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, "Deep Information Propagation" (ICLR):
 *   the variance map q ← σ_w² E[φ(h)²] + σ_b², its fixed point q*, χ = σ_w² E[φ′(h)²] at q*,
 *   and the depth scale ξ = −1/ln χ over which gradients vanish or explode.
 * - Chen, Pennington & Schoenholz 2018, "Dynamical Isometry and a Mean Field Theory of RNNs:
 *   Gating Enables Signal Propagation in Recurrent Neural Networks" (ICML): the same theory for a
 *   recurrent net, where time plays the role of depth and the input at each step acts as an
 *   extra, step-dependent bias; weight tying across time does not change the large-width limit.
 * - Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in deep learning through
 *   dynamical isometry" (NeurIPS): χ = 1 fixes only the mean squared singular value of the
 *   Jacobian; an orthogonal W_hh also fixes its spread, which is why the linear case is exact.
 *
 * The derivation, for the cell of rnn-layer.ts (h_{-1} = 0):
 *
 *   pre_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh,   h_t = φ(pre_t)
 *
 * Forward. Over the random weights each unit of pre_t is a sum of many independent terms, so
 * for large H it is Gaussian with variance
 *
 *   q_t = σ_hh² · E[φ(h)²]_{h~N(0,q_{t−1})}  +  σ_ih² · a_t  +  σ_b²                        (1)
 *
 * in Schoenholz et al.'s per-unit normalisation: σ² = fan_in × (variance of one weight), so
 * (1/fan_in)Σ_j of the squared inputs meets σ² / fan_in. a_t = E‖x_t‖² / I is the input's mean
 * square per feature at step t (the task's data, or a stated assumption), σ_b² the variance of
 * b_ih + b_hh. With a constant drive a, q_t settles at the fixed point q* of (1).
 *
 * Backward. rnn-layer.ts: dL/dh_{t−1} = W_hhᵀ (φ′(pre_t) ⊙ dL/dh_t) (plus what the layer above
 * sends). Taking the weights independent of the gradient (the "gradient independence" of the
 * papers above), E‖W_hhᵀ v‖² = σ_hh² ‖v‖² and ‖φ′ ⊙ g‖² ≈ E[φ′²] ‖g‖², so
 *
 *   E‖dL/dh_{t−1}‖² = χ_t · E‖dL/dh_t‖²,   χ_t = σ_hh² · E[φ′(h)²]_{h~N(0,q_t)}             (2)
 *
 * χ is a factor on the SQUARED norm. The engine measures ‖dL/dh_t‖ — a Frobenius norm, not its
 * square — and fits ln‖·‖ against the distance back (diagnose/rate-fit.ts), so the per-step factor
 * it reports is √χ, and that is what is predicted here. Likewise ξ = −1/ln χ is the scale of the
 * squared norm; the norm's own scale, the diagnosis's ξ (measures.ts), is −1/ln √χ = 2ξ.
 *
 * Stacks. The gradient at (layer l, step t) is the sum of what comes from step t+1 of the same
 * layer and from layer l+1 at step t; the two paths go through independent weights, so their
 * squared norms add:
 *
 *   vanilla:  D^l_t = χhh^l_{t+1} D^l_{t+1} + χih^{l+1}_t D^{l+1}_t,   χih = σ_ih² E[φ′²]     (3)
 *
 * with D = E‖dL/dh‖² and the loss entering at the top layer's last step (a loss at every step
 * is measured by the last-step probe, which has the same source). The residual stack of model.ts
 * (s_1 = h^0, s_{l+1} = s_l + h^l, the head reads s_L) adds the skip path; in the backward pass
 * ds_l = ds_{l+1} + W_ihᵀ(φ′ ⊙ dh^l) and dh^l_t = ds_{l+1,t} + W_hhᵀ(φ′ ⊙ dh^l_{t+1}), and
 * again the cross terms vanish because W_ih, W_hh are zero-mean and independent of the rest:
 *
 *   residual: D^l_t = S^{l+1}_t + χhh^l_{t+1} D^l_{t+1},   S^l_t = S^{l+1}_t + χih^l_t D^l_t    (4)
 *
 * and forward, layer l ≥ 1 reads the stream, whose mean square grows by each layer's output:
 * R^{l+1}_t = R^l_t + E[φ²](q^l_t) (the stream and the layer's output are uncorrelated for the
 * same reason). (3) and (4) are summed over the whole lattice of layers × steps in log space,
 * and the profiles they give are read exactly as the diagnosis reads the measured ones.
 *
 * The weight variances (init.ts), per-unit normalisation, W_hh multiplied by the gain g after:
 *   default    every weight and bias U(±1/√H): variance 1/(3H), so σ_hh² = g²/3,
 *              σ_ih² = fan_in/(3H), σ_b² = 2/(3H) (two biases)
 *   xavier     W_ih U(±√(6/(fan_in+H))): σ_ih² = 2 fan_in/(fan_in+H); W_hh orthogonal: σ_hh² = g²
 *   he         W_ih U(±√(6/fan_in)): σ_ih² = 2; W_hh orthogonal: σ_hh² = g²
 *   orthogonal W_ih orthogonal: each weight has variance 1/max(H, fan_in), σ_ih² = fan_in/max(H, fan_in)
 *              (exactly norm-preserving when H ≥ fan_in); W_hh orthogonal: σ_hh² = g²
 *   identity   W_ih N(0, 0.001²): σ_ih² = 10⁻⁶ fan_in; W_hh = g·I is not random (see below)
 * Biases are zero except in `default`.
 *
 * Where (2) is exact, and where there is no theory:
 * - linear φ with an orthogonal W_hh (or the identity): ‖W_hhᵀ v‖ = g‖v‖ exactly and φ′ = 1, so
 *   the factor is exactly g per step, at any width — no large-width limit needed. In a stack of
 *   linear IRNN layers the paths add coherently (see `coherent` below), not as squares.
 * - a residual stack of linear IRNN layers: no prediction (the coherent sum runs over subsets of
 *   layers, which the lattice does not track).
 * - identity init with tanh or ReLU: W_hh = g·I couples each unit only to itself, so φ′ at
 *   successive steps of one unit is correlated and the average over a random W_hh that (2)
 *   rests on does not exist: no prediction.
 * - LSTM and GRU: Chen et al. give the mean field of gated cells (their minimalRNN and a
 *   GRU-like cell), not PyTorch's LSTM/GRU at these inits: no prediction.
 *
 * Finite width. Everything above is the H → ∞ limit. Measured at H = 256 (test/theory,
 * tools/theory-table.ts) it holds within 1 % for orthogonal W_hh on both sides of χ = 1; with
 * PyTorch's default i.i.d. W_hh in the ordered phase the gradient decays 2–3 % slower per step than
 * predicted. That gap is the same in a linear net and shrinks with width (3.0 %, 1.3 %, 0.45 % at
 * H = 256, 1024, 2048): at finite H an i.i.d. matrix's largest eigenvalues stray beyond the circular
 * law's radius σ_hh, which a long product of the same W_hh picks out; an orthogonal one's cannot.
 * It is left uncorrected: the theory is the large-width one the papers give.
 */
import type { Architecture, CellType, InitScheme, Nonlinearity } from '../model/config.js';
import { fitRange, theilSenSlope } from '../diagnose/rate-fit.js';

/** What the prediction needs to know about a model; the fields of createModel's resolved config. */
export interface MeanFieldModel {
  readonly architecture: Architecture;
  readonly cell: CellType;
  readonly nonlinearity: Nonlinearity;
  readonly init: InitScheme;
  readonly recurrentGain: number;
  readonly hiddenSize: number;
  readonly inputSize: number;
  readonly numLayers: number;
}

/** The task's side: how strongly the inputs drive the first layer, and how far back the gradient must reach. */
export interface MeanFieldTask {
  /**
   * E‖x_t‖² per step (summed over the features, averaged over sequences), one entry per step of
   * the sequence. With data at hand it is measured from the data; otherwise state an assumption,
   * e.g. inputs of unit variance: inputSize at every step.
   */
  readonly inputSquaredNorm: readonly number[];
  /** Steps back from the answer the task needs (as the diagnosis judges it). */
  readonly requiredLag: number;
}

/** Per-unit weight variances in Schoenholz et al.'s normalisation (fan_in × one weight's variance). */
export interface WeightVariances {
  /** σ_hh²: the recurrent weights, after the gain. */
  readonly recurrent: number;
  /** σ_ih² of the first layer (fan_in = inputSize). */
  readonly inputFirst: number;
  /** σ_ih² of the layers above (fan_in = hiddenSize). */
  readonly inputAbove: number;
  /** σ_b²: the variance of b_ih + b_hh per unit. */
  readonly bias: number;
}

/** The prediction through one layer's recurrence at its fixed point. */
export interface FixedPointPrediction {
  /** q*: the fixed point of (1) with the drive held at its mean over the sequence. */
  readonly q: number;
  /** χ = σ_hh² E[φ′(h)²], h ~ N(0, q*): the factor per step on the squared gradient norm. */
  readonly chi: number;
  /** √χ: the factor per step on the gradient norm, the quantity the engine measures. */
  readonly perStep: number;
  /** ξ = −1/ln χ (steps): Schoenholz et al.'s scale, for the squared norm; ∞ at χ = 1, negative when it grows. */
  readonly scaleSquared: number;
  /** −1/ln √χ = 2ξ (steps): the scale of the norm, the diagnosis's ξ. */
  readonly scale: number;
}

export interface MeanFieldPrediction {
  readonly applies: true;
  /** True when the prediction is exact at any width (linear cell, orthogonal or identity W_hh, one layer). */
  readonly exact: boolean;
  readonly variances: WeightVariances;
  /** The input's mean square per feature, averaged over the steps (the drive a of (1)). */
  readonly inputMeanSquare: number;
  /** Bottom layer first. */
  readonly layers: readonly FixedPointPrediction[];
  /** Through time, as the diagnosis fits it on the profile of ‖dL/dx_t‖ over the required lag. */
  readonly time: {
    /** The lag judged: the task's, capped at the sequence's length − 1. */
    readonly lag: number;
    /** Fitted factor per step back (norm). */
    readonly perStep: number;
    /** ‖dL/dx‖ at lag steps back over at the answer's step: the predicted end-to-end ratio. */
    readonly endToEnd: number;
  } | null;
  /** Down the stack (more than one layer): the gradient arriving per layer, √Σ_t ‖dL/dh_t‖², fitted as the diagnosis does. */
  readonly depth: {
    /** Fitted factor per layer down (norm). */
    readonly perLayer: number;
    /** Bottom layer over top layer. */
    readonly bottomOverTop: number;
    /** χ of the vertical path per layer at the top layer's fixed point: σ_ih² E[φ′²]. */
    readonly verticalChi: number;
  } | null;
  /** The predicted profiles themselves, for comparison with a measurement: ln E‖dL/dh^l_t‖² [layer][step], and ln E‖dL/dx_t‖². */
  readonly logSquaredHiddenGradient: readonly Float64Array[];
  readonly logSquaredInputGradient: Float64Array;
}

export interface NoPrediction {
  readonly applies: false;
  /** Why no theory applies, one sentence. */
  readonly reason: string;
}

/**
 * The grid of E[f(h)], h ~ N(0, q), written as E[f(√q·z)] over z ~ N(0, 1): the trapezoid rule on
 * z ∈ [−10, 10] in steps of 1/40. For an analytic integrand on the whole line the trapezoid rule
 * converges geometrically, with error ~ e^{−2πd/step} where d is the distance of the nearest
 * complex singularity: tanh's poles at h = ±iπ/2 sit at d = π/(2√q) in z, so even q = 100 keeps
 * the error below 1e-12 — where Gauss–Hermite, whose nodes spread as √(2q), would need hundreds of
 * nodes at large q. The tails beyond |z| = 10 weigh e^{−50}.
 */
const gridStep = 1 / 40;
const gridNodes = Float64Array.from({ length: 801 }, (_, k) => -10 + k * gridStep);
const gridWeights = gridNodes.map((z) => (gridStep * Math.exp(-z * z / 2)) / Math.sqrt(2 * Math.PI));

/** E[f(h)] for h ~ N(0, variance), by the trapezoid rule above. */
export function gaussianExpectation(f: (h: number) => number, variance: number): number {
  if (variance <= 0) return f(0);
  const scale = Math.sqrt(variance);
  let sum = 0;
  for (let k = 0; k < gridNodes.length; k++) sum += gridWeights[k] * f(scale * gridNodes[k]);
  return sum;
}

/** E[φ(h)²] for h ~ N(0, q): the mean square of a unit's output. ReLU and linear in closed form (ReLU's kink defeats quadrature). */
export function meanSquaredActivation(nonlinearity: Nonlinearity, q: number): number {
  if (nonlinearity === 'linear') return q;
  if (nonlinearity === 'relu') return q / 2;
  return gaussianExpectation((h) => Math.tanh(h) ** 2, q);
}

/** E[φ′(h)²] for h ~ N(0, q). ReLU: φ′ = [h > 0], so exactly 1/2 at any q. */
export function meanSquaredDerivative(nonlinearity: Nonlinearity, q: number): number {
  if (nonlinearity === 'linear') return 1;
  if (nonlinearity === 'relu') return 0.5;
  return gaussianExpectation((h) => {
    const sech2 = 1 - Math.tanh(h) ** 2;
    return sech2 * sech2;
  }, q);
}

/** σ_ih² of a W_ih of shape [H, fanIn] under `init` (see the table at the top). */
function inputWeightVariance(init: InitScheme, hiddenSize: number, fanIn: number): number {
  switch (init) {
    case 'default': return fanIn / (3 * hiddenSize);
    case 'xavier': return (2 * fanIn) / (fanIn + hiddenSize);
    case 'he': return 2;
    case 'orthogonal': return fanIn / Math.max(hiddenSize, fanIn);
    case 'identity': return 1e-6 * fanIn;
  }
}

/** The per-unit weight variances of an Elman layer under `init` with W_hh multiplied by `gain`. */
export function weightVariances(init: InitScheme, gain: number, hiddenSize: number, inputSize: number): WeightVariances {
  return {
    // default: U(±1/√H) has variance 1/(3H), times fan_in H; every other init's W_hh is orthogonal or
    // the identity, whose rows are unit vectors: fan_in × 1/H = 1.
    recurrent: gain * gain * (init === 'default' ? 1 / 3 : 1),
    inputFirst: inputWeightVariance(init, hiddenSize, inputSize),
    inputAbove: inputWeightVariance(init, hiddenSize, hiddenSize),
    bias: init === 'default' ? 2 / (3 * hiddenSize) : 0,
  };
}

/**
 * The fixed point q* of q = σ_hh² E[φ(h)²] + drive (drive = σ_ih² a + σ_b²), by iterating the map
 * from q = drive as the network does from h_{−1} = 0. Infinite when there is none (a linear or ReLU
 * map with slope σ_hh² E[φ²]/q ≥ 1 grows without bound).
 */
export function fixedPointVariance(nonlinearity: Nonlinearity, recurrentVariance: number, drive: number): number {
  const slope = nonlinearity === 'linear' ? recurrentVariance : nonlinearity === 'relu' ? recurrentVariance / 2 : null;
  if (slope !== null) return slope < 1 ? drive / (1 - slope) : drive === 0 && slope === 1 ? 0 : Number.POSITIVE_INFINITY;
  // tanh: E[tanh²] < 1, so q* ≤ σ_hh² + drive and the map is a contraction near q* in every regime
  // used here; 10,000 iterations converge even at the order–chaos boundary, where it is slowest.
  let q = drive;
  for (let iteration = 0; iteration < 10_000; iteration++) {
    const next = recurrentVariance * meanSquaredActivation(nonlinearity, q) + drive;
    if (Math.abs(next - q) <= 1e-13 * Math.max(1, q)) return next;
    q = next;
  }
  return q;
}

/** Why no theory applies to this model, or null when one does. */
export function noTheoryReason(model: Pick<MeanFieldModel, 'cell' | 'init' | 'nonlinearity' | 'architecture' | 'numLayers'>): string | null {
  if (model.cell !== 'rnn') {
    return `no mean-field prediction for the ${model.cell.toUpperCase()} cell: Chen, Pennington & Schoenholz 2018 treat gated cells of their own (minimalRNN, a GRU-like cell), not PyTorch's ${model.cell.toUpperCase()} at these initialisations`;
  }
  if (model.init === 'identity' && model.nonlinearity !== 'linear') {
    return `no mean-field prediction for the identity (IRNN) init with ${model.nonlinearity}: W_hh = gain·I is not random, each unit follows its own one-dimensional map and its φ′ is correlated from step to step (only the linear IRNN is solved: exactly gain per step)`;
  }
  if (model.init === 'identity' && model.architecture === 'residual' && model.numLayers > 1) {
    return 'no mean-field prediction for a residual stack of linear IRNN layers: W_hh = gain·I commutes with everything, so the paths through each subset of layers add coherently, a sum over subsets the lattice of squared norms does not track';
  }
  return null;
}

function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const high = Math.max(a, b);
  return high + Math.log1p(Math.exp(Math.min(a, b) - high));
}

function fixedPointPrediction(nonlinearity: Nonlinearity, recurrentVariance: number, drive: number): FixedPointPrediction {
  const q = fixedPointVariance(nonlinearity, recurrentVariance, drive);
  const chi = recurrentVariance * meanSquaredDerivative(nonlinearity, q);
  const scaleSquared = -1 / Math.log(chi);
  return { q, chi, perStep: Math.sqrt(chi), scaleSquared, scale: 2 * scaleSquared };
}

/** The slope of ln(profile) per unit of distance back, over from..to, as rate-fit.ts fits a measured profile (Theil–Sen). */
function fittedSlope(logValueAt: (distance: number) => number, from: number, to: number): number | null {
  const distances: number[] = [];
  const logs: number[] = [];
  // At most 256 points, as fitRate subsamples a measured profile.
  const stride = Math.max(1, Math.ceil((to - from + 1) / 256));
  for (let d = from; d <= to; d += stride) {
    distances.push(d);
    logs.push(logValueAt(d));
  }
  if (distances.at(-1) !== to) {
    distances.push(to);
    logs.push(logValueAt(to));
  }
  return theilSenSlope(distances, logs);
}

/**
 * The mean-field prediction at initialisation for `model` on `task` (see the derivation at the
 * top), or why there is none.
 */
export function predictMeanField(model: MeanFieldModel, task: MeanFieldTask): MeanFieldPrediction | NoPrediction {
  const reason = noTheoryReason(model);
  if (reason !== null) return { applies: false, reason };
  const { nonlinearity, numLayers: L, hiddenSize: H, inputSize: I } = model;
  const steps = task.inputSquaredNorm.length;
  if (steps < 1) return { applies: false, reason: 'no prediction for an empty sequence' };
  const variances = weightVariances(model.init, model.recurrentGain, H, I);
  const residual = model.architecture === 'residual';
  const inputVariance = (layer: number): number => (layer === 0 ? variances.inputFirst : variances.inputAbove);

  // Forward, (1): q[l][t], and each layer's output mean square E[φ²] per unit.
  const q = Array.from({ length: L }, () => new Float64Array(steps));
  const outputMeanSquare = Array.from({ length: L }, () => new Float64Array(steps));
  const layerInputMeanSquare = new Float64Array(steps);
  const stream = new Float64Array(steps); // residual: R^l_t, the stream's mean square per unit
  for (let l = 0; l < L; l++) {
    for (let t = 0; t < steps; t++) {
      if (l === 0) layerInputMeanSquare[t] = task.inputSquaredNorm[t] / I;
      else layerInputMeanSquare[t] = residual ? stream[t] : outputMeanSquare[l - 1][t];
    }
    for (let t = 0; t < steps; t++) {
      const previous = t === 0 ? 0 : outputMeanSquare[l][t - 1];
      q[l][t] = variances.recurrent * previous + inputVariance(l) * layerInputMeanSquare[t] + variances.bias;
      outputMeanSquare[l][t] = meanSquaredActivation(nonlinearity, q[l][t]);
    }
    // s_1 = h^0; s_{l+1} = s_l + h^l.
    for (let t = 0; t < steps; t++) stream[t] = l === 0 ? outputMeanSquare[0][t] : stream[t] + outputMeanSquare[l][t];
  }

  // Backward, (3) or (4), in log space: ln E‖dL/dh^l_t‖² with ln 1 = 0 at the top layer's last step.
  const logD = Array.from({ length: L }, () => new Float64Array(steps).fill(Number.NEGATIVE_INFINITY));
  const logDerivative = (l: number, t: number): number => Math.log(meanSquaredDerivative(nonlinearity, q[l][t]));
  const logChiRecurrent = (l: number, t: number): number => Math.log(variances.recurrent) + logDerivative(l, t);
  const logChiInput = (l: number, t: number): number => Math.log(inputVariance(l)) + logDerivative(l, t);
  const source = (t: number): number => (t === steps - 1 ? 0 : Number.NEGATIVE_INFINITY);
  // Paths through random W_hh in different orders are independent, so their squared norms add.
  // With W_hh = g·I (the linear IRNN) a step back in time commutes with everything: every path
  // from (l, t) carries the same vector W_ih^{l+1}ᵀ … W_ih^{L−1}ᵀ v, and their norms add instead,
  // ‖a + b‖² = (‖a‖ + ‖b‖)² (checked against the engine: adding squares predicts 0.06 per layer
  // where 0.26 is measured; adding norms, the measurement).
  const coherent = model.init === 'identity';
  const combine = (a: number, b: number): number => (coherent ? 2 * logAddExp(a / 2, b / 2) : logAddExp(a, b));
  let logStreamAbove = Float64Array.from({ length: steps }, (_, t) => source(t)); // residual: ln S^{l+1}_t
  for (let l = L - 1; l >= 0; l--) {
    const logStream = new Float64Array(steps);
    for (let t = steps - 1; t >= 0; t--) {
      let fromAbove: number;
      if (residual) fromAbove = logStreamAbove[t];
      else fromAbove = l === L - 1 ? source(t) : logChiInput(l + 1, t) + logD[l + 1][t];
      const fromLater = t === steps - 1 ? Number.NEGATIVE_INFINITY : logChiRecurrent(l, t + 1) + logD[l][t + 1];
      logD[l][t] = combine(fromAbove, fromLater);
      logStream[t] = logAddExp(logStreamAbove[t], logChiInput(l, t) + logD[l][t]);
    }
    logStreamAbove = logStream;
  }
  const logInput = Float64Array.from({ length: steps }, (_, t) => logChiInput(0, t) + logD[0][t]);

  // Read the predicted profiles as diagnose/measures.ts reads measured ones (norms: half the logs).
  const last = steps - 1;
  const lag = Math.min(task.requiredLag, last);
  let time: MeanFieldPrediction['time'] = null;
  if (lag >= 1) {
    const { from, to } = fitRange(lag, last);
    const slope = fittedSlope((d) => logInput[last - d] / 2, from, to);
    if (slope !== null) time = { lag, perStep: Math.exp(slope), endToEnd: Math.exp((logInput[last - lag] - logInput[last]) / 2) };
  }
  let depth: MeanFieldPrediction['depth'] = null;
  if (L >= 2) {
    const arriving = logD.map((profile) => profile.reduce((sum, value) => logAddExp(sum, value), Number.NEGATIVE_INFINITY) / 2);
    const top = L - 1;
    const { from, to } = fitRange(top, top);
    const slope = fittedSlope((d) => arriving[top - d], from, to);
    const drive = variances.inputAbove * outputMeanSquare[top - 1][last] + variances.bias;
    const topFixedPoint = fixedPointVariance(nonlinearity, variances.recurrent, drive);
    if (slope !== null) {
      depth = {
        perLayer: Math.exp(slope),
        bottomOverTop: Math.exp(arriving[0] - arriving[top]),
        verticalChi: variances.inputAbove * meanSquaredDerivative(nonlinearity, topFixedPoint),
      };
    }
  }

  // Each layer's fixed point, with its drive held at the mean over the sequence.
  const meanInput = task.inputSquaredNorm.reduce((sum, value) => sum + value, 0) / steps / I;
  const layers: FixedPointPrediction[] = [];
  let layerDrive = meanInput;
  let streamMean = 0;
  for (let l = 0; l < L; l++) {
    const prediction = fixedPointPrediction(nonlinearity, variances.recurrent, inputVariance(l) * layerDrive + variances.bias);
    layers.push(prediction);
    const output = meanSquaredActivation(nonlinearity, prediction.q);
    streamMean = l === 0 ? output : streamMean + output;
    layerDrive = residual ? streamMean : output;
  }
  return {
    applies: true,
    exact: nonlinearity === 'linear' && model.init !== 'default' && L === 1,
    variances,
    inputMeanSquare: meanInput,
    layers,
    time,
    depth,
    logSquaredHiddenGradient: logD,
    logSquaredInputGradient: logInput,
  };
}

/**
 * The predicted factor per step back of ‖dL/dh_t‖ in `layer` between steps from < to: the
 * geometric mean of the ratios of consecutive steps, to read beside measurePerStepFactor's.
 */
export function predictedPerStepBetween(prediction: MeanFieldPrediction, layer: number, from: number, to: number): number {
  const profile = prediction.logSquaredHiddenGradient[layer];
  return Math.exp((profile[from] - profile[to]) / 2 / (to - from));
}

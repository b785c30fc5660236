/**
 * Parameter initialisations, with the original program's semantics:
 *
 * - `default`: PyTorch's own. Every recurrent weight and bias U(±1/√H); the linear head's
 *   weight kaiming-uniform with a = √5, i.e. U(±1/√fan_in), and its bias U(±1/√fan_in).
 * - `xavier`: weight_ih xavier-uniform, weight_hh orthogonal, recurrent biases zero;
 *   head weight xavier-uniform, head bias zero.
 * - `he`: as `xavier` with kaiming-uniform (fan_in, ReLU gain √2) instead of xavier-uniform.
 * - `orthogonal`: every recurrent weight (ih and hh) orthogonal, recurrent biases zero;
 *   head as PyTorch's default.
 * - `identity` (IRNN, Le et al. 2015): weight_hh the identity, weight_ih N(0, 0.001²),
 *   recurrent biases zero; head as PyTorch's default.
 *
 * Values are drawn in double precision from the seeded generator and then stored.
 */
import type { FloatArray } from '../kernels/kernels.js';
import type { SeededRandom } from '../random.js';
import type { InitScheme } from './config.js';
import type { Parameter } from './parameters.js';

/** The parameters an initialisation needs to tell apart. */
export interface InitTargets {
  /** Per recurrent layer: weight_ih, weight_hh, bias_ih, bias_hh. */
  readonly layers: readonly (readonly Parameter[])[];
  readonly headWeight: Parameter;
  readonly headBias: Parameter;
  readonly hiddenSize: number;
}

/**
 * Sets the LSTM forget gate's bias (rows H…2H−1 in PyTorch's i, f, g, o order): bias_ih to
 * `value`, bias_hh to 0, so their sum — what the gate sees — is `value`.
 */
export function setForgetGateBias({ layers, hiddenSize }: InitTargets, value: number): void {
  for (const [, , biasInput, biasHidden] of layers) {
    biasInput.data.fill(value, hiddenSize, 2 * hiddenSize);
    biasHidden.data.fill(0, hiddenSize, 2 * hiddenSize);
  }
}

/** W_hh ← gain · W_hh in every layer (all gate blocks of an LSTM/GRU). */
export function scaleRecurrentWeights({ layers }: InitTargets, gain: number): void {
  for (const [, weightHidden] of layers) {
    for (let i = 0; i < weightHidden.data.length; i++) weightHidden.data[i] *= gain;
  }
}

export function initialiseParameters(scheme: InitScheme, targets: InitTargets, random: SeededRandom): void {
  const recurrentBound = 1 / Math.sqrt(targets.hiddenSize);
  for (const [weightInput, weightHidden, biasInput, biasHidden] of targets.layers) {
    switch (scheme) {
      case 'default':
        fillUniform(weightInput.data, recurrentBound, random);
        fillUniform(weightHidden.data, recurrentBound, random);
        fillUniform(biasInput.data, recurrentBound, random);
        fillUniform(biasHidden.data, recurrentBound, random);
        break;
      case 'xavier':
        fillXavierUniform(weightInput, random);
        fillOrthogonal(weightHidden, random);
        break;
      case 'he':
        fillKaimingUniformRelu(weightInput, random);
        fillOrthogonal(weightHidden, random);
        break;
      case 'orthogonal':
        fillOrthogonal(weightInput, random);
        fillOrthogonal(weightHidden, random);
        break;
      case 'identity':
        for (let i = 0; i < weightInput.data.length; i++) weightInput.data[i] = 0.001 * random.normal();
        fillIdentity(weightHidden);
        break;
    }
    if (scheme !== 'default') {
      biasInput.data.fill(0);
      biasHidden.data.fill(0);
    }
  }
  const { headWeight, headBias } = targets;
  if (scheme === 'xavier' || scheme === 'he') {
    if (scheme === 'xavier') fillXavierUniform(headWeight, random);
    else fillKaimingUniformRelu(headWeight, random);
    headBias.data.fill(0);
  } else {
    const headBound = 1 / Math.sqrt(headWeight.shape[1]);
    fillUniform(headWeight.data, headBound, random);
    fillUniform(headBias.data, headBound, random);
  }
}

function fillUniform(data: FloatArray, bound: number, random: SeededRandom): void {
  for (let i = 0; i < data.length; i++) data[i] = random.uniformIn(-bound, bound);
}

/** PyTorch's xavier_uniform_ with gain 1: U(±√(6 / (fan_in + fan_out))). */
function fillXavierUniform(parameter: Parameter, random: SeededRandom): void {
  const [fanOut, fanIn] = parameter.shape;
  fillUniform(parameter.data, Math.sqrt(6 / (fanIn + fanOut)), random);
}

/** PyTorch's kaiming_uniform_(mode='fan_in', nonlinearity='relu'): U(±√2·√(3 / fan_in)). */
function fillKaimingUniformRelu(parameter: Parameter, random: SeededRandom): void {
  const fanIn = parameter.shape[1];
  fillUniform(parameter.data, Math.sqrt(2) * Math.sqrt(3 / fanIn), random);
}

function fillIdentity(parameter: Parameter): void {
  const [rows, cols] = parameter.shape;
  parameter.data.fill(0);
  for (let i = 0; i < Math.min(rows, cols); i++) parameter.data[i * cols + i] = 1;
}

/**
 * PyTorch's orthogonal_: QR of a Gaussian matrix with the signs fixed so R has a positive
 * diagonal. For rows ≥ cols the columns are orthonormal, otherwise the rows are.
 * Modified Gram–Schmidt in double precision gives exactly that Q.
 */
function fillOrthogonal(parameter: Parameter, random: SeededRandom): void {
  const [rows, cols] = parameter.shape;
  const tall = rows >= cols;
  const length = tall ? rows : cols; // length of each vector to orthonormalise
  const count = tall ? cols : rows;
  const vectors: Float64Array[] = [];
  for (let v = 0; v < count; v++) {
    const vector = new Float64Array(length);
    for (let i = 0; i < length; i++) vector[i] = random.normal();
    for (let pass = 0; pass < 2; pass++) {
      // Two passes of Gram–Schmidt keep float64 orthogonality at 1e-15 even for 1024 vectors.
      for (const previous of vectors) {
        let dot = 0;
        for (let i = 0; i < length; i++) dot += previous[i] * vector[i];
        for (let i = 0; i < length; i++) vector[i] -= dot * previous[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < length; i++) norm += vector[i] * vector[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < length; i++) vector[i] /= norm;
    vectors.push(vector);
  }
  for (let v = 0; v < count; v++) {
    for (let i = 0; i < length; i++) {
      if (tall) parameter.data[i * cols + v] = vectors[v][i];
      else parameter.data[v * cols + i] = vectors[v][i];
    }
  }
}

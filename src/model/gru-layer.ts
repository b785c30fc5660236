/**
 * GRU layer with PyTorch's `nn.GRU` equations and layout (gates r, z, n stacked in rows):
 *
 *   [i_r i_z i_n] = x_t W_ihᵀ + b_ih,   [h_r h_z h_n] = h_{t-1} W_hhᵀ + b_hh
 *   r = σ(i_r + h_r),  z = σ(i_z + h_z),  n = tanh(i_n + r·h_n),  h_t = (1−z)·n + z·h_{t-1}
 *
 * The hidden bias b_hn sits inside r·(…), so unlike the RNN and LSTM the two biases cannot be
 * merged. Shapes: x is [T, B, I], h is [T, B, H], gate buffers [T, B, 3H];
 * W_ih is [3H, I], W_hh is [3H, H], biases [3H].
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import type { Dtype, Parameter } from './parameters.js';
import { allocate, createParameter } from './parameters.js';
import type { RecurrentLayer } from './recurrent-layer.js';

export class GruLayer implements RecurrentLayer {
  readonly parameters: readonly Parameter[];
  private readonly weightInput: Parameter;
  private readonly weightHidden: Parameter;
  private readonly biasInput: Parameter;
  private readonly biasHidden: Parameter;
  private capacity = 0;
  private batchCapacity = 0;
  /** h_t, [T, B, H]. */
  private hidden: FloatArray;
  /** x_t W_ihᵀ + b_ih, [T, B, 3H]. */
  private inputGates: FloatArray;
  /** h_{t-1} W_hhᵀ + b_hh, [T, B, 3H]; h_n is needed again for dL/dr. */
  private hiddenGates: FloatArray;
  /** r, z, n per step, [T, B, 3H]. */
  private gateActivations: FloatArray;
  /** dL/d(inputGates), [T, B, 3H]. */
  private dInputGates: FloatArray;
  /** dL/d(hiddenGates), [T, B, 3H]. */
  private dHiddenGates: FloatArray;
  /** Total dL/dh_t of the step being processed, [B, H]. */
  private dHidden: FloatArray;
  /** The direct part z·dL/dh_t that step t hands to h_{t-1}, [B, H]. */
  private dHiddenDirect: FloatArray;
  /** The zero state h_{-1}, [B, H]. */
  private zeroState: FloatArray;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    namePrefix: string,
    layerSuffix: string,
    private readonly dtype: Dtype,
    private readonly kernels: Kernels,
  ) {
    const G = 3 * hiddenSize;
    this.weightInput = createParameter(`${namePrefix}weight_ih_${layerSuffix}`, [G, inputSize], dtype);
    this.weightHidden = createParameter(`${namePrefix}weight_hh_${layerSuffix}`, [G, hiddenSize], dtype);
    this.biasInput = createParameter(`${namePrefix}bias_ih_${layerSuffix}`, [G], dtype);
    this.biasHidden = createParameter(`${namePrefix}bias_hh_${layerSuffix}`, [G], dtype);
    this.parameters = [this.weightInput, this.weightHidden, this.biasInput, this.biasHidden];
    this.hidden = this.inputGates = this.hiddenGates = this.gateActivations = allocate(dtype, 0);
    this.dInputGates = this.dHiddenGates = allocate(dtype, 0);
    this.dHidden = this.dHiddenDirect = this.zeroState = allocate(dtype, 0);
  }

  get output(): FloatArray {
    return this.hidden;
  }

  private reserve(steps: number, batch: number): void {
    const H = this.hiddenSize;
    if (steps * batch > this.capacity) {
      this.capacity = steps * batch;
      this.hidden = allocate(this.dtype, this.capacity * H);
      this.inputGates = allocate(this.dtype, this.capacity * 3 * H);
      this.hiddenGates = allocate(this.dtype, this.capacity * 3 * H);
      this.gateActivations = allocate(this.dtype, this.capacity * 3 * H);
      this.dInputGates = allocate(this.dtype, this.capacity * 3 * H);
      this.dHiddenGates = allocate(this.dtype, this.capacity * 3 * H);
    }
    if (batch > this.batchCapacity) {
      this.batchCapacity = batch;
      this.dHidden = allocate(this.dtype, batch * H);
      this.dHiddenDirect = allocate(this.dtype, batch * H);
      this.zeroState = allocate(this.dtype, batch * H);
    }
  }

  forward(input: FloatArray, steps: number, batch: number): void {
    this.reserve(steps, batch);
    const k = this.kernels;
    const H = this.hiddenSize;
    const G = 3 * H;
    const block = batch * H;
    const gateBlock = batch * G;
    k.gemm(false, true, steps * batch, G, this.inputSize, input, 0, this.weightInput.data, 0, this.inputGates, 0, false);
    k.addBiasRows(this.inputGates, 0, steps * batch, G, this.biasInput.data, 0);
    for (let t = 0; t < steps; t++) {
      if (t > 0) k.gemm(false, true, batch, G, H, this.hidden, (t - 1) * block, this.weightHidden.data, 0, this.hiddenGates, t * gateBlock, false);
      else k.fill(this.hiddenGates, 0, gateBlock, 0);
      k.addBiasRows(this.hiddenGates, t * gateBlock, batch, G, this.biasHidden.data, 0);
      const previous = t > 0 ? this.hidden : this.zeroState;
      const previousOffset = t > 0 ? (t - 1) * block : 0;
      k.gruPointwiseForward(batch, H, this.inputGates, t * gateBlock, this.hiddenGates, t * gateBlock, previous, previousOffset, this.gateActivations, t * gateBlock, this.hidden, t * block);
    }
  }

  backward(
    input: FloatArray,
    dOutput: FloatArray,
    dInput: FloatArray | null,
    accumulateInput: boolean,
    hiddenGradientNorms: Float64Array,
    steps: number,
    batch: number,
  ): void {
    const k = this.kernels;
    const H = this.hiddenSize;
    const G = 3 * H;
    const block = batch * H;
    const gateBlock = batch * G;
    const dh = this.dHidden;
    for (let t = steps - 1; t >= 0; t--) {
      k.copy(dOutput, t * block, dh, 0, block);
      if (t < steps - 1) {
        // forward at t+1: h_{t+1} = … + z·h_t and hiddenGates_{t+1} = h_t W_hhᵀ + b_hh.
        k.axpy(block, 1, this.dHiddenDirect, 0, dh, 0);
        k.gemm(false, false, batch, H, G, this.dHiddenGates, (t + 1) * gateBlock, this.weightHidden.data, 0, dh, 0, true);
      }
      hiddenGradientNorms[t] = Math.sqrt(k.sumOfSquares(dh, 0, block));
      const previous = t > 0 ? this.hidden : this.zeroState;
      const previousOffset = t > 0 ? (t - 1) * block : 0;
      k.gruPointwiseBackward(
        batch, H, this.hiddenGates, t * gateBlock, previous, previousOffset, this.gateActivations, t * gateBlock, dh, 0,
        this.dInputGates, t * gateBlock, this.dHiddenGates, t * gateBlock, this.dHiddenDirect, 0,
      );
    }
    const rows = steps * batch;
    k.gemm(true, false, G, this.inputSize, rows, this.dInputGates, 0, input, 0, this.weightInput.grad, 0, true);
    if (steps > 1) k.gemm(true, false, G, H, rows - batch, this.dHiddenGates, gateBlock, this.hidden, 0, this.weightHidden.grad, 0, true);
    k.accumulateColumnSums(this.biasInput.grad, 0, this.dInputGates, 0, rows, G);
    k.accumulateColumnSums(this.biasHidden.grad, 0, this.dHiddenGates, 0, rows, G);
    if (dInput !== null) k.gemm(false, false, rows, this.inputSize, G, this.dInputGates, 0, this.weightInput.data, 0, dInput, 0, accumulateInput);
  }

  saturatedFraction(steps: number, batch: number): number {
    const H = this.hiddenSize;
    const rows = steps * batch;
    // n is the last third of each row of gateActivations.
    let count = 0;
    for (let row = 0; row < rows; row++) count += this.kernels.countAbsAbove(this.gateActivations, row * 3 * H + 2 * H, H, 0.99);
    return count / (rows * H);
  }
}

/**
 * LSTM layer with PyTorch's `nn.LSTM` equations and layout (gates i, f, g, o stacked in rows):
 *
 *   [i f g o]_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh      (then σ, σ, tanh, σ)
 *   c_t = f·c_{t-1} + i·g,   h_t = o·tanh(c_t),   h_{-1} = c_{-1} = 0
 *
 * Shapes: x is [T, B, I], h and c are [T, B, H], gates are [T, B, 4H];
 * W_ih is [4H, I], W_hh is [4H, H], biases [4H].
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import type { Dtype, Parameter } from './parameters.js';
import { allocate, createParameter } from './parameters.js';
import type { RecurrentLayer } from './recurrent-layer.js';

export class LstmLayer implements RecurrentLayer {
  readonly parameters: readonly Parameter[];
  private readonly weightInput: Parameter;
  private readonly weightHidden: Parameter;
  private readonly biasInput: Parameter;
  private readonly biasHidden: Parameter;
  private readonly combinedBias: FloatArray;
  private capacity = 0;
  private batchCapacity = 0;
  /** h_t, [T, B, H]. */
  private hidden: FloatArray;
  /** c_t, [T, B, H]. */
  private cell: FloatArray;
  /** tanh(c_t), [T, B, H], saved for the backward pass. */
  private tanhCell: FloatArray;
  /** Gate activations i, f, g, o per step, [T, B, 4H]. */
  private gates: FloatArray;
  /** dL/d(gate pre-activations), [T, B, 4H]. */
  private dGates: FloatArray;
  /** Total dL/dh_t of the step being processed, [B, H]. */
  private dHidden: FloatArray;
  /** dL/dc carried from step t+1 to step t, [B, H]. */
  private dCell: FloatArray;
  /** The zero state h_{-1} = c_{-1}, [B, H]. */
  private zeroState: FloatArray;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    namePrefix: string,
    layerSuffix: string,
    private readonly dtype: Dtype,
    private readonly kernels: Kernels,
  ) {
    const G = 4 * hiddenSize;
    this.weightInput = createParameter(`${namePrefix}weight_ih_${layerSuffix}`, [G, inputSize], dtype);
    this.weightHidden = createParameter(`${namePrefix}weight_hh_${layerSuffix}`, [G, hiddenSize], dtype);
    this.biasInput = createParameter(`${namePrefix}bias_ih_${layerSuffix}`, [G], dtype);
    this.biasHidden = createParameter(`${namePrefix}bias_hh_${layerSuffix}`, [G], dtype);
    this.parameters = [this.weightInput, this.weightHidden, this.biasInput, this.biasHidden];
    this.combinedBias = allocate(dtype, G);
    this.hidden = this.cell = this.tanhCell = this.gates = this.dGates = allocate(dtype, 0);
    this.dHidden = this.dCell = this.zeroState = allocate(dtype, 0);
  }

  get output(): FloatArray {
    return this.hidden;
  }

  private reserve(steps: number, batch: number): void {
    const H = this.hiddenSize;
    if (steps * batch > this.capacity) {
      this.capacity = steps * batch;
      this.hidden = allocate(this.dtype, this.capacity * H);
      this.cell = allocate(this.dtype, this.capacity * H);
      this.tanhCell = allocate(this.dtype, this.capacity * H);
      this.gates = allocate(this.dtype, this.capacity * 4 * H);
      this.dGates = allocate(this.dtype, this.capacity * 4 * H);
    }
    if (batch > this.batchCapacity) {
      this.batchCapacity = batch;
      this.dHidden = allocate(this.dtype, batch * H);
      this.dCell = allocate(this.dtype, batch * H);
      this.zeroState = allocate(this.dtype, batch * H);
    }
  }

  forward(input: FloatArray, steps: number, batch: number): void {
    this.reserve(steps, batch);
    const k = this.kernels;
    const H = this.hiddenSize;
    const G = 4 * H;
    const block = batch * H;
    const gateBlock = batch * G;
    k.copy(this.biasInput.data, 0, this.combinedBias, 0, G);
    k.axpy(G, 1, this.biasHidden.data, 0, this.combinedBias, 0);
    k.gemm(false, true, steps * batch, G, this.inputSize, input, 0, this.weightInput.data, 0, this.gates, 0, false);
    k.addBiasRows(this.gates, 0, steps * batch, G, this.combinedBias, 0);
    for (let t = 0; t < steps; t++) {
      if (t > 0) k.gemm(false, true, batch, G, H, this.hidden, (t - 1) * block, this.weightHidden.data, 0, this.gates, t * gateBlock, true);
      const previousCell = t > 0 ? this.cell : this.zeroState;
      const previousOffset = t > 0 ? (t - 1) * block : 0;
      k.lstmPointwiseForward(batch, H, this.gates, t * gateBlock, previousCell, previousOffset, this.cell, t * block, this.tanhCell, t * block, this.hidden, t * block);
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
    const G = 4 * H;
    const block = batch * H;
    const gateBlock = batch * G;
    const dh = this.dHidden;
    k.fill(this.dCell, 0, block, 0);
    for (let t = steps - 1; t >= 0; t--) {
      k.copy(dOutput, t * block, dh, 0, block);
      // forward: gates_{t+1} = … + h_t W_hhᵀ, so dL/dh_t gains dL/dgates_{t+1} · W_hh.
      if (t < steps - 1) k.gemm(false, false, batch, H, G, this.dGates, (t + 1) * gateBlock, this.weightHidden.data, 0, dh, 0, true);
      hiddenGradientNorms[t] = Math.sqrt(k.sumOfSquares(dh, 0, block));
      const previousCell = t > 0 ? this.cell : this.zeroState;
      const previousOffset = t > 0 ? (t - 1) * block : 0;
      k.lstmPointwiseBackward(batch, H, this.gates, t * gateBlock, previousCell, previousOffset, this.tanhCell, t * block, dh, 0, this.dCell, 0, this.dGates, t * gateBlock);
    }
    const rows = steps * batch;
    k.gemm(true, false, G, this.inputSize, rows, this.dGates, 0, input, 0, this.weightInput.grad, 0, true);
    if (steps > 1) k.gemm(true, false, G, H, rows - batch, this.dGates, gateBlock, this.hidden, 0, this.weightHidden.grad, 0, true);
    k.accumulateColumnSums(this.biasInput.grad, 0, this.dGates, 0, rows, G);
    k.accumulateColumnSums(this.biasHidden.grad, 0, this.dGates, 0, rows, G);
    if (dInput !== null) k.gemm(false, false, rows, this.inputSize, G, this.dGates, 0, this.weightInput.data, 0, dInput, 0, accumulateInput);
  }

  saturatedFraction(steps: number, batch: number): number {
    const n = steps * batch * this.hiddenSize;
    return this.kernels.countAbsAbove(this.tanhCell, 0, n, 0.99) / n;
  }
}

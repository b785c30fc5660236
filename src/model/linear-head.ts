/**
 * The linear head `fc`: logits = h W_fcᵀ + b_fc on the top layer's hidden states, either at the
 * last step only (rows = B) or at every step (rows = T·B, time-major).
 * Shapes: h is [rows, H], W_fc is [O, H], b_fc is [O], logits are [rows, O].
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import type { Dtype, Parameter } from './parameters.js';
import { allocate, createParameter } from './parameters.js';
import { accumulateWeightGradient, backpropagate, project } from './products.js';

export class LinearHead {
  readonly weight: Parameter;
  readonly bias: Parameter;
  private capacity = 0;
  /** Outputs of the last forward pass, [rows, O]. */
  logits: FloatArray;
  /** dL/d(logits), [rows, O], written by the loss. */
  dLogits: FloatArray;

  constructor(
    readonly hiddenSize: number,
    readonly outputSize: number,
    private readonly dtype: Dtype,
    private readonly kernels: Kernels,
  ) {
    this.weight = createParameter('fc.weight', [outputSize, hiddenSize], dtype);
    this.bias = createParameter('fc.bias', [outputSize], dtype);
    this.logits = this.dLogits = allocate(dtype, 0);
  }

  get parameters(): readonly Parameter[] {
    return [this.weight, this.bias];
  }

  /** hidden[hiddenOffset…] holds `rows` rows of H values. */
  forward(hidden: FloatArray, hiddenOffset: number, rows: number): void {
    if (rows > this.capacity) {
      this.capacity = rows;
      this.logits = allocate(this.dtype, rows * this.outputSize);
      this.dLogits = allocate(this.dtype, rows * this.outputSize);
    }
    const O = this.outputSize;
    project(this.kernels, hidden, hiddenOffset, rows, this.weight.data, O, this.hiddenSize, this.logits, 0, 'overwrite');
    this.kernels.addBiasRows(this.logits, 0, rows, O, this.bias.data, 0);
  }

  /**
   * Accumulates the head's gradients and overwrites dHidden[dHiddenOffset…] with dL/dh for those
   * rows. `logitsRow` is the first row of dL/d(logits) they correspond to (0 unless only a later
   * part of the forward pass's rows is propagated, as the last-step probe does).
   */
  backward(hidden: FloatArray, hiddenOffset: number, rows: number, dHidden: FloatArray, dHiddenOffset: number, logitsRow = 0): void {
    const k = this.kernels;
    const O = this.outputSize;
    const H = this.hiddenSize;
    const dLogitsOffset = logitsRow * O;
    accumulateWeightGradient(k, this.dLogits, dLogitsOffset, hidden, hiddenOffset, rows, this.weight.grad, O, H);
    k.accumulateColumnSums(this.bias.grad, 0, this.dLogits, dLogitsOffset, rows, O);
    backpropagate(k, this.dLogits, dLogitsOffset, rows, this.weight.data, O, H, dHidden, dHiddenOffset, 'overwrite');
  }
}

/**
 * GRU layer with PyTorch's `nn.GRU` equations and layout (gates r, z, n stacked in rows).
 *
 * Forward, per step t (h_{-1} = 0):
 *   (1) [i_r i_z i_n] = x_t W_ihᵀ + b_ih
 *   (2) [h_r h_z h_n] = h_{t-1} W_hhᵀ + b_hh
 *   (3) r = σ(i_r + h_r),   z = σ(i_z + h_z)
 *   (4) n = tanh(i_n + r ⊙ h_n)                 [PyTorch's form: r multiplies W_hn h + b_hn]
 *   (5) h_t = (1−z) ⊙ n + z ⊙ h_{t-1}
 *
 * The hidden bias b_hn sits inside r ⊙ (…), so unlike the RNN and LSTM the two biases cannot be
 * merged, and h_n must be kept per step (hiddenGates) for the backward pass.
 *
 * Backward, with dh_t = dL/dh_t in total (from the layer above, from (5) at t+1 and from (2) at
 * t+1; both added in backward() before the pointwise call), σ' = σ(1−σ), tanh' = 1 − tanh²:
 *   (6) dn_pre = dh_t ⊙ (1−z) ⊙ (1−n²)                  [∂h_t/∂n = 1−z; n_pre = i_n + r ⊙ h_n]
 *       dz_pre = dh_t ⊙ (h_{t-1} − n) ⊙ z(1−z)          [∂h_t/∂z = h_{t-1} − n]
 *   (7) dr_pre = dn_pre ⊙ h_n ⊙ r(1−r)                  [∂n_pre/∂r = h_n]
 *   (8) d[i_r i_z i_n] = [dr_pre  dz_pre  dn_pre]
 *       d[h_r h_z h_n] = [dr_pre  dz_pre  dn_pre ⊙ r]   [∂n_pre/∂h_n = r; r and z add i and h]
 *   (9) dh_{t-1} = z ⊙ dh_t  +  d[h_r h_z h_n] W_hh      [direct path of (5), then (2)]
 *  (10) dW_ih = Σ_t d[i]_tᵀ x_t,  dW_hh = Σ_t d[h]_tᵀ h_{t-1},  db_ih = Σ d[i],  db_hh = Σ d[h]
 * The kernels' gruPointwiseForward/Backward do the arithmetic of (3)-(9) per element (the W_hh
 * term of (9) is a GEMM here); this file says what it means.
 *
 * Shapes: x is [T, B, I], h is [T, B, H], gate buffers [T, B, 3H];
 * W_ih is [3H, I], W_hh is [3H, H], biases [3H].
 *
 * The loops below are the reference. Kernels that offer fused loops (the native ones, float32)
 * run the same forward or backward pass in one call instead (kernels.ts, FusedLoops), writing the
 * same buffers (h, both gate pre-activations and r, z, n, which saturatedFraction reads).
 */
import type { FloatArray, GruSequence, Kernels } from '../kernels/kernels.js';
import type { BackwardScratch } from './backward-scratch.js';
import { allFloat32, RecurrentLayerBase, saturationThreshold } from './layer-skeleton.js';
import type { Dtype } from './parameters.js';
import { allocate } from './parameters.js';
import { backpropagate, project } from './products.js';

export class GruLayer extends RecurrentLayerBase {
  /** h_t, [T, B, H]. */
  private hidden: FloatArray;
  /** x_t W_ihᵀ + b_ih, [T, B, 3H]. */
  private inputGates: FloatArray;
  /** h_{t-1} W_hhᵀ + b_hh, [T, B, 3H]; h_n is needed again for dL/dr. */
  private hiddenGates: FloatArray;
  /** r, z, n per step, [T, B, 3H]. */
  private gateActivations: FloatArray;
  /** Total dL/dh_t of the step being processed, [B, H]. */
  private dHidden: FloatArray;
  /** The direct part z·dL/dh_t that step t hands to h_{t-1}, [B, H]. */
  private dHiddenDirect: FloatArray;
  /** The zero state h_{-1}, [B, H]. */
  private zeroState: FloatArray;

  constructor(inputSize: number, hiddenSize: number, namePrefix: string, layerSuffix: string, dtype: Dtype, kernels: Kernels, scratch?: BackwardScratch) {
    super(inputSize, hiddenSize, 3, namePrefix, layerSuffix, dtype, kernels, scratch);
    this.hidden = this.inputGates = this.hiddenGates = this.gateActivations = allocate(dtype, 0);
    this.dHidden = this.dHiddenDirect = this.zeroState = allocate(dtype, 0);
  }

  get output(): FloatArray {
    return this.hidden;
  }

  protected allocateSequence(rows: number): void {
    const H = this.hiddenSize;
    this.hidden = allocate(this.dtype, rows * H);
    this.inputGates = allocate(this.dtype, rows * 3 * H);
    this.hiddenGates = allocate(this.dtype, rows * 3 * H);
    this.gateActivations = allocate(this.dtype, rows * 3 * H);
  }

  /**
   * dL/d(inputGates) and dL/d(hiddenGates) of every step, [T, B, 3H] each, from the model's
   * backward scratch: a fused pass that is the last since the forward pass writes them over
   * gateActivations and hiddenGates instead.
   */
  private gateGradients(steps: number, batch: number): { dInputGates: FloatArray; dHiddenGates: FloatArray } {
    const length = steps * batch * 3 * this.hiddenSize;
    return { dInputGates: this.scratch.borrow(length, 0), dHiddenGates: this.scratch.borrow(length, 1) };
  }

  protected allocateStep(batch: number): void {
    const H = this.hiddenSize;
    this.dHidden = allocate(this.dtype, batch * H);
    this.dHiddenDirect = allocate(this.dtype, batch * H);
    this.zeroState = allocate(this.dtype, batch * H);
  }

  /** This layer's buffers as a fused loop reads them, or null when they are not all float32. */
  private fusedSequence(input: FloatArray, steps: number, batch: number): GruSequence | null {
    const buffers = allFloat32({ input, ...this.weights(), hidden: this.hidden, inputGates: this.inputGates, hiddenGates: this.hiddenGates, gateActivations: this.gateActivations });
    return buffers === null ? null : { steps, batch, inputSize: this.inputSize, hiddenSize: this.hiddenSize, ...buffers };
  }


  forward(input: FloatArray, steps: number, batch: number): void {
    this.reserve(steps, batch);
    const fused = this.kernels.fusedLoops;
    const sequence = fused === null ? null : this.fusedSequence(input, steps, batch);
    if (fused !== null && sequence !== null) {
      this.fusedSaturatedCount = fused.gruForward(sequence, saturationThreshold);
      return;
    }
    this.fusedSaturatedCount = null;
    const k = this.kernels;
    const H = this.hiddenSize;
    const G = 3 * H;
    const block = batch * H;
    const gateBlock = batch * G;
    project(k, input, 0, steps * batch, this.weightInput.data, G, this.inputSize, this.inputGates, 0, 'overwrite');
    k.addBiasRows(this.inputGates, 0, steps * batch, G, this.biasInput.data, 0);
    for (let t = 0; t < steps; t++) {
      if (t > 0) project(k, this.hidden, (t - 1) * block, batch, this.weightHidden.data, G, H, this.hiddenGates, t * gateBlock, 'overwrite');
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
    lastSinceForward = false,
  ): void {
    const fused = this.kernels.fusedLoops;
    const sequence = fused === null ? null : this.fusedSequence(input, steps, batch);
    // Over r, z, n and W_hh h + b_hh when this pass is their last reader, as the LSTM does (lstm-layer.ts).
    const overwritten = { dInputGates: this.gateActivations, dHiddenGates: this.hiddenGates };
    const gradients = sequence === null ? null : allFloat32({ dOutput, ...(lastSinceForward ? overwritten : this.gateGradients(steps, batch)), ...this.weightGradients(), dInput });
    if (fused !== null && sequence !== null && gradients !== null) {
      fused.gruBackward(sequence, { ...gradients, hiddenGradientNorms, accumulateInput });
      return;
    }
    const { dInputGates, dHiddenGates } = this.gateGradients(steps, batch);
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
        backpropagate(k, dHiddenGates, (t + 1) * gateBlock, batch, this.weightHidden.data, G, H, dh, 0, 'accumulate');
      }
      hiddenGradientNorms[t] = Math.sqrt(k.sumOfSquares(dh, 0, block));
      const previous = t > 0 ? this.hidden : this.zeroState;
      const previousOffset = t > 0 ? (t - 1) * block : 0;
      k.gruPointwiseBackward(
        batch, H, this.hiddenGates, t * gateBlock, previous, previousOffset, this.gateActivations, t * gateBlock, dh, 0,
        dInputGates, t * gateBlock, dHiddenGates, t * gateBlock, this.dHiddenDirect, 0,
      );
    }
    // (10): d[i] and d[h] differ only in n's third (d h_n = dn_pre ⊙ r); dW_hh pairs d[h][1..T-1]
    // with h[0..T-2] (the one-step shift, explained in layer-skeleton.ts).
    this.accumulateParameterGradients(input, dInputGates, dHiddenGates, this.hidden, dInput, accumulateInput, steps, batch);
  }

  saturatedFraction(steps: number, batch: number): number {
    const H = this.hiddenSize;
    const rows = steps * batch;
    // n is the last third of each row of gateActivations.
    return (this.fusedSaturatedCount ?? this.kernels.countAbsAboveInRows(this.gateActivations, 2 * H, rows, H, 3 * H, saturationThreshold)) / (rows * H);
  }
}

/**
 * LSTM layer with PyTorch's `nn.LSTM` equations and layout (gates i, f, g, o stacked in rows).
 *
 * Forward, per step t (h_{-1} = c_{-1} = 0):
 *   (1) a_t = [a_i a_f a_g a_o] = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
 *   (2) i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o)
 *   (3) c_t = f ⊙ c_{t-1} + i ⊙ g
 *   (4) h_t = o ⊙ tanh(c_t)
 *
 * Backward. Write dX for dL/dX and use σ'(a) = σ(1−σ), tanh'(a) = 1 − tanh²(a), both from the
 * saved activations so no pre-activation needs keeping. dh_t arrives from the layer above plus
 * a_{t+1}'s use of h_t (da_{t+1} W_hh, added in backward() before the pointwise call); c_t is
 * used by h_t (4) and by c_{t+1} (3), so its gradient has two terms too:
 *   (5) dc_t = f_{t+1} ⊙ dc_{t+1}  +  dh_t ⊙ o ⊙ (1 − tanh²c_t)        [the first term is the carry]
 *   (6) da_o = dh_t ⊙ tanh(c_t) ⊙ o(1−o)                              [∂h_t/∂o = tanh c_t]
 *   (7) da_i = dc_t ⊙ g ⊙ i(1−i),   da_f = dc_t ⊙ c_{t-1} ⊙ f(1−f),   da_g = dc_t ⊙ i ⊙ (1−g²)
 *                                                                      [∂c_t/∂i = g, ∂/∂f = c_{t-1}, ∂/∂g = i]
 *   (8) carry to step t−1: f ⊙ dc_t;   dh_{t-1} += da_t W_hh;   dx_t = da_t W_ih
 *   (9) dW_ih = Σ_t da_tᵀ x_t,  dW_hh = Σ_t da_tᵀ h_{t-1},  db_ih = db_hh = Σ_t Σ_batch da_t
 * The kernels' lstmPointwiseForward/Backward do the arithmetic of (2)-(8) per element; this file
 * says what it means. Gates are overwritten in place by their activations (forward) so the
 * backward pass reads i, f, g, o, not a.
 *
 * Shapes: x is [T, B, I], h and c are [T, B, H], gates are [T, B, 4H];
 * W_ih is [4H, I], W_hh is [4H, H], biases [4H].
 *
 * The loops below are the reference. Kernels that offer fused loops (the native ones, float32)
 * run the same forward or backward pass in one call instead (kernels.ts, FusedLoops), writing the
 * same buffers (h, c, tanh c and the gates). A fused backward pass that is the last since the
 * forward pass writes the gate gradients over the gate activations.
 */
import type { FloatArray, Kernels, LstmSequence } from '../kernels/kernels.js';
import type { BackwardScratch } from './backward-scratch.js';
import { allFloat32, RecurrentLayerBase, saturationThreshold } from './layer-skeleton.js';
import type { Dtype } from './parameters.js';
import { allocate } from './parameters.js';
import { backpropagate, project } from './products.js';

export class LstmLayer extends RecurrentLayerBase {
  /** b_ih + b_hh, so the forward pass adds one bias row instead of two. */
  private readonly combinedBias: FloatArray;
  /** h_t, [T, B, H]. */
  private hidden: FloatArray;
  /** c_t, [T, B, H]. */
  private cell: FloatArray;
  /** tanh(c_t), [T, B, H], saved for the backward pass. */
  private tanhCell: FloatArray;
  /** Gate activations i, f, g, o per step, [T, B, 4H]. */
  private gates: FloatArray;
  /** Total dL/dh_t of the step being processed, [B, H]. */
  private dHidden: FloatArray;
  /** dL/dc carried from step t+1 to step t, [B, H]. */
  private dCell: FloatArray;
  /** The zero state h_{-1} = c_{-1}, [B, H]. */
  private zeroState: FloatArray;

  constructor(inputSize: number, hiddenSize: number, namePrefix: string, layerSuffix: string, dtype: Dtype, kernels: Kernels, scratch?: BackwardScratch) {
    super(inputSize, hiddenSize, 4, namePrefix, layerSuffix, dtype, kernels, scratch);
    this.combinedBias = allocate(dtype, 4 * hiddenSize);
    this.hidden = this.cell = this.tanhCell = this.gates = allocate(dtype, 0);
    this.dHidden = this.dCell = this.zeroState = allocate(dtype, 0);
  }

  get output(): FloatArray {
    return this.hidden;
  }

  protected allocateSequence(rows: number): void {
    const H = this.hiddenSize;
    this.hidden = allocate(this.dtype, rows * H);
    this.cell = allocate(this.dtype, rows * H);
    this.tanhCell = allocate(this.dtype, rows * H);
    this.gates = allocate(this.dtype, rows * 4 * H);
  }

  /**
   * dL/d(gate pre-activations) of every step, [T, B, 4H], from the model's backward scratch: a
   * fused pass that is the last since the forward pass writes them over `gates` instead.
   */
  private gateGradients(steps: number, batch: number): FloatArray {
    return this.scratch.borrow(steps * batch * 4 * this.hiddenSize);
  }

  protected allocateStep(batch: number): void {
    const H = this.hiddenSize;
    this.dHidden = allocate(this.dtype, batch * H);
    this.dCell = allocate(this.dtype, batch * H);
    this.zeroState = allocate(this.dtype, batch * H);
  }

  /** This layer's buffers as a fused loop reads them, or null when they are not all float32. */
  private fusedSequence(input: FloatArray, steps: number, batch: number): LstmSequence | null {
    const buffers = allFloat32({ input, ...this.weights(), hidden: this.hidden, cell: this.cell, tanhCell: this.tanhCell, gates: this.gates });
    return buffers === null ? null : { steps, batch, inputSize: this.inputSize, hiddenSize: this.hiddenSize, ...buffers };
  }


  forward(input: FloatArray, steps: number, batch: number): void {
    this.reserve(steps, batch);
    const fused = this.kernels.fusedLoops;
    const sequence = fused === null ? null : this.fusedSequence(input, steps, batch);
    if (fused !== null && sequence !== null) {
      this.fusedSaturatedCount = fused.lstmForward(sequence, saturationThreshold);
      return;
    }
    this.fusedSaturatedCount = null;
    const k = this.kernels;
    const H = this.hiddenSize;
    const G = 4 * H;
    const block = batch * H;
    const gateBlock = batch * G;
    k.copy(this.biasInput.data, 0, this.combinedBias, 0, G);
    k.axpy(G, 1, this.biasHidden.data, 0, this.combinedBias, 0);
    project(k, input, 0, steps * batch, this.weightInput.data, G, this.inputSize, this.gates, 0, 'overwrite');
    k.addBiasRows(this.gates, 0, steps * batch, G, this.combinedBias, 0);
    for (let t = 0; t < steps; t++) {
      if (t > 0) project(k, this.hidden, (t - 1) * block, batch, this.weightHidden.data, G, H, this.gates, t * gateBlock, 'accumulate');
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
    lastSinceForward = false,
  ): void {
    const fused = this.kernels.fusedLoops;
    const sequence = fused === null ? null : this.fusedSequence(input, steps, batch);
    // Over the activations when this pass is their last reader: against a separate array, the
    // 20-layer LSTM's backward took 0.94× as long (avx2, its memory traffic being the cell's cost).
    const gradients = sequence === null ? null : allFloat32({ dOutput, dGates: lastSinceForward ? this.gates : this.gateGradients(steps, batch), ...this.weightGradients(), dInput });
    if (fused !== null && sequence !== null && gradients !== null) {
      fused.lstmBackward(sequence, { ...gradients, hiddenGradientNorms, accumulateInput });
      return;
    }
    const dGates = this.gateGradients(steps, batch);
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
      if (t < steps - 1) backpropagate(k, dGates, (t + 1) * gateBlock, batch, this.weightHidden.data, G, H, dh, 0, 'accumulate');
      hiddenGradientNorms[t] = Math.sqrt(k.sumOfSquares(dh, 0, block));
      const previousCell = t > 0 ? this.cell : this.zeroState;
      const previousOffset = t > 0 ? (t - 1) * block : 0;
      k.lstmPointwiseBackward(batch, H, this.gates, t * gateBlock, previousCell, previousOffset, this.tanhCell, t * block, dh, 0, this.dCell, 0, dGates, t * gateBlock);
    }
    // (9) and dx_t of (8); both biases see the same da (they are added, not multiplied), and
    // dW_hh pairs da[1..T-1] with h[0..T-2] (the one-step shift, explained in layer-skeleton.ts).
    this.accumulateParameterGradients(input, dGates, dGates, this.hidden, dInput, accumulateInput, steps, batch);
  }

  saturatedFraction(steps: number, batch: number): number {
    const n = steps * batch * this.hiddenSize;
    return (this.fusedSaturatedCount ?? this.kernels.countAbsAbove(this.tanhCell, 0, n, saturationThreshold)) / n;
  }
}

/**
 * Elman RNN layer with PyTorch's `nn.RNN` equations (two biases):
 *
 *   (1) pre_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh,   h_{-1} = 0
 *   (2) h_t = act(pre_t),   act = tanh, relu or identity
 *
 * Backward, with dh_t = dL/dh_t from the layer above plus (1) at t+1:
 *   (3) dh_t += dpre_{t+1} W_hh                       [pre_{t+1} uses h_t]
 *   (4) dpre_t = dh_t ⊙ act'(pre_t), written from the output h_t so pre_t need not be kept:
 *       tanh' = 1 − h_t²,  relu' = [h_t > 0],  identity' = 1
 *   (5) dW_ih = Σ_t dpre_tᵀ x_t,  dW_hh = Σ_t dpre_tᵀ h_{t-1},  db_ih = db_hh = Σ_t Σ_batch dpre_t,
 *       dx_t = dpre_t W_ih
 *
 * Shapes: x is [T, B, I], h is [T, B, H]; W_ih is [H, I], W_hh is [H, H].
 * The input projection for all T steps is one (T·B)×I by I×H product before the time loop;
 * only the recurrent product runs step by step.
 * `identity` is the `linear` nonlinearity of createModel (a linear RNN, the case theory solves).
 *
 * The loops below are the reference. Kernels that offer fused loops (the native ones, float32)
 * run the same forward or backward pass in one call instead (kernels.ts, FusedLoops).
 */
import type { Activation, FloatArray, Kernels, RnnSequence } from '../kernels/kernels.js';
import type { BackwardScratch } from './backward-scratch.js';
import { allFloat32, RecurrentLayerBase, saturationThreshold } from './layer-skeleton.js';
import type { Dtype } from './parameters.js';
import { allocate } from './parameters.js';
import { backpropagate, project } from './products.js';

export class RnnLayer extends RecurrentLayerBase {
  /** b_ih + b_hh, so the forward pass adds one bias row instead of two. */
  private readonly combinedBias: FloatArray;
  /** h_t for every step: [T, B, H]. */
  private hidden: FloatArray;
  /** Total dL/dh_t of the step being processed, [B, H]. */
  private dHidden: FloatArray;
  /** Each unit's sum of h over the batch's sequences and steps, [H]: how saturatedFraction finds dead ReLU units. */
  private readonly unitSums: FloatArray;

  constructor(
    inputSize: number,
    hiddenSize: number,
    private readonly activation: Extract<Activation, 'tanh' | 'relu' | 'identity'>,
    namePrefix: string,
    layerSuffix: string,
    dtype: Dtype,
    kernels: Kernels,
    scratch?: BackwardScratch,
  ) {
    super(inputSize, hiddenSize, 1, namePrefix, layerSuffix, dtype, kernels, scratch);
    this.combinedBias = allocate(dtype, hiddenSize);
    this.unitSums = allocate(dtype, hiddenSize);
    this.hidden = allocate(dtype, 0);
    this.dHidden = allocate(dtype, 0);
  }

  get output(): FloatArray {
    return this.hidden;
  }

  protected allocateSequence(rows: number): void {
    this.hidden = allocate(this.dtype, rows * this.hiddenSize);
  }

  protected allocateStep(batch: number): void {
    this.dHidden = allocate(this.dtype, batch * this.hiddenSize);
  }

  /** This layer's buffers as a fused loop reads them, or null when they are not all float32. */
  private fusedSequence(input: FloatArray, steps: number, batch: number): RnnSequence | null {
    const buffers = allFloat32({ input, ...this.weights(), hidden: this.hidden });
    return buffers === null ? null : { activation: this.activation, steps, batch, inputSize: this.inputSize, hiddenSize: this.hiddenSize, ...buffers };
  }

  forward(input: FloatArray, steps: number, batch: number): void {
    this.reserve(steps, batch);
    const fused = this.kernels.fusedLoops;
    const sequence = fused === null ? null : this.fusedSequence(input, steps, batch);
    if (fused !== null && sequence !== null) {
      this.fusedSaturatedCount = fused.rnnForward(sequence, saturationThreshold);
      return;
    }
    this.fusedSaturatedCount = null;
    const k = this.kernels;
    const H = this.hiddenSize;
    const block = batch * H;
    const h = this.hidden;
    k.copy(this.biasInput.data, 0, this.combinedBias, 0, H);
    k.axpy(H, 1, this.biasHidden.data, 0, this.combinedBias, 0);
    // pre_t = x_t W_ihᵀ + b for all steps at once, written straight into h.
    project(k, input, 0, steps * batch, this.weightInput.data, H, this.inputSize, h, 0, 'overwrite');
    k.addBiasRows(h, 0, steps * batch, H, this.combinedBias, 0);
    for (let t = 0; t < steps; t++) {
      if (t > 0) project(k, h, (t - 1) * block, batch, this.weightHidden.data, H, H, h, t * block, 'accumulate');
      k.activationForward(this.activation, h, t * block, h, t * block, block);
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
    const fused = this.kernels.fusedLoops;
    const sequence = fused === null ? null : this.fusedSequence(input, steps, batch);
    const dPre = this.scratch.borrow(steps * batch * this.hiddenSize);
    const gradients = sequence === null ? null : allFloat32({ dOutput, dPreActivation: dPre, ...this.weightGradients(), dInput });
    if (fused !== null && sequence !== null && gradients !== null) {
      fused.rnnBackward(sequence, { ...gradients, hiddenGradientNorms, accumulateInput });
      return;
    }
    const k = this.kernels;
    const H = this.hiddenSize;
    const block = batch * H;
    const h = this.hidden;
    const dh = this.dHidden;
    for (let t = steps - 1; t >= 0; t--) {
      k.copy(dOutput, t * block, dh, 0, block);
      // forward: pre_{t+1} = … + h_t W_hhᵀ, so dL/dh_t gains dL/dpre_{t+1} · W_hh.
      if (t < steps - 1) backpropagate(k, dPre, (t + 1) * block, batch, this.weightHidden.data, H, H, dh, 0, 'accumulate');
      hiddenGradientNorms[t] = Math.sqrt(k.sumOfSquares(dh, 0, block));
      k.activationBackward(this.activation, h, t * block, dh, 0, dPre, t * block, block, false);
    }
    // (5): one dpre for both biases; dW_hh = Σ_t dpre_tᵀ h_{t-1} pairs dpre[1..T-1] with h[0..T-2]
    // (h_{-1} = 0, so step 0 adds nothing; the one-step shift is explained in layer-skeleton.ts).
    this.accumulateParameterGradients(input, dPre, dPre, h, dInput, accumulateInput, steps, batch);
  }

  saturatedFraction(steps: number, batch: number): number {
    const H = this.hiddenSize;
    const n = steps * batch * H;
    // A linear unit never saturates: its derivative is 1 everywhere.
    if (this.activation === 'identity') return 0;
    if (this.activation === 'tanh') return (this.fusedSaturatedCount ?? this.kernels.countAbsAbove(this.hidden, 0, n, saturationThreshold)) / n;
    // ReLU: a unit is dead when it is 0 for every sequence and step of the batch. A zero here and
    // there is ordinary ReLU sparsity (about half the activations), not a unit that passes nothing.
    // ReLU's outputs are never negative, and a sum of floats that are not negative is 0 only when
    // each of them is (a NaN or an infinity makes it non-zero: a unit that holds one is not dead;
    // with denormals flushed, the forward pass that wrote h made none), so one row-wise pass of
    // column sums tells it. Scanning each unit's column instead read h with a stride of H floats:
    // 3.5 % of the residual ReLU stack's step of workload B (avx2).
    const k = this.kernels;
    k.fill(this.unitSums, 0, H, 0);
    k.accumulateColumnSums(this.unitSums, 0, this.hidden, 0, steps * batch, H);
    let dead = 0;
    for (let j = 0; j < H; j++) if (this.unitSums[j] === 0) dead++;
    return dead / H;
  }
}

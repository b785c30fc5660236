/**
 * Elman RNN layer with PyTorch's `nn.RNN` equations (two biases):
 *
 *   h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh),   h_{-1} = 0,   act = tanh or relu
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
import type { Dtype, Parameter } from './parameters.js';
import { allocate, createParameter } from './parameters.js';
import type { RecurrentLayer } from './recurrent-layer.js';

export class RnnLayer implements RecurrentLayer {
  readonly parameters: readonly Parameter[];
  private readonly weightInput: Parameter;
  private readonly weightHidden: Parameter;
  private readonly biasInput: Parameter;
  private readonly biasHidden: Parameter;
  /** b_ih + b_hh, so the forward pass adds one bias row instead of two. */
  private readonly combinedBias: FloatArray;
  private capacity = 0;
  private batchCapacity = 0;
  /** h_t for every step: [T, B, H]. */
  private hidden: FloatArray;
  /** dL/d(pre-activation) for every step, [T, B, H]; kept for the weight gradients after the loop. */
  private dPreActivation: FloatArray;
  /** Total dL/dh_t of the step being processed, [B, H]. */
  private dHidden: FloatArray;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    private readonly activation: Extract<Activation, 'tanh' | 'relu' | 'identity'>,
    namePrefix: string,
    layerSuffix: string,
    private readonly dtype: Dtype,
    private readonly kernels: Kernels,
  ) {
    const H = hiddenSize;
    this.weightInput = createParameter(`${namePrefix}weight_ih_${layerSuffix}`, [H, inputSize], dtype);
    this.weightHidden = createParameter(`${namePrefix}weight_hh_${layerSuffix}`, [H, H], dtype);
    this.biasInput = createParameter(`${namePrefix}bias_ih_${layerSuffix}`, [H], dtype);
    this.biasHidden = createParameter(`${namePrefix}bias_hh_${layerSuffix}`, [H], dtype);
    this.parameters = [this.weightInput, this.weightHidden, this.biasInput, this.biasHidden];
    this.combinedBias = allocate(dtype, H);
    this.hidden = allocate(dtype, 0);
    this.dPreActivation = allocate(dtype, 0);
    this.dHidden = allocate(dtype, 0);
  }

  get output(): FloatArray {
    return this.hidden;
  }

  private reserve(steps: number, batch: number): void {
    if (steps * batch > this.capacity) {
      this.capacity = steps * batch;
      this.hidden = allocate(this.dtype, this.capacity * this.hiddenSize);
      this.dPreActivation = allocate(this.dtype, this.capacity * this.hiddenSize);
    }
    if (batch > this.batchCapacity) {
      this.batchCapacity = batch;
      this.dHidden = allocate(this.dtype, batch * this.hiddenSize);
    }
  }

  /** This layer's buffers as a fused loop reads them, or null when they are not all float32. */
  private fusedSequence(input: FloatArray, steps: number, batch: number): RnnSequence | null {
    const { data: weightInput } = this.weightInput;
    const { data: weightHidden } = this.weightHidden;
    const { data: biasInput } = this.biasInput;
    const { data: biasHidden } = this.biasHidden;
    const hidden = this.hidden;
    if (!(input instanceof Float32Array && weightInput instanceof Float32Array && weightHidden instanceof Float32Array &&
      biasInput instanceof Float32Array && biasHidden instanceof Float32Array && hidden instanceof Float32Array)) return null;
    return {
      activation: this.activation, steps, batch, inputSize: this.inputSize, hiddenSize: this.hiddenSize,
      input, weightInput, weightHidden, biasInput, biasHidden, hidden,
    };
  }

  forward(input: FloatArray, steps: number, batch: number): void {
    this.reserve(steps, batch);
    const fused = this.kernels.fusedLoops;
    const sequence = fused === null ? null : this.fusedSequence(input, steps, batch);
    if (fused !== null && sequence !== null) {
      fused.rnnForward(sequence);
      return;
    }
    const k = this.kernels;
    const H = this.hiddenSize;
    const block = batch * H;
    const h = this.hidden;
    k.copy(this.biasInput.data, 0, this.combinedBias, 0, H);
    k.axpy(H, 1, this.biasHidden.data, 0, this.combinedBias, 0);
    // pre_t = x_t W_ihᵀ + b for all steps at once, written straight into h.
    k.gemm(false, true, steps * batch, H, this.inputSize, input, 0, this.weightInput.data, 0, h, 0, false);
    k.addBiasRows(h, 0, steps * batch, H, this.combinedBias, 0);
    for (let t = 0; t < steps; t++) {
      if (t > 0) k.gemm(false, true, batch, H, H, h, (t - 1) * block, this.weightHidden.data, 0, h, t * block, true);
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
    const { grad: gradWeightInput } = this.weightInput;
    const { grad: gradWeightHidden } = this.weightHidden;
    const { grad: gradBiasInput } = this.biasInput;
    const { grad: gradBiasHidden } = this.biasHidden;
    const dPreActivation = this.dPreActivation;
    if (fused !== null && sequence !== null && dOutput instanceof Float32Array && dPreActivation instanceof Float32Array &&
      gradWeightInput instanceof Float32Array && gradWeightHidden instanceof Float32Array && gradBiasInput instanceof Float32Array &&
      gradBiasHidden instanceof Float32Array && (dInput === null || dInput instanceof Float32Array)) {
      fused.rnnBackward(sequence, {
        dOutput, dPreActivation, hiddenGradientNorms, gradWeightInput, gradWeightHidden, gradBiasInput, gradBiasHidden, dInput, accumulateInput,
      });
      return;
    }
    const k = this.kernels;
    const H = this.hiddenSize;
    const block = batch * H;
    const h = this.hidden;
    const dPre = this.dPreActivation;
    const dh = this.dHidden;
    for (let t = steps - 1; t >= 0; t--) {
      k.copy(dOutput, t * block, dh, 0, block);
      // forward: pre_{t+1} = … + h_t W_hhᵀ, so dL/dh_t gains dL/dpre_{t+1} · W_hh.
      if (t < steps - 1) k.gemm(false, false, batch, H, H, dPre, (t + 1) * block, this.weightHidden.data, 0, dh, 0, true);
      hiddenGradientNorms[t] = Math.sqrt(k.sumOfSquares(dh, 0, block));
      k.activationBackward(this.activation, h, t * block, dh, 0, dPre, t * block, block, false);
    }
    const rows = steps * batch;
    k.gemm(true, false, H, this.inputSize, rows, dPre, 0, input, 0, this.weightInput.grad, 0, true);
    if (steps > 1) k.gemm(true, false, H, H, rows - batch, dPre, block, h, 0, this.weightHidden.grad, 0, true);
    k.accumulateColumnSums(this.biasInput.grad, 0, dPre, 0, rows, H);
    k.accumulateColumnSums(this.biasHidden.grad, 0, dPre, 0, rows, H);
    if (dInput !== null) k.gemm(false, false, rows, this.inputSize, H, dPre, 0, this.weightInput.data, 0, dInput, 0, accumulateInput);
  }

  saturatedFraction(steps: number, batch: number): number {
    const H = this.hiddenSize;
    const n = steps * batch * H;
    // A linear unit never saturates: its derivative is 1 everywhere.
    if (this.activation === 'identity') return 0;
    if (this.activation === 'tanh') return this.kernels.countAbsAbove(this.hidden, 0, n, 0.99) / n;
    // ReLU: a unit is dead when it is 0 for every sequence and step of the batch. A zero here and
    // there is ordinary ReLU sparsity (about half the activations), not a unit that passes nothing.
    let dead = 0;
    for (let j = 0; j < H; j++) {
      let alive = false;
      for (let i = j; i < n && !alive; i += H) alive = this.hidden[i] !== 0;
      if (!alive) dead++;
    }
    return dead / H;
  }
}

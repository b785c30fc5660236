/**
 * What the Elman RNN, LSTM and GRU layers share, written once: PyTorch's four parameters (W_ih
 * [G, I], W_hh [G, H], b_ih [G], b_hh [G], with G = H, 4H or 3H gate rows), buffers sized on the
 * first batch of a shape and reused after, and the parameter gradients after the time loop.
 * Each cell's file keeps what differs: its equations, forward and backward, and its buffers.
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';
import { BackwardScratch } from './backward-scratch.js';
import type { Dtype, Parameter } from './parameters.js';
import { createParameter } from './parameters.js';
import { accumulateWeightGradient, backpropagate } from './products.js';
import type { RecurrentLayer } from './recurrent-layer.js';

/** `arrays` with every FloatArray narrowed to Float32Array (null stays null). */
export type Float32Arrays<T> = { [K in keyof T]: null extends T[K] ? Float32Array | null : Float32Array };

/**
 * `arrays` as Float32Arrays when every one of them is, else null: the fused loops take float32
 * only, and a float64 layer (the finite-difference tests) runs the reference loop instead.
 */
export function allFloat32<T extends Record<string, FloatArray | null>>(arrays: T): Float32Arrays<T> | null {
  for (const array of Object.values(arrays)) if (array !== null && !(array instanceof Float32Array)) return null;
  return arrays as unknown as Float32Arrays<T>;
}

/** |value| above which a tanh-like unit counts as saturated: its derivative 1 − y² is below 0.02. */
export const saturationThreshold = 0.99;

export abstract class RecurrentLayerBase implements RecurrentLayer {
  readonly parameters: readonly Parameter[];
  protected readonly weightInput: Parameter;
  protected readonly weightHidden: Parameter;
  protected readonly biasInput: Parameter;
  protected readonly biasHidden: Parameter;
  /** G, the width of one row of gate pre-activations: H (RNN), 4H (LSTM), 3H (GRU). */
  protected readonly gateWidth: number;
  /** T·B rows the sequence buffers hold. */
  private capacity = 0;
  /** B rows the per-step buffers hold. */
  private batchCapacity = 0;
  /**
   * How many of the values saturatedFraction judges the last forward's fused loop counted above
   * saturationThreshold as it wrote them, or null when the layer's own loops ran.
   */
  protected fusedSaturatedCount: number | null = null;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    gatesPerUnit: number,
    namePrefix: string,
    layerSuffix: string,
    protected readonly dtype: Dtype,
    protected readonly kernels: Kernels,
    /**
     * Where the backward pass keeps its gate gradients of every step for the weight gradients
     * after its loop: the model's layers share one (BackwardScratch).
     */
    protected readonly scratch: BackwardScratch = new BackwardScratch(dtype),
  ) {
    const G = gatesPerUnit * hiddenSize;
    this.gateWidth = G;
    this.weightInput = createParameter(`${namePrefix}weight_ih_${layerSuffix}`, [G, inputSize], dtype);
    this.weightHidden = createParameter(`${namePrefix}weight_hh_${layerSuffix}`, [G, hiddenSize], dtype);
    this.biasInput = createParameter(`${namePrefix}bias_ih_${layerSuffix}`, [G], dtype);
    this.biasHidden = createParameter(`${namePrefix}bias_hh_${layerSuffix}`, [G], dtype);
    this.parameters = [this.weightInput, this.weightHidden, this.biasInput, this.biasHidden];
  }

  /** The four parameters' values, as a fused loop reads them. */
  protected weights(): { weightInput: FloatArray; weightHidden: FloatArray; biasInput: FloatArray; biasHidden: FloatArray } {
    return { weightInput: this.weightInput.data, weightHidden: this.weightHidden.data, biasInput: this.biasInput.data, biasHidden: this.biasHidden.data };
  }

  /** The four parameters' gradients, which a fused backward loop accumulates into. */
  protected weightGradients(): { gradWeightInput: FloatArray; gradWeightHidden: FloatArray; gradBiasInput: FloatArray; gradBiasHidden: FloatArray } {
    return { gradWeightInput: this.weightInput.grad, gradWeightHidden: this.weightHidden.grad, gradBiasInput: this.biasInput.grad, gradBiasHidden: this.biasHidden.grad };
  }

  abstract get output(): FloatArray;
  abstract forward(input: FloatArray, steps: number, batch: number): void;
  abstract backward(
    input: FloatArray,
    dOutput: FloatArray,
    dInput: FloatArray | null,
    accumulateInput: boolean,
    hiddenGradientNorms: Float64Array,
    steps: number,
    batch: number,
    lastSinceForward?: boolean,
  ): void;
  abstract saturatedFraction(steps: number, batch: number): number;

  /** (Re)allocates the [T, B, ·] buffers for `rows` = T·B rows. */
  protected abstract allocateSequence(rows: number): void;
  /** (Re)allocates the [B, ·] buffers of one step. */
  protected abstract allocateStep(batch: number): void;

  /** Grows the buffers to this batch shape; a shape that fits allocates nothing. */
  protected reserve(steps: number, batch: number): void {
    if (steps * batch > this.capacity) {
      this.capacity = steps * batch;
      this.allocateSequence(this.capacity);
    }
    if (batch > this.batchCapacity) {
      this.batchCapacity = batch;
      this.allocateStep(batch);
    }
  }

  /**
   * After the time loop: the parameter gradients and dL/dx from the gate pre-activation
   * gradients of every step. `dInputGates` is dL/d(x_t W_ihᵀ + b_ih) and `dHiddenGates`
   * dL/d(h_{t-1} W_hhᵀ + b_hh), both [T, B, G]; they are the same buffer except in the GRU, where
   * r multiplies the hidden part of n. `hidden` is h, [T, B, H].
   */
  protected accumulateParameterGradients(
    input: FloatArray,
    dInputGates: FloatArray,
    dHiddenGates: FloatArray,
    hidden: FloatArray,
    dInput: FloatArray | null,
    accumulateInput: boolean,
    steps: number,
    batch: number,
  ): void {
    const k = this.kernels;
    const G = this.gateWidth;
    const H = this.hiddenSize;
    const I = this.inputSize;
    const rows = steps * batch;
    // dW_ih = Σ_t dInputGates_tᵀ x_t: every step's rows at once.
    accumulateWeightGradient(k, dInputGates, 0, input, 0, rows, this.weightInput.grad, G, I);
    // dW_hh = Σ_t dHiddenGates_tᵀ h_{t-1} with h_{-1} = 0: step 0 adds nothing, so one product
    // pairs dHiddenGates[1..T-1] (offset one step, B·G) with h[0..T-2] (offset 0), (T−1)·B rows.
    if (steps > 1) accumulateWeightGradient(k, dHiddenGates, batch * G, hidden, 0, rows - batch, this.weightHidden.grad, G, H);
    // Each bias is added once per row, so its gradient is the column sum over batch and time.
    k.accumulateColumnSums(this.biasInput.grad, 0, dInputGates, 0, rows, G);
    k.accumulateColumnSums(this.biasHidden.grad, 0, dHiddenGates, 0, rows, G);
    // dx_t = dInputGates_t W_ih.
    if (dInput !== null) backpropagate(k, dInputGates, 0, rows, this.weightInput.data, G, I, dInput, 0, accumulateInput ? 'accumulate' : 'overwrite');
  }
}

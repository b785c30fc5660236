/**
 * What every recurrent layer (Elman RNN, LSTM, GRU) offers the model that stacks it.
 *
 * Layout: sequences are time-major, [T, B, width] (T steps, B batch), so one time step is a
 * contiguous B×width block and a whole sequence is one (T·B)×width matrix.
 */
import type { FloatArray } from '../kernels/kernels.js';
import type { Parameter } from './parameters.js';

export interface RecurrentLayer {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** weight_ih, weight_hh, bias_ih, bias_hh, in PyTorch's order. */
  readonly parameters: readonly Parameter[];
  /** The hidden states h_0..h_{T-1} of the last forward pass, [T, B, H]. */
  readonly output: FloatArray;

  /**
   * Runs the layer over `input` ([T, B, I]) from a zero initial state, writing `output`.
   * Buffers are sized on the first call and reused while T·B does not grow.
   */
  forward(input: FloatArray, steps: number, batch: number): void;

  /**
   * Backpropagation through time.
   * dOutput ([T, B, H]) is dL/dh_t as seen by the consumers of `output` (the layer above or the
   * head), without the recurrent path, which this pass adds. Accumulates into the parameters'
   * `grad`. When `dInput` is given, writes dL/d(input) into it ([T, B, I]), adding to what is
   * there when `accumulateInput`. Writes ‖dL/dh_t‖ (the total derivative, over the batch) into
   * `hiddenGradientNorms[t]`. `lastSinceForward`: no other backward pass will follow before the
   * next forward pass, so this one may overwrite what the forward pass saved for it (the fused
   * LSTM and GRU loops then write their gate gradients over the gate activations and
   * pre-activations they read, so the cell reads those arrays from memory once instead of reading
   * them and filling others, and the model's shared gate-gradient buffers are not allocated until a
   * pass needs them).
   */
  backward(
    input: FloatArray,
    dOutput: FloatArray,
    dInput: FloatArray | null,
    accumulateInput: boolean,
    hiddenGradientNorms: Float64Array,
    steps: number,
    batch: number,
    lastSinceForward?: boolean,
  ): void;

  /**
   * Fraction of units in the last forward pass that sit where the gradient through them is
   * (nearly) zero: tanh Elman |h| > 0.99, LSTM |tanh c| > 0.99, GRU |n| > 0.99 (the candidate
   * state), as a fraction of all activations; ReLU Elman: the fraction of units that are 0 for
   * every sequence and step of the batch (dead).
   */
  saturatedFraction(steps: number, batch: number): number;
}

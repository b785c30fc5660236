/**
 * What the data hands the model: a batch of sequences and what its task asks (which loss, read at
 * the last step or at every step). Defined here, on the data's side, so the data depends on
 * nothing of the model (the pipeline's arrows point data → model); the model re-exports them.
 */

/** Where the head reads the hidden states: the last step only, or every step (a loss per step). */
export type HeadPlacement = 'last' | 'every';
/** Cross-entropy over classes, or mean squared error for regression. */
export type LossKind = 'cross_entropy' | 'mse';

/** One batch of sequences, batch-major like PyTorch's `batch_first=True`. */
export interface SequenceBatch {
  /** [batchSize, steps, inputSize]. */
  inputs: Float32Array | Float64Array;
  batchSize: number;
  steps: number;
  /**
   * cross_entropy: Int32Array class ids, [batchSize] (head at the last step) or
   * [batchSize, steps] (head at every step). mse: floats, [batchSize, outputSize] or
   * [batchSize, steps, outputSize].
   */
  targets: Int32Array | Float32Array | Float64Array;
  /** Default `cross_entropy`. */
  loss?: LossKind;
}

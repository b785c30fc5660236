/**
 * A named parameter tensor and its gradient buffer, as PyTorch's `named_parameters()` lists it.
 */
import type { FloatArray } from '../kernels/kernels.js';

export type Dtype = 'float32' | 'float64';

export interface Parameter {
  /** PyTorch's name, e.g. `rnn.weight_hh_l3` or `fc.bias`. */
  readonly name: string;
  /** PyTorch's shape, e.g. [hidden, input] for `weight_ih_l0`. */
  readonly shape: readonly number[];
  /** The values, row-major. Optimisers update them in place. */
  readonly data: FloatArray;
  /** dL/d(data) of the last backward pass, same layout as `data`. */
  readonly grad: FloatArray;
}

/** A zeroed buffer of the model's precision. */
export function allocate(dtype: Dtype, length: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

export function createParameter(name: string, shape: readonly number[], dtype: Dtype): Parameter {
  const length = shape.reduce((product, size) => product * size, 1);
  return { name, shape: [...shape], data: allocate(dtype, length), grad: allocate(dtype, length) };
}

/**
 * Users hand sequences batch-major ([B, T, width], as PyTorch's batch_first), the layers work
 * time-major ([T, B, width]) so one step is one contiguous block. This is the one reorder.
 */
type NumericArray = Float32Array | Float64Array | Int32Array;

/** dst[t, b, :] = src[b, t, :]. */
export function batchMajorToTimeMajor(src: NumericArray, dst: NumericArray, batch: number, steps: number, width: number): void {
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const from = (b * steps + t) * width;
      const to = (t * batch + b) * width;
      for (let j = 0; j < width; j++) dst[to + j] = src[from + j];
    }
  }
}

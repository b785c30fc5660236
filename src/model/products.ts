/**
 * The three matrix products a layer needs, named for what they mean instead of `kernels.gemm`'s
 * transpose flags. Every weight here is a PyTorch weight W of shape [N, K]: one row per output
 * unit, K inputs per row (W_ih is [G, I], W_hh is [G, H], W_fc is [O, H]). Activations are row
 * blocks: `rows` rows of one time-major [T, B, ·] buffer starting at an offset.
 *
 * Each helper is one gemm call with the same arguments the layers used to pass, so results are
 * bit-identical to the flag-passing code they replaced. The arguments stay positional (no option
 * objects) because these run once per time step and must not allocate.
 */
import type { FloatArray, Kernels } from '../kernels/kernels.js';

/** Whether a product overwrites its output or adds to what is there. */
export type Write = 'overwrite' | 'accumulate';

/**
 * The forward product: out[rows, N] (= or +=) x[rows, K] · Wᵀ, W is [N, K].
 * e.g. gates = x W_ihᵀ for every step, or gates_t += h_{t-1} W_hhᵀ.
 */
export function project(
  k: Kernels, x: FloatArray, xOffset: number, rows: number,
  weight: FloatArray, N: number, K: number,
  out: FloatArray, outOffset: number, write: Write,
): void {
  k.gemm(false, true, rows, N, K, x, xOffset, weight, 0, out, outOffset, write === 'accumulate');
}

/**
 * The backward product through a weight: dx[rows, K] (= or +=) dy[rows, N] · W, W is [N, K].
 * The transpose of `project`: if y = x Wᵀ then dL/dx = dL/dy · W.
 */
export function backpropagate(
  k: Kernels, dy: FloatArray, dyOffset: number, rows: number,
  weight: FloatArray, N: number, K: number,
  dx: FloatArray, dxOffset: number, write: Write,
): void {
  k.gemm(false, false, rows, K, N, dy, dyOffset, weight, 0, dx, dxOffset, write === 'accumulate');
}

/**
 * The weight gradient of `project`: dW[N, K] += dy[rows, N]ᵀ · x[rows, K], summed over the rows
 * (over batch and time). Always accumulates, as PyTorch's .grad does within one backward pass.
 */
export function accumulateWeightGradient(
  k: Kernels, dy: FloatArray, dyOffset: number, x: FloatArray, xOffset: number, rows: number,
  dWeight: FloatArray, N: number, K: number,
): void {
  k.gemm(true, false, N, K, rows, dy, dyOffset, x, xOffset, dWeight, 0, true);
}

/**
 * Gradient norms and the two rescalings the original offers, with PyTorch's arithmetic:
 * - clipping to a maximum total norm, as `torch.nn.utils.clip_grad_norm_`
 *   (grad *= max / (total + 1e-6) when that factor is below 1);
 * - the original's minimum-norm rescale ("gradient clipping with minimum threshold"):
 *   when total < min, grad *= min / (total + 1e-8), so tiny gradients are scaled UP.
 */
import type { Kernels } from '../kernels/kernels.js';
import type { Parameter } from '../model/parameters.js';

export interface GradientNorms {
  /** ‖dL/dθ‖₂ per parameter, in the order of the parameters given. */
  perParameter: Float64Array;
  /** ‖dL/dθ‖₂ over all parameters together. */
  total: number;
}

/**
 * L2 norm of every parameter's gradient and of all of them together. `perParameter`, when given
 * (one entry per parameter), receives the norms and is returned: a trainer passes the same buffer
 * every step so the step allocates no array.
 */
export function measureGradientNorms(
  parameters: readonly Parameter[],
  kernels: Kernels,
  perParameter: Float64Array = new Float64Array(parameters.length),
): GradientNorms {
  if (perParameter.length !== parameters.length) {
    throw new Error(`measureGradientNorms: perParameter has ${perParameter.length} entries for ${parameters.length} parameters`);
  }
  let totalSquares = 0;
  for (let i = 0; i < parameters.length; i++) {
    const { grad } = parameters[i];
    const squares = kernels.sumOfSquares(grad, 0, grad.length);
    perParameter[i] = Math.sqrt(squares);
    totalSquares += squares;
  }
  return { perParameter, total: Math.sqrt(totalSquares) };
}

export interface GradientRescaleOptions {
  /** Clip the total norm to at most this (null: no clipping). */
  maxNorm: number | null;
  /** Scale the gradients up so the total norm is this when it is below (null: off). */
  minNorm: number | null;
}

/**
 * Applies clipping, then the minimum-norm rescale, both judged on `totalNorm` (the norm before
 * any rescaling, as the original computes it once per batch). Returns the factor applied to
 * every gradient (1 when neither fired).
 *
 * A non-finite norm is passed on, never hidden: NaN makes the factor NaN and every gradient NaN
 * (as clip_grad_norm_'s clamp(max=1) passes NaN; `factor < 1` alone is false for NaN and would
 * leave the NaN gradients beside finite ones), and +Inf makes it 0, so 0·Inf = NaN where the
 * infinity was.
 */
export function rescaleGradients(parameters: readonly Parameter[], kernels: Kernels, totalNorm: number, options: GradientRescaleOptions): number {
  let factor = 1;
  if (options.maxNorm !== null) {
    const clipFactor = options.maxNorm / (totalNorm + 1e-6);
    if (!(clipFactor >= 1)) factor *= clipFactor;
  }
  if (options.minNorm !== null && !(totalNorm >= options.minNorm)) {
    factor *= options.minNorm / (totalNorm + 1e-8);
  }
  if (factor !== 1) for (const p of parameters) kernels.scale(p.grad, 0, p.grad.length, factor);
  return factor;
}

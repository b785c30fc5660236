/**
 * Magnitude histograms of a tensor, as TensorBoard users look at them but on an honest log axis:
 * half-decade bins of |x| (bin b holds 10^(b/2) ≤ |x| < 10^((b+1)/2)), with exact zeros and
 * non-finite values counted apart, never dropped. Stored sparsely: the first occupied bin and the
 * counts from there to the last occupied one.
 */
import type { FloatArray } from '../kernels/kernels.js';

export interface MagnitudeHistogram {
  /** Values exactly 0 (underflowed, dead). */
  zeros: number;
  /** NaN or ±∞. */
  nonFinite: number;
  /** The lowest occupied bin b (|x| ≥ 10^(b/2)); 0 when there is none. */
  firstBin: number;
  /** Counts of bins firstBin, firstBin + 1, … up to the highest occupied one. */
  counts: number[];
}

/** Bins per decade. */
export const binsPerDecade = 2;

/** The bin of a positive, finite magnitude. */
export function magnitudeBin(magnitude: number): number {
  return Math.floor(binsPerDecade * Math.log10(magnitude));
}

/** The lower edge of bin b: 10^(b/binsPerDecade). */
export function binLowerEdge(bin: number): number {
  return 10 ** (bin / binsPerDecade);
}

export function magnitudeHistogram(values: FloatArray): MagnitudeHistogram {
  let zeros = 0;
  let nonFinite = 0;
  const byBin = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i]);
    if (magnitude === 0) zeros++;
    else if (!Number.isFinite(magnitude)) nonFinite++;
    else {
      const bin = magnitudeBin(magnitude);
      byBin.set(bin, (byBin.get(bin) ?? 0) + 1);
    }
  }
  if (byBin.size === 0) return { zeros, nonFinite, firstBin: 0, counts: [] };
  const bins = [...byBin.keys()];
  const firstBin = Math.min(...bins);
  const lastBin = Math.max(...bins);
  const counts = Array.from({ length: lastBin - firstBin + 1 }, (_, i) => byBin.get(firstBin + i) ?? 0);
  return { zeros, nonFinite, firstBin, counts };
}

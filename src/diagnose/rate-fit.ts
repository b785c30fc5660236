/**
 * The decay (or growth) rate of a gradient profile: ln(value) against distance, fitted by the
 * Theil–Sen estimator (the median of the slopes between all pairs of points), so that one odd
 * step or layer — the first step, where the state starts from zero, or the last, where in a deep
 * stack only the vertical path arrives — cannot move it much.
 */

export interface RateFit {
  /** The fitted factor per unit of distance, ρ = e^slope: below 1 the profile shrinks, above 1 it grows. */
  perUnit: number;
  /** The slope of ln(value) per unit of distance. */
  slope: number;
  /** How many points the fit used. */
  points: number;
}

/** Pairs beyond this many points are subsampled evenly: the median of 32,640 slopes is robust enough. */
const MAX_POINTS = 256;

/** The median of the pairwise slopes of (x, y); null with fewer than two distinct x. */
export function theilSenSlope(xs: readonly number[], ys: readonly number[]): number | null {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      if (xs[j] === xs[i]) continue;
      const slope = (ys[j] - ys[i]) / (xs[j] - xs[i]);
      // Two exact zeros (ln 0 = −∞ on both ends) say nothing about the rate between them.
      if (!Number.isNaN(slope)) slopes.push(slope);
    }
  }
  if (slopes.length === 0) return null;
  slopes.sort((a, b) => a - b);
  const low = slopes[Math.floor((slopes.length - 1) / 2)];
  const high = slopes[Math.ceil((slopes.length - 1) / 2)];
  if (low === high) return low;
  if (Number.isFinite(low) && Number.isFinite(high)) return (low + high) / 2;
  return Number.isFinite(low) ? low : high;
}

/**
 * The rate of `valueAt(distance)` over the distances from..to (inclusive). Exact zeros take part
 * as ln 0 = −∞ (an underflowed gradient is as vanished as it gets); null when a value is not
 * finite (NaN, ∞) or fewer than two points remain.
 */
export function fitRate(valueAt: (distance: number) => number, from: number, to: number): RateFit | null {
  if (to - from < 1) return null;
  const stride = Math.max(1, Math.ceil((to - from + 1) / MAX_POINTS));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let d = from; d <= to; d += stride) {
    const value = valueAt(d);
    if (!Number.isFinite(value) || value < 0) return null;
    xs.push(d);
    ys.push(Math.log(value));
  }
  if (xs.at(-1) !== to) {
    const value = valueAt(to);
    if (!Number.isFinite(value) || value < 0) return null;
    xs.push(to);
    ys.push(Math.log(value));
  }
  const slope = theilSenSlope(xs, ys);
  if (slope === null || Number.isNaN(slope)) return null;
  return { perUnit: Math.exp(slope), slope, points: xs.length };
}

/**
 * The distances to fit over when `needed` is the distance the task needs and `available` the
 * largest there is: 1..needed without the two ends of the profile (distance 0 and the very last)
 * when that leaves at least two points, else 0..needed.
 */
export function fitRange(needed: number, available: number): { from: number; to: number } {
  const to = Math.min(needed, available);
  const inner = { from: 1, to: Math.min(to, available - 1) };
  return inner.to - inner.from >= 1 ? inner : { from: 0, to };
}

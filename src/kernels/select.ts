/**
 * Chooses the kernel implementation the models run on.
 *
 * `VANISHING_KERNELS=ts` forces the reference TypeScript kernels. Faster implementations are
 * registered here as they land; when none is available the reference is used.
 */
import type { Kernels } from './kernels.js';
import { tsKernels } from './ts-kernels.js';

let active: Kernels | null = null;

/** The kernels models use unless they are given others explicitly. */
export function defaultKernels(): Kernels {
  if (active === null) active = chooseKernels(process.env.VANISHING_KERNELS);
  return active;
}

/** Resolves a kernel choice (`ts`, or unset for the fastest available). */
export function chooseKernels(requested: string | undefined): Kernels {
  if (requested === undefined || requested === '' || requested === 'ts') return tsKernels;
  throw new Error(`VANISHING_KERNELS must be "ts" (or unset), got "${requested}"`);
}

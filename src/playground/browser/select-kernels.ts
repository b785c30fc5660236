/**
 * The page's stand-in for src/kernels/select.ts (swapped in by tools/build-playground.ts): the
 * Node addon does not exist in a browser, and the worker hands the model its kernels itself, so
 * the model's fallback is the reference TypeScript kernels.
 */
import type { Kernels } from '../../kernels/kernels.js';
import { tsKernels } from '../../kernels/ts-kernels.js';

export function defaultKernels(): Kernels {
  return tsKernels;
}

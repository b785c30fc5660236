/**
 * Chooses the kernel implementation the models run on.
 *
 * `VANISHING_KERNELS=ts` forces the reference TypeScript kernels, `VANISHING_KERNELS=native` the
 * C++ addon (an error if it is not built). Unset: the addon when it loads, else the reference.
 * Among the addon's build variants the best one the CPU runs is used, unless
 * `VANISHING_NATIVE_ISA` forces one (an error when it cannot be had, never a quiet fallback).
 * `kernelsNotice()` says in one line which kernels and which variant run, and why.
 */
import type { Kernels } from './kernels.js';
import { loadNativeKernels } from './native-kernels.js';
import { tsKernels } from './ts-kernels.js';

let active: Kernels | null = null;
/** Threads per call for the default kernels of this thread (each worker thread has its own module state). */
let defaultThreads = 1;

/** The kernels models use unless they are given others explicitly. */
export function defaultKernels(): Kernels {
  if (active === null) active = chooseKernels(process.env.VANISHING_KERNELS).withSettings({ threads: defaultThreads });
  return active;
}

/**
 * How many threads one call of the default kernels may use, for the models this thread creates
 * from now on (the suite runner gives each experiment cores / experiments running). Results do not
 * depend on it; the reference kernels always run on one thread.
 */
export function setDefaultKernelThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > maxKernelThreads) {
    throw new RangeError(`threads must be a whole number from 1 to ${maxKernelThreads}; got ${threads}`);
  }
  defaultThreads = threads;
  if (active !== null) active = active.withSettings({ threads });
}

/** The thread count `setDefaultKernelThreads` last set (1 unless set). */
export function defaultKernelThreads(): number {
  return defaultThreads;
}

/** The most threads one kernel call may use. */
export const maxKernelThreads = 64;

/** Resolves a kernel choice: `ts`, `native`, or unset/empty for the fastest available. */
export function chooseKernels(requested: string | undefined): Kernels {
  if (requested === 'ts') return tsKernels;
  if (requested === undefined || requested === '' || requested === 'native') {
    const native = loadNativeKernels();
    if (native.ok) return native.kernels;
    if (native.requested) throw new Error(native.reason);
    if (requested === 'native') throw new Error(`VANISHING_KERNELS=native, but the ${native.reason}`);
    return tsKernels;
  }
  throw new Error(`VANISHING_KERNELS must be "ts", "native" (or unset), got "${requested}"`);
}

/** Which implementation `defaultKernels()` runs on. */
export function kernelsName(): 'native' | 'ts' {
  return defaultKernels().name.startsWith('native') ? 'native' : 'ts';
}

/** One line for logs: which kernels and native variant run, and why not the native ones when they are not used. */
export function kernelsNotice(): string {
  const kernels = defaultKernels();
  if (kernels === tsKernels && process.env.VANISHING_KERNELS === 'ts') return 'kernels: ts (VANISHING_KERNELS=ts)';
  const native = loadNativeKernels();
  if (!native.ok) return `kernels: ts (${native.reason})`;
  const denormals = kernels.settings.denormals === 'flush' ? 'denormals flushed to zero (VANISHING_DENORMALS=flush)' : 'IEEE denormals';
  return `kernels: native ${native.variant} (${native.isa}; ${denormals}; ${native.chosenBy})`;
}

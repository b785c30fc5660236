/**
 * Chooses the kernel implementation the models run on.
 *
 * `VANISHING_KERNELS=ts` forces the reference TypeScript kernels, `VANISHING_KERNELS=native` the
 * C++ addon (an error if it is not built). Unset: the addon when it loads, else the reference,
 * and `kernelsNotice()` says which and why in one line.
 */
import type { Kernels } from './kernels.js';
import { loadNativeKernels } from './native-kernels.js';
import { tsKernels } from './ts-kernels.js';

let active: Kernels | null = null;

/** The kernels models use unless they are given others explicitly. */
export function defaultKernels(): Kernels {
  if (active === null) active = chooseKernels(process.env.VANISHING_KERNELS);
  return active;
}

/** Resolves a kernel choice: `ts`, `native`, or unset/empty for the fastest available. */
export function chooseKernels(requested: string | undefined): Kernels {
  if (requested === 'ts') return tsKernels;
  if (requested === undefined || requested === '' || requested === 'native') {
    const native = loadNativeKernels();
    if (native.ok) return native.kernels;
    if (requested === 'native') throw new Error(`VANISHING_KERNELS=native, but the ${native.reason}`);
    return tsKernels;
  }
  throw new Error(`VANISHING_KERNELS must be "ts", "native" (or unset), got "${requested}"`);
}

/** Which implementation `defaultKernels()` runs on. */
export function kernelsName(): 'native' | 'ts' {
  return defaultKernels().name === 'native' ? 'native' : 'ts';
}

/** One line for logs: which kernels run, and why not the native ones when they are not used. */
export function kernelsNotice(): string {
  const native = loadNativeKernels();
  if (kernelsName() === 'native' && native.ok) return `kernels: native (${native.isa})`;
  if (!native.ok) return `kernels: ts (${native.reason})`;
  return 'kernels: ts (VANISHING_KERNELS=ts)';
}

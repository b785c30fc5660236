/**
 * Chooses the kernel implementation the models run on.
 *
 * `VANISHING_KERNELS=ts` forces the reference TypeScript kernels, `VANISHING_KERNELS=native` the
 * C++ addon (an error if it is not built), `VANISHING_KERNELS=wasm` the WebAssembly SIMD kernels
 * (wasm/kernels.wasm; an error where they cannot run). Unset: the addon when it loads, else the
 * WebAssembly kernels where this Node has WebAssembly SIMD, else the reference.
 * Among the addon's build variants the best one the CPU runs is used, unless
 * `VANISHING_NATIVE_ISA` forces one (an error when it cannot be had, never a quiet fallback).
 * `kernelsNotice()` says in one line which kernels and which variant run, and why.
 */
import type { Kernels } from './kernels.js';
import type { NativeLoad } from './native-kernels.js';
import { loadNativeKernels } from './native-kernels.js';
import { tsKernels } from './ts-kernels.js';
import type { WasmLoad } from './wasm-kernels-node.js';
import { loadWasmKernels } from './wasm-kernels-node.js';

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

/** Resolves a kernel choice: `ts`, `native`, `wasm`, or unset/empty for the fastest available. */
export function chooseKernels(requested: string | undefined): Kernels {
  return chooseKernelsFrom(requested, loadNativeKernels, loadWasmKernels);
}

/**
 * `chooseKernels` given how to load the native and the WebAssembly kernels, so tests can ask
 * what happens on machines without them. Loaders are called only when their kernels may be chosen.
 */
export function chooseKernelsFrom(requested: string | undefined, loadNative: () => NativeLoad, loadWasm: () => WasmLoad): Kernels {
  if (requested === 'ts') return tsKernels;
  if (requested === 'wasm') {
    const wasm = loadWasm();
    if (wasm.ok) return wasm.kernels;
    throw new Error(`VANISHING_KERNELS=wasm, but ${wasm.reason}`);
  }
  if (requested === undefined || requested === '' || requested === 'native') {
    const native = loadNative();
    if (native.ok) return native.kernels;
    if (native.requested) throw new Error(native.reason);
    if (requested === 'native') throw new Error(`VANISHING_KERNELS=native, but the ${native.reason}`);
    // No addon (no compiler at install, another architecture): WebAssembly SIMD is the next
    // fastest, and the reference kernels run wherever even that is missing.
    const wasm = loadWasm();
    return wasm.ok ? wasm.kernels : tsKernels;
  }
  throw new Error(`VANISHING_KERNELS must be "ts", "native", "wasm" (or unset), got "${requested}"`);
}

/** Which implementation `defaultKernels()` runs on. */
export function kernelsName(): 'native' | 'wasm' | 'ts' {
  const name = defaultKernels().name;
  return name.startsWith('native') ? 'native' : name.startsWith('wasm') ? 'wasm' : 'ts';
}

/** One line for logs: which kernels (and native variant) run, and why not faster ones when they are not used. */
export function kernelsNotice(): string {
  const kernels = defaultKernels();
  const requested = process.env.VANISHING_KERNELS;
  if (kernels === tsKernels && requested === 'ts') return 'kernels: ts (VANISHING_KERNELS=ts)';
  const native = loadNativeKernels();
  if (native.ok && kernels.name.startsWith('native')) {
    const denormals = kernels.settings.denormals === 'flush' ? 'denormals flushed to zero (VANISHING_DENORMALS=flush)' : 'IEEE denormals';
    return `kernels: native ${native.variant} (${native.isa}; ${denormals}; ${native.chosenBy})`;
  }
  // Unasked, the WebAssembly kernels run only without native ones, and the reference only without either.
  const wasm = loadWasmKernels();
  if (wasm.ok && kernels === wasm.kernels) return `kernels: ${kernels.name} (${requested === 'wasm' ? 'VANISHING_KERNELS=wasm' : native.ok ? 'chosen' : native.reason})`;
  return `kernels: ts (${native.ok ? 'native kernels not chosen' : native.reason}; ${wasm.ok ? 'wasm kernels not chosen' : wasm.reason})`;
}

/**
 * Every kernel set this machine runs, for tests that hold each to the same behaviour: the
 * TypeScript reference, each native variant the CPU can run, and the WebAssembly kernels (the
 * browser's, and Node's without a C++ compiler).
 */
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadNativeVariant, nativeVariantStatuses } from '../../src/kernels/native-kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import { loadWasmKernels } from '../../src/kernels/wasm-kernels-node.js';

const statuses = nativeVariantStatuses();

/** The native variants that load here, best first. */
export const nativeKernelSets: Kernels[] = statuses.flatMap((status) => {
  const load = status.runnable ? loadNativeVariant(status.variant) : null;
  return load !== null && load.ok ? [load.kernels] : [];
});

/** Why each native variant that does not run here does not ("avx512: …"). */
export const nativeVariantsMissing: string[] = statuses.filter((status) => !status.runnable).map((status) => `${status.variant}: ${status.why}`);

const wasm = loadWasmKernels();

/** The reference kernels first, then the native variants, then WebAssembly where it loads. */
export const everyKernelSet: Kernels[] = [tsKernels, ...nativeKernelSets, ...(wasm.ok ? [wasm.kernels] : [])];

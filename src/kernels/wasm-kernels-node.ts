/**
 * The WebAssembly kernels in Node: reads the committed wasm/kernels.wasm (built by
 * wasm/build.mjs) from the package and compiles it once. wasm-kernels.ts, which the browser
 * bundle uses too, never touches files; this is its Node-only loader.
 *
 * The module is looked up relative to the package root, so this works from src/ under tsx and
 * from dist/src/ alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.js';
import { compileWasmKernelsSync, wasmSimdSupported } from './wasm-kernels.js';

export type WasmLoad = { ok: true; kernels: Kernels; path: string } | { ok: false; reason: string };

let load: WasmLoad | null = null;

/** Where wasm/kernels.wasm is, seen from src/kernels/ and from dist/src/kernels/; null when missing. */
export function wasmModulePath(): string | null {
  const candidates = ['../../wasm/kernels.wasm', '../../../wasm/kernels.wasm'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((candidate) => existsSync(candidate)) ?? null;
}

/** The WebAssembly kernels (compiled once per thread), or why they cannot run here. */
export function loadWasmKernels(): WasmLoad {
  if (load === null) load = compile();
  return load;
}

function compile(): WasmLoad {
  if (!wasmSimdSupported()) return { ok: false, reason: 'this Node has no WebAssembly SIMD' };
  const path = wasmModulePath();
  if (path === null) return { ok: false, reason: 'wasm/kernels.wasm is missing (`npm run build:wasm` builds it)' };
  try {
    return { ok: true, kernels: compileWasmKernelsSync(readFileSync(path)), path };
  } catch (error) {
    return { ok: false, reason: `wasm/kernels.wasm failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}

// Builds wasm/kernels.wasm, the WebAssembly SIMD kernels (`npm run build:wasm`), from the same
// C++ as the native addon: native/src/gemm.cc and pointwise.cc, with simd.h's wasm branch, plus
// the exports in wasm/kernels.cc. src/kernels/wasm-kernels.ts runs it in Node and in browsers.
//
// The built module is committed: `npm install` must not need clang, and a browser page ships it
// as it is. It is deterministic (no paths, names or timestamps in it), so
// test/kernels/wasm-kernels.test.ts rebuilds it where the compiler recorded in
// wasm/kernels.json is installed and checks that the committed bytes are what the sources give.
//
// Needs Debian's clang, lld and WASI packages (apt-get install clang lld wasi-libc
// libc++-14-dev-wasm32 libclang-rt-14-dev-wasm32): the WASI sysroot only supplies headers
// (<algorithm>, <cstring>) and libc's memcpy, exp, log and malloc, and the module imports
// nothing, so no WASI runtime is needed to run it.
//
//   node wasm/build.mjs [--out <file>]   default: wasm/kernels.wasm and wasm/kernels.json
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const wasmDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(wasmDir);
const compiler = process.env.WASM_CXX || 'clang++';

/** Compiled together into one module; paths relative to the package root, so nothing machine-specific gets in. */
export const sources = ['native/src/gemm.cc', 'native/src/pointwise.cc', 'wasm/kernels.cc'];

export const flags = [
  '--target=wasm32-wasi',
  // SIMD128 for the kernels, bulk memory for memcpy/memset as single instructions: every engine
  // with SIMD (Chrome 91, Firefox 89, Safari 16.4, Node 16.4) has bulk memory too.
  '-msimd128',
  '-mbulk-memory',
  '-O3',
  '-std=gnu++17',
  '-fno-exceptions',
  '-fno-rtti',
  // No -ffast-math: NaN and ±Inf must go through as IEEE takes them. No contraction into fused
  // multiply-adds either (relaxed SIMD has them), so every engine computes the same roundings.
  '-ffp-contract=off',
  // A library, not a program (WASI's "reactor": no _start; the host calls _initialize once, then
  // any export). A command module would run static constructors and destructors around every
  // exported call, freeing the scratch and packing buffers each time.
  '-mexec-model=reactor',
  // Buffers that live as long as the instance need no destructor at exit (there is no exit).
  '-fno-c++-static-destructors',
  // libc++'s headers only (std::min, std::fill): nothing of its library is called.
  '-nostdlib++',
  '-Wl,--strip-all',
];

/** The compiler's first version line, or null when it is not installed. */
export function compilerVersion() {
  const result = spawnSync(compiler, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0].trim() : null;
}

/** Builds the module into `out`; returns its SHA-256, or throws with the compiler's message. */
export function build(out) {
  const result = spawnSync(compiler, [...flags, ...sources, '-o', resolve(out)], { cwd: root, encoding: 'utf8' });
  if (result.error) throw new Error(`${compiler}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${compiler} failed:\n${result.stderr}`);
  return createHash('sha256').update(readFileSync(out)).digest('hex');
}

function main() {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : join(wasmDir, 'kernels.wasm');
  const version = compilerVersion();
  if (version === null) {
    console.error(`vanishing: ${compiler} not found; install Debian's clang lld wasi-libc libc++-14-dev-wasm32 libclang-rt-14-dev-wasm32`);
    process.exit(1);
  }
  const sha256 = build(out);
  if (outIndex < 0) writeFileSync(join(wasmDir, 'kernels.json'), `${JSON.stringify({ compiler: version, flags, sources, sha256 }, null, 2)}\n`);
  console.log(`vanishing: built ${relative(process.cwd(), out) || out} (${readFileSync(out).length} bytes, sha256 ${sha256.slice(0, 16)}…) with ${version}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

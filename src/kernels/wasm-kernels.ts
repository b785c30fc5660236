/**
 * The WebAssembly SIMD kernels: the native addon's C++ (native/src/gemm.cc, pointwise.cc)
 * compiled for wasm32 with SIMD128 into wasm/kernels.wasm (wasm/build.mjs), for browsers, and for
 * Node where no C++ compiler built the addon. Named `wasm simd128` in logs and run records.
 *
 * This file runs in browsers as well as in Node, so it imports nothing from node: and never
 * reads files: whoever has the module's bytes (Node: wasm-kernels-node.ts; a page: fetch) hands
 * them to `compileWasmKernels`, or a compiled module to `instantiateWasmKernels`.
 *
 * The model's buffers are JavaScript Float32Arrays, outside the module's memory. Each call copies
 * its operands into one scratch area of the module's memory, runs there, and copies its results
 * back. That costs 15–17 % of the playground's GRU training step (a CPU profile of
 * bench/playground-step.ts's shape) and needs no change to how models allocate; buffers living
 * in the module's memory would save it, at the price of views that die when the memory grows.
 * Float64 buffers (the finite-difference tests) go to the reference TypeScript kernels, as
 * kernels.ts allows.
 *
 * One thread, IEEE arithmetic always: WebAssembly cannot flush denormals, and the fused time loops
 * of the native kernels (which split work over threads) are not compiled in, so the layers run
 * their own loops over these kernels (`fusedLoops` is null).
 */
import type { Activation, FloatArray, Kernels } from './kernels.js';
import { checkRowStride, tsKernels } from './ts-kernels.js';

/** What the kernels use of the WebAssembly API, typed here: this project's TypeScript libs (ES2022, node) do not declare it. */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array | ArrayBuffer): Promise<WasmModule>;
  Module: new (bytes: Uint8Array | ArrayBuffer) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, never>) => { readonly exports: Record<string, unknown> };
}
/** A compiled module, opaque outside the WebAssembly API. */
export type WasmModule = object;

/** The exports of wasm/kernels.cc. Addresses are byte offsets into `memory`; `long` is 32 bits in wasm32. */
interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  reserveScratch(floats: number): number;
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, b: number, c: number, accumulate: number): number;
  addBiasRows(out: number, rows: number, cols: number, bias: number): void;
  accumulateColumnSums(out: number, src: number, rows: number, cols: number): void;
  activationForward(code: number, x: number, y: number, n: number): void;
  activationBackward(code: number, y: number, dy: number, dx: number, n: number, accumulate: number): void;
  axpy(n: number, alpha: number, x: number, y: number): void;
  scale(x: number, n: number, factor: number): void;
  sumOfSquares(x: number, n: number): number;
  countAbsAbove(x: number, n: number, threshold: number): number;
  countZero(x: number, n: number): number;
  lstmPointwiseForward(batch: number, hidden: number, gates: number, cPrev: number, c: number, tanhC: number, h: number): void;
  lstmPointwiseBackward(batch: number, hidden: number, gates: number, cPrev: number, tanhC: number, dh: number, dc: number, dGates: number): void;
  gruPointwiseForward(batch: number, hidden: number, inputGates: number, hiddenGates: number, hPrev: number, gateActivations: number, h: number): void;
  gruPointwiseBackward(batch: number, hidden: number, hiddenGates: number, hPrev: number, gateActivations: number, dh: number, dInputGates: number, dHiddenGates: number, dhPrev: number): void;
  softmaxCrossEntropy(rows: number, classes: number, logits: number, targets: number, dLogits: number, gradientScale: number): number;
  lastCorrect(): number;
  squaredError(n: number, pred: number, target: number, dPred: number, gradientScale: number): number;
}

const exportedFunctions: readonly (keyof KernelExports)[] = [
  'reserveScratch', 'gemm', 'addBiasRows', 'accumulateColumnSums', 'activationForward', 'activationBackward',
  'axpy', 'scale', 'sumOfSquares', 'countAbsAbove', 'countZero', 'lstmPointwiseForward', 'lstmPointwiseBackward', 'gruPointwiseForward',
  'gruPointwiseBackward', 'softmaxCrossEntropy', 'lastCorrect', 'squaredError',
];

/** The name these kernels report (logs, run records, VANISHING_KERNELS=wasm). */
export const wasmKernelsName = 'wasm simd128';

/** The engine's WebAssembly API, or null where there is none. */
function webAssembly(): WebAssemblyApi | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  return api ?? null;
}

/**
 * (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): the smallest module that only an
 * engine with the finished SIMD proposal accepts (the probe of the wasm-feature-detect library).
 */
const simdProbe = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];

/** Whether this engine runs WebAssembly with SIMD128 (so the module is worth fetching). */
export function wasmSimdSupported(): boolean {
  const api = webAssembly();
  return api !== null && api.validate(Uint8Array.from(simdProbe));
}

/** Compiles the module's bytes (asynchronously: browsers refuse large synchronous compiles on the main thread) into kernels. */
export async function compileWasmKernels(bytes: Uint8Array | ArrayBuffer): Promise<Kernels> {
  const api = requireWebAssembly();
  return instantiateWasmKernels(await api.compile(bytes));
}

/** Compiles the module's bytes synchronously (Node, workers) into kernels. */
export function compileWasmKernelsSync(bytes: Uint8Array | ArrayBuffer): Kernels {
  return instantiateWasmKernels(new (requireWebAssembly().Module)(bytes));
}

/** Kernels over a fresh instance of a compiled wasm/kernels.wasm (each instance has its own memory). */
export function instantiateWasmKernels(module: WasmModule): Kernels {
  const api = requireWebAssembly();
  const exports = new api.Instance(module, {}).exports;
  const missing = exportedFunctions.filter((name) => typeof exports[name] !== 'function');
  if (missing.length > 0 || typeof exports.memory !== 'object' || exports.memory === null) {
    throw new Error(`not the vanishing kernels module: missing exports ${[...missing, ...(exports.memory ? [] : ['memory'])].join(', ')}`);
  }
  // A WASI reactor module: _initialize runs its static initialisers once, before any other call.
  if (typeof exports._initialize === 'function') (exports._initialize as () => void)();
  return wrap(exports as unknown as KernelExports);
}

function requireWebAssembly(): WebAssemblyApi {
  const api = webAssembly();
  if (api === null) throw new Error('this JavaScript engine has no WebAssembly');
  return api;
}

/** Activation codes shared with native/src/pointwise.h (enum class Activation). */
const activationCodes: Readonly<Record<Activation, number>> = { tanh: 0, relu: 1, sigmoid: 2, identity: 3 };

/** The code of an activation; a name from outside the type system (JSON, a cast) throws, as the reference does. */
function activationCode(activation: Activation): number {
  if (!Object.hasOwn(activationCodes, activation)) {
    throw new RangeError(`unknown activation ${JSON.stringify(activation)} (known: ${Object.keys(activationCodes).join(', ')})`);
  }
  return activationCodes[activation];
}

function f32(x: FloatArray): x is Float32Array {
  return x instanceof Float32Array;
}

/** A size or an offset must be a whole number ≥ 0: NaN or 2.5 would otherwise become some other address. */
function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what} must be a whole number ≥ 0, got ${value}`);
}

/** `length` elements from `offset` must lie inside `array`: copying them must not silently take fewer. */
function checkRange(array: ArrayLike<number>, offset: number, length: number, what: string): void {
  checkCount(offset, `${what} offset`);
  if (offset + length > array.length) throw new RangeError(`${what}: ${length} elements from offset ${offset} pass the end of its ${array.length}`);
}

/** Floats rounded up to whole 16-byte vectors, so every operand in the scratch area starts aligned. */
function vectors(floats: number): number {
  return Math.ceil(floats / 4) * 4;
}

/** Below this many elements a loop copies faster than making a subarray view for `set`. */
const loopCopyBelow = 32;

/** The most floats one call's operands may take: 1 GiB, well inside wasm32's 4 GiB and its 32-bit signed sizes. */
const maxScratchFloats = 2 ** 28;

/**
 * The module's memory seen from JavaScript: the scratch area one call's operands are copied into.
 * Views of the memory are remade whenever it has grown (growing replaces its ArrayBuffer).
 */
class Scratch {
  private floats: Float32Array;
  private ints: Int32Array;
  /** Byte address and size in floats of the area the module handed out. */
  private address = 0;
  private capacity = 0;
  /** Next free float index while a call's operands are being placed, and the end of what the call reserved. */
  private cursor = 0;
  private end = 0;

  constructor(private readonly module: KernelExports) {
    this.floats = new Float32Array(module.memory.buffer);
    this.ints = new Int32Array(module.memory.buffer);
  }

  /** Starts a call that needs `floats` floats of operands (sum of `vectors(n)` of each). */
  begin(floats: number): void {
    if (floats > maxScratchFloats) throw new RangeError(`one call's operands would take ${floats} floats; the WebAssembly kernels take at most ${maxScratchFloats}`);
    if (floats > this.capacity) {
      // Doubling: a model's first steps grow it a few times, then never again.
      const wanted = Math.min(Math.max(floats, 2 * this.capacity), maxScratchFloats);
      const address = this.module.reserveScratch(wanted);
      if (address === 0) throw new RangeError(`WebAssembly memory cannot grow to ${wanted} floats of scratch`);
      this.address = address;
      this.capacity = wanted;
    }
    this.cursor = this.address >> 2;
    this.end = this.cursor + floats;
  }

  /** Takes the next n floats of what `begin` reserved; returns their float index. */
  private take(n: number): number {
    const index = this.cursor;
    this.cursor += vectors(n);
    // A kernel below that placed more than it reserved would overwrite the module's own memory.
    if (this.cursor > this.end) throw new Error('WebAssembly kernels: operands placed beyond the scratch reserved for the call');
    return index;
  }

  /** Current views (after a call that may have grown the memory). */
  heap(): Float32Array {
    if (this.floats.buffer !== this.module.memory.buffer) {
      this.floats = new Float32Array(this.module.memory.buffer);
      this.ints = new Int32Array(this.module.memory.buffer);
    }
    return this.floats;
  }

  /** Room for n floats the call only writes; returns its byte address. */
  room(n: number): number {
    return this.take(n) << 2;
  }

  /** Copies n floats from src[offset…] in; returns their byte address. */
  put(src: Float32Array, offset: number, n: number): number {
    const heap = this.heap();
    const index = this.take(n);
    if (n < loopCopyBelow) {
      for (let i = 0; i < n; i++) heap[index + i] = src[offset + i];
    } else {
      heap.set(src.subarray(offset, offset + n), index);
    }
    return index << 2;
  }

  /** Copies n int32 from src[offset…] in; returns their byte address. */
  putInts(src: Int32Array, offset: number, n: number): number {
    this.heap();
    const index = this.take(n);
    for (let i = 0; i < n; i++) this.ints[index + i] = src[offset + i];
    return index << 2;
  }

  /** Copies n floats at byte address `address` out to dst[offset…]. */
  get(address: number, dst: Float32Array, offset: number, n: number): void {
    const heap = this.heap();
    const index = address >> 2;
    if (n < loopCopyBelow) {
      for (let i = 0; i < n; i++) dst[offset + i] = heap[index + i];
    } else {
      dst.set(heap.subarray(index, index + n), offset);
    }
  }
}

/** The Kernels over one instance: float32 calls go to WebAssembly, anything else to the reference. */
function wrap(module: KernelExports): Kernels {
  const ts = tsKernels;
  const scratch = new Scratch(module);
  const kernels: Kernels = {
    name: wasmKernelsName,
    // One thread, IEEE denormals whatever is asked (module comment), as the reference kernels.
    settings: { threads: 1, denormals: 'ieee' },
    withSettings: () => kernels,
    fusedLoops: null,

    gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate) {
      if (!(f32(a) && f32(b) && f32(c))) return ts.gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate);
      checkCount(M, 'M');
      checkCount(N, 'N');
      checkCount(K, 'K');
      checkRange(a, aOffset, M * K, 'gemm A');
      checkRange(b, bOffset, K * N, 'gemm B');
      checkRange(c, cOffset, M * N, 'gemm C');
      if (M === 0 || N === 0) return;
      scratch.begin(vectors(M * K) + vectors(K * N) + vectors(M * N));
      const aAddress = scratch.put(a, aOffset, M * K);
      const bAddress = scratch.put(b, bOffset, K * N);
      // C is read only when accumulating; otherwise the product overwrites it.
      const cAddress = accumulate ? scratch.put(c, cOffset, M * N) : scratch.room(M * N);
      if (module.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, aAddress, bAddress, cAddress, accumulate ? 1 : 0) === 0) {
        throw new RangeError(`WebAssembly memory cannot grow for a ${M}×${N}×${K} product's packing buffer`);
      }
      scratch.get(cAddress, c, cOffset, M * N);
    },

    addBiasRows(out, outOffset, rows, cols, bias, biasOffset) {
      if (!(f32(out) && f32(bias))) return ts.addBiasRows(out, outOffset, rows, cols, bias, biasOffset);
      checkCount(rows, 'rows');
      checkCount(cols, 'cols');
      checkRange(out, outOffset, rows * cols, 'addBiasRows out');
      checkRange(bias, biasOffset, cols, 'addBiasRows bias');
      scratch.begin(vectors(rows * cols) + vectors(cols));
      const outAddress = scratch.put(out, outOffset, rows * cols);
      module.addBiasRows(outAddress, rows, cols, scratch.put(bias, biasOffset, cols));
      scratch.get(outAddress, out, outOffset, rows * cols);
    },

    accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols) {
      if (!(f32(out) && f32(src))) return ts.accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols);
      checkCount(rows, 'rows');
      checkCount(cols, 'cols');
      checkRange(out, outOffset, cols, 'accumulateColumnSums out');
      checkRange(src, srcOffset, rows * cols, 'accumulateColumnSums src');
      scratch.begin(vectors(cols) + vectors(rows * cols));
      const outAddress = scratch.put(out, outOffset, cols);
      module.accumulateColumnSums(outAddress, scratch.put(src, srcOffset, rows * cols), rows, cols);
      scratch.get(outAddress, out, outOffset, cols);
    },

    activationForward(activation, x, xOffset, y, yOffset, n) {
      if (!(f32(x) && f32(y))) return ts.activationForward(activation, x, xOffset, y, yOffset, n);
      const code = activationCode(activation);
      checkCount(n, 'n');
      checkRange(x, xOffset, n, 'activationForward x');
      checkRange(y, yOffset, n, 'activationForward y');
      scratch.begin(2 * vectors(n));
      const xAddress = scratch.put(x, xOffset, n);
      const yAddress = scratch.room(n);
      module.activationForward(code, xAddress, yAddress, n);
      scratch.get(yAddress, y, yOffset, n);
    },

    activationBackward(activation, y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate) {
      if (!(f32(y) && f32(dy) && f32(dx))) return ts.activationBackward(activation, y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate);
      const code = activationCode(activation);
      checkCount(n, 'n');
      checkRange(y, yOffset, n, 'activationBackward y');
      checkRange(dy, dyOffset, n, 'activationBackward dy');
      checkRange(dx, dxOffset, n, 'activationBackward dx');
      scratch.begin(3 * vectors(n));
      const yAddress = scratch.put(y, yOffset, n);
      const dyAddress = scratch.put(dy, dyOffset, n);
      const dxAddress = accumulate ? scratch.put(dx, dxOffset, n) : scratch.room(n);
      module.activationBackward(code, yAddress, dyAddress, dxAddress, n, accumulate ? 1 : 0);
      scratch.get(dxAddress, dx, dxOffset, n);
    },

    axpy(n, alpha, x, xOffset, y, yOffset) {
      if (!(f32(x) && f32(y))) return ts.axpy(n, alpha, x, xOffset, y, yOffset);
      checkCount(n, 'n');
      checkRange(x, xOffset, n, 'axpy x');
      checkRange(y, yOffset, n, 'axpy y');
      scratch.begin(2 * vectors(n));
      const xAddress = scratch.put(x, xOffset, n);
      const yAddress = scratch.put(y, yOffset, n);
      module.axpy(n, alpha, xAddress, yAddress);
      scratch.get(yAddress, y, yOffset, n);
    },

    // A copy and a fill are what the typed arrays' own methods do, without a round trip through the module.
    copy(src, srcOffset, dst, dstOffset, n) {
      if (!(f32(src) && f32(dst))) return ts.copy(src, srcOffset, dst, dstOffset, n);
      checkCount(n, 'n');
      checkRange(src, srcOffset, n, 'copy src');
      checkRange(dst, dstOffset, n, 'copy dst');
      dst.set(src.subarray(srcOffset, srcOffset + n), dstOffset);
    },

    fill(x, xOffset, n, value) {
      if (!f32(x)) return ts.fill(x, xOffset, n, value);
      checkCount(n, 'n');
      checkRange(x, xOffset, n, 'fill x');
      x.fill(value, xOffset, xOffset + n);
    },

    scale(x, xOffset, n, factor) {
      if (!f32(x)) return ts.scale(x, xOffset, n, factor);
      checkCount(n, 'n');
      checkRange(x, xOffset, n, 'scale x');
      scratch.begin(vectors(n));
      const xAddress = scratch.put(x, xOffset, n);
      module.scale(xAddress, n, factor);
      scratch.get(xAddress, x, xOffset, n);
    },

    sumOfSquares(x, xOffset, n) {
      if (!f32(x)) return ts.sumOfSquares(x, xOffset, n);
      checkCount(n, 'n');
      checkRange(x, xOffset, n, 'sumOfSquares x');
      scratch.begin(vectors(n));
      return module.sumOfSquares(scratch.put(x, xOffset, n), n);
    },

    countAbsAbove(x, xOffset, n, threshold) {
      if (!f32(x)) return ts.countAbsAbove(x, xOffset, n, threshold);
      checkCount(n, 'n');
      checkRange(x, xOffset, n, 'countAbsAbove x');
      scratch.begin(vectors(n));
      return module.countAbsAbove(scratch.put(x, xOffset, n), n, threshold);
    },

    countAbsAboveInRows(x, xOffset, rows, cols, rowStride, threshold) {
      if (!f32(x)) return ts.countAbsAboveInRows(x, xOffset, rows, cols, rowStride, threshold);
      checkCount(rows, 'rows');
      checkCount(cols, 'cols');
      checkRowStride('countAbsAboveInRows', rows, cols, rowStride);
      const extent = rows === 0 ? 0 : (rows - 1) * rowStride + cols;
      checkRange(x, xOffset, extent, 'countAbsAboveInRows x');
      // The block goes in once; the module's countAbsAbove then runs on each row in place.
      scratch.begin(vectors(extent));
      const address = scratch.put(x, xOffset, extent);
      let count = 0;
      for (let r = 0; r < rows; r++) count += module.countAbsAbove(address + 4 * r * rowStride, cols, threshold);
      return count;
    },

    countZero(x, xOffset, n) {
      if (!f32(x)) return ts.countZero(x, xOffset, n);
      checkCount(n, 'n');
      checkRange(x, xOffset, n, 'countZero x');
      scratch.begin(vectors(n));
      return module.countZero(scratch.put(x, xOffset, n), n);
    },

    lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset) {
      if (!(f32(gates) && f32(cPrev) && f32(c) && f32(tanhC) && f32(h))) {
        return ts.lstmPointwiseForward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, c, cOffset, tanhC, tanhCOffset, h, hOffset);
      }
      checkCount(batch, 'batch');
      checkCount(hidden, 'hidden');
      const block = batch * hidden;
      checkRange(gates, gatesOffset, 4 * block, 'lstmPointwiseForward gates');
      checkRange(cPrev, cPrevOffset, block, 'lstmPointwiseForward cPrev');
      checkRange(c, cOffset, block, 'lstmPointwiseForward c');
      checkRange(tanhC, tanhCOffset, block, 'lstmPointwiseForward tanhC');
      checkRange(h, hOffset, block, 'lstmPointwiseForward h');
      scratch.begin(vectors(4 * block) + 4 * vectors(block));
      const gatesAddress = scratch.put(gates, gatesOffset, 4 * block);
      const cPrevAddress = scratch.put(cPrev, cPrevOffset, block);
      const cAddress = scratch.room(block);
      const tanhCAddress = scratch.room(block);
      const hAddress = scratch.room(block);
      module.lstmPointwiseForward(batch, hidden, gatesAddress, cPrevAddress, cAddress, tanhCAddress, hAddress);
      scratch.get(gatesAddress, gates, gatesOffset, 4 * block);
      scratch.get(cAddress, c, cOffset, block);
      scratch.get(tanhCAddress, tanhC, tanhCOffset, block);
      scratch.get(hAddress, h, hOffset, block);
    },

    lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset) {
      if (!(f32(gates) && f32(cPrev) && f32(tanhC) && f32(dh) && f32(dc) && f32(dGates))) {
        return ts.lstmPointwiseBackward(batch, hidden, gates, gatesOffset, cPrev, cPrevOffset, tanhC, tanhCOffset, dh, dhOffset, dc, dcOffset, dGates, dGatesOffset);
      }
      checkCount(batch, 'batch');
      checkCount(hidden, 'hidden');
      const block = batch * hidden;
      checkRange(gates, gatesOffset, 4 * block, 'lstmPointwiseBackward gates');
      checkRange(cPrev, cPrevOffset, block, 'lstmPointwiseBackward cPrev');
      checkRange(tanhC, tanhCOffset, block, 'lstmPointwiseBackward tanhC');
      checkRange(dh, dhOffset, block, 'lstmPointwiseBackward dh');
      checkRange(dc, dcOffset, block, 'lstmPointwiseBackward dc');
      checkRange(dGates, dGatesOffset, 4 * block, 'lstmPointwiseBackward dGates');
      scratch.begin(2 * vectors(4 * block) + 4 * vectors(block));
      const gatesAddress = scratch.put(gates, gatesOffset, 4 * block);
      const cPrevAddress = scratch.put(cPrev, cPrevOffset, block);
      const tanhCAddress = scratch.put(tanhC, tanhCOffset, block);
      const dhAddress = scratch.put(dh, dhOffset, block);
      const dcAddress = scratch.put(dc, dcOffset, block);
      const dGatesAddress = scratch.room(4 * block);
      module.lstmPointwiseBackward(batch, hidden, gatesAddress, cPrevAddress, tanhCAddress, dhAddress, dcAddress, dGatesAddress);
      scratch.get(dcAddress, dc, dcOffset, block);
      scratch.get(dGatesAddress, dGates, dGatesOffset, 4 * block);
    },

    gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset) {
      if (!(f32(inputGates) && f32(hiddenGates) && f32(hPrev) && f32(gateActivations) && f32(h))) {
        return ts.gruPointwiseForward(batch, hidden, inputGates, inputGatesOffset, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, h, hOffset);
      }
      checkCount(batch, 'batch');
      checkCount(hidden, 'hidden');
      const block = batch * hidden;
      checkRange(inputGates, inputGatesOffset, 3 * block, 'gruPointwiseForward inputGates');
      checkRange(hiddenGates, hiddenGatesOffset, 3 * block, 'gruPointwiseForward hiddenGates');
      checkRange(hPrev, hPrevOffset, block, 'gruPointwiseForward hPrev');
      checkRange(gateActivations, gateActivationsOffset, 3 * block, 'gruPointwiseForward gateActivations');
      checkRange(h, hOffset, block, 'gruPointwiseForward h');
      scratch.begin(3 * vectors(3 * block) + 2 * vectors(block));
      const inputGatesAddress = scratch.put(inputGates, inputGatesOffset, 3 * block);
      const hiddenGatesAddress = scratch.put(hiddenGates, hiddenGatesOffset, 3 * block);
      const hPrevAddress = scratch.put(hPrev, hPrevOffset, block);
      const gateActivationsAddress = scratch.room(3 * block);
      const hAddress = scratch.room(block);
      module.gruPointwiseForward(batch, hidden, inputGatesAddress, hiddenGatesAddress, hPrevAddress, gateActivationsAddress, hAddress);
      scratch.get(gateActivationsAddress, gateActivations, gateActivationsOffset, 3 * block);
      scratch.get(hAddress, h, hOffset, block);
    },

    gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset) {
      if (!(f32(hiddenGates) && f32(hPrev) && f32(gateActivations) && f32(dh) && f32(dInputGates) && f32(dHiddenGates) && f32(dhPrev))) {
        return ts.gruPointwiseBackward(batch, hidden, hiddenGates, hiddenGatesOffset, hPrev, hPrevOffset, gateActivations, gateActivationsOffset, dh, dhOffset, dInputGates, dInputGatesOffset, dHiddenGates, dHiddenGatesOffset, dhPrev, dhPrevOffset);
      }
      checkCount(batch, 'batch');
      checkCount(hidden, 'hidden');
      const block = batch * hidden;
      checkRange(hiddenGates, hiddenGatesOffset, 3 * block, 'gruPointwiseBackward hiddenGates');
      checkRange(hPrev, hPrevOffset, block, 'gruPointwiseBackward hPrev');
      checkRange(gateActivations, gateActivationsOffset, 3 * block, 'gruPointwiseBackward gateActivations');
      checkRange(dh, dhOffset, block, 'gruPointwiseBackward dh');
      checkRange(dInputGates, dInputGatesOffset, 3 * block, 'gruPointwiseBackward dInputGates');
      checkRange(dHiddenGates, dHiddenGatesOffset, 3 * block, 'gruPointwiseBackward dHiddenGates');
      checkRange(dhPrev, dhPrevOffset, block, 'gruPointwiseBackward dhPrev');
      scratch.begin(4 * vectors(3 * block) + 3 * vectors(block));
      const hiddenGatesAddress = scratch.put(hiddenGates, hiddenGatesOffset, 3 * block);
      const hPrevAddress = scratch.put(hPrev, hPrevOffset, block);
      const gateActivationsAddress = scratch.put(gateActivations, gateActivationsOffset, 3 * block);
      const dhAddress = scratch.put(dh, dhOffset, block);
      const dInputGatesAddress = scratch.room(3 * block);
      const dHiddenGatesAddress = scratch.room(3 * block);
      const dhPrevAddress = scratch.room(block);
      module.gruPointwiseBackward(batch, hidden, hiddenGatesAddress, hPrevAddress, gateActivationsAddress, dhAddress, dInputGatesAddress, dHiddenGatesAddress, dhPrevAddress);
      scratch.get(dInputGatesAddress, dInputGates, dInputGatesOffset, 3 * block);
      scratch.get(dHiddenGatesAddress, dHiddenGates, dHiddenGatesOffset, 3 * block);
      scratch.get(dhPrevAddress, dhPrev, dhPrevOffset, block);
    },

    softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale) {
      if (!(f32(logits) && f32(dLogits))) return ts.softmaxCrossEntropy(rows, classes, logits, logitsOffset, targets, targetsOffset, dLogits, dLogitsOffset, gradientScale);
      checkCount(rows, 'rows');
      checkCount(classes, 'classes');
      checkRange(logits, logitsOffset, rows * classes, 'softmaxCrossEntropy logits');
      checkRange(targets, targetsOffset, rows, 'softmaxCrossEntropy targets');
      checkRange(dLogits, dLogitsOffset, rows * classes, 'softmaxCrossEntropy dLogits');
      // A target outside [0, classes) would read past its row.
      for (let r = 0; r < rows; r++) {
        const target = targets[targetsOffset + r];
        if (!(target >= 0 && target < classes)) throw new RangeError(`softmaxCrossEntropy: target ${target} of row ${r} is not a class of ${classes}`);
      }
      scratch.begin(2 * vectors(rows * classes) + vectors(rows));
      const logitsAddress = scratch.put(logits, logitsOffset, rows * classes);
      const targetsAddress = scratch.putInts(targets, targetsOffset, rows);
      const dLogitsAddress = scratch.room(rows * classes);
      const lossSum = module.softmaxCrossEntropy(rows, classes, logitsAddress, targetsAddress, dLogitsAddress, gradientScale);
      scratch.get(dLogitsAddress, dLogits, dLogitsOffset, rows * classes);
      return { lossSum, correct: module.lastCorrect() };
    },

    squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale) {
      if (!(f32(pred) && f32(target) && f32(dPred))) return ts.squaredError(n, pred, predOffset, target, targetOffset, dPred, dPredOffset, gradientScale);
      checkCount(n, 'n');
      checkRange(pred, predOffset, n, 'squaredError pred');
      checkRange(target, targetOffset, n, 'squaredError target');
      checkRange(dPred, dPredOffset, n, 'squaredError dPred');
      scratch.begin(3 * vectors(n));
      const predAddress = scratch.put(pred, predOffset, n);
      const targetAddress = scratch.put(target, targetOffset, n);
      const dPredAddress = scratch.room(n);
      const sum = module.squaredError(n, predAddress, targetAddress, dPredAddress, gradientScale);
      scratch.get(dPredAddress, dPred, dPredOffset, n);
      return sum;
    },

    // The optimiser steps run the reference loop: it gives the same bits as the native step
    // (kernels.ts), and on the playground's models (about 25,000 weights) copying three or four
    // buffers into the module and back would cost about what the module saves.
    sgdStep: (data, grad, momentumBuffer, settings, sums) => ts.sgdStep(data, grad, momentumBuffer, settings, sums),
    adamStep: (data, grad, firstMoment, secondMoment, settings, sums) => ts.adamStep(data, grad, firstMoment, secondMoment, settings, sums),
  };
  return kernels;
}


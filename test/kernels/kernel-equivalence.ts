/**
 * One battery of tests for every fast kernel set against the reference TypeScript kernels
 * (test/kernels/equivalence.test.ts runs it on each native variant, wasm-kernels.test.ts on the
 * WebAssembly kernels): all four transpose combinations of gemm, accumulate on and off, odd sizes,
 * nonzero offsets (and the elements around each written range must stay untouched), and NaN/±Inf
 * planted in every input (the result must be non-finite exactly where the reference is).
 * Tolerances are float32 rounding: the reference accumulates in doubles, the fast kernels in
 * float32 vectors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Activation, AdamStepSettings, Kernels, SgdStepSettings } from '../../src/kernels/kernels.js';
import { tsKernels } from '../../src/kernels/ts-kernels.js';
import { SeededRandom } from '../../src/random.js';

const sizes = [1, 3, 17, 65, 130];

/** Registers the battery's tests (call inside a describe) for `kernels`, which must check its arguments' ranges. */
export function kernelEquivalenceTests(kernels: Kernels): void {
  const random = new SeededRandom(20240601);

  /** n values uniform in [low, high), with `pad` guard elements around them (offset = pad). */
  function randomBuffer(n: number, pad: number, low = -1, high = 1): Float32Array {
    const buffer = new Float32Array(n + 2 * pad);
    for (let i = 0; i < buffer.length; i++) buffer[i] = random.uniformIn(low, high);
    return buffer;
  }

  /**
   * |actual − expected| ≤ absolute + relative·|expected| everywhere, naming the first miss; a
   * non-finite reference value must be matched exactly (NaN by NaN, +Inf by +Inf).
   */
  function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, relative = 2e-6, absolute = 1e-6): void {
    assert.equal(actual.length, expected.length, `${what}: length`);
    for (let i = 0; i < expected.length; i++) {
      const bound = absolute + relative * Math.abs(expected[i]);
      const same = actual[i] === expected[i] || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]));
      if (!same && !(Math.abs(actual[i] - expected[i]) <= bound)) {
        assert.fail(`${what}: element ${i} is ${actual[i]}, reference ${expected[i]} (bound ${bound.toExponential(2)})`);
      }
    }
  }

  /** Runs `call` on copies of `buffers` with both implementations and compares every buffer afterwards. */
  function compare(what: string, buffers: Float32Array[], call: (k: Kernels, b: Float32Array[]) => number | void, relative?: number, absolute?: number): void {
    const mine = buffers.map((b) => b.slice());
    const reference = buffers.map((b) => b.slice());
    const mineResult = call(kernels, mine);
    const referenceResult = call(tsKernels, reference);
    if (typeof referenceResult === 'number') assertClose([mineResult as number], [referenceResult], `${what}: returned value`, 1e-6, 1e-6);
    mine.forEach((b, i) => assertClose(b, reference[i], `${what} buffer ${i}`, relative, absolute));
  }


  test('gemm: every transpose combination, accumulate on and off, odd sizes, offsets', () => {
    let cases = 0;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const M of sizes) {
          for (const N of sizes) {
            for (const K of [1, 17, 130]) {
              const accumulate = (M + N + K) % 2 === 0;
              const [aPad, bPad, cPad] = [3, 5, 7];
              const a = randomBuffer(M * K, aPad);
              const b = randomBuffer(K * N, bPad);
              const c = randomBuffer(M * N, cPad);
              // Sums of K products of values in [−1, 1]: float32 error grows like √K·ε·(terms).
              compare(`gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${M}×${N}×${K} accumulate=${accumulate}`, [a, b, c],
                (k, [x, y, z]) => k.gemm(transA, transB, M, N, K, x, aPad, y, bPad, z, cPad, accumulate), 1e-5, 2e-6 * K);
              cases++;
            }
          }
        }
      }
    }
    assert.equal(cases, 4 * sizes.length * sizes.length * 3);
  });

  test('gemm: large blocked products (K beyond one packing block, N beyond one panel)', () => {
    for (const [M, N, K] of [[64, 256, 300], [130, 70, 600], [9, 33, 513]]) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = randomBuffer(M * K, 2), b = randomBuffer(K * N, 0), c = randomBuffer(M * N, 1);
          compare(`gemm ${M}×${N}×${K}`, [a, b, c], (k, [x, y, z]) => k.gemm(transA, transB, M, N, K, x, 2, y, 0, z, 1, true), 1e-5, 2e-6 * K);
        }
      }
    }
  });

  test('gemm with K = 0 clears or keeps C', () => {
    for (const accumulate of [false, true]) {
      const c = randomBuffer(6, 1);
      compare(`gemm K=0 accumulate=${accumulate}`, [new Float32Array(1), new Float32Array(1), c], (k, [x, y, z]) => k.gemm(false, false, 2, 3, 0, x, 0, y, 0, z, 1, accumulate));
    }
  });

  test('bias rows, column sums, axpy, copy, fill, scale', () => {
    for (const rows of sizes) {
      for (const cols of sizes) {
        const out = randomBuffer(rows * cols, 2), bias = randomBuffer(cols, 3);
        compare(`addBiasRows ${rows}×${cols}`, [out, bias], (k, [o, b]) => k.addBiasRows(o, 2, rows, cols, b, 3));
        const sums = randomBuffer(cols, 1), src = randomBuffer(rows * cols, 4);
        compare(`accumulateColumnSums ${rows}×${cols}`, [sums, src], (k, [o, s]) => k.accumulateColumnSums(o, 1, s, 4, rows, cols), 1e-5, 1e-6 * rows);
      }
    }
    for (const n of [...sizes, 4096]) {
      const x = randomBuffer(n, 3), y = randomBuffer(n, 2);
      compare(`axpy ${n}`, [x, y], (k, [a, b]) => k.axpy(n, -0.37, a, 3, b, 2));
      compare(`copy ${n}`, [x, y], (k, [a, b]) => k.copy(a, 3, b, 2, n));
      compare(`fill ${n}`, [x], (k, [a]) => k.fill(a, 3, n, 0.25));
      compare(`scale ${n}`, [x], (k, [a]) => k.scale(a, 3, n, 1.7));
    }
  });

  test('activations forward (in place and not) and backward (overwrite and accumulate)', () => {
    const activations: Activation[] = ['tanh', 'relu', 'sigmoid', 'identity'];
    for (const activation of activations) {
      for (const n of [...sizes, 1000]) {
        // Wide range: tanh/sigmoid saturate, small values exercise tanh's polynomial branch, exact zeros relu's edge.
        const x = randomBuffer(n, 2, -12, 12);
        for (let i = 2; i < n + 2; i += 7) x[i] *= 1e-3;
        if (n > 3) x[4] = 0;
        compare(`${activation} forward ${n}`, [x, randomBuffer(n, 1)], (k, [a, b]) => k.activationForward(activation, a, 2, b, 1, n), 4e-7, 1e-7);
        compare(`${activation} forward in place ${n}`, [x], (k, [a]) => k.activationForward(activation, a, 2, a, 2, n), 4e-7, 1e-7);
        const y = randomBuffer(n, 1, activation === 'tanh' ? -1 : 0, 1);
        for (const accumulate of [false, true]) {
          compare(`${activation} backward ${n} accumulate=${accumulate}`, [y, randomBuffer(n, 2), randomBuffer(n, 3)],
            (k, [out, dy, dx]) => k.activationBackward(activation, out, 1, dy, 2, dx, 3, n, accumulate));
        }
        compare(`${activation} backward in place ${n}`, [y, randomBuffer(n, 2)], (k, [out, d]) => k.activationBackward(activation, out, 1, d, 2, d, 2, n, false));
      }
    }
  });

  // tanh below |x| = 0.625 and sigmoid below |x| = 1.25 (tanh of x/2) use a polynomial, which a
  // vector whose lanes are all that small takes alone: the value must not depend on its neighbours.
  for (const [activation, limit] of [['tanh', 0.625], ['sigmoid', 1.25]] as const) {
    test(`${activation} gives a small value the same bits whether its whole vector is small (the polynomial alone) or holds a large value`, () => {
      const n = 256;
      const small = randomBuffer(n, 0, -0.99 * limit, 0.99 * limit);
      // A large value in every group of four: every vector of 4, 8 or 16 lanes takes the exponential form too.
      const mixed = small.slice();
      for (let i = 3; i < n; i += 4) mixed[i] = 3;
      const fromSmall = new Float32Array(n), fromMixed = new Float32Array(n);
      kernels.activationForward(activation, small, 0, fromSmall, 0, n);
      kernels.activationForward(activation, mixed, 0, fromMixed, 0, n);
      for (let i = 0; i < n; i++) {
        if (i % 4 !== 3) assert.ok(Object.is(fromSmall[i], fromMixed[i]), `${activation}(${small[i]}): ${fromSmall[i]} alone, ${fromMixed[i]} beside a large value`);
      }
      compare(`${activation} forward, every value below ${limit}`, [small, new Float32Array(n)], (k, [x, y]) => k.activationForward(activation, x, 0, y, 0, n), 4e-7, 1e-7);
    });
  }

  test('reductions: sum of squares, counts above a threshold and of zeros', () => {
    for (const n of [...sizes, 4099]) {
      const x = randomBuffer(n, 3, -1.2, 1.2);
      for (let i = 3; i < n + 3; i += 5) x[i] = 0;
      x[3] = 0.99; // exactly at the threshold's float32 neighbour: |x| > 0.99 must agree
      compare(`sumOfSquares ${n}`, [x], (k, [a]) => k.sumOfSquares(a, 3, n));
      compare(`countAbsAbove ${n}`, [x], (k, [a]) => k.countAbsAbove(a, 3, n, 0.99));
      compare(`countZero ${n}`, [x], (k, [a]) => k.countZero(a, 3, n));
    }
    // One gate's columns of every row, as the GRU counts its saturated candidates.
    for (const [rows, cols, stride] of [[1, 5, 5], [7, 3, 9], [33, 17, 51], [64, 65, 195]]) {
      const x = randomBuffer(rows * stride + cols, 2, -1.2, 1.2);
      x[2 + stride + 1] = 0.99;
      x[2 + 2 * cols] = Number.NaN;
      compare(`countAbsAboveInRows ${rows}×${cols} stride ${stride}`, [x], (k, [a]) => k.countAbsAboveInRows(a, 2 + cols, rows, cols, stride, 0.99));
    }
    assert.throws(() => kernels.countAbsAboveInRows(new Float32Array(10), 0, 2, 4, 3, 0.5), /overlap|cannot hold/);
    assert.throws(() => kernels.countAbsAboveInRows(new Float32Array(10), 0, 3, 4, 4, 0.5), RangeError);
    const withNaN = new Float32Array([1, Number.NaN, 2]);
    assert.ok(Number.isNaN(kernels.sumOfSquares(withNaN, 0, 3)));
  });

  test('LSTM and GRU pointwise steps, forward and backward', () => {
    for (const batch of [1, 3, 17]) {
      for (const hidden of [1, 3, 17, 65]) {
        const block = batch * hidden;
        const o = 2;
        compare(`lstm forward ${batch}×${hidden}`, [randomBuffer(4 * block, o, -4, 4), randomBuffer(block, o), randomBuffer(block, o), randomBuffer(block, o), randomBuffer(block, o)],
          (k, [gates, cPrev, c, tanhC, h]) => k.lstmPointwiseForward(batch, hidden, gates, o, cPrev, o, c, o, tanhC, o, h, o), 1e-6, 1e-6);
        compare(`lstm backward ${batch}×${hidden}`, [randomBuffer(4 * block, o, 0, 1), randomBuffer(block, o), randomBuffer(block, o), randomBuffer(block, o), randomBuffer(block, o), randomBuffer(4 * block, o)],
          (k, [gates, cPrev, tanhC, dh, dc, dGates]) => k.lstmPointwiseBackward(batch, hidden, gates, o, cPrev, o, tanhC, o, dh, o, dc, o, dGates, o), 1e-6, 1e-6);
        compare(`gru forward ${batch}×${hidden}`, [randomBuffer(3 * block, o, -3, 3), randomBuffer(3 * block, o, -3, 3), randomBuffer(block, o), randomBuffer(3 * block, o), randomBuffer(block, o)],
          (k, [ig, hg, hPrev, act, h]) => k.gruPointwiseForward(batch, hidden, ig, o, hg, o, hPrev, o, act, o, h, o), 1e-6, 1e-6);
        compare(`gru backward ${batch}×${hidden}`, [randomBuffer(3 * block, o), randomBuffer(block, o), randomBuffer(3 * block, o, 0, 1), randomBuffer(block, o), randomBuffer(3 * block, o), randomBuffer(3 * block, o), randomBuffer(block, o)],
          (k, [hg, hPrev, act, dh, di, dhg, dhPrev]) => k.gruPointwiseBackward(batch, hidden, hg, o, hPrev, o, act, o, dh, o, di, o, dhg, o, dhPrev, o), 1e-6, 1e-6);
      }
    }
  });

  test('losses: softmax cross-entropy and squared error', () => {
    for (const rows of [1, 3, 64]) {
      for (const classes of [1, 2, 10, 17]) {
        const targets = new Int32Array(rows + 1);
        for (let r = 0; r < rows; r++) targets[r + 1] = random.integer(classes);
        const logits = randomBuffer(rows * classes, 2, -8, 8);
        const mine = randomBuffer(rows * classes, 1), reference = mine.slice();
        const a = kernels.softmaxCrossEntropy(rows, classes, logits, 2, targets, 1, mine, 1, 1 / rows);
        const b = tsKernels.softmaxCrossEntropy(rows, classes, logits, 2, targets, 1, reference, 1, 1 / rows);
        assert.ok(Math.abs(a.lossSum - b.lossSum) <= 1e-9 * Math.max(1, b.lossSum), `lossSum ${a.lossSum} vs ${b.lossSum}`);
        assert.equal(a.correct, b.correct);
        assertClose(mine, reference, `dLogits ${rows}×${classes}`);
      }
    }
    for (const n of sizes) {
      compare(`squaredError ${n}`, [randomBuffer(n, 1), randomBuffer(n, 2), randomBuffer(n, 3)], (k, [p, t, d]) => k.squaredError(n, p, 1, t, 2, d, 3, 1 / n));
    }
  });

  test('bad calls throw instead of touching memory out of range', () => {
    const small = new Float32Array(4);
    assert.throws(() => kernels.gemm(false, false, 2, 2, 2, small, 1, small, 0, small, 0, false), RangeError);
    assert.throws(() => kernels.copy(small, 0, small, 2, 3), RangeError);
    assert.throws(() => kernels.fill(small, -1, 2, 0), RangeError);
    const targets = new Int32Array([5]);
    assert.throws(() => kernels.softmaxCrossEntropy(1, 4, small, 0, targets, 0, small, 0, 1), RangeError);
  });

  test('float64 buffers go to the reference kernels', () => {
    const a = new Float64Array([1, 2, 3, 4]), c = new Float64Array(4);
    kernels.gemm(false, false, 2, 2, 2, a, 0, a, 0, c, 0, false);
    assert.deepEqual([...c], [7, 10, 15, 22]);
    assert.equal(kernels.sumOfSquares(a, 0, 4), 30);
  });

  test('non-finite inputs: NaN, +Inf and −Inf come out where the reference has them, in every kernel', () => {
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    /** A random buffer with `value` at `count` spread positions of its n values (after `pad` guards), the last one included. */
    const planted = (n: number, pad: number, value: number, low = -1, high = 1, count = 3): Float32Array => {
      const buffer = randomBuffer(n, pad, low, high);
      for (let j = 0; j < count; j++) buffer[pad + Math.floor(((j + 1) * n) / count) - 1] = value;
      return buffer;
    };
    let cases = 0;
    for (const value of specials) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
        for (const [M, N, K] of [[5, 9, 7], [17, 40, 300]]) {
          // A zero column of A meets B's special values: 0·NaN and 0·Inf are NaN.
          const a = randomBuffer(M * K, 1);
          for (let i = 0; i < M; i++) a[1 + (transA ? 2 * M + i : i * K + 2)] = 0;
          const b = planted(K * N, 2, value, -1, 1, 5);
          b[2 + (transB ? 2 : 2 * N)] = value; // in row k = 2 of op(B)
          compare(`gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${M}×${N}×${K} ${value} in B`, [a, b, randomBuffer(M * N, 0)],
            (k, [x, y, z]) => k.gemm(transA, transB, M, N, K, x, 1, y, 2, z, 0, false), 1e-5, 2e-6 * K);
          compare(`gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${M}×${N}×${K} ${value} in A, accumulate`, [planted(M * K, 1, value), randomBuffer(K * N, 2), randomBuffer(M * N, 0)],
            (k, [x, y, z]) => k.gemm(transA, transB, M, N, K, x, 1, y, 2, z, 0, true), 1e-5, 2e-6 * K);
          cases += 2;
        }
      }
      for (const activation of ['tanh', 'relu', 'sigmoid', 'identity'] as const) {
        for (const n of [5, 37]) {
          compare(`${activation} forward ${n} ${value}`, [planted(n, 2, value, -5, 5), randomBuffer(n, 1)], (k, [x, y]) => k.activationForward(activation, x, 2, y, 1, n), 4e-7, 1e-7);
          for (const accumulate of [false, true]) {
            compare(`${activation} backward ${n} ${value} in y, accumulate=${accumulate}`, [planted(n, 1, value, 0, 1), randomBuffer(n, 2), randomBuffer(n, 3)],
              (k, [y, dy, dx]) => k.activationBackward(activation, y, 1, dy, 2, dx, 3, n, accumulate));
            compare(`${activation} backward ${n} ${value} in dy, accumulate=${accumulate}`, [randomBuffer(n, 1, 0, 1), planted(n, 2, value), randomBuffer(n, 3)],
              (k, [y, dy, dx]) => k.activationBackward(activation, y, 1, dy, 2, dx, 3, n, accumulate));
            cases += 2;
          }
        }
      }
      for (const n of [6, 37]) {
        compare(`addBiasRows 3×${n} ${value} in bias`, [randomBuffer(3 * n, 1), planted(n, 2, value)], (k, [o, b]) => k.addBiasRows(o, 1, 3, n, b, 2));
        compare(`accumulateColumnSums 4×${n} ${value} in src`, [randomBuffer(n, 1), planted(4 * n, 2, value, -1, 1, 7)], (k, [o, x]) => k.accumulateColumnSums(o, 1, x, 2, 4, n), 1e-5, 4e-6);
        for (const alpha of [-0.37, 0]) compare(`axpy ${n} alpha=${alpha} ${value} in x`, [planted(n, 3, value), randomBuffer(n, 2)], (k, [x, y]) => k.axpy(n, alpha, x, 3, y, 2));
        for (const factor of [1.7, 0, value]) compare(`scale ${n} by ${factor} ${value} in x`, [planted(n, 3, value)], (k, [x]) => k.scale(x, 3, n, factor));
        compare(`sumOfSquares ${n} ${value}`, [planted(n, 3, value)], (k, [x]) => k.sumOfSquares(x, 3, n));
        compare(`countAbsAbove ${n} ${value}`, [planted(n, 3, value)], (k, [x]) => k.countAbsAbove(x, 3, n, 0.5));
        cases += 7;
      }
      for (const [batch, hidden] of [[1, 5], [3, 17]]) {
        const block = batch * hidden;
        const o = 2;
        for (let which = 0; which < 2; which++) {
          const inputs = [randomBuffer(4 * block, o, -4, 4), randomBuffer(block, o)];
          inputs[which] = planted(inputs[which].length - 2 * o, o, value, which === 0 ? -4 : -1, which === 0 ? 4 : 1);
          compare(`lstm forward ${batch}×${hidden} ${value} in input ${which}`, [...inputs, randomBuffer(block, o), randomBuffer(block, o), randomBuffer(block, o)],
            (k, [gates, cPrev, c, tanhC, h]) => k.lstmPointwiseForward(batch, hidden, gates, o, cPrev, o, c, o, tanhC, o, h, o), 1e-6, 1e-6);
        }
        for (let which = 0; which < 5; which++) {
          const inputs = [randomBuffer(4 * block, o, 0, 1), randomBuffer(block, o), randomBuffer(block, o), randomBuffer(block, o), randomBuffer(block, o)];
          inputs[which] = planted(inputs[which].length - 2 * o, o, value, 0, 1);
          compare(`lstm backward ${batch}×${hidden} ${value} in input ${which}`, [...inputs, randomBuffer(4 * block, o)],
            (k, [gates, cPrev, tanhC, dh, dc, dGates]) => k.lstmPointwiseBackward(batch, hidden, gates, o, cPrev, o, tanhC, o, dh, o, dc, o, dGates, o), 1e-5, 1e-6);
        }
        for (let which = 0; which < 3; which++) {
          const inputs = [randomBuffer(3 * block, o, -3, 3), randomBuffer(3 * block, o, -3, 3), randomBuffer(block, o)];
          inputs[which] = planted(inputs[which].length - 2 * o, o, value);
          compare(`gru forward ${batch}×${hidden} ${value} in input ${which}`, [...inputs, randomBuffer(3 * block, o), randomBuffer(block, o)],
            (k, [ig, hg, hPrev, act, h]) => k.gruPointwiseForward(batch, hidden, ig, o, hg, o, hPrev, o, act, o, h, o), 1e-6, 1e-6);
        }
        for (let which = 0; which < 4; which++) {
          const inputs = [randomBuffer(3 * block, o), randomBuffer(block, o), randomBuffer(3 * block, o, 0, 1), randomBuffer(block, o)];
          inputs[which] = planted(inputs[which].length - 2 * o, o, value, which === 2 ? 0 : -1, 1);
          compare(`gru backward ${batch}×${hidden} ${value} in input ${which}`, [...inputs, randomBuffer(3 * block, o), randomBuffer(3 * block, o), randomBuffer(block, o)],
            (k, [hg, hPrev, act, dh, di, dhg, dhPrev]) => k.gruPointwiseBackward(batch, hidden, hg, o, hPrev, o, act, o, dh, o, di, o, dhg, o, dhPrev, o), 1e-5, 1e-6);
        }
        cases += 14;
      }
      for (const [rows, classes] of [[1, 1], [4, 10]]) {
        const targets = Int32Array.from({ length: rows }, () => random.integer(classes));
        const logits = planted(rows * classes, 0, value, -8, 8, 2);
        const mine = randomBuffer(rows * classes, 0), reference = mine.slice();
        const a = kernels.softmaxCrossEntropy(rows, classes, logits, 0, targets, 0, mine, 0, 1 / rows);
        const b = tsKernels.softmaxCrossEntropy(rows, classes, logits, 0, targets, 0, reference, 0, 1 / rows);
        assertClose([a.lossSum], [b.lossSum], `softmaxCrossEntropy ${rows}×${classes} ${value}: lossSum`, 1e-9, 1e-9);
        assert.equal(a.correct, b.correct);
        assertClose(mine, reference, `softmaxCrossEntropy ${rows}×${classes} ${value}: dLogits`);
        compare(`squaredError ${rows * classes} ${value} in pred`, [planted(rows * classes, 1, value), randomBuffer(rows * classes, 2), randomBuffer(rows * classes, 3)],
          (k, [p, t, d]) => k.squaredError(rows * classes, p, 1, t, 2, d, 3, 1 / rows));
        cases += 2;
      }
    }
    assert.equal(cases, 3 * (4 * 2 * 2 + 4 * 2 * 2 * 2 + 2 * 7 + 2 * 14 + 2 * 2));
  });

  test('optimiser steps: SGD (momentum, dampening, Nesterov, weight decay) and Adam give the reference\'s weights and state bit for bit, NaN and ±Inf included', () => {
    /** Every element the same bits (NaN matches NaN), naming the first that is not. */
    function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
      for (let i = 0; i < expected.length; i++) {
        if (!Object.is(actual[i], expected[i]) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
          assert.fail(`${what}: element ${i} is ${actual[i]}, reference ${expected[i]}`);
        }
      }
    }
    const sgdCases: Omit<SgdStepSettings, 'first'>[] = [
      { learningRate: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
      { learningRate: 0.03, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: false },
      { learningRate: 0.03, momentum: 0.9, dampening: 0.1, weightDecay: 0, nesterov: false },
      { learningRate: 0.01, momentum: 0.5, dampening: 0, weightDecay: 0.01, nesterov: true },
    ];
    let cases = 0;
    for (const n of [...sizes, 4099]) {
      // The planted values: none, then NaN, +Inf, −Inf in the gradient and in a weight.
      for (const plant of [null, ['grad', NaN], ['grad', Infinity], ['data', -Infinity], ['data', NaN]] as const) {
        const data = randomBuffer(n, 0, -2, 2), grad = randomBuffer(n, 0, -1, 1);
        for (let i = 0; i < n; i += 11) grad[i] *= 1e-30; // tiny gradients: products near float32's smallest values
        if (plant !== null) (plant[0] === 'grad' ? grad : data)[Math.floor(n / 2)] = plant[1];
        for (const settings of sgdCases) {
          const states = [kernels, tsKernels].map(() => ({ data: data.slice(), momentum: settings.momentum === 0 ? null : new Float32Array(n), sums: new Float64Array(3) }));
          for (let step = 0; step < 3; step++) {
            [kernels, tsKernels].forEach((k, which) => {
              const state = states[which];
              k.sgdStep(state.data, grad, state.momentum, { ...settings, first: step === 0 }, state.sums);
            });
            const [mine, reference] = states;
            const what = `sgdStep n=${n} ${JSON.stringify(settings)} step ${step} planted ${plant === null ? 'nothing' : plant.join(' ')}`;
            assertSameBits(mine.data, reference.data, `${what}: weights`);
            if (mine.momentum !== null && reference.momentum !== null) assertSameBits(mine.momentum, reference.momentum, `${what}: momentum`);
            assertClose(mine.sums, reference.sums, `${what}: sums`, 1e-12, 0);
            cases++;
          }
        }
        const states = [kernels, tsKernels].map(() => ({ data: data.slice(), m: new Float32Array(n), v: new Float32Array(n), sums: new Float64Array(3) }));
        for (let step = 1; step <= 3; step++) {
          const [beta1, beta2, learningRate] = [0.9, 0.999, 1e-3];
          const settings: AdamStepSettings = {
            stepSize: learningRate / (1 - beta1 ** step), beta1, beta2, epsilon: 1e-8, weightDecay: step === 2 ? 0.01 : 0,
            biasCorrection2Root: Math.sqrt(1 - beta2 ** step),
          };
          [kernels, tsKernels].forEach((k, which) => k.adamStep(states[which].data, grad, states[which].m, states[which].v, settings, states[which].sums));
          const [mine, reference] = states;
          const what = `adamStep n=${n} step ${step} planted ${plant === null ? 'nothing' : plant.join(' ')}`;
          assertSameBits(mine.data, reference.data, `${what}: weights`);
          assertSameBits(mine.m, reference.m, `${what}: first moment`);
          assertSameBits(mine.v, reference.v, `${what}: second moment`);
          assertClose(mine.sums, reference.sums, `${what}: sums`, 1e-12, 0);
          if (plant !== null) assert.ok(!Number.isFinite(mine.sums[2]), `${what}: a non-finite weight or gradient must make the weights' norm non-finite`);
          cases++;
        }
      }
    }
    assert.equal(cases, (sizes.length + 1) * 5 * (4 * 3 + 3));
    const short = new Float32Array(3);
    assert.throws(() => kernels.sgdStep(new Float32Array(4), short, null, { ...sgdCases[0], first: true }, new Float64Array(3)), /sgdStep: a buffer of 3 values for a parameter of 4/);
  });

  test('unknown activation names are refused, not computed as another one', () => {
    const x = new Float32Array(4), y = new Float32Array(4);
    for (const set of [kernels, tsKernels]) {
      assert.throws(() => set.activationForward('softplus' as Activation, x, 0, y, 0, 4), /unknown activation "softplus"/, set.name);
      assert.throws(() => set.activationBackward('toString' as Activation, x, 0, x, 0, y, 0, 4, false), /unknown activation "toString"/, set.name);
    }
  });
}

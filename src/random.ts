/**
 * The project's only source of randomness: a seeded xoshiro128** generator.
 *
 * The same seed gives the same stream on every machine and Node version, because every
 * operation is 32-bit integer arithmetic (Math.imul, >>>) and the float conversions are exact.
 * Independent streams (parameters, data, shuffling) come from `fork(label)`, so adding a draw
 * in one place never shifts the numbers another part of the program sees.
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Second value of the last Box–Muller pair, waiting to be returned by `normal()`. */
  private spareNormal: number | null = null;

  /** @param seed any finite number; integers are used as they are, fractions are hashed too. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    // splitmix32 spreads a small seed over the whole 128-bit state.
    let state = (Math.trunc(seed) ^ Math.round((seed % 1) * 0x7fffffff)) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * The generator's whole state: the four xoshiro words and the waiting Box–Muller value. A
   * generator restored from it (`fromState`) continues the exact same stream: checkpoints save it.
   */
  state(): RandomState {
    return { words: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spareNormal };
  }

  /** A generator that continues the stream `state` was taken from; throws on a state no generator can have. */
  static fromState(state: RandomState): SeededRandom {
    const problem = randomStateProblem(state);
    if (problem !== null) throw new Error(`random state: ${problem}`);
    const random = new SeededRandom(0);
    [random.s0, random.s1, random.s2, random.s3] = state.words;
    random.spareNormal = state.spareNormal;
    return random;
  }

  /** A new generator whose stream depends only on this generator's seed state and `label`. */
  fork(label: string): SeededRandom {
    let hash = 0x811c9dc5;
    for (let i = 0; i < label.length; i++) {
      hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193) >>> 0;
    }
    return new SeededRandom((hash ^ this.s0 ^ Math.imul(this.s1, 31) ^ this.s3) >>> 0);
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal (mean 0, standard deviation 1) by the Box–Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u1 = this.uniform();
    while (u1 === 0) u1 = this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  integer(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new Error(`integer(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n);
    let value = this.nextUint32();
    while (value >= limit) value = this.nextUint32();
    return value % n;
  }

  /** Shuffles `values` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [index: number]: unknown }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const swap = values[i];
      values[i] = values[j];
      values[j] = swap;
    }
    return values;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return this.shuffle(order);
  }
}

/** A generator's state as plain data (JSON-safe): see `SeededRandom.state`. */
export interface RandomState {
  words: [number, number, number, number];
  spareNormal: number | null;
}

/** Why `value` is not a state a generator can have (four unsigned 32-bit words, not all zero), or null. */
export function randomStateProblem(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'must be an object';
  const { words, spareNormal } = value as Partial<RandomState>;
  if (!Array.isArray(words) || words.length !== 4 || !words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffffffff)) {
    return 'words: must be four unsigned 32-bit integers';
  }
  if (words.every((word) => word === 0)) return 'words: all zero (a xoshiro generator never reaches that state)';
  if (spareNormal !== null && !(typeof spareNormal === 'number' && Number.isFinite(spareNormal))) return 'spareNormal: must be a finite number or null';
  return null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

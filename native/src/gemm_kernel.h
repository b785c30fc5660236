// The register-tiled micro-kernel and the packing of B, shared by the plain matrix product
// (gemm.cc) and the fused recurrent time loops (recurrent.cc), which give it their own write-out.
//
// Shape of the computation (BLIS/OpenBLAS style, reduced to what RNN training needs):
// - K is cut into blocks of KC so one packed block of B (KC×N) sits in L2 and one MR×KC sliver
//   of A in L1 while the micro-kernel sweeps across the N/NR panels of B.
// - The micro-kernel holds an MR×NR tile of C in vector registers (MR·NR/VEC accumulators:
//   16 zmm with AVX-512), broadcasts one A value per row and streams two B vectors per k.
// - A is broadcast, which needs no contiguity, so transA is just a different stride (a transposed
//   A sliver is copied once per K block when several panels reuse it).
// - What happens to a finished tile is the write-out's business (`WriteOut::row`): a plain store,
//   a bias added, the RNN's activation applied, or the BPTT step's dL/dh sum, norm and derivative.
//   It is told whether this is the first and the last K block, so C can hold partial sums between
//   blocks and the fused work runs once, on the finished sum.
// - Every element of C is the same sequence of operations whichever tile, thread or panel range
//   computes it (acc = 0, then acc += a·b over k in order), so a product split over threads is
//   bit-identical to the same product on one thread.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "simd.h"

#if defined(__AVX512F__)
#include "x86_intrinsics.h"
#endif

namespace vanishing {
namespace kernel {

constexpr int NR = 2 * VEC;  // two vectors of C columns per tile row
#if defined(__AVX512F__)
constexpr int MR = 8;  // 8×32: 16 accumulators of 32 zmm, enough independent FMA chains
#elif defined(__AVX__)
constexpr int MR = 6;  // 6×16: 12 of 16 ymm registers
#else
constexpr int MR = 4;  // 4×8 in 8 of 16 xmm/NEON registers
#endif
constexpr long KC = 256;
/**
 * Whether products can watch for denormal operands (sweepBlock). Not in the WebAssembly module:
 * only the fused backward loops watch, and the module has none.
 */
#if defined(__wasm__)
constexpr bool kWatchesDenormals = false;
#else
constexpr bool kWatchesDenormals = true;
#endif
/** Up to this many rows, an unpacked B (one K block, whole panels) is read in place: packing it would cost as much as it saves. */
constexpr long kDirectRows = 128;

inline long panelsOf(long N) { return (N + NR - 1) / NR; }

/** One grow-only, 64-byte aligned array of T (per thread, or owned by a call); reserve returns null when it cannot grow. */
template <class T>
struct GrowBufferOf {
  T* data = nullptr;
  size_t capacity = 0;
  GrowBufferOf() = default;
  GrowBufferOf(const GrowBufferOf&) = delete;
  GrowBufferOf& operator=(const GrowBufferOf&) = delete;
  ~GrowBufferOf() { std::free(data); }
  T* reserve(size_t count) {
    if (count > capacity) {
      std::free(data);
      const size_t bytes = ((count * sizeof(T) + 63) / 64) * 64;
      data = static_cast<T*>(std::aligned_alloc(64, bytes));
      capacity = data != nullptr ? count : 0;
    }
    return data;
  }
};
/** Floats: packed operands, the time loops' buffers. */
using GrowBuffer = GrowBufferOf<float>;
/** Doubles: the time loops' sums of squares. (No exceptions in the addon, so never std::vector, whose failed allocation aborts.) */
using DoubleBuffer = GrowBufferOf<double>;

/** C = acc, or C += acc when accumulating or past the first K block. */
struct StoreWriteOut {
  float* c;
  long ldc;
  bool accumulate;
  inline void row(long i, long j, vf a0, vf a1, int n0, int n1, bool first, bool /*last*/) const {
    float* p = c + i * ldc + j;
    if (accumulate || !first) {
      a0 += loadn(p, n0);
      a1 += loadn(p + VEC, n1);
    }
    storen(p, a0, n0);
    storen(p + VEC, a1, n1);
  }
};

/**
 * C[0:R, 0:nValid] ⟵ A[0:R, 0:kc] · Bpanel[0:kc, 0:NR] through `out`.
 * A element (r, k) is a[k*lda + r] when TRANS_A, else a[r*lda + k]; B row k starts at b + k*ldb.
 */
template <int R, bool TRANS_A, class WriteOut>
void microKernel(long kc, const float* __restrict a, long lda, const float* __restrict b, long ldb, const WriteOut& out, long i0, long j0,
                 int nValid, bool first, bool last) {
  vf acc0[R], acc1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = vf{};
  const float* aRows[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) aRows[r] = TRANS_A ? a + r : a + r * lda;
  const long aStep = TRANS_A ? lda : 1;
#pragma GCC unroll 2
  for (long k = 0; k < kc; ++k) {
    const vf b0 = loadu(b + k * ldb);
    const vf b1 = loadu(b + k * ldb + VEC);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const float av = aRows[r][k * aStep];
      acc0[r] += av * b0;
      acc1[r] += av * b1;
    }
  }
  const int n0 = std::min(nValid, VEC);
  const int n1 = std::max(nValid - VEC, 0);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) out.row(i0 + r, j0, acc0[r], acc1[r], n0, n1, first, last);
}

/** Rows [0, ROWS) of microKernelWide's tile, every product and sum in double. */
template <int ROWS, bool TRANS_A, class WriteOut>
inline void wideRows(long kc, const float* __restrict a, long lda, const float* __restrict b, long ldb, const WriteOut& out, long i0, long j0, int n0,
                     int n1, bool first, bool last) {
  vwide acc0[ROWS], acc1[ROWS];
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; ++r) acc0[r] = acc1[r] = vwide{};
  const long aStep = TRANS_A ? lda : 1;
  for (long k = 0; k < kc; ++k) {
    const vwide b0 = widen(loadu(b + k * ldb)), b1 = widen(loadu(b + k * ldb + VEC));
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; ++r) {
      const vwide av = splatd(static_cast<double>(TRANS_A ? a[k * aStep + r] : a[r * lda + k]));
      acc0[r] += av * b0;
      acc1[r] += av * b1;
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < ROWS; ++r) out.row(i0 + r, j0, narrow(acc0[r]), narrow(acc1[r]), n0, n1, first, last);
}

/**
 * microKernel for a sliver of A that holds denormal floats (a gradient that has vanished below
 * 1.2e-38). Every float multiply-add that reads or makes a denormal takes a microcode assist on
 * the Intel cores we measured (about 50 ns, a hundred times an ordinary one), so a 196-step tanh
 * stack spent 94 % of its step there. In double those values are ordinary numbers: products and
 * sums are exact or rounded in double, and the tile is rounded to float once for the write-out,
 * which is what the reference kernels (sums in JavaScript doubles) compute too. Nothing is flushed.
 * The rows go a few at a time so the double accumulators fit in registers.
 */
template <int R, bool TRANS_A, class WriteOut>
void microKernelWide(long kc, const float* __restrict a, long lda, const float* __restrict b, long ldb, const WriteOut& out, long i0, long j0,
                     int nValid, bool first, bool last) {
  constexpr int GROUP = VEC >= 16 ? 4 : 2;
  const int n0 = std::min(nValid, VEC);
  const int n1 = std::max(nValid - VEC, 0);
  int r0 = 0;
  for (; r0 + GROUP <= R; r0 += GROUP)
    wideRows<GROUP, TRANS_A>(kc, TRANS_A ? a + r0 : a + r0 * lda, lda, b, ldb, out, i0 + r0, j0, n0, n1, first, last);
  if constexpr (R % GROUP != 0) wideRows<R % GROUP, TRANS_A>(kc, TRANS_A ? a + r0 : a + r0 * lda, lda, b, ldb, out, i0 + r0, j0, n0, n1, first, last);
}

/** 1 when a float's bits are a denormal's (exponent bits zero, fraction bits not), else 0. */
inline long isDenormalBits(uint32_t bits) { return (bits & 0x7f800000u) == 0 && (bits & 0x007fffffu) != 0 ? 1 : 0; }

/**
 * Whether a sliver of A (`rows` × kc; element (r, k) at a[k*stride + r] when `transposed`, else
 * a[r*stride + k]) goes through microKernelWide: when more than one of its values in 200 is
 * denormal. Each denormal costs about two assists of ~150 cycles per panel of B in float, the
 * double kernel about 1.5 cycles more per value and panel, so a few scattered denormals (a
 * gradient just reaching the range) are cheaper in float, a vanished one far cheaper in double.
 * The choice is only about speed (both kernels give valid sums, nothing is flushed), so it looks
 * at a sample, one vector in four (a quarter of runs shorter than a vector), which keeps it to a
 * few per cent of a one-panel product. It depends on the sliver's values alone, so any split
 * over threads makes the same choices.
 */
inline bool worthWidening(const float* a, long stride, int rows, long kc, bool transposed) {
  const bool contiguous = transposed && stride == rows;  // a packed transposed sliver: one run
  const long runs = contiguous ? 1 : transposed ? kc : rows;
  const long length = contiguous ? rows * kc : transposed ? rows : kc;
  long seen = 0, denormal = 0;
  for (long run = 0; run < runs; run += length >= VEC ? 1 : 4) {
    const float* p = a + run * stride;
    if (length >= VEC) {
      vi found = {};
      for (long i = 0; i + VEC <= length; i += 4 * VEC) {
        vi bits;
        std::memcpy(&bits, p + i, sizeof bits);
        found -= ((bits & 0x7f800000) == 0) & ((bits & 0x007fffff) != 0);  // true lanes are −1
        seen += VEC;
      }
      for (int l = 0; l < VEC; ++l) denormal += found[l];
    } else {
      for (long i = 0; i < length; ++i) {
        uint32_t bits;
        std::memcpy(&bits, p + i, sizeof bits);
        denormal += isDenormalBits(bits);
        ++seen;
      }
    }
  }
  return 200 * denormal > seen;
}

/** Floats a buffer for packTransposedSliver holds: a whole sliver, and one copy's overrun. */
constexpr long kSliverFloats = KC * MR + VEC;

/**
 * Copies `rows` (≤ MR) columns of a K×M matrix stored row-major (element (r, k) at a[k*lda + r]),
 * kc rows deep, into kc×rows contiguous floats at `out` (kSliverFloats of room). Where a row has
 * at least a whole copy's width from the sliver on (`rowRemaining` floats), each k is one vector
 * load and one store of that width; the next k's store overwrites the floats past `rows`, so the
 * last one overruns by at most VEC floats. This replaced a memcpy of `rows` floats per k, which
 * compiled to a byte-count loop and took 9 % of an LSTM step's time.
 * With SUMS = 1 it also adds the columns' values, k after k, to sums[0, rows), with SUMS = 2 to
 * twinSums[0, rows) as well: a bias gradient's column sums ride on the pass that reads the gate
 * gradients for dW. Each column's sum is the same float additions in the same order as
 * accumulateColumnSums's (pointwise.cc), so the results are identical; the vector lanes past
 * `rows` add neighbouring columns' values and are never stored.
 */
template <int SUMS = 0>
inline void packTransposedSliver(const float* a, long lda, long kc, int rows, long rowRemaining, float* out, float* sums = nullptr,
                                 float* twinSums = nullptr) {
  constexpr int WIDTH = MR <= VEC / 2 ? VEC / 2 : VEC;
  typedef float vcopy __attribute__((vector_size(WIDTH * 4)));
  const size_t bytes = sizeof(float) * static_cast<size_t>(rows);
  if (rowRemaining >= WIDTH) {
    vcopy sum{}, twin{};
    if constexpr (SUMS >= 1) std::memcpy(&sum, sums, bytes);
    if constexpr (SUMS >= 2) std::memcpy(&twin, twinSums, bytes);
    for (long k = 0; k < kc; ++k) {
      vcopy v;
      std::memcpy(&v, a + k * lda, sizeof v);
      std::memcpy(out + k * rows, &v, sizeof v);
      if constexpr (SUMS >= 1) sum += v;
      if constexpr (SUMS >= 2) twin += v;
    }
    if constexpr (SUMS >= 1) std::memcpy(sums, &sum, bytes);
    if constexpr (SUMS >= 2) std::memcpy(twinSums, &twin, bytes);
    return;
  }
  for (long k = 0; k < kc; ++k) {
    std::memcpy(out + k * rows, a + k * lda, bytes);
    if constexpr (SUMS >= 1) {
      for (int r = 0; r < rows; ++r) {
        sums[r] += a[k * lda + r];
        if constexpr (SUMS >= 2) twinSums[r] += a[k * lda + r];
      }
    }
  }
}

template <bool TRANS_A, class WriteOut>
using MicroKernel = void (*)(long, const float*, long, const float*, long, const WriteOut&, long, long, int, bool, bool);

/** microKernel, or microKernelWide when WIDE, for R rows. */
template <int R, bool WIDE, bool TRANS_A, class WriteOut>
constexpr MicroKernel<TRANS_A, WriteOut> kernelOf() {
  if constexpr (WIDE)
    return &microKernelWide<R, TRANS_A, WriteOut>;
  else
    return &microKernel<R, TRANS_A, WriteOut>;
}

/** The kernel for `rows` (1 to MR) rows: a table, since rows is known only at run time. */
template <bool TRANS_A, class WriteOut, bool WIDE = false>
MicroKernel<TRANS_A, WriteOut> kernelFor(int rows) {
  static_assert(MR <= 8, "extend the table for larger tiles");
  static constexpr MicroKernel<TRANS_A, WriteOut> table[9] = {nullptr,
                                                              kernelOf<1, WIDE, TRANS_A, WriteOut>(),
                                                              kernelOf<2 <= MR ? 2 : 1, WIDE, TRANS_A, WriteOut>(),
                                                              kernelOf<3 <= MR ? 3 : 1, WIDE, TRANS_A, WriteOut>(),
                                                              kernelOf<4 <= MR ? 4 : 1, WIDE, TRANS_A, WriteOut>(),
                                                              kernelOf<5 <= MR ? 5 : 1, WIDE, TRANS_A, WriteOut>(),
                                                              kernelOf<6 <= MR ? 6 : 1, WIDE, TRANS_A, WriteOut>(),
                                                              kernelOf<7 <= MR ? 7 : 1, WIDE, TRANS_A, WriteOut>(),
                                                              kernelOf<8 <= MR ? 8 : 1, WIDE, TRANS_A, WriteOut>()};
  return table[rows];
}

/** Packs panel p of op(B)[k0:k0+kc, :] of a K×N B (not transposed) into kc×NR, zero-padded. */
inline void packRowsPanel(const float* b, long N, long k0, long kc, long p, float* panel) {
  const long j0 = p * NR;
  const long width = std::min<long>(NR, N - j0);
  for (long k = 0; k < kc; ++k) {
    const float* src = b + (k0 + k) * N + j0;
    float* out = panel + k * NR;
    if (width == NR) {
      storeu(out, loadu(src));
      storeu(out + VEC, loadu(src + VEC));
    } else {
      long j = 0;
      for (; j < width; ++j) out[j] = src[j];
      for (; j < NR; ++j) out[j] = 0.0f;
    }
  }
}

#if defined(__AVX512F__)
/**
 * dst[k*dstStride + r] = src[r*srcStride + k] for a 16×16 block: 16 row loads, the standard
 * in-register transpose (unpack ps, unpack pd, two rounds of 128-bit lane shuffles), 16 stores.
 */
inline void transpose16(const float* src, long srcStride, float* dst, long dstStride) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * srcStride);
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
    const __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int h = 0; h < 16; h += 8) {
    for (int i = 0; i < 4; ++i) {
      t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
      t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
    }
  }
  for (int i = 0; i < 8; ++i) {
    _mm512_storeu_ps(dst + i * dstStride, _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88));
    _mm512_storeu_ps(dst + (i + 8) * dstStride, _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd));
  }
}
#endif

/**
 * Packs panel p of op(B)[k0:k0+kc, :] of a transposed B (stored N×K) into kc×NR: a transpose.
 * With AVX-512, whole 16×16 blocks go through registers (about 8× faster than element by element);
 * edges go element by element.
 */
inline void packTransposedPanel(const float* b, long N, long K, long k0, long kc, long p, float* panel) {
  const long j0 = p * NR;
  const long width = std::min<long>(NR, N - j0);
  if (width < NR) {
    for (long k = 0; k < kc; ++k)
      for (long j = width; j < NR; ++j) panel[k * NR + j] = 0.0f;
  }
  long j = 0;
#if defined(__AVX512F__)
  for (; j + 16 <= width; j += 16) {
    const float* src = b + (j0 + j) * K + k0;
    long k = 0;
    for (; k + 16 <= kc; k += 16) transpose16(src + k, K, panel + k * NR + j, NR);
    for (; k < kc; ++k)
      for (long l = 0; l < 16; ++l) panel[k * NR + j + l] = src[l * K + k];
  }
#endif
  for (; j < width; ++j) {
    const float* src = b + (j0 + j) * K + k0;
    float* out = panel + j;
    for (long k = 0; k < kc; ++k) out[k * NR] = src[k];
  }
}

/** Floats of op(B) (K×N) packed whole: every K block, every panel. */
inline size_t packedFloats(long K, long N) { return static_cast<size_t>(K) * static_cast<size_t>(panelsOf(N) * NR); }

/** Where panel p of K block k0 (kc deep) starts in a whole packing: blocks one after another, panels within a block. */
inline const float* packedPanel(const float* packed, long N, long k0, long kc, long p) {
  return packed + k0 * panelsOf(N) * NR + p * kc * NR;
}

/** Packs panels [pBegin, pEnd) of every K block of op(B) into `packed` (layout of packedPanel). */
inline void packPanels(bool transB, const float* b, long K, long N, long pBegin, long pEnd, float* packed) {
  for (long k0 = 0; k0 < K; k0 += KC) {
    const long kc = std::min(KC, K - k0);
    for (long p = pBegin; p < pEnd; ++p) {
      float* panel = const_cast<float*>(packedPanel(packed, N, k0, kc, p));
      if (transB)
        packTransposedPanel(b, N, K, k0, kc, p, panel);
      else
        packRowsPanel(b, N, k0, kc, p, panel);
    }
  }
}

/**
 * One sliver of A (`rows` rows from i0, kc deep, element (r, k) as in microKernel with lda =
 * aStride) across panels [pBegin, pEnd) of one K block, B given by panelOf(p) → {pointer, ldb}.
 * With `watched`, a sliver rich in denormals goes through microKernelWide (worthWidening).
 */
template <bool TRANS_A, class WriteOut, class PanelOf>
inline void sliverAcrossPanels(long kc, const float* aBlock, long aStride, int rows, long pBegin, long pEnd, long N, PanelOf panelOf,
                               const WriteOut& out, long i0, bool first, bool last, bool watched) {
  MicroKernel<TRANS_A, WriteOut> kernel = kernelFor<TRANS_A, WriteOut>(rows);
  if constexpr (kWatchesDenormals) {
    if (watched && worthWidening(aBlock, aStride, rows, kc, TRANS_A)) kernel = kernelFor<TRANS_A, WriteOut, true>(rows);
  }
  for (long p = pBegin; p < pEnd; ++p) {
    const long j0 = p * NR;
    const auto panel = panelOf(p);
    kernel(kc, aBlock, aStride, panel.first, panel.second, out, i0, j0, static_cast<int>(std::min<long>(NR, N - j0)), first, last);
  }
}

/**
 * Rows [rowBegin, rowEnd) × panels [pBegin, pEnd) of C ⟵ op(A)·op(B) for one K block (k0, kc),
 * B given by panelOf(p) → {pointer, ldb}. `aPack` (kSliverFloats) takes a transposed A sliver.
 * With `watchDenormals`, a sliver of A rich in denormals goes through microKernelWide (the
 * products of a vanished gradient; worthWidening); the choice depends only on the sliver (MR rows
 * from rowBegin, which callers keep on multiples of MR), so it is the same with any split over threads.
 */
template <bool TRANS_A, class WriteOut, class PanelOf>
void sweepBlock(long rowBegin, long rowEnd, long pBegin, long pEnd, long N, long k0, long kc, const float* a, long lda, PanelOf panelOf,
                const WriteOut& out, bool first, bool last, float* aPack, bool watchDenormals = false) {
  // A product one panel wide does so little per sliver that looking at the sliver would cost more
  // than the assists it could spare (N, not this share's panels: the choice must not depend on the split).
  const bool watched = watchDenormals && panelsOf(N) >= 2;
  for (long i0 = rowBegin; i0 < rowEnd; i0 += MR) {
    const int rows = static_cast<int>(std::min<long>(MR, rowEnd - i0));
    const float* aBlock = TRANS_A ? a + k0 * lda + i0 : a + i0 * lda + k0;
    long aStride = lda;
    if (TRANS_A && pEnd - pBegin > 1) {
      // A stored K×M: the sliver's rows sit lda apart, one partial cache line per k. Copy it
      // into kc×rows contiguous floats once and reuse it from L1 for every panel of B.
      packTransposedSliver(aBlock, lda, kc, rows, lda - i0, aPack);
      aBlock = aPack;
      aStride = rows;
    }
    sliverAcrossPanels<TRANS_A>(kc, aBlock, aStride, rows, pBegin, pEnd, N, panelOf, out, i0, first, last, watched);
  }
}

/**
 * A share of C = op(A)·op(B) through `out`: rows [rowBegin, rowEnd) × panels [pBegin, pEnd), every
 * K block. B is packed here, block by block, into `buffer` (only this share's panels), except
 * when it can be read in place: not transposed, whole panels, one K block and few rows (the
 * small per-step products, where packing would cost as much as it saves). Returns false when
 * `buffer` cannot grow.
 */
template <class WriteOut>
bool gemmShare(bool transA, bool transB, long M, long N, long K, const float* a, const float* b, const WriteOut& out, long rowBegin, long rowEnd,
               long pBegin, long pEnd, GrowBuffer& buffer, bool watchDenormals = false) {
  (void)M;
  if (rowBegin >= rowEnd || pBegin >= pEnd) return true;
  const long lda = transA ? M : K;
  const bool direct = !transB && N % NR == 0 && K <= KC && rowEnd - rowBegin <= kDirectRows;
  const long ownPanels = pEnd - pBegin;
  const size_t bFloats = direct ? 0 : static_cast<size_t>(ownPanels * NR * std::min(K, KC));
  float* packed = buffer.reserve(bFloats + static_cast<size_t>(kSliverFloats));
  if (packed == nullptr) return false;
  float* aPack = packed + bFloats;
  for (long k0 = 0; k0 < K; k0 += KC) {
    const long kc = std::min(KC, K - k0);
    if (!direct) {
      for (long p = pBegin; p < pEnd; ++p) {
        float* panel = packed + (p - pBegin) * kc * NR;
        if (transB)
          packTransposedPanel(b, N, K, k0, kc, p, panel);
        else
          packRowsPanel(b, N, k0, kc, p, panel);
      }
    }
    auto panelOf = [&](long p) -> std::pair<const float*, long> {
      if (direct) return {b + k0 * N + p * NR, N};
      return {packed + (p - pBegin) * kc * NR, static_cast<long>(NR)};
    };
    const bool first = k0 == 0, last = k0 + kc >= K;
    if (transA)
      sweepBlock<true>(rowBegin, rowEnd, pBegin, pEnd, N, k0, kc, a, lda, panelOf, out, first, last, aPack, watchDenormals);
    else
      sweepBlock<false>(rowBegin, rowEnd, pBegin, pEnd, N, k0, kc, a, lda, panelOf, out, first, last, aPack, watchDenormals);
  }
  return true;
}

/**
 * Worker w of `workers`'s share of an M×N product: whole MR-row blocks when there are many rows
 * (each worker reads only its rows of A; it packs all of B, which costs less than every worker
 * reading all of A: a 1792×256·256×256 product on 2 threads went from 0.6–0.8 to 0.58–0.62 of its
 * 1-thread time), else whole panels when there are enough of them (each worker packs only its own
 * panels of B), else row blocks.
 */
struct Share {
  long rowBegin, rowEnd, pBegin, pEnd;
};
inline Share shareOf(long M, long N, int worker, int workers) {
  const long panels = panelsOf(N);
  if (M >= 8 * MR * workers) {
    const long blocks = (M + MR - 1) / MR;
    return {std::min(M, blocks * worker / workers * MR), std::min(M, blocks * (worker + 1) / workers * MR), 0, panels};
  }
  if (panels >= workers || M <= MR) {
    return {0, M, panels * worker / workers, panels * (worker + 1) / workers};
  }
  const long blocks = (M + MR - 1) / MR;
  return {std::min(M, blocks * worker / workers * MR), std::min(M, blocks * (worker + 1) / workers * MR), 0, panels};
}

/** Columns [begin, end) of `cols` for worker w: whole vectors, so the vector loops stay the same. */
inline std::pair<long, long> columnsOf(long cols, int worker, int workers) {
  const long vectors = (cols + VEC - 1) / VEC;
  return {std::min(cols, vectors * worker / workers * VEC), std::min(cols, vectors * (worker + 1) / workers * VEC)};
}

}  // namespace kernel
}  // namespace vanishing

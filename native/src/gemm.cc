// The matrix product: a register-tiled micro-kernel over B packed into NR-wide panels.
//
// Shape of the computation (BLIS/OpenBLAS style, reduced to what RNN training needs):
// - K is cut into blocks of KC so one packed block of B (KC×N) sits in L2 and one MR×KC sliver
//   of A in L1 while the micro-kernel sweeps across all N/NR panels of B.
// - The micro-kernel holds an MR×NR tile of C in vector registers (MR·NR/VEC accumulators:
//   16 zmm with AVX-512), broadcasts one A value per row and streams two B vectors per k.
// - A is never packed: its values are broadcast, which needs no contiguity, so transA is just a
//   different stride. B is packed (zero-padded to whole panels) only when it is transposed or
//   N is not a multiple of NR; otherwise the micro-kernel reads B in place. Packing is what a
//   transposed B (x·Wᵀ, the forward products) costs, so it is a vectorised transpose.
// - The packing buffer is one per thread, grown once and reused: no allocation per call.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "simd.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace vanishing {
namespace {

constexpr int NR = 2 * VEC;  // two vectors of C columns per tile row
#if defined(__AVX512F__)
constexpr int MR = 8;        // 8×32: 16 accumulators of 32 zmm, enough independent FMA chains
#elif defined(__AVX__)
constexpr int MR = 6;        // 6×16: 12 of 16 ymm registers
#else
constexpr int MR = 4;        // 4×8 in 8 of 16 xmm/NEON registers
#endif
constexpr long KC = 256;

/** One grow-only, 64-byte aligned packing buffer per thread (worker threads share the addon). */
struct PackBuffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~PackBuffer() { std::free(data); }
  float* reserve(size_t floats) {
    if (floats > capacity) {
      std::free(data);
      size_t bytes = ((floats * 4 + 63) / 64) * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      capacity = data != nullptr ? floats : 0;
    }
    return data;
  }
};
thread_local PackBuffer packBuffer;

/**
 * C[0:R, 0:nValid] (+)= A[0:R, 0:kc] · Bpanel[0:kc, 0:NR].
 * A element (r, k) is a[k*lda + r] when TRANS_A, else a[r*lda + k]; B row k starts at b + k*ldb.
 */
template <int R, bool TRANS_A>
void microKernel(long kc, const float* __restrict a, long lda, const float* __restrict b, long ldb, float* __restrict c, long ldc,
                 int nValid, bool addC) {
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
  if (nValid == NR) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      float* row = c + r * ldc;
      if (addC) {
        storeu(row, loadu(row) + acc0[r]);
        storeu(row + VEC, loadu(row + VEC) + acc1[r]);
      } else {
        storeu(row, acc0[r]);
        storeu(row + VEC, acc1[r]);
      }
    }
    return;
  }
  // Right edge of C: spill the tile and write only the valid columns.
  float tile[NR];
  for (int r = 0; r < R; ++r) {
    storeu(tile, acc0[r]);
    storeu(tile + VEC, acc1[r]);
    float* row = c + r * ldc;
    if (addC)
      for (int j = 0; j < nValid; ++j) row[j] += tile[j];
    else
      for (int j = 0; j < nValid; ++j) row[j] = tile[j];
  }
}

typedef void (*MicroKernel)(long, const float*, long, const float*, long, float*, long, int, bool);

template <bool TRANS_A>
MicroKernel kernelFor(int rows) {
  static_assert(MR <= 8, "extend the table for larger tiles");
  static constexpr MicroKernel table[9] = {nullptr,
                                           &microKernel<1, TRANS_A>,
                                           &microKernel<2 <= MR ? 2 : 1, TRANS_A>,
                                           &microKernel<3 <= MR ? 3 : 1, TRANS_A>,
                                           &microKernel<4 <= MR ? 4 : 1, TRANS_A>,
                                           &microKernel<5 <= MR ? 5 : 1, TRANS_A>,
                                           &microKernel<6 <= MR ? 6 : 1, TRANS_A>,
                                           &microKernel<7 <= MR ? 7 : 1, TRANS_A>,
                                           &microKernel<8 <= MR ? 8 : 1, TRANS_A>};
  return table[rows];
}

/** Packs op(B)[k0:k0+kc, 0:N] of a K×N B (not transposed) into zero-padded NR-wide panels. */
void packRows(const float* b, long N, long k0, long kc, float* dst) {
  for (long j0 = 0; j0 < N; j0 += NR) {
    const long width = std::min<long>(NR, N - j0);
    float* panel = dst + (j0 / NR) * kc * NR;
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
 * Packs op(B)[k0:k0+kc, 0:N] of a transposed B (stored N×K) into NR-wide panels: a transpose.
 * With AVX-512, whole 16×16 blocks go through registers (about 8× faster than element by element,
 * which matters because x·Wᵀ is packed on every recurrent step); edges go element by element.
 */
void packTransposed(const float* b, long N, long K, long k0, long kc, float* dst) {
  for (long j0 = 0; j0 < N; j0 += NR) {
    const long width = std::min<long>(NR, N - j0);
    float* panel = dst + (j0 / NR) * kc * NR;
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
}

}  // namespace

int gemmTileRows() { return MR; }
int gemmTileCols() { return NR; }

bool gemm(bool transA, bool transB, long M, long N, long K, const float* a, const float* b, float* c, bool accumulate) {
  if (M <= 0 || N <= 0) return true;
  if (K <= 0) {
    if (!accumulate) std::fill(c, c + M * N, 0.0f);
    return true;
  }
  const long lda = transA ? M : K;
  const long panels = (N + NR - 1) / NR;
  // B is read in place only for one K block (the small per-step products, where packing would
  // cost as much as it saves); across several blocks a packed, contiguous panel streams better.
  const bool direct = !transB && N % NR == 0 && K <= KC;
  // One buffer: packed B block (panels·NR·KC floats), then the packed A sliver (KC·MR floats).
  const size_t bFloats = direct ? 0 : static_cast<size_t>(panels * NR * std::min(K, KC));
  float* buffer = packBuffer.reserve(bFloats + static_cast<size_t>(KC * MR));
  if (buffer == nullptr) return false;
  float* packed = buffer;
  float* aPacked = buffer + bFloats;
  const MicroKernel full = transA ? kernelFor<true>(MR) : kernelFor<false>(MR);
  for (long k0 = 0; k0 < K; k0 += KC) {
    const long kc = std::min(KC, K - k0);
    const bool addC = accumulate || k0 > 0;
    if (!direct) {
      if (transB)
        packTransposed(b, N, K, k0, kc, packed);
      else
        packRows(b, N, k0, kc, packed);
    }
    for (long i0 = 0; i0 < M; i0 += MR) {
      const int rows = static_cast<int>(std::min<long>(MR, M - i0));
      const MicroKernel kernel = rows == MR ? full : (transA ? kernelFor<true>(rows) : kernelFor<false>(rows));
      const float* aBlock = transA ? a + k0 * lda + i0 : a + i0 * lda + k0;
      long aStride = lda;
      if (transA && panels > 1) {
        // A stored K×M: the sliver's rows sit lda apart, one partial cache line per k. Copy it
        // into kc×rows contiguous floats once and reuse it from L1 for every panel of B.
        if (rows == MR) {
          for (long k = 0; k < kc; ++k) std::memcpy(aPacked + k * MR, aBlock + k * lda, sizeof(float) * MR);
        } else {
          for (long k = 0; k < kc; ++k)
            for (int r = 0; r < rows; ++r) aPacked[k * rows + r] = aBlock[k * lda + r];
        }
        aBlock = aPacked;
        aStride = rows;
      }
      for (long p = 0; p < panels; ++p) {
        const long j0 = p * NR;
        const int nValid = static_cast<int>(std::min<long>(NR, N - j0));
        const float* bPanel = direct ? b + k0 * N + j0 : packed + p * kc * NR;
        kernel(kc, aBlock, aStride, bPanel, direct ? N : NR, c + i0 * N + j0, N, nValid, addC);
      }
    }
  }
  return true;
}

}  // namespace vanishing

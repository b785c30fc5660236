// Portable SIMD vocabulary for the native kernels: GCC/Clang vector extensions sized to the
// widest float vector the target has (-march=native picks it), so one source compiles to
// AVX-512, AVX2, SSE or NEON code. Helpers here are branch-free so every lane does the same work.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__)
constexpr int VEC = 16;
#define VANISHING_ISA "AVX-512"
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int VEC = 8;
#define VANISHING_ISA "AVX2+FMA"
#elif defined(__AVX__)
constexpr int VEC = 8;
#define VANISHING_ISA "AVX"
#elif defined(__ARM_NEON)
constexpr int VEC = 4;
#define VANISHING_ISA "NEON"
#elif defined(__SSE2__)
constexpr int VEC = 4;
#define VANISHING_ISA "SSE2"
#else
constexpr int VEC = 4;
#define VANISHING_ISA "portable"
#endif

typedef float vf __attribute__((vector_size(VEC * 4)));
typedef int32_t vi __attribute__((vector_size(VEC * 4)));

static inline vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
static inline vf splat(float x) { return vf{} + x; }

/** Loads n < VEC floats, the rest zero (tails of rows). */
static inline vf load_partial(const float* p, int n) {
  float tmp[VEC] = {};
  std::memcpy(tmp, p, static_cast<size_t>(n) * 4);
  return loadu(tmp);
}
static inline void store_partial(float* p, vf v, int n) {
  float tmp[VEC];
  storeu(tmp, v);
  std::memcpy(p, tmp, static_cast<size_t>(n) * 4);
}

static inline vf vmin(vf a, vf b) { return a < b ? a : b; }
static inline vf vmax(vf a, vf b) { return a > b ? a : b; }
static inline vf vabs(vf x) { return (vf)((vi)x & 0x7fffffff); }

/**
 * e^x, Cephes expf's range reduction and polynomial (relative error ~2e-7). The argument is
 * clamped to [-87.3, 88] so 2^n stays a normal float; sigmoid and tanh only need that range.
 */
static inline vf vexp(vf x) {
  x = vmin(vmax(x, splat(-87.3f)), splat(88.0f));
  vf fx = x * 1.44269504088896341f + 0.5f;
  vf truncated = __builtin_convertvector(__builtin_convertvector(fx, vi), vf);
  fx = truncated > fx ? truncated - 1.0f : truncated;  // floor
  x = x - fx * 0.693359375f;
  x = x - fx * -2.12194440e-4f;
  vf z = x * x;
  vf y = splat(1.9875691500e-4f);
  y = y * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * z + x + 1.0f;
  vi n = __builtin_convertvector(fx, vi);
  vf pow2n = (vf)((n + 127) << 23);
  return y * pow2n;
}

/**
 * tanh: Cephes tanhf's odd polynomial below |x| = 0.625 (where 1 − 2/(e^{2x}+1) would lose
 * relative precision to cancellation), the exponential form above it.
 */
static inline vf vtanh(vf x) {
  vf ax = vabs(x);
  vf z = x * x;
  vf p = splat(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  vf small = p * z * x + x;
  vf large = 1.0f - 2.0f / (vexp(ax + ax) + 1.0f);
  large = (vf)((vi)large | ((vi)x & (int32_t)0x80000000));  // copy the sign of x
  return ax < 0.625f ? small : large;
}

static inline vf vsigmoid(vf x) { return 1.0f / (1.0f + vexp(-x)); }

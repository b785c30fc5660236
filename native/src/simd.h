// Portable SIMD vocabulary for the native kernels: GCC/Clang vector extensions sized to the
// widest float vector the variant being compiled has, so one source compiles to AVX-512, AVX2,
// SSE2 or NEON code. native/binding.gyp builds one variant per instruction set with explicit
// flags (never -march=native) and src/kernels/native-kernels.ts loads the best one the running
// CPU supports. Helpers here are branch-free so every lane does the same work.
//
// Non-finite values: every function the kernels use gives what IEEE arithmetic gives for NaN and
// ±Inf (NaN in, NaN out; tanh(±Inf) = ±1, σ(+Inf) = 1, σ(−Inf) = 0, relu(NaN) = NaN). A
// comparison with NaN is false, so a clamp or a max turns NaN into a bound: the functions below
// are written (or end in a select) so that NaN lanes come out NaN.
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include "x86_intrinsics.h"
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

// VANISHING_VARIANT names the build variant (the file vanishing_<variant>.node and the value of
// VANISHING_NATIVE_ISA); VANISHING_ISA describes its instruction set for people.
#if defined(__AVX512F__)
constexpr int VEC = 16;
#define VANISHING_VARIANT "avx512"
#define VANISHING_ISA "AVX-512 F+BW+DQ+VL"
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int VEC = 8;
#define VANISHING_VARIANT "avx2"
#define VANISHING_ISA "AVX2+FMA"
#elif defined(__ARM_NEON)
constexpr int VEC = 4;
#define VANISHING_VARIANT "neon"
#define VANISHING_ISA "NEON"
#elif defined(__SSE2__)
constexpr int VEC = 4;
#define VANISHING_VARIANT "baseline"
#define VANISHING_ISA "SSE2"
#elif defined(__wasm_simd128__)
// WebAssembly SIMD (wasm/build.mjs, clang -msimd128): the vector extensions below lower to
// v128 instructions directly, so the kernels need no wasm_simd128.h intrinsics.
constexpr int VEC = 4;
#define VANISHING_VARIANT "wasm"
#define VANISHING_ISA "WebAssembly SIMD128"
#else
constexpr int VEC = 4;
#define VANISHING_VARIANT "portable"
#define VANISHING_ISA "portable"
#endif

typedef float vf __attribute__((vector_size(VEC * 4)));
typedef int32_t vi __attribute__((vector_size(VEC * 4)));

/** Half a vf's floats, and as many doubles: one native register each (a vf's floats widen into two vdouble). */
typedef float vhalf __attribute__((vector_size(VEC * 2)));
typedef double vdouble __attribute__((vector_size(VEC * 4)));

/**
 * A vf's lanes as doubles: two native vdouble (lanes [0, VEC/2) and [VEC/2, VEC)). A GCC vector
 * of VEC doubles would be twice a register wide; GCC kept such vectors on the stack and widened
 * floats into them lane by lane (a sum of squares ran ten times slower than memory, the
 * optimiser steps four times), so the halves are spelt out.
 */
struct vwide {
  vdouble lo, hi;
};
static inline vwide operator+(const vwide& a, const vwide& b) { return {a.lo + b.lo, a.hi + b.hi}; }
static inline vwide operator-(const vwide& a, const vwide& b) { return {a.lo - b.lo, a.hi - b.hi}; }
static inline vwide operator*(const vwide& a, const vwide& b) { return {a.lo * b.lo, a.hi * b.hi}; }
static inline vwide operator/(const vwide& a, const vwide& b) { return {a.lo / b.lo, a.hi / b.hi}; }
static inline vwide& operator+=(vwide& a, const vwide& b) { return a = a + b; }
static inline vwide splatd(double x) { return {vdouble{} + x, vdouble{} + x}; }
/** Lane l of v (lanes in vf order). */
static inline double lane(const vwide& v, int l) { return l < VEC / 2 ? v.lo[l] : v.hi[l - VEC / 2]; }
/** The sum of v's lanes, added one by one in lane order (the same order on every run, variant and thread count). */
static inline double sumInLaneOrder(const vwide& v) {
  double sum = 0;
  for (int l = 0; l < VEC; ++l) sum += lane(v, l);
  return sum;
}

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

/** Loads/stores `n` (0 ≤ n ≤ VEC) floats, a whole vector or a ragged end; loaded lanes past n are zero. */
static inline vf loadn(const float* p, int n) {
  if (n < 0 || n > VEC) __builtin_unreachable();  // tells the compiler the partial copy's size is small
  return n == VEC ? loadu(p) : n == 0 ? vf{} : load_partial(p, n);
}
static inline void storen(float* p, vf v, int n) {
  if (n < 0 || n > VEC) __builtin_unreachable();
  if (n == VEC)
    storeu(p, v);
  else if (n > 0)
    store_partial(p, v, n);
}

/**
 * Calls body(offset, count) over [0, n) in chunks of VEC; count < VEC only for the last one. The
 * whole chunks pass the constant VEC, so once body is inlined their loadn and storen are plain
 * vector moves and any handling of spare lanes drops out.
 */
template <typename Body>
inline void chunks(long n, Body body) {
  long i = 0;
  for (; i + VEC <= n; i += VEC) body(i, VEC);
  if (i < n) body(i, static_cast<int>(n - i));
}

/**
 * Every lane of v, exactly, as double. On x86 the halves are taken and joined in registers: GCC
 * compiled the memcpy of a half through the stack, a 32-byte load of two 16-byte stores that
 * cannot be forwarded, which held an SGD step to 1.7 ns a float.
 */
static inline vwide widen(vf v) {
  vwide out;
#if defined(__AVX512F__)
  __m512 x;
  std::memcpy(&x, &v, sizeof x);
  const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
  const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
  std::memcpy(&out.lo, &lo, sizeof lo);
  std::memcpy(&out.hi, &hi, sizeof hi);
#elif defined(__AVX__)
  __m256 x;
  std::memcpy(&x, &v, sizeof x);
  const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
  const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
  std::memcpy(&out.lo, &lo, sizeof lo);
  std::memcpy(&out.hi, &hi, sizeof hi);
#else
  vhalf lo, hi;
  std::memcpy(&lo, &v, sizeof lo);
  std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
  out = {__builtin_convertvector(lo, vdouble), __builtin_convertvector(hi, vdouble)};
#endif
  return out;
}
/** Every lane of v rounded to float (IEEE round to nearest), the halves joined as widen takes them apart. */
static inline vf narrow(const vwide& v) {
  vf out;
#if defined(__AVX512F__)
  __m512d lo, hi;
  std::memcpy(&lo, &v.lo, sizeof lo);
  std::memcpy(&hi, &v.hi, sizeof hi);
  const __m512 joined = _mm512_castpd_ps(
      _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(_mm512_cvtpd_ps(lo))), _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
  std::memcpy(&out, &joined, sizeof out);
#elif defined(__AVX__)
  __m256d lo, hi;
  std::memcpy(&lo, &v.lo, sizeof lo);
  std::memcpy(&hi, &v.hi, sizeof hi);
  const __m256 joined = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
  std::memcpy(&out, &joined, sizeof out);
#else
  const vhalf lo = __builtin_convertvector(v.lo, vhalf), hi = __builtin_convertvector(v.hi, vhalf);
  std::memcpy(&out, &lo, sizeof lo);
  std::memcpy(reinterpret_cast<char*>(&out) + sizeof lo, &hi, sizeof hi);
#endif
  return out;
}

/** Whether every lane of a comparison's result is true (−1). */
static inline bool allLanes(vi m) {
#if defined(__AVX512F__)
  __m512i v;
  std::memcpy(&v, &m, sizeof v);
  return _mm512_movepi32_mask(v) == 0xffff;
#elif defined(__AVX__)
  __m256 v;
  std::memcpy(&v, &m, sizeof v);
  return _mm256_movemask_ps(v) == 0xff;
#elif defined(__SSE2__)
  __m128 v;
  std::memcpy(&v, &m, sizeof v);
  return _mm_movemask_ps(v) == 0xf;
#elif defined(__ARM_NEON) && defined(__aarch64__)
  uint32x4_t v;
  std::memcpy(&v, &m, sizeof v);
  return vminvq_u32(v) != 0;
#else
  int32_t all = -1;
  for (int l = 0; l < VEC; ++l) all &= m[l];
  return all != 0;
#endif
}

static inline vf vmin(vf a, vf b) { return a < b ? a : b; }
static inline vf vmax(vf a, vf b) { return a > b ? a : b; }
static inline vf vabs(vf x) { return (vf)((vi)x & 0x7fffffff); }
/** NaN lanes of x, else `value`: restores what a clamp or a comparison dropped. */
static inline vf keep_nan(vf x, vf value) { return x != x ? x : value; }

/** max(x, 0) with NaN passing through, as PyTorch's relu (`x > 0 ? x : 0` would give 0). */
static inline vf vrelu(vf x) { return x <= 0.0f ? vf{} : x; }

/**
 * e^x for the finite range tanh and sigmoid need: Cephes expf's range reduction and polynomial
 * (relative error ~2e-7) on x clamped to [-87.3, 88], so 2^n stays a normal float. Outside that
 * range it returns e^-87.3 or e^88, and NaN becomes a bound too (which keeps the float-to-int
 * conversion defined): tanh and sigmoid put back what IEEE gives, only where their result shows
 * it, one select each (fixing every lane of exp itself cost ~15% of tanh's time).
 */
static inline vf vexp_clamped(vf x) {
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

/** tanh's odd polynomial (Cephes tanhf), for |x| < 0.625. */
static inline vf vtanh_small(vf x) {
  vf z = x * x;
  vf p = splat(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  return p * z * x + x;
}

/**
 * tanh: Cephes tanhf's odd polynomial below |x| = 0.625 (where 1 − 2/(e^{2x}+1) would lose
 * relative precision to cancellation), the exponential form above it. From |x| ≈ 9 on that form
 * is exactly ±1 in float, so the clamped exp is right for ±Inf too; only NaN needs putting back.
 * When every lane is below 0.625 (NaN is not), the exponential form, whose exp and division cost
 * several times the polynomial, is skipped: the select below would drop it, so the values are the
 * same. Small pre-activations are common (an RNN at PyTorch's initialisation: B-tanh's step took
 * 0.971× as long, A-LSTM's 0.960×, identical results).
 */
static inline vf vtanh(vf x) {
  vf ax = vabs(x);
  if (allLanes(ax < 0.625f)) return vtanh_small(x);
  vf small = vtanh_small(x);
  vf large = 1.0f - 2.0f / (vexp_clamped(ax + ax) + 1.0f);
  large = (vf)((vi)large | ((vi)x & (int32_t)0x80000000));  // copy the sign of x
  return keep_nan(x, ax < 0.625f ? small : large);
}

/**
 * σ(x) = 1/(1 + e^−x), and below |x| = 1.25 its equal 1/2 + tanh(x/2)/2 from tanh's polynomial
 * (vtanh_small; σ ≥ 0.22 there, so no cancellation): at most 1.4 ulp on [−1.25, 1.25] (1.5
 * without FMA) against the exponential form's 2.0, measured on 4M points. As in vtanh, a vector whose lanes are all
 * that small skips the exponential form, which the select would drop: gate pre-activations are
 * mostly small (A-LSTM's and A-GRU's steps took 0.95× as long). Above x = 87.3 the clamped exp
 * gives 1/(1 + 1e-38) = 1, as IEEE does for +Inf. Below x = −87.3 it would give 1/(1 + e^88) ≈
 * 6e-39 instead of σ(−Inf) = 0, so those lanes are set to 0 (σ is below float's normal range
 * there anyway), and NaN lanes are put back.
 */
static inline vf vsigmoid(vf x) {
  const vf half = x * 0.5f;
  const vi small = vabs(half) < 0.625f;
  const vf fromTanh = vtanh_small(half) * 0.5f + 0.5f;
  if (allLanes(small)) return fromTanh;
  const vf result = 1.0f / (1.0f + vexp_clamped(-x));
  return keep_nan(x, small ? fromTanh : x < -87.3f ? vf{} : result);
}

// Standalone test of the native kernels (native/src/gemm.cc, pointwise.cc, and the fused time
// loops of recurrent.cc and gated_recurrent.cc) against plain scalar references in double
// precision, without Node: the kernels' own arithmetic on whichever
// instruction set this file is compiled for. test/kernels/native-standalone.test.ts builds it
// with each variant's flags from native/binding.gyp, runs the variants this CPU supports, and
// cross-builds the arm64 (NEON) variant to run under qemu-aarch64.
//
// Every kernel is checked on random values at odd sizes (so the vector tails run), with guard
// elements around every written range, and with NaN, +Inf, −Inf and −0 planted in each input
// in turn: where the reference is NaN the kernel must give NaN, where it is ±Inf the same
// infinity, and elsewhere a finite value within float32 rounding.
//
//   kernels_test                 runs every check; exit status 1 when any fails
//   kernels_test --cpu-features  prints name=0|1 per CPU feature (run the baseline build for this)
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../src/cpu_features.h"
#include "../src/gemm.h"
#include "../src/optimizer.h"
#include "../src/pointwise.h"
#include "../src/recurrent.h"
#include "../src/simd.h"

using namespace vanishing;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();
/** The values planted in inputs one at a time. */
const float kSpecials[] = {kNaN, kInf, -kInf};
/** Guard elements on each side of every buffer; they hold this value and must keep it. */
const long kPad = 3;
const float kGuard = 12345.0f;

/** xorshift64*: deterministic, the same on every architecture. */
struct Random {
  uint64_t state;
  explicit Random(uint64_t seed) : state(seed * 2685821657736338717ull + 1) {}
  double uniform() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<double>((state * 2685821657736338717ull) >> 11) * 0x1.0p-53;
  }
  float in(double low, double high) { return static_cast<float>(low + (high - low) * uniform()); }
  long below(long n) { return static_cast<long>(uniform() * static_cast<double>(n)); }
};

/** A float buffer of n values (uniform in [low, high)) between guard elements. */
struct Buffer {
  std::vector<float> storage;
  long n;
  Buffer(Random& random, long size, double low = -1, double high = 1) : storage(static_cast<size_t>(size + 2 * kPad), kGuard), n(size) {
    for (long i = 0; i < n; ++i) storage[kPad + i] = random.in(low, high);
  }
  float* data() { return storage.data() + kPad; }
  float& operator[](long i) { return storage[kPad + i]; }
  bool guardsIntact() const {
    for (long i = 0; i < kPad; ++i) {
      if (storage[i] != kGuard || storage[kPad + n + i] != kGuard) return false;
    }
    return true;
  }
};

/**
 * A forward loop's saturation count against a count of the very values it wrote: `stride` apart
 * rows of `cols` from `first`, |value| > threshold (NaN is not).
 */
long countAbove(const float* first, long rows, long cols, long stride, float threshold) {
  long count = 0;
  for (long r = 0; r < rows; ++r)
    for (long j = 0; j < cols; ++j) count += std::fabs(first[r * stride + j]) > threshold ? 1 : 0;
  return count;
}

/** Counts the checks of one group of kernels and prints the first failures. */
struct Group {
  const char* name;
  long checks = 0;
  long failures = 0;
  explicit Group(const char* groupName) : name(groupName) {}

  void fail(const std::string& message) {
    if (failures < 10) std::fprintf(stderr, "  FAIL %s: %s\n", name, message.c_str());
    ++failures;
  }

  /** One value against the reference: same class (NaN, +Inf, −Inf, finite), finite ones close. */
  void value(double actual, double expected, double relative, double absolute, const std::string& what) {
    ++checks;
    bool ok;
    if (std::isnan(expected)) {
      ok = std::isnan(actual);
    } else if (std::isinf(expected)) {
      ok = actual == expected;
    } else {
      ok = std::isfinite(actual) && std::fabs(actual - expected) <= absolute + relative * std::fabs(expected);
    }
    if (!ok) {
      char message[256];
      std::snprintf(message, sizeof message, "%s is %.9g, reference %.9g", what.c_str(), actual, expected);
      fail(message);
    }
  }

  void values(Buffer& actual, const std::vector<double>& expected, double relative, double absolute, const std::string& what) {
    for (long i = 0; i < actual.n; ++i) value(actual[i], expected[static_cast<size_t>(i)], relative, absolute, what + "[" + std::to_string(i) + "]");
    guards(actual, what);
  }

  void guards(const Buffer& buffer, const std::string& what) {
    ++checks;
    if (!buffer.guardsIntact()) fail(what + ": wrote outside its range");
  }

  void truth(bool ok, const std::string& what) {
    ++checks;
    if (!ok) fail(what);
  }

  void integer(long actual, long expected, const std::string& what) {
    ++checks;
    if (actual != expected) fail(what + ": " + std::to_string(actual) + ", expected " + std::to_string(expected));
  }

  long finish() const {
    std::printf("%-24s %7ld checks, %ld failed\n", name, checks, failures);
    return failures;
  }
};

std::string special(float value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

// ---------------------------------------------------------------------------------------------
// gemm: C (+)= op(A)·op(B), reference summed in double in k order.

void referenceGemm(bool transA, bool transB, long M, long N, long K, const float* a, const float* b, const float* cBefore,
                   bool accumulate, std::vector<double>& c) {
  c.assign(static_cast<size_t>(M * N), 0.0);
  for (long i = 0; i < M; ++i) {
    for (long j = 0; j < N; ++j) {
      double sum = accumulate ? cBefore[i * N + j] : 0.0;
      for (long k = 0; k < K; ++k) {
        const double av = transA ? a[k * M + i] : a[i * K + k];
        const double bv = transB ? b[j * K + k] : b[k * N + j];
        sum += av * bv;
      }
      c[static_cast<size_t>(i * N + j)] = sum;
    }
  }
}

/** Runs one product and compares it with the reference; `plant` may put special values in A and B first. */
template <typename Plant>
void checkGemm(Group& group, Random& random, bool transA, bool transB, long M, long N, long K, bool accumulate, Plant plant) {
  Buffer a(random, M * K), b(random, K * N), c(random, M * N);
  plant(a, b);
  std::vector<double> expected;
  referenceGemm(transA, transB, M, N, K, a.data(), b.data(), c.data(), accumulate, expected);
  char what[96];
  std::snprintf(what, sizeof what, "gemm %c%c %ldx%ldx%ld acc=%d C", transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, accumulate ? 1 : 0);
  group.truth(gemm(transA, transB, M, N, K, a.data(), b.data(), c.data(), accumulate), std::string(what) + ": returned false");
  // Sums of K products of values in [−1, 1]: float32 error grows like K·ε in the worst case.
  group.values(c, expected, 1e-5, 2e-6 * static_cast<double>(K), what);
  group.guards(a, std::string(what) + " A");
  group.guards(b, std::string(what) + " B");
}

long testGemm() {
  Group group("gemm");
  Random random(1);
  const auto none = [](Buffer&, Buffer&) {};
  const long NR = gemmTileCols();
  for (bool transA : {false, true}) {
    for (bool transB : {false, true}) {
      for (long M : {1L, 3L, 17L, 40L}) {
        for (long N : {1L, 5L, 33L, 2 * NR}) {
          for (long K : {1L, 17L, 260L}) {
            checkGemm(group, random, transA, transB, M, N, K, (M + N + K) % 2 == 0, none);
          }
        }
      }
      // Several K blocks and several panels of B, and a full tile of rows.
      checkGemm(group, random, transA, transB, 70, 3 * NR + 5, 600, true, none);
      // Non-finite values: a NaN and an Inf in A; +Inf and −Inf in B where A has zeros, so the
      // products 0·Inf must give NaN (a kernel that skipped zero multipliers would give finite).
      for (long K : {19L, 300L}) {
        const long M = 11, N = NR + 3;
        checkGemm(group, random, transA, transB, M, N, K, false, [&](Buffer& a, Buffer& b) {
          const auto aAt = [&](long i, long k) -> float& { return transA ? a[k * M + i] : a[i * K + k]; };
          const auto bAt = [&](long k, long j) -> float& { return transB ? b[j * K + k] : b[k * N + j]; };
          aAt(2, 5) = kNaN;
          aAt(7, K - 1) = kInf;
          for (long i = 0; i < M; ++i) aAt(i, 3) = i % 2 == 0 ? 0.0f : aAt(i, 3);
          bAt(3, N - 1) = kInf;
          bAt(3, 0) = -kInf;
          bAt(K - 2, 1) = kNaN;
          for (long i = 0; i < M; ++i) aAt(i, K - 2) = 0.0f;  // 0·NaN for every row
        });
      }
    }
  }
  // A packing buffer that cannot be had (a petabyte for B's panels) is reported, C untouched, and
  // the next product still works.
  {
    Buffer a(random, 4), b(random, 4), c(random, 1);
    const float before = c[0];
    group.truth(!gemm(false, true, 1, 1L << 40, 300, a.data(), b.data(), c.data(), false), "gemm with an impossible packing buffer returned true");
    group.truth(c[0] == before, "gemm wrote C after failing to allocate");
    checkGemm(group, random, false, true, 9, 40, 300, false, none);
  }
  // K = 0: C is cleared, or kept when accumulating.
  for (bool accumulate : {false, true}) {
    Buffer a(random, 1), b(random, 1), c(random, 6);
    const std::vector<double> expected = accumulate ? std::vector<double>(c.data(), c.data() + 6) : std::vector<double>(6, 0.0);
    gemm(false, false, 2, 3, 0, a.data(), b.data(), c.data(), accumulate);
    group.values(c, expected, 0, 0, accumulate ? "gemm K=0 accumulate" : "gemm K=0");
  }
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// Activations, forward and backward (the derivative written from the output).

double referenceActivation(Activation act, double x) {
  switch (act) {
    case Activation::Tanh: return std::tanh(x);
    case Activation::Relu: return x <= 0 ? 0.0 : x;  // NaN passes through
    case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case Activation::Identity: return x;
  }
  return std::nan("");
}

double referenceDerivative(Activation act, double y) {
  switch (act) {
    case Activation::Tanh: return 1 - y * y;
    case Activation::Relu: return y > 0 ? 1.0 : y <= 0 ? 0.0 : std::nan("");
    case Activation::Sigmoid: return y * (1 - y);
    case Activation::Identity: return 1;
  }
  return std::nan("");
}

const char* activationName(Activation act) {
  switch (act) {
    case Activation::Tanh: return "tanh";
    case Activation::Relu: return "relu";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Identity: return "identity";
  }
  return "?";
}

/** Values where the math changes: zeros, tanh's polynomial edge, exp's clamp and overflow, specials. */
const float kEdges[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 0.6249f, 0.6251f, -0.6251f, 9.0f, -9.0f, 44.0f, 87.29f, -87.31f,
                        88.1f, -88.1f, 88.8f, -88.8f, 104.0f, -104.0f, 3e38f, -3e38f, kNaN, kInf, -kInf};

long testActivations() {
  Group group("activations");
  Random random(2);
  const Activation activations[] = {Activation::Tanh, Activation::Relu, Activation::Sigmoid, Activation::Identity};
  for (Activation act : activations) {
    for (long n : {1L, 7L, 37L, 1000L}) {
      Buffer x(random, n, -12, 12);
      // Edge values at every position modulo the vector width, so tails and full vectors see them.
      for (long i = 0; i < n; ++i) {
        if (i % 3 == 0) x[i] = kEdges[static_cast<size_t>((i / 3 + n) % (sizeof kEdges / sizeof kEdges[0]))];
      }
      std::vector<double> expected(static_cast<size_t>(n));
      for (long i = 0; i < n; ++i) expected[static_cast<size_t>(i)] = static_cast<float>(referenceActivation(act, x[i]));
      const std::string what = std::string(activationName(act)) + " forward n=" + std::to_string(n);
      Buffer y(random, n);
      activationForward(act, x.data(), y.data(), n);
      group.values(y, expected, 4e-7, 1e-7, what);
      Buffer inPlace = x;
      activationForward(act, inPlace.data(), inPlace.data(), n);
      group.values(inPlace, expected, 4e-7, 1e-7, what + " in place");

      // Backward from outputs in the activation's range, with specials planted in y and in dy.
      Buffer out(random, n, act == Activation::Tanh ? -1 : 0, 1);
      Buffer dy(random, n, -2, 2);
      for (long i = 0; i < n; i += 5) out[i] = kSpecials[static_cast<size_t>(i / 5 % 3)];
      for (long i = 2; i < n; i += 7) dy[i] = kSpecials[static_cast<size_t>(i / 7 % 3)];
      if (act == Activation::Relu && n > 4) out[4] = 0.0f;  // relu's edge: derivative 0, 0·dy
      for (bool accumulate : {false, true}) {
        Buffer dx(random, n, -1, 1);
        std::vector<double> dxExpected(static_cast<size_t>(n));
        for (long i = 0; i < n; ++i) {
          const double value = static_cast<double>(dy[i]) * static_cast<float>(referenceDerivative(act, out[i]));
          dxExpected[static_cast<size_t>(i)] = accumulate ? dx[i] + value : value;
        }
        activationBackward(act, out.data(), dy.data(), dx.data(), n, accumulate);
        group.values(dx, dxExpected, 1e-6, 1e-6, std::string(activationName(act)) + " backward n=" + std::to_string(n) + (accumulate ? " accumulate" : ""));
      }
    }
  }
  group.truth(!isActivation(-1) && isActivation(0) && isActivation(3) && !isActivation(4), "isActivation accepts exactly 0..3");
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// Bias rows, column sums, axpy, copy, fill, scale, reductions.

/** Plants NaN, +Inf, −Inf (and −0) at spread positions of a buffer. */
void plantSpecials(Buffer& buffer, long stride) {
  for (long i = 1, s = 0; i < buffer.n; i += stride, ++s) buffer[i] = s % 4 == 3 ? -0.0f : kSpecials[static_cast<size_t>(s % 4)];
}

long testElementwise() {
  Group group("elementwise, reductions");
  Random random(3);
  for (long rows : {1L, 3L, 17L}) {
    for (long cols : {1L, 5L, 33L, 70L}) {
      for (bool specials : {false, true}) {
        const std::string size = std::to_string(rows) + "x" + std::to_string(cols) + (specials ? " specials" : "");
        Buffer out(random, rows * cols), bias(random, cols);
        if (specials) {
          plantSpecials(bias, 4);
          plantSpecials(out, 9);
        }
        std::vector<double> expected(static_cast<size_t>(rows * cols));
        for (long r = 0; r < rows; ++r)
          for (long c = 0; c < cols; ++c) expected[static_cast<size_t>(r * cols + c)] = static_cast<double>(out[r * cols + c]) + bias[c];
        addBiasRows(out.data(), rows, cols, bias.data());
        group.values(out, expected, 1e-7, 1e-7, "addBiasRows " + size);

        Buffer sums(random, cols), src(random, rows * cols);
        if (specials) plantSpecials(src, 7);
        std::vector<double> sumsExpected(sums.storage.begin() + kPad, sums.storage.begin() + kPad + cols);
        for (long r = 0; r < rows; ++r)
          for (long c = 0; c < cols; ++c) sumsExpected[static_cast<size_t>(c)] += src[r * cols + c];
        accumulateColumnSums(sums.data(), src.data(), rows, cols);
        group.values(sums, sumsExpected, 1e-6, 1e-6 * static_cast<double>(rows), "accumulateColumnSums " + size);
      }
    }
  }
  for (long n : {1L, 6L, 37L, 4099L}) {
    for (bool specials : {false, true}) {
      const std::string size = std::to_string(n) + (specials ? " specials" : "");
      Buffer x(random, n, -1.2, 1.2);
      for (long i = 0; i < n; i += 5) x[i] = 0.0f;
      if (n > 3) x[3] = 0.99f;  // at the threshold of countAbsAbove
      if (specials) plantSpecials(x, 6);
      for (float alpha : {-0.37f, 0.0f}) {  // alpha 0: 0·Inf and 0·NaN are NaN
        Buffer y(random, n);
        std::vector<double> expected(static_cast<size_t>(n));
        for (long i = 0; i < n; ++i) expected[static_cast<size_t>(i)] = static_cast<double>(y[i]) + static_cast<double>(alpha) * x[i];
        axpy(n, alpha, x.data(), y.data());
        group.values(y, expected, 1e-6, 1e-7, "axpy alpha=" + std::to_string(alpha) + " " + size);
      }
      Buffer copied(random, n);
      copy(x.data(), copied.data(), n);
      group.values(copied, std::vector<double>(x.data(), x.data() + n), 0, 0, "copy " + size);
      Buffer filled(random, n);
      fill(filled.data(), n, specials ? kNaN : 0.25f);
      group.values(filled, std::vector<double>(static_cast<size_t>(n), specials ? std::nan("") : 0.25), 0, 0, "fill " + size);
      for (float factor : {1.7f, 0.0f, kNaN}) {
        Buffer scaled = x;
        std::vector<double> expected(static_cast<size_t>(n));
        for (long i = 0; i < n; ++i) expected[static_cast<size_t>(i)] = static_cast<float>(static_cast<double>(x[i]) * factor);
        scale(scaled.data(), n, factor);
        group.values(scaled, expected, 1e-7, 0, "scale factor=" + std::to_string(factor) + " " + size);
      }
      double squares = 0;
      long above = 0, zeros = 0;
      for (long i = 0; i < n; ++i) {
        squares += static_cast<double>(x[i]) * x[i];
        above += std::fabs(x[i]) > 0.99f ? 1 : 0;  // NaN is not above anything
        zeros += x[i] == 0.0f ? 1 : 0;             // −0 is zero
      }
      group.value(sumOfSquares(x.data(), n), squares, 1e-12, 0, "sumOfSquares " + size);
      group.value(static_cast<double>(countAbsAbove(x.data(), n, 0.99f)), static_cast<double>(above), 0, 0, "countAbsAbove " + size);
      group.value(static_cast<double>(countZero(x.data(), n)), static_cast<double>(zeros), 0, 0, "countZero " + size);
    }
  }
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// LSTM and GRU pointwise steps: the reference is the formula of src/kernels/kernels.ts in
// double, on the same float inputs; activations the kernel stores are rounded to float first.

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double f32(double x) { return static_cast<float>(x); }

/** Runs `check(buffers, label)` on fresh random buffers, then once per (buffer, special) with the special planted in that buffer. */
template <typename Make, typename Check>
void withSpecials(Random& random, long inputs, Make make, Check check) {
  check(make(), std::string("random"));
  for (long which = 0; which < inputs; ++which) {
    for (float value : kSpecials) {
      std::vector<Buffer> buffers = make();
      Buffer& target = buffers[static_cast<size_t>(which)];
      target[random.below(target.n)] = value;
      target[target.n - 1] = value;  // the tail lane too
      check(std::move(buffers), special(value) + " in input " + std::to_string(which));
    }
  }
}

long testLstm() {
  Group group("lstm pointwise");
  Random random(4);
  for (long batch : {1L, 3L}) {
    for (long H : {1L, 7L, 37L}) {
      const long block = batch * H;
      const std::string size = std::to_string(batch) + "x" + std::to_string(H);
      // Forward: inputs are the gate pre-activations and cPrev.
      withSpecials(
          random, 2, [&] { return std::vector<Buffer>{Buffer(random, 4 * block, -4, 4), Buffer(random, block)}; },
          [&](std::vector<Buffer> in, const std::string& label) {
            Buffer& gates = in[0];
            Buffer& cPrev = in[1];
            std::vector<double> gatesExpected(static_cast<size_t>(4 * block)), c(static_cast<size_t>(block)), tanhC(c), h(c);
            for (long b = 0; b < batch; ++b) {
              for (long j = 0; j < H; ++j) {
                const float* g = gates.data() + b * 4 * H;
                const double i = f32(sigmoid(g[j])), f = f32(sigmoid(g[H + j])), cand = f32(std::tanh(g[2 * H + j])), o = f32(sigmoid(g[3 * H + j]));
                const size_t k = static_cast<size_t>(b * H + j);
                gatesExpected[static_cast<size_t>(b * 4 * H + j)] = i;
                gatesExpected[static_cast<size_t>(b * 4 * H + H + j)] = f;
                gatesExpected[static_cast<size_t>(b * 4 * H + 2 * H + j)] = cand;
                gatesExpected[static_cast<size_t>(b * 4 * H + 3 * H + j)] = o;
                c[k] = f32(f * cPrev[b * H + j] + i * cand);
                tanhC[k] = f32(std::tanh(c[k]));
                h[k] = o * tanhC[k];
              }
            }
            Buffer cOut(random, block), tanhOut(random, block), hOut(random, block);
            lstmPointwiseForward(batch, H, gates.data(), cPrev.data(), cOut.data(), tanhOut.data(), hOut.data());
            const std::string what = "lstm forward " + size + " " + label;
            group.values(gates, gatesExpected, 1e-6, 1e-6, what + " gates");
            group.values(cOut, c, 1e-6, 1e-6, what + " c");
            group.values(tanhOut, tanhC, 1e-6, 1e-6, what + " tanhC");
            group.values(hOut, h, 1e-6, 1e-6, what + " h");
          });
      // Backward: gates hold activations, then cPrev, tanhC, dh and the incoming dc.
      withSpecials(
          random, 5,
          [&] {
            return std::vector<Buffer>{Buffer(random, 4 * block, 0, 1), Buffer(random, block), Buffer(random, block), Buffer(random, block),
                                       Buffer(random, block)};
          },
          [&](std::vector<Buffer> in, const std::string& label) {
            Buffer &gates = in[0], &cPrev = in[1], &tanhC = in[2], &dh = in[3], &dc = in[4];
            std::vector<double> dGates(static_cast<size_t>(4 * block)), dcExpected(static_cast<size_t>(block));
            for (long b = 0; b < batch; ++b) {
              for (long j = 0; j < H; ++j) {
                const float* g = gates.data() + b * 4 * H;
                const double i = g[j], f = g[H + j], cand = g[2 * H + j], o = g[3 * H + j];
                const long k = b * H + j;
                const double t = tanhC[k], dhv = dh[k];
                const double dcTotal = f32(dc[k] + dhv * o * (1 - t * t));
                double* d = dGates.data() + b * 4 * H;
                d[j] = dcTotal * cand * i * (1 - i);
                d[H + j] = dcTotal * cPrev[k] * f * (1 - f);
                d[2 * H + j] = dcTotal * i * (1 - cand * cand);
                d[3 * H + j] = dhv * t * o * (1 - o);
                dcExpected[static_cast<size_t>(k)] = dcTotal * f;
              }
            }
            Buffer dGatesOut(random, 4 * block);
            lstmPointwiseBackward(batch, H, gates.data(), cPrev.data(), tanhC.data(), dh.data(), dc.data(), dGatesOut.data());
            const std::string what = "lstm backward " + size + " " + label;
            group.values(dGatesOut, dGates, 1e-5, 1e-6, what + " dGates");
            group.values(dc, dcExpected, 1e-5, 1e-6, what + " dc");
          });
    }
  }
  return group.finish();
}

long testGru() {
  Group group("gru pointwise");
  Random random(5);
  for (long batch : {1L, 3L}) {
    for (long H : {1L, 7L, 37L}) {
      const long block = batch * H;
      const std::string size = std::to_string(batch) + "x" + std::to_string(H);
      withSpecials(
          random, 3, [&] { return std::vector<Buffer>{Buffer(random, 3 * block, -3, 3), Buffer(random, 3 * block, -3, 3), Buffer(random, block)}; },
          [&](std::vector<Buffer> in, const std::string& label) {
            Buffer &ig = in[0], &hg = in[1], &hPrev = in[2];
            std::vector<double> act(static_cast<size_t>(3 * block)), h(static_cast<size_t>(block));
            for (long b = 0; b < batch; ++b) {
              for (long j = 0; j < H; ++j) {
                const float* x = ig.data() + b * 3 * H;
                const float* y = hg.data() + b * 3 * H;
                const double r = f32(sigmoid(static_cast<double>(f32(static_cast<double>(x[j]) + y[j]))));
                const double z = f32(sigmoid(static_cast<double>(f32(static_cast<double>(x[H + j]) + y[H + j]))));
                const double n = f32(std::tanh(x[2 * H + j] + r * y[2 * H + j]));
                double* a = act.data() + b * 3 * H;
                a[j] = r;
                a[H + j] = z;
                a[2 * H + j] = n;
                h[static_cast<size_t>(b * H + j)] = (1 - z) * n + z * hPrev[b * H + j];
              }
            }
            Buffer actOut(random, 3 * block), hOut(random, block);
            gruPointwiseForward(batch, H, ig.data(), hg.data(), hPrev.data(), actOut.data(), hOut.data());
            const std::string what = "gru forward " + size + " " + label;
            group.values(actOut, act, 1e-6, 1e-6, what + " gates");
            group.values(hOut, h, 1e-6, 1e-6, what + " h");
          });
      withSpecials(
          random, 4,
          [&] { return std::vector<Buffer>{Buffer(random, 3 * block), Buffer(random, block), Buffer(random, 3 * block, 0, 1), Buffer(random, block)}; },
          [&](std::vector<Buffer> in, const std::string& label) {
            Buffer &hg = in[0], &hPrev = in[1], &act = in[2], &dh = in[3];
            std::vector<double> di(static_cast<size_t>(3 * block)), dhg(di), dhPrev(static_cast<size_t>(block));
            for (long b = 0; b < batch; ++b) {
              for (long j = 0; j < H; ++j) {
                const float* a = act.data() + b * 3 * H;
                const double r = a[j], z = a[H + j], n = a[2 * H + j];
                const long k = b * H + j;
                const double dhv = dh[k];
                const double dCandidate = f32(dhv * (1 - z) * (1 - n * n));
                const double dUpdate = dhv * (hPrev[k] - n) * z * (1 - z);
                const double dReset = dCandidate * hg[b * 3 * H + 2 * H + j] * r * (1 - r);
                double* i = di.data() + b * 3 * H;
                double* g = dhg.data() + b * 3 * H;
                i[j] = dReset;
                i[H + j] = dUpdate;
                i[2 * H + j] = dCandidate;
                g[j] = dReset;
                g[H + j] = dUpdate;
                g[2 * H + j] = dCandidate * r;
                dhPrev[static_cast<size_t>(k)] = dhv * z;
              }
            }
            Buffer diOut(random, 3 * block), dhgOut(random, 3 * block), dhPrevOut(random, block);
            gruPointwiseBackward(batch, H, hg.data(), hPrev.data(), act.data(), dh.data(), diOut.data(), dhgOut.data(), dhPrevOut.data());
            const std::string what = "gru backward " + size + " " + label;
            group.values(diOut, di, 1e-5, 1e-6, what + " dInputGates");
            group.values(dhgOut, dhg, 1e-5, 1e-6, what + " dHiddenGates");
            group.values(dhPrevOut, dhPrev, 1e-6, 1e-6, what + " dhPrev");
          });
    }
  }
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// Losses.

long testLosses() {
  Group group("losses");
  Random random(6);
  for (long rows : {1L, 3L, 64L}) {
    for (long classes : {1L, 2L, 10L, 17L}) {
      // Row 0 gets a NaN logit, row 1 +Inf, row 2 −Inf at a non-target class and then at its
      // target: NaN, NaN (Inf − Inf), finite, +Inf losses respectively.
      for (int variantIndex = 0; variantIndex < 5; ++variantIndex) {
        Buffer logits(random, rows * classes, -8, 8);
        std::vector<int32_t> targets(static_cast<size_t>(rows));
        for (auto& t : targets) t = static_cast<int32_t>(random.below(classes));
        const long r = rows - 1;
        const long other = classes > 1 ? (targets[static_cast<size_t>(r)] + 1) % classes : 0;
        if (variantIndex == 1) logits[r * classes + random.below(classes)] = kNaN;
        if (variantIndex == 2) logits[r * classes + random.below(classes)] = kInf;
        if (variantIndex == 3 && classes > 1) logits[r * classes + other] = -kInf;
        if (variantIndex == 4) logits[r * classes + targets[static_cast<size_t>(r)]] = -kInf;
        const double gradientScale = 1.0 / static_cast<double>(rows);
        double lossSum = 0;
        long correct = 0;
        std::vector<double> dExpected(static_cast<size_t>(rows * classes));
        for (long row = 0; row < rows; ++row) {
          const float* x = logits.data() + row * classes;
          double max = -INFINITY;
          long argMax = 0;
          for (long c = 0; c < classes; ++c) {
            if (x[c] > max) {
              max = x[c];
              argMax = c;
            }
          }
          double sum = 0;
          for (long c = 0; c < classes; ++c) sum += std::exp(x[c] - max);
          const double logSum = std::log(sum) + max;
          lossSum += logSum - x[targets[static_cast<size_t>(row)]];
          correct += argMax == targets[static_cast<size_t>(row)] ? 1 : 0;
          for (long c = 0; c < classes; ++c) {
            dExpected[static_cast<size_t>(row * classes + c)] = (std::exp(x[c] - logSum) - (c == targets[static_cast<size_t>(row)] ? 1 : 0)) * gradientScale;
          }
        }
        Buffer dLogits(random, rows * classes);
        long hits = -1;
        const double loss = softmaxCrossEntropy(rows, classes, logits.data(), targets.data(), dLogits.data(), gradientScale, &hits);
        const std::string what = "softmaxCrossEntropy " + std::to_string(rows) + "x" + std::to_string(classes) + " case " + std::to_string(variantIndex);
        group.value(loss, lossSum, 1e-12, 1e-12, what + " loss");
        group.value(static_cast<double>(hits), static_cast<double>(correct), 0, 0, what + " correct");
        group.values(dLogits, dExpected, 1e-6, 1e-7, what + " dLogits");
      }
    }
  }
  for (long n : {1L, 7L, 130L}) {
    for (int plantIn = -1; plantIn < 2; ++plantIn) {
      for (float value : kSpecials) {
        Buffer pred(random, n), target(random, n), dPred(random, n);
        if (plantIn == 0) pred[n / 2] = value;
        if (plantIn == 1) target[n / 2] = value;
        if (plantIn == 1 && n > 1) pred[n / 2] = value;  // Inf − Inf = NaN
        double sum = 0;
        std::vector<double> dExpected(static_cast<size_t>(n));
        for (long i = 0; i < n; ++i) {
          const double diff = static_cast<double>(pred[i]) - target[i];
          sum += diff * diff;
          dExpected[static_cast<size_t>(i)] = 2 * diff / static_cast<double>(n);
        }
        const double loss = squaredError(n, pred.data(), target.data(), dPred.data(), 1.0 / static_cast<double>(n));
        const std::string what = "squaredError n=" + std::to_string(n) + (plantIn < 0 ? "" : " " + special(value) + " in input " + std::to_string(plantIn));
        group.value(loss, sum, 1e-12, 1e-12, what + " loss");
        group.values(dPred, dExpected, 1e-6, 1e-7, what + " dPred");
        if (plantIn < 0) break;  // the plain case once
      }
    }
  }
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// The fused RNN time loops (recurrent.h) against an unrolled double-precision reference of the
// same equations, on 1 and 2 threads (which must agree bit for bit), with a NaN or ±Inf in W_hh.

struct RnnCase {
  Activation act;
  long T, B, I, H;
};

/** h_t = act(x_t W_ihᵀ + b_ih + b_hh + h_{t-1} W_hhᵀ), and its backward pass, in double. */
void referenceRnn(const RnnCase& c, const float* x, const float* wIh, const float* wHh, const float* bIh, const float* bHh, const float* dOut,
                  std::vector<double>& h, std::vector<double>& norms, std::vector<double>& gWIh, std::vector<double>& gWHh, std::vector<double>& gB,
                  std::vector<double>& dX) {
  const long T = c.T, B = c.B, I = c.I, H = c.H;
  h.assign(static_cast<size_t>(T * B * H), 0.0);
  for (long t = 0; t < T; ++t)
    for (long b = 0; b < B; ++b)
      for (long j = 0; j < H; ++j) {
        double pre = static_cast<double>(bIh[j]) + bHh[j];
        for (long i = 0; i < I; ++i) pre += static_cast<double>(x[(t * B + b) * I + i]) * wIh[j * I + i];
        if (t > 0)
          for (long k = 0; k < H; ++k) pre += h[static_cast<size_t>(((t - 1) * B + b) * H + k)] * wHh[j * H + k];
        h[static_cast<size_t>((t * B + b) * H + j)] = static_cast<float>(referenceActivation(c.act, pre));
      }
  std::vector<double> dPre(static_cast<size_t>(T * B * H), 0.0);
  norms.assign(static_cast<size_t>(T), 0.0);
  for (long t = T - 1; t >= 0; --t) {
    double squares = 0;
    for (long b = 0; b < B; ++b)
      for (long j = 0; j < H; ++j) {
        double dh = dOut[(t * B + b) * H + j];
        if (t < T - 1)
          for (long k = 0; k < H; ++k) dh += dPre[static_cast<size_t>(((t + 1) * B + b) * H + k)] * wHh[k * H + j];
        squares += dh * dh;
        dPre[static_cast<size_t>((t * B + b) * H + j)] = dh * referenceDerivative(c.act, h[static_cast<size_t>((t * B + b) * H + j)]);
      }
    norms[static_cast<size_t>(t)] = std::sqrt(squares);
  }
  gWIh.assign(static_cast<size_t>(H * I), 0.0);
  gWHh.assign(static_cast<size_t>(H * H), 0.0);
  gB.assign(static_cast<size_t>(H), 0.0);
  dX.assign(static_cast<size_t>(T * B * I), 0.0);
  for (long t = 0; t < T; ++t)
    for (long b = 0; b < B; ++b)
      for (long j = 0; j < H; ++j) {
        const double d = dPre[static_cast<size_t>((t * B + b) * H + j)];
        gB[static_cast<size_t>(j)] += d;
        for (long i = 0; i < I; ++i) {
          gWIh[static_cast<size_t>(j * I + i)] += d * x[(t * B + b) * I + i];
          dX[static_cast<size_t>((t * B + b) * I + i)] += d * wIh[j * I + i];
        }
        if (t > 0)
          for (long k = 0; k < H; ++k) gWHh[static_cast<size_t>(j * H + k)] += d * h[static_cast<size_t>(((t - 1) * B + b) * H + k)];
      }
}

long testRnnLoops() {
  Group group("rnn time loops");
  Random random(9);
  const RnnCase cases[] = {{Activation::Tanh, 5, 3, 4, 9}, {Activation::Relu, 4, 7, 3, 37}, {Activation::Identity, 3, 2, 5, 70}, {Activation::Tanh, 1, 2, 2, 5},
                           {Activation::Tanh, 3, 4, 3, 260}, {Activation::Tanh, 3, 19, 3, 37}};
  for (const RnnCase& c : cases) {
    for (int planted = -1; planted < 3; ++planted) {
      const long T = c.T, B = c.B, I = c.I, H = c.H;
      Buffer x(random, T * B * I), wIh(random, H * I, -0.5, 0.5), wHh(random, H * H, -0.3, 0.3), bIh(random, H), bHh(random, H), dOut(random, T * B * H);
      if (planted >= 0) wHh[(H * H) / 2 + 1] = kSpecials[planted];
      std::vector<double> h, norms, gWIh, gWHh, gB, dX;
      referenceRnn(c, x.data(), wIh.data(), wHh.data(), bIh.data(), bHh.data(), dOut.data(), h, norms, gWIh, gWHh, gB, dX);
      const std::string what = std::string("rnn ") + activationName(c.act) + " T=" + std::to_string(T) + " B=" + std::to_string(B) + " H=" + std::to_string(H) +
                               (planted >= 0 ? " " + special(kSpecials[planted]) + " in W_hh" : "");
      std::vector<float> firstRun;
      for (int threads : {1, 2}) {
        Buffer hidden(random, T * B * H), dPre(random, T * B * H), gradWIh(random, H * I), gradWHh(random, H * H), gradBIh(random, H), gradBHh(random, H),
            dInput(random, T * B * I);
        const std::vector<float> gradWIhBefore(gradWIh.data(), gradWIh.data() + H * I), gradWHhBefore(gradWHh.data(), gradWHh.data() + H * H);
        const std::vector<float> gradBIhBefore(gradBIh.data(), gradBIh.data() + H);
        std::vector<double> normsOut(static_cast<size_t>(T));
        const RnnSequence sequence{c.act, T, B, I, H, x.data(), wIh.data(), wHh.data(), bIh.data(), bHh.data(), hidden.data()};
        const RunMode mode{threads, false};
        SaturationCount saturation{0.5f, -1};
        group.truth(rnnForward(sequence, mode, saturation), what + ": forward ran");
        group.values(hidden, h, 2e-5, 2e-6, what + " h, " + std::to_string(threads) + " threads");
        const long saturated = c.act == Activation::Tanh ? countAbove(hidden.data(), T * B, H, H, 0.5f) : 0;
        group.integer(saturation.count, saturated, what + " |h| > 0.5 (tanh only), " + std::to_string(threads) + " threads");
        const RnnBackward backward{dOut.data(), dPre.data(), normsOut.data(), gradWIh.data(), gradWHh.data(), gradBIh.data(), gradBHh.data(), dInput.data(), false};
        group.truth(rnnBackward(sequence, backward, mode), what + ": backward ran");
        for (long t = 0; t < T; ++t) group.value(normsOut[static_cast<size_t>(t)], norms[static_cast<size_t>(t)], 5e-5, 1e-6, what + " norm t=" + std::to_string(t));
        std::vector<double> expected(gWIh);
        for (long i = 0; i < H * I; ++i) expected[static_cast<size_t>(i)] += gradWIhBefore[static_cast<size_t>(i)];
        group.values(gradWIh, expected, 5e-5, 5e-5, what + " dW_ih");
        expected = gWHh;
        for (long i = 0; i < H * H; ++i) expected[static_cast<size_t>(i)] += gradWHhBefore[static_cast<size_t>(i)];
        group.values(gradWHh, expected, 5e-5, 5e-5, what + " dW_hh");
        expected = gB;
        for (long i = 0; i < H; ++i) expected[static_cast<size_t>(i)] += gradBIhBefore[static_cast<size_t>(i)];
        group.values(gradBIh, expected, 5e-5, 5e-5, what + " db_ih");
        group.values(dInput, dX, 5e-5, 5e-5, what + " dx");
        // What does not depend on the random starting values of the accumulated gradients.
        std::vector<float> run(hidden.data(), hidden.data() + T * B * H);
        run.insert(run.end(), dPre.data(), dPre.data() + T * B * H);
        run.insert(run.end(), dInput.data(), dInput.data() + T * B * I);
        for (double norm : normsOut) run.push_back(static_cast<float>(norm));
        if (threads == 1) {
          firstRun = run;
        } else {
          ++group.checks;
          if (std::memcmp(run.data(), firstRun.data(), run.size() * sizeof(float)) != 0) group.fail(what + ": 2 threads differ from 1");
        }
      }
    }
  }
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// A gradient that has vanished into the denormal range (below 2^-126): the backward products then
// run in double (gemm_kernel.h, microKernelWide), so each comes out within one step of the denormal
// grid (2^-149) of the exact sum of its float inputs. Float multiply-adds would round every term
// to that grid, several steps off over dozens of terms (and take a microcode assist each on x86).

long testVanishedGradients() {
  Group group("vanished gradients");
  Random random(12);
  const double grid = std::ldexp(1.0, -149);
  const long T = 2, B = 64, I = 40, H = 40;  // products at least two panels wide: narrower ones are not watched
  Buffer x(random, T * B * I), wIh(random, H * I), wHh(random, H * H, -0.5, 0.5), bIh(random, H), bHh(random, H), dOut(random, T * B * H);
  for (long i = 0; i < T * B * H; ++i) dOut[i] = static_cast<float>(std::ldexp(static_cast<double>(dOut[i]), -135));  // about 2^-136: 13 bits left
  for (int threads : {1, 2}) {
    const std::string what = "identity T=2 B=64, dL/dh about 2^-136, " + std::to_string(threads) + " threads";
    Buffer hidden(random, T * B * H), dPre(random, T * B * H), gradWIh(random, H * I, 0, 0), gradWHh(random, H * H, 0, 0), gradBIh(random, H, 0, 0),
        gradBHh(random, H, 0, 0), dInput(random, T * B * I);
    std::vector<double> norms(static_cast<size_t>(T));
    const RnnSequence sequence{Activation::Identity, T, B, I, H, x.data(), wIh.data(), wHh.data(), bIh.data(), bHh.data(), hidden.data()};
    const RunMode mode{threads, false};
    SaturationCount saturation{0.99f, -1};
    group.truth(rnnForward(sequence, mode, saturation), what + ": forward ran");
    const RnnBackward backward{dOut.data(), dPre.data(), norms.data(), gradWIh.data(), gradWHh.data(), gradBIh.data(), gradBHh.data(), dInput.data(), false};
    group.truth(rnnBackward(sequence, backward, mode), what + ": backward ran");
    // Each product against the exact sum of the very floats it read (the kernel's own dpre and h).
    const auto within = [&](double actual, double exact, double steps, const std::string& where) {
      ++group.checks;
      if (!(std::fabs(actual - exact) <= steps * grid)) {
        char message[200];
        std::snprintf(message, sizeof message, "%s is %.6g grid steps from the exact %.9g", where.c_str(), (actual - exact) / grid, exact);
        group.fail(what + ": " + message);
      }
    };
    for (long b = 0; b < B; ++b)
      for (long j = 0; j < H; ++j) {
        // dh_0 = dL/dh_0 + dpre_1 W_hh: the product rounded once to float, then the float sum.
        double exact = dOut[b * H + j];
        for (long k = 0; k < H; ++k) exact += static_cast<double>(dPre[(B + b) * H + k]) * wHh[k * H + j];
        within(dPre[b * H + j], exact, 1.0, "dpre_0[" + std::to_string(b) + "," + std::to_string(j) + "]");
      }
    for (long j = 0; j < H; ++j) {
      for (long i = 0; i < I; ++i) {
        double exact = 0;
        for (long r = 0; r < T * B; ++r) exact += static_cast<double>(dPre[r * H + j]) * x[r * I + i];
        within(gradWIh[j * I + i], exact, 0.5001, "dW_ih[" + std::to_string(j) + "," + std::to_string(i) + "]");
      }
      for (long k = 0; k < H; ++k) {
        double exact = 0;
        for (long b = 0; b < B; ++b) exact += static_cast<double>(dPre[(B + b) * H + j]) * hidden[b * H + k];
        within(gradWHh[j * H + k], exact, 0.5001, "dW_hh[" + std::to_string(j) + "," + std::to_string(k) + "]");
      }
    }
    for (long r = 0; r < T * B; ++r)
      for (long i = 0; i < I; ++i) {
        double exact = 0;
        for (long j = 0; j < H; ++j) exact += static_cast<double>(dPre[r * H + j]) * wIh[j * I + i];
        within(dInput[r * I + i], exact, 0.5001, "dx[" + std::to_string(r) + "," + std::to_string(i) + "]");
      }
  }
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// The fused LSTM and GRU time loops (recurrent.h, gated_recurrent.cc) against unrolled
// double-precision references of src/model/lstm-layer.ts's and gru-layer.ts's equations, on 1 and
// 2 threads (which must agree bit for bit), with a NaN or ±Inf in W_hh or in dL/dh from above.

struct GatedCase {
  bool lstm;  // else GRU
  long T, B, I, H;
};

/** What a gated layer's forward and backward give, in double (stored states rounded to float, as the kernels store them). */
struct GatedReference {
  std::vector<double> hidden, cell, tanhCell, gates;  // gates: LSTM i, f, g, o; GRU r, z, n
  std::vector<double> norms, gWIh, gWHh, gBIh, gBHh, dX;
};

GatedReference referenceGated(const GatedCase& c, const float* x, const float* wIh, const float* wHh, const float* bIh, const float* bHh,
                              const float* dOut) {
  const long T = c.T, B = c.B, I = c.I, H = c.H, G = (c.lstm ? 4 : 3) * H;
  GatedReference r;
  auto at = [](std::vector<double>& v, long i) -> double& { return v[static_cast<size_t>(i)]; };
  r.hidden.assign(static_cast<size_t>(T * B * H), 0.0);
  r.cell = r.tanhCell = r.hidden;
  r.gates.assign(static_cast<size_t>(T * B * G), 0.0);
  std::vector<double> hiddenGates(static_cast<size_t>(T * B * G), 0.0);  // GRU: h_{t-1} W_hhᵀ + b_hh
  for (long t = 0; t < T; ++t)
    for (long b = 0; b < B; ++b) {
      const long row = t * B + b;
      std::vector<double> fromInput(static_cast<size_t>(G)), fromHidden(static_cast<size_t>(G));
      for (long q = 0; q < G; ++q) {
        double in = bIh[q], hid = bHh[q];
        for (long i = 0; i < I; ++i) in += static_cast<double>(x[row * I + i]) * wIh[q * I + i];
        if (t > 0)
          for (long k = 0; k < H; ++k) hid += at(r.hidden, (row - B) * H + k) * wHh[q * H + k];
        fromInput[static_cast<size_t>(q)] = in;
        fromHidden[static_cast<size_t>(q)] = hid;
        hiddenGates[static_cast<size_t>(row * G + q)] = f32(hid);
      }
      for (long j = 0; j < H; ++j) {
        const double previous = t > 0 ? at(r.hidden, (row - B) * H + j) : 0.0;
        double* g = r.gates.data() + row * G;
        if (c.lstm) {
          auto pre = [&](long q) { return fromInput[static_cast<size_t>(q * H + j)] + fromHidden[static_cast<size_t>(q * H + j)]; };
          const double i = f32(sigmoid(pre(0))), f = f32(sigmoid(pre(1))), cand = f32(std::tanh(pre(2))), o = f32(sigmoid(pre(3)));
          g[j] = i, g[H + j] = f, g[2 * H + j] = cand, g[3 * H + j] = o;
          const double cellPrevious = t > 0 ? at(r.cell, (row - B) * H + j) : 0.0;
          const double cell = f32(f * cellPrevious + i * cand);
          at(r.cell, row * H + j) = cell;
          at(r.tanhCell, row * H + j) = f32(std::tanh(cell));
          at(r.hidden, row * H + j) = f32(o * at(r.tanhCell, row * H + j));
        } else {
          const double reset = f32(sigmoid(fromInput[static_cast<size_t>(j)] + f32(fromHidden[static_cast<size_t>(j)])));
          const double update = f32(sigmoid(fromInput[static_cast<size_t>(H + j)] + f32(fromHidden[static_cast<size_t>(H + j)])));
          const double cand = f32(std::tanh(fromInput[static_cast<size_t>(2 * H + j)] + reset * f32(fromHidden[static_cast<size_t>(2 * H + j)])));
          g[j] = reset, g[H + j] = update, g[2 * H + j] = cand;
          at(r.hidden, row * H + j) = f32((1 - update) * cand + update * previous);
        }
      }
    }
  // Backward: dInputGates and dHiddenGates (the same but for the GRU's n), the carry to step t−1.
  std::vector<double> dIn(static_cast<size_t>(T * B * G), 0.0), dHid(dIn), carry(static_cast<size_t>(B * H), 0.0);
  r.norms.assign(static_cast<size_t>(T), 0.0);
  for (long t = T - 1; t >= 0; --t) {
    double squares = 0;
    for (long b = 0; b < B; ++b)
      for (long j = 0; j < H; ++j) {
        const long row = t * B + b;
        double dh = dOut[row * H + j];
        if (t < T - 1) {
          if (!c.lstm) dh += carry[static_cast<size_t>(b * H + j)];
          for (long q = 0; q < G; ++q) dh += dHid[static_cast<size_t>((row + B) * G + q)] * wHh[q * H + j];
        }
        squares += dh * dh;
        const double* g = r.gates.data() + row * G;
        double* di = dIn.data() + row * G;
        double* dhg = dHid.data() + row * G;
        double& carried = carry[static_cast<size_t>(b * H + j)];
        if (c.lstm) {
          const double i = g[j], f = g[H + j], cand = g[2 * H + j], o = g[3 * H + j], tc = at(r.tanhCell, row * H + j);
          const double cellPrevious = t > 0 ? at(r.cell, (row - B) * H + j) : 0.0;
          const double dCell = carried + dh * o * (1 - tc * tc);
          di[j] = dCell * cand * i * (1 - i);
          di[H + j] = dCell * cellPrevious * f * (1 - f);
          di[2 * H + j] = dCell * i * (1 - cand * cand);
          di[3 * H + j] = dh * tc * o * (1 - o);
          for (long q = 0; q < 4; ++q) dhg[q * H + j] = di[q * H + j];
          carried = dCell * f;
        } else {
          const double reset = g[j], update = g[H + j], cand = g[2 * H + j];
          const double previous = t > 0 ? at(r.hidden, (row - B) * H + j) : 0.0;
          const double dCandidate = dh * (1 - update) * (1 - cand * cand);
          const double dUpdate = dh * (previous - cand) * update * (1 - update);
          const double dReset = dCandidate * hiddenGates[static_cast<size_t>(row * G + 2 * H + j)] * reset * (1 - reset);
          di[j] = dhg[j] = dReset;
          di[H + j] = dhg[H + j] = dUpdate;
          di[2 * H + j] = dCandidate;
          dhg[2 * H + j] = dCandidate * reset;
          carried = dh * update;
        }
      }
    r.norms[static_cast<size_t>(t)] = std::sqrt(squares);
  }
  r.gWIh.assign(static_cast<size_t>(G * I), 0.0);
  r.gWHh.assign(static_cast<size_t>(G * H), 0.0);
  r.gBIh.assign(static_cast<size_t>(G), 0.0);
  r.gBHh = r.gBIh;
  r.dX.assign(static_cast<size_t>(T * B * I), 0.0);
  for (long row = 0; row < T * B; ++row)
    for (long q = 0; q < G; ++q) {
      const double di = dIn[static_cast<size_t>(row * G + q)], dhg = dHid[static_cast<size_t>(row * G + q)];
      at(r.gBIh, q) += di;
      at(r.gBHh, q) += dhg;
      for (long i = 0; i < I; ++i) {
        at(r.gWIh, q * I + i) += di * x[row * I + i];
        at(r.dX, row * I + i) += di * wIh[q * I + i];
      }
      if (row >= B)
        for (long k = 0; k < H; ++k) at(r.gWHh, q * H + k) += dhg * at(r.hidden, (row - B) * H + k);
    }
  return r;
}

long testGatedLoops() {
  Group group("lstm, gru time loops");
  Random random(10);
  // H = 9 and 37: ragged vectors; 40: an odd number of vectors of units with AVX2 and AVX-512 (the
  // GRU pairs them); 70 and 90: the backward product's 4H = 280 and 3H = 270 need two K blocks;
  // 260: the forward product's K = H does too. Batch 19: 2 threads share the loop by rows (at least
  // MR rows each) instead of by columns.
  const GatedCase cases[] = {{true, 5, 3, 4, 9},  {true, 4, 7, 3, 37},  {true, 1, 2, 2, 5},  {true, 3, 4, 3, 70},  {true, 2, 2, 3, 260},
                             {false, 5, 3, 4, 9}, {false, 4, 7, 3, 37}, {false, 3, 5, 2, 40}, {false, 1, 2, 2, 5}, {false, 3, 4, 3, 90},
                             {false, 2, 2, 3, 260}, {true, 3, 19, 3, 21}, {false, 3, 19, 3, 40}};
  for (const GatedCase& c : cases) {
    // -1: nothing planted; 0-2: NaN, +Inf, −Inf in W_hh; 3-5: the same in dL/dh from above.
    for (int planted = -1; planted < 6; ++planted) {
      // The large cases (millions of checks, slow under qemu) once plain and once with +Inf in W_hh.
      if (c.H > 256 && planted != -1 && planted != 1) continue;
      const long T = c.T, B = c.B, I = c.I, H = c.H, G = (c.lstm ? 4 : 3) * H;
      Buffer x(random, T * B * I), wIh(random, G * I, -0.5, 0.5), wHh(random, G * H, -0.3, 0.3), bIh(random, G), bHh(random, G), dOut(random, T * B * H);
      if (planted >= 0 && planted < 3) wHh[(G * H) / 2 + 1] = kSpecials[planted];
      if (planted >= 3) dOut[(T * B * H) / 2 + 1] = kSpecials[planted - 3];
      const GatedReference expected = referenceGated(c, x.data(), wIh.data(), wHh.data(), bIh.data(), bHh.data(), dOut.data());
      const std::string what = std::string(c.lstm ? "lstm" : "gru") + " T=" + std::to_string(T) + " B=" + std::to_string(B) + " H=" + std::to_string(H) +
                               (planted < 0 ? "" : " " + special(kSpecials[planted % 3]) + (planted < 3 ? " in W_hh" : " in dL/dh"));
      std::vector<float> firstRun;
      for (int threads : {1, 2}) {
        const std::string run = what + ", " + std::to_string(threads) + " threads";
        Buffer hidden(random, T * B * H), cell(random, T * B * H), tanhCell(random, T * B * H), gates(random, T * B * G), gates2(random, T * B * G),
            gates3(random, T * B * G), dGates(random, T * B * G), dGates2(random, T * B * G), gradWIh(random, G * I), gradWHh(random, G * H),
            gradBIh(random, G), gradBHh(random, G), dInput(random, T * B * I);
        const std::vector<float> before[] = {std::vector<float>(gradWIh.data(), gradWIh.data() + G * I), std::vector<float>(gradWHh.data(), gradWHh.data() + G * H),
                                             std::vector<float>(gradBIh.data(), gradBIh.data() + G), std::vector<float>(gradBHh.data(), gradBHh.data() + G)};
        std::vector<double> norms(static_cast<size_t>(T));
        const RunMode mode{threads, false};
        const LayerGradients layer{dOut.data(), norms.data(), gradWIh.data(), gradWHh.data(), gradBIh.data(), gradBHh.data(), dInput.data(), false};
        // The activations the kernels store: LSTM gates (i, f, g, o) in `gates`; GRU r, z, n in `gates3`.
        Buffer& activations = c.lstm ? gates : gates3;
        if (c.lstm) {
          const LstmSequence sequence{T, B, I, H, x.data(), wIh.data(), wHh.data(), bIh.data(), bHh.data(), hidden.data(), cell.data(), tanhCell.data(), gates.data()};
          SaturationCount saturation{0.5f, -1};
          group.truth(lstmForward(sequence, mode, saturation), run + ": forward ran");
          group.integer(saturation.count, countAbove(tanhCell.data(), T * B, H, H, 0.5f), run + " |tanh c| > 0.5");
          group.values(cell, expected.cell, 2e-5, 2e-6, run + " c");
          group.values(tanhCell, expected.tanhCell, 2e-5, 2e-6, run + " tanh c");
          group.truth(lstmBackward(sequence, LstmBackward{layer, dGates.data()}, mode), run + ": backward ran");
        } else {
          const GruSequence sequence{T, B, I, H, x.data(), wIh.data(), wHh.data(), bIh.data(), bHh.data(), hidden.data(), gates.data(), gates2.data(), gates3.data()};
          SaturationCount saturation{0.5f, -1};
          group.truth(gruForward(sequence, mode, saturation), run + ": forward ran");
          group.integer(saturation.count, countAbove(gates3.data() + 2 * H, T * B, H, G, 0.5f), run + " |n| > 0.5");
          group.truth(gruBackward(sequence, GruBackward{layer, dGates.data(), dGates2.data()}, mode), run + ": backward ran");
        }
        group.values(hidden, expected.hidden, 2e-5, 2e-6, run + " h");
        group.values(activations, expected.gates, 2e-5, 2e-6, run + " gate activations");
        for (long t = 0; t < T; ++t) group.value(norms[static_cast<size_t>(t)], expected.norms[static_cast<size_t>(t)], 5e-5, 1e-6, run + " norm t=" + std::to_string(t));
        Buffer* accumulated[] = {&gradWIh, &gradWHh, &gradBIh, &gradBHh};
        const std::vector<double>* sums[] = {&expected.gWIh, &expected.gWHh, &expected.gBIh, &expected.gBHh};
        const char* names[] = {" dW_ih", " dW_hh", " db_ih", " db_hh"};
        for (int p = 0; p < 4; ++p) {
          std::vector<double> total(*sums[p]);
          for (size_t i = 0; i < total.size(); ++i) total[i] += before[p][i];
          group.values(*accumulated[p], total, 5e-5, 5e-5, run + names[p]);
        }
        group.values(dInput, expected.dX, 5e-5, 5e-5, run + " dx");
        // What does not depend on the random starting values of the accumulated gradients.
        std::vector<float> values(hidden.data(), hidden.data() + T * B * H);
        const std::vector<Buffer*> written = c.lstm ? std::vector<Buffer*>{&cell, &tanhCell, &gates, &dGates, &dInput}
                                                    : std::vector<Buffer*>{&gates, &gates2, &gates3, &dGates, &dGates2, &dInput};
        for (Buffer* buffer : written) values.insert(values.end(), buffer->data(), buffer->data() + buffer->n);
        for (double norm : norms) values.push_back(static_cast<float>(norm));
        if (threads == 1) {
          firstRun = values;
        } else {
          ++group.checks;
          if (std::memcmp(values.data(), firstRun.data(), values.size() * sizeof(float)) != 0) group.fail(what + ": 2 threads differ from 1");
        }
      }
    }
  }
  return group.finish();
}

// ---------------------------------------------------------------------------------------------
// Optimiser steps: the scalar reference is src/kernels/ts-kernels.ts's loop (JavaScript numbers are
// doubles), element by element, each stored value rounded to float. The kernels must give its
// weights and state bit for bit, so neither side may fuse a·b + c into one rounding.

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
UpdateSums referenceSgd(long n, float* data, const float* grad, float* momentum, const SgdStep& s) {
  UpdateSums sums{0, 0, 0};
  for (long i = 0; i < n; ++i) {
    const double decay = s.weightDecay * static_cast<double>(data[i]);
    double direction = static_cast<double>(grad[i]) + decay;
    if (momentum != nullptr) {
      if (s.first) {
        momentum[i] = static_cast<float>(direction);
      } else {
        const double kept = s.momentum * static_cast<double>(momentum[i]);
        const double added = (1.0 - s.dampening) * direction;
        momentum[i] = static_cast<float>(kept + added);
      }
      if (s.nesterov) {
        const double lookAhead = s.momentum * static_cast<double>(momentum[i]);
        direction = direction + lookAhead;
      } else {
        direction = momentum[i];
      }
    }
    const double before = data[i];
    const double change = s.learningRate * direction;
    data[i] = static_cast<float>(before - change);
    const double step = static_cast<double>(data[i]) - before;
    sums.moved += step * step;
    sums.before += before * before;
    sums.after += static_cast<double>(data[i]) * data[i];
  }
  return sums;
}

UpdateSums referenceAdam(long n, float* data, const float* grad, float* m, float* v, const AdamStep& s) {
  UpdateSums sums{0, 0, 0};
  for (long i = 0; i < n; ++i) {
    const double decay = s.weightDecay * static_cast<double>(data[i]);
    const double g = static_cast<double>(grad[i]) + decay;
    const double keptFirst = s.beta1 * static_cast<double>(m[i]);
    const double addedFirst = (1.0 - s.beta1) * g;
    m[i] = static_cast<float>(keptFirst + addedFirst);
    const double keptSecond = s.beta2 * static_cast<double>(v[i]);
    const double scaledG = (1.0 - s.beta2) * g;
    const double addedSecond = scaledG * g;
    v[i] = static_cast<float>(keptSecond + addedSecond);
    const double denominator = std::sqrt(static_cast<double>(v[i])) / s.biasCorrection2Root + s.epsilon;
    const double before = data[i];
    const double numerator = s.stepSize * static_cast<double>(m[i]);
    data[i] = static_cast<float>(before - numerator / denominator);
    const double step = static_cast<double>(data[i]) - before;
    sums.moved += step * step;
    sums.before += before * before;
    sums.after += static_cast<double>(data[i]) * data[i];
  }
  return sums;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/** Same bits in every element (any NaN matches any NaN), and the guards intact. */
void sameBits(Group& group, Buffer& actual, Buffer& expected, const std::string& what) {
  ++group.checks;
  for (long i = 0; i < actual.n; ++i) {
    const bool same = std::memcmp(&actual[i], &expected[i], sizeof(float)) == 0 || (std::isnan(actual[i]) && std::isnan(expected[i]));
    if (!same) {
      char message[256];
      std::snprintf(message, sizeof message, "%s[%ld] is %.9g, reference %.9g", what.c_str(), i, actual[i], expected[i]);
      group.fail(message);
      break;
    }
  }
  group.guards(actual, what);
}

void sameSums(Group& group, const UpdateSums& actual, const UpdateSums& expected, const std::string& what) {
  group.value(actual.moved, expected.moved, 1e-12, 0, what + " sum of squared steps");
  group.value(actual.before, expected.before, 1e-12, 0, what + " sum of squares before");
  group.value(actual.after, expected.after, 1e-12, 0, what + " sum of squares after");
}

long testOptimizerSteps() {
  Group group("optimizer steps");
  Random random(31);
  const SgdStep sgdCases[] = {{0.1, 0, 0, 0, false, false}, {0.03, 0.9, 0, 1e-4, false, false}, {0.03, 0.9, 0.1, 0, false, false}, {0.01, 0.5, 0, 0.01, true, false}};
  for (long n : {1L, 3L, 17L, 65L, 130L, 1001L}) {
    for (int plant = 0; plant <= 6; ++plant) {
      Buffer data(random, n, -2, 2), grad(random, n);
      for (long i = 0; i < n; i += 11) grad[i] *= 1e-30f;
      // 1–3: NaN, +Inf, −Inf in the gradient; 4–6: in a weight.
      if (plant > 0) (plant <= 3 ? grad : data)[n / 2] = kSpecials[(plant - 1) % 3];
      const std::string planted = plant == 0 ? "nothing" : special(kSpecials[(plant - 1) % 3]) + (plant <= 3 ? " in grad" : " in a weight");
      for (const SgdStep& settings : sgdCases) {
        Buffer mine(data), reference(data), mineMomentum(random, n), referenceMomentum(mineMomentum);
        const bool withMomentum = settings.momentum != 0;
        for (int step = 0; step < 3; ++step) {
          SgdStep s = settings;
          s.first = step == 0;
          const std::string what = "sgd n=" + std::to_string(n) + " momentum=" + std::to_string(settings.momentum) + (settings.nesterov ? " nesterov" : "") +
                                   " step " + std::to_string(step) + ", " + planted;
          const UpdateSums got = sgdStep(n, mine.data(), grad.data(), withMomentum ? mineMomentum.data() : nullptr, s);
          const UpdateSums want = referenceSgd(n, reference.data(), grad.data(), withMomentum ? referenceMomentum.data() : nullptr, s);
          sameBits(group, mine, reference, what + " weights");
          if (withMomentum) sameBits(group, mineMomentum, referenceMomentum, what + " momentum");
          sameSums(group, got, want, what);
        }
      }
      Buffer mine(data), reference(data), m(random, n, 0, 0), v(random, n, 0, 0), referenceM(m), referenceV(v);
      for (int step = 1; step <= 3; ++step) {
        const AdamStep s{1e-3 / (1 - std::pow(0.9, step)), 0.9, 0.999, 1e-8, step == 2 ? 0.01 : 0.0, std::sqrt(1 - std::pow(0.999, step))};
        const std::string what = "adam n=" + std::to_string(n) + " step " + std::to_string(step) + ", " + planted;
        const UpdateSums got = adamStep(n, mine.data(), grad.data(), m.data(), v.data(), s);
        const UpdateSums want = referenceAdam(n, reference.data(), grad.data(), referenceM.data(), referenceV.data(), s);
        sameBits(group, mine, reference, what + " weights");
        sameBits(group, m, referenceM, what + " first moment");
        sameBits(group, v, referenceV, what + " second moment");
        sameSums(group, got, want, what);
        if (plant > 0) group.truth(!std::isfinite(got.after), what + ": a non-finite weight or gradient makes the weights' norm non-finite");
      }
    }
  }
  return group.finish();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--cpu-features") == 0) {
    reportCpuFeatures([](const char* name, bool supported) { std::printf("%s=%d\n", name, supported ? 1 : 0); });
    return 0;
  }
  std::printf("kernels_test: variant %s (%s), %d floats per vector, GEMM tile %dx%d\n", VANISHING_VARIANT, VANISHING_ISA, VEC, gemmTileRows(), gemmTileCols());
  const long failures = testGemm() + testActivations() + testElementwise() + testLstm() + testGru() + testLosses() + testRnnLoops() + testVanishedGradients() + testGatedLoops() + testOptimizerSteps();
  std::printf(failures == 0 ? "kernels_test: all checks passed\n" : "kernels_test: %ld checks failed\n", failures);
  return failures == 0 ? 0 : 1;
}

// Elementwise kernels: one vector of VEC lanes at a time, the ragged end of a row through a
// zero-padded partial vector, so every element goes through the same (vectorised) math as its
// neighbours. tanh/sigmoid/exp are the polynomial forms in simd.h, within ~2 float32 ulp of libm.
// NaN and ±Inf propagate as IEEE arithmetic propagates them (see simd.h), so a model that
// diverged shows a non-finite loss here exactly as on the reference TypeScript kernels.
#include "pointwise.h"

#include <algorithm>
#include <cmath>

#include "cells.h"
#include "simd.h"

namespace vanishing {
namespace {

inline vf activate(Activation act, vf x) {
  switch (act) {
    case Activation::Tanh: return vtanh(x);
    case Activation::Relu: return vrelu(x);
    case Activation::Sigmoid: return vsigmoid(x);
    case Activation::Identity: return x;
  }
  return x;
}

/** act'(x) written from the output y = act(x). */
inline vf derivativeFromOutput(Activation act, vf y) {
  switch (act) {
    case Activation::Tanh: return 1.0f - y * y;
    // relu'(NaN) is NaN: the comparison alone would call it 0 and hide the NaN from dx.
    case Activation::Relu: return keep_nan(y, y > 0.0f ? splat(1.0f) : vf{});
    case Activation::Sigmoid: return y * (1.0f - y);
    case Activation::Identity: return splat(1.0f);
  }
  return splat(1.0f);
}

}  // namespace

void addBiasRows(float* out, long rows, long cols, const float* bias) {
  for (long r = 0; r < rows; ++r) {
    float* row = out + r * cols;
    chunks(cols, [&](long i, int n) { storen(row + i, loadn(row + i, n) + loadn(bias + i, n), n); });
  }
}

void accumulateColumnSums(float* out, const float* src, long rows, long cols) { accumulateColumnSums(out, nullptr, src, rows, cols, 0, cols); }

namespace {
/** accumulateColumnSums with the twin's presence known at compile time, so a call without one does no twin work per row. */
template <bool TWIN>
void columnSumsInto(float* out, float* twin, const float* src, long rows, long cols, long c0, long c1) {
  // Four vectors of columns at a time, their running sums in registers across all rows, so the
  // block is read front to back.
  constexpr int CHUNK = 4;
  long c = c0;
  for (; c + CHUNK * VEC <= c1; c += CHUNK * VEC) {
    vf sum[CHUNK], twinSum[CHUNK];
    for (int q = 0; q < CHUNK; ++q) {
      sum[q] = loadu(out + c + q * VEC);
      if constexpr (TWIN) twinSum[q] = loadu(twin + c + q * VEC);
    }
    for (long r = 0; r < rows; ++r) {
      for (int q = 0; q < CHUNK; ++q) {
        const vf value = loadu(src + r * cols + c + q * VEC);
        sum[q] += value;
        if constexpr (TWIN) twinSum[q] += value;
      }
    }
    for (int q = 0; q < CHUNK; ++q) {
      storeu(out + c + q * VEC, sum[q]);
      if constexpr (TWIN) storeu(twin + c + q * VEC, twinSum[q]);
    }
  }
  for (; c < c1; c += VEC) {
    const int n = static_cast<int>(std::min<long>(VEC, c1 - c));
    vf sum = loadn(out + c, n);
    vf twinSum = TWIN ? loadn(twin + c, n) : vf{};
    for (long r = 0; r < rows; ++r) {
      const vf value = loadn(src + r * cols + c, n);
      sum += value;
      if constexpr (TWIN) twinSum += value;
    }
    storen(out + c, sum, n);
    if constexpr (TWIN) storen(twin + c, twinSum, n);
  }
}
}  // namespace

void accumulateColumnSums(float* out, float* twin, const float* src, long rows, long cols, long c0, long c1) {
  if (twin != nullptr)
    columnSumsInto<true>(out, twin, src, rows, cols, c0, c1);
  else
    columnSumsInto<false>(out, nullptr, src, rows, cols, c0, c1);
}

void activationForward(Activation act, const float* x, float* y, long n) {
  switch (act) {
    case Activation::Tanh: chunks(n, [&](long i, int c) { storen(y + i, vtanh(loadn(x + i, c)), c); }); return;
    case Activation::Relu: chunks(n, [&](long i, int c) { storen(y + i, vrelu(loadn(x + i, c)), c); }); return;
    case Activation::Sigmoid: chunks(n, [&](long i, int c) { storen(y + i, vsigmoid(loadn(x + i, c)), c); }); return;
    case Activation::Identity:
      if (x != y) std::copy(x, x + n, y);
      return;
  }
}

void activationBackward(Activation act, const float* y, const float* dy, float* dx, long n, bool accumulate) {
  chunks(n, [&](long i, int c) {
    vf value = loadn(dy + i, c) * derivativeFromOutput(act, loadn(y + i, c));
    if (accumulate) value += loadn(dx + i, c);
    storen(dx + i, value, c);
  });
}

void axpy(long n, float alpha, const float* x, float* y) {
  chunks(n, [&](long i, int c) { storen(y + i, loadn(y + i, c) + alpha * loadn(x + i, c), c); });
}

void copy(const float* src, float* dst, long n) { std::copy(src, src + n, dst); }

void fill(float* x, long n, float value) { std::fill(x, x + n, value); }

void scale(float* x, long n, float factor) {
  chunks(n, [&](long i, int c) { storen(x + i, loadn(x + i, c) * factor, c); });
}

double sumOfSquares(const float* x, long n) {
  // Squares are exact in double, so accumulating them in double lanes matches the reference
  // (which sums in JS doubles) up to the order of additions.
  vwide s0 = {}, s1 = {};
  long i = 0;
  for (; i + 2 * VEC <= n; i += 2 * VEC) {
    const vwide a = widen(loadu(x + i));
    const vwide b = widen(loadu(x + i + VEC));
    s0 += a * a;
    s1 += b * b;
  }
  s0 += s1;
  double sum = sumInLaneOrder(s0);
  for (; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

namespace {
/**
 * Counts the values of x[0, n) above `threshold` in magnitude: those of whole vectors into `hits`
 * (a lane per VEC-th value; subtracting a comparison's true lanes, −1, adds one), and returns
 * those of the ragged end.
 */
inline long countAbsAboveInto(vi& hits, const float* x, long n, float threshold) {
  long i = 0;
  for (; i + VEC <= n; i += VEC) hits -= vabs(loadu(x + i)) > threshold;
  long count = 0;
  for (; i < n; ++i) count += std::fabs(x[i]) > threshold ? 1 : 0;
  return count;
}

/** The sum of `hits`'s lanes. */
inline long laneCount(vi hits) {
  long count = 0;
  for (int l = 0; l < VEC; ++l) count += hits[l];
  return count;
}
}  // namespace

long countAbsAbove(const float* x, long n, float threshold) {
  vi hits = {};
  const long ragged = countAbsAboveInto(hits, x, n, threshold);
  return laneCount(hits) + ragged;
}

long countAbsAboveInRows(const float* x, long rows, long cols, long rowStride, float threshold) {
  // The lanes' counts are added up once, not per row: the GRU's rows of n are 64 values, and
  // adding 8 lanes per row took as long as comparing them (countAbsAbove per row: 1.2 ns a value,
  // against 0.35 on one long run). A lane counts one value in VEC, as in countAbsAbove, so its
  // int32 count cannot overflow on any array a typed array can hold.
  vi hits = {};
  long ragged = 0;
  for (long r = 0; r < rows; ++r) ragged += countAbsAboveInto(hits, x + r * rowStride, cols, threshold);
  return laneCount(hits) + ragged;
}

long countZero(const float* x, long n) {
  vi hits = {};
  long i = 0;
  for (; i + VEC <= n; i += VEC) hits -= loadu(x + i) == 0.0f;
  long count = laneCount(hits);
  for (; i < n; ++i) count += x[i] == 0.0f ? 1 : 0;
  return count;
}

// gates is B×4H (i, f, g, o); cPrev, c, tanhC, h are B×H.
// The arithmetic of src/model/lstm-layer.ts's equations (2)-(4) (cells.h); the derivation lives there.
void lstmPointwiseForward(long batch, long hidden, float* gates, const float* cPrev, float* c, float* tanhC, float* h) {
  const long H = hidden;
  for (long b = 0; b < batch; ++b) cell::lstmForwardRow(H, 0, H, gates + b * 4 * H, cPrev + b * H, c + b * H, tanhC + b * H, h + b * H);
}

// The arithmetic of src/model/lstm-layer.ts's equations (5)-(8) (cells.h); the derivation lives there.
void lstmPointwiseBackward(long batch, long hidden, const float* gates, const float* cPrev, const float* tanhC, const float* dh, float* dc,
                           float* dGates) {
  const long H = hidden;
  for (long b = 0; b < batch; ++b)
    cell::lstmBackwardRow(H, 0, H, gates + b * 4 * H, cPrev + b * H, tanhC + b * H, dh + b * H, dc + b * H, dGates + b * 4 * H);
}

// inputGates, hiddenGates, gateActivations are B×3H (r, z, n); hPrev and h are B×H.
// The arithmetic of src/model/gru-layer.ts's equations (3)-(5) (cells.h); the derivation lives there.
void gruPointwiseForward(long batch, long hidden, const float* inputGates, const float* hiddenGates, const float* hPrev,
                         float* gateActivations, float* h) {
  const long H = hidden;
  for (long b = 0; b < batch; ++b)
    cell::gruForwardRow(H, 0, H, inputGates + b * 3 * H, hiddenGates + b * 3 * H, hPrev + b * H, gateActivations + b * 3 * H, h + b * H);
}

// The arithmetic of src/model/gru-layer.ts's equations (6)-(9) (not the W_hh term; cells.h); the derivation lives there.
void gruPointwiseBackward(long batch, long hidden, const float* hiddenGates, const float* hPrev, const float* gateActivations,
                          const float* dh, float* dInputGates, float* dHiddenGates, float* dhPrev) {
  const long H = hidden;
  for (long b = 0; b < batch; ++b)
    cell::gruBackwardRow(H, 0, H, hiddenGates + b * 3 * H, hPrev + b * H, gateActivations + b * 3 * H, dh + b * H, dInputGates + b * 3 * H,
                         dHiddenGates + b * 3 * H, dhPrev + b * H);
}

double softmaxCrossEntropy(long rows, long classes, const float* logits, const int32_t* targets, float* dLogits, double gradientScale,
                           long* correct) {
  // Once per batch on rows×classes values: double precision like the reference, no SIMD needed.
  double lossSum = 0;
  long hits = 0;
  for (long r = 0; r < rows; ++r) {
    const float* row = logits + r * classes;
    float* dRow = dLogits + r * classes;
    const long target = targets[r];
    double max = -INFINITY;
    long argMax = 0;
    for (long c = 0; c < classes; ++c) {
      if (row[c] > max) {
        max = row[c];
        argMax = c;
      }
    }
    double sum = 0;
    for (long c = 0; c < classes; ++c) sum += std::exp(row[c] - max);
    const double logSum = std::log(sum) + max;
    lossSum += logSum - row[target];
    if (argMax == target) ++hits;
    for (long c = 0; c < classes; ++c) dRow[c] = static_cast<float>((std::exp(row[c] - logSum) - (c == target ? 1.0 : 0.0)) * gradientScale);
  }
  *correct = hits;
  return lossSum;
}

double squaredError(long n, const float* pred, const float* target, float* dPred, double gradientScale) {
  double sum = 0;
  for (long i = 0; i < n; ++i) {
    const double diff = static_cast<double>(pred[i]) - target[i];
    sum += diff * diff;
    dPred[i] = static_cast<float>(2 * diff * gradientScale);
  }
  return sum;
}

}  // namespace vanishing

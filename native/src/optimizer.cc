// The optimiser steps (optimizer.h). The arithmetic is the reference's, element for element, in
// double vectors: every operation below is one IEEE operation on each lane, so lanes give the
// reference's bits. Two things would break that and are ruled out here: contracting a·b + c into
// one fused multiply-add (GCC's default contracts across statements; the pragma below turns it
// off for this file, and each product is its own statement for compilers that contract
// within one expression), and reassociation (no -ffast-math anywhere in this build).
//
// Before the includes, so simd.h's helpers carry the same options and still inline into the loops.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "optimizer.h"

#include <cmath>
#include <cstring>

#include "simd.h"

#if defined(__SSE2__)
#include "x86_intrinsics.h"
#endif

namespace vanishing {
namespace {

/** √x per lane, correctly rounded (IEEE's square root, as Math.sqrt). */
inline vwide vsqrt(const vwide& value) {
  vwide x = value;
  // AVX-512 too takes 256-bit halves: the same square roots per cycle on the cores we measured,
  // and GCC's 512-bit intrinsic warns of an undefined pass-through operand it never reads.
#if defined(__AVX__)
  typedef __m256d Part;
#define VANISHING_SQRT _mm256_sqrt_pd
#elif defined(__SSE2__)
  typedef __m128d Part;
#define VANISHING_SQRT _mm_sqrt_pd
#endif
#if defined(VANISHING_SQRT)
  static_assert(sizeof(vwide) % sizeof(Part) == 0, "vwide is whole registers");
  Part parts[sizeof(vwide) / sizeof(Part)];
  std::memcpy(parts, &x, sizeof x);
  for (Part& part : parts) part = VANISHING_SQRT(part);
  std::memcpy(&x, parts, sizeof x);
#undef VANISHING_SQRT
#else
  for (int l = 0; l < VEC / 2; ++l) {
    x.lo[l] = std::sqrt(x.lo[l]);
    x.hi[l] = std::sqrt(x.hi[l]);
  }
#endif
  return x;
}

/** Per-lane sums, added in lane order at the end (the same on every run and thread count). */
struct LaneSums {
  vwide moved{}, before{}, after{};
  /** Adds lanes [0, n) of one chunk: θ before and after, as stored (float32). */
  void add(vf stored, vf updated, int n) {
    if (n < VEC) {
      // Spare lanes were loaded as zero, but a zero weight minus an update of NaN is NaN: mask them.
      for (int l = n; l < VEC; ++l) stored[l] = updated[l] = 0.0f;
    }
    const vwide before_ = widen(stored), after_ = widen(updated);
    const vwide step = after_ - before_;
    const vwide stepSquared = step * step;
    const vwide beforeSquared = before_ * before_;
    const vwide afterSquared = after_ * after_;
    moved += stepSquared;
    before += beforeSquared;
    after += afterSquared;
  }
  UpdateSums total() const {
    return UpdateSums{sumInLaneOrder(moved), sumInLaneOrder(before), sumInLaneOrder(after)};
  }
};

}  // namespace

UpdateSums sgdStep(long n, float* data, const float* grad, float* momentum, const SgdStep& s) {
  const vwide learningRate = splatd(s.learningRate), weightDecay = splatd(s.weightDecay), factor = splatd(s.momentum);
  const vwide undamped = splatd(1.0 - s.dampening);
  LaneSums sums;
  chunks(n, [&](long i, int c) {
    const vf weights = loadn(data + i, c);
    const vwide before = widen(weights);
    // direction = g + λθ
    const vwide decay = weightDecay * before;
    vwide direction = widen(loadn(grad + i, c)) + decay;
    if (momentum != nullptr) {
      // buf = g (first step) or μ·buf + (1 − dampening)·g, stored as float32 and read back.
      vwide buffer = direction;
      if (!s.first) {
        const vwide kept = factor * widen(loadn(momentum + i, c));
        const vwide added = undamped * direction;
        buffer = kept + added;
      }
      const vf stored = narrow(buffer);
      storen(momentum + i, stored, c);
      if (s.nesterov) {
        const vwide lookAhead = factor * widen(stored);
        direction = direction + lookAhead;
      } else {
        direction = widen(stored);
      }
    }
    const vwide change = learningRate * direction;
    const vf after = narrow(before - change);
    storen(data + i, after, c);
    sums.add(weights, after, c);
  });
  return sums.total();
}

UpdateSums adamStep(long n, float* data, const float* grad, float* firstMoment, float* secondMoment, const AdamStep& s) {
  const vwide weightDecay = splatd(s.weightDecay), beta1 = splatd(s.beta1), beta2 = splatd(s.beta2);
  const vwide oneMinusBeta1 = splatd(1.0 - s.beta1), oneMinusBeta2 = splatd(1.0 - s.beta2);
  const vwide stepSize = splatd(s.stepSize), epsilon = splatd(s.epsilon), biasCorrection2Root = splatd(s.biasCorrection2Root);
  LaneSums sums;
  chunks(n, [&](long i, int c) {
    const vf weights = loadn(data + i, c);
    const vwide before = widen(weights);
    const vwide decay = weightDecay * before;
    const vwide g = widen(loadn(grad + i, c)) + decay;
    // m = β1·m + (1 − β1)·g and v = β2·v + ((1 − β2)·g)·g, each stored as float32 and read back.
    const vwide keptFirst = beta1 * widen(loadn(firstMoment + i, c));
    const vwide addedFirst = oneMinusBeta1 * g;
    const vf m = narrow(keptFirst + addedFirst);
    storen(firstMoment + i, m, c);
    const vwide keptSecond = beta2 * widen(loadn(secondMoment + i, c));
    const vwide scaledG = oneMinusBeta2 * g;
    const vwide addedSecond = scaledG * g;
    const vf v = narrow(keptSecond + addedSecond);
    storen(secondMoment + i, v, c);
    // θ −= (stepSize·m) / (√v / √(1 − β2^t) + ε)
    const vwide denominator = vsqrt(widen(v)) / biasCorrection2Root + epsilon;
    const vwide numerator = stepSize * widen(m);
    const vf after = narrow(before - numerator / denominator);
    storen(data + i, after, c);
    sums.add(weights, after, c);
  });
  return sums.total();
}

}  // namespace vanishing

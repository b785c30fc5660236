// The WebAssembly exports of the kernels: the same C++ as the native addon (native/src/gemm.cc,
// pointwise.cc and the SIMD vocabulary of simd.h, whose wasm branch maps its vectors to v128),
// compiled by wasm/build.mjs for wasm32 with SIMD128 and called from src/kernels/wasm-kernels.ts.
//
// What differs from the addon (native/src/addon.cc):
// - Operands are byte addresses in this module's linear memory. JavaScript copies a call's
//   operands into the scratch area `reserveScratch` hands out, calls, and copies results back
//   (the model's Float32Arrays live in JavaScript, not here).
// - One thread, IEEE denormals: WebAssembly has no control over flushing, and the fused loops
//   that split work over threads (recurrent.cc, parallel.h) are not part of this module.
// - No argument checks here: wasm-kernels.ts checks sizes, offsets and activation codes before
//   it copies anything, and a wrong address can only touch this module's own memory.
#include <cmath>
#include <cstdint>

#include "../native/src/gemm.h"
#include "../native/src/gemm_kernel.h"
#include "../native/src/pointwise.h"

#define EXPORT(name) extern "C" __attribute__((export_name(name)))

namespace {
/** The operands of one call, laid out by wasm-kernels.ts; grown, never shrunk. */
vanishing::kernel::GrowBuffer scratch;
/** softmaxCrossEntropy's second result (the arg-max hits), read back by `lastCorrect`. */
long lastCorrectCount = 0;

vanishing::Activation activation(int code) { return static_cast<vanishing::Activation>(code); }
}  // namespace

/** Address of at least `floats` floats of scratch (64-byte aligned), or 0 when memory cannot grow. */
EXPORT("reserveScratch") float* reserveScratch(long floats) { return scratch.reserve(static_cast<size_t>(floats)); }

/** Returns 0 when the packing buffer could not be allocated (C untouched). */
EXPORT("gemm") int gemm(int transA, int transB, long M, long N, long K, const float* a, const float* b, float* c, int accumulate) {
  return vanishing::gemm(transA != 0, transB != 0, M, N, K, a, b, c, accumulate != 0) ? 1 : 0;
}

EXPORT("addBiasRows") void addBiasRows(float* out, long rows, long cols, const float* bias) { vanishing::addBiasRows(out, rows, cols, bias); }

EXPORT("accumulateColumnSums") void accumulateColumnSums(float* out, const float* src, long rows, long cols) {
  vanishing::accumulateColumnSums(out, src, rows, cols);
}

EXPORT("activationForward") void activationForward(int code, const float* x, float* y, long n) {
  vanishing::activationForward(activation(code), x, y, n);
}

EXPORT("activationBackward") void activationBackward(int code, const float* y, const float* dy, float* dx, long n, int accumulate) {
  vanishing::activationBackward(activation(code), y, dy, dx, n, accumulate != 0);
}

EXPORT("axpy") void axpy(long n, float alpha, const float* x, float* y) { vanishing::axpy(n, alpha, x, y); }

EXPORT("scale") void scale(float* x, long n, float factor) { vanishing::scale(x, n, factor); }

EXPORT("sumOfSquares") double sumOfSquares(const float* x, long n) { return vanishing::sumOfSquares(x, n); }

EXPORT("countAbsAbove") long countAbsAbove(const float* x, long n, double threshold) {
  // |x| > t for float x and double t (as the reference compares): against the largest float ≤ t, as the addon does.
  float t = static_cast<float>(threshold);
  if (static_cast<double>(t) > threshold) t = std::nextafter(t, -INFINITY);
  return vanishing::countAbsAbove(x, n, t);
}

EXPORT("countZero") long countZero(const float* x, long n) { return vanishing::countZero(x, n); }

EXPORT("lstmPointwiseForward")
void lstmPointwiseForward(long batch, long hidden, float* gates, const float* cPrev, float* c, float* tanhC, float* h) {
  vanishing::lstmPointwiseForward(batch, hidden, gates, cPrev, c, tanhC, h);
}

EXPORT("lstmPointwiseBackward")
void lstmPointwiseBackward(long batch, long hidden, const float* gates, const float* cPrev, const float* tanhC, const float* dh, float* dc,
                           float* dGates) {
  vanishing::lstmPointwiseBackward(batch, hidden, gates, cPrev, tanhC, dh, dc, dGates);
}

EXPORT("gruPointwiseForward")
void gruPointwiseForward(long batch, long hidden, const float* inputGates, const float* hiddenGates, const float* hPrev, float* gateActivations,
                         float* h) {
  vanishing::gruPointwiseForward(batch, hidden, inputGates, hiddenGates, hPrev, gateActivations, h);
}

EXPORT("gruPointwiseBackward")
void gruPointwiseBackward(long batch, long hidden, const float* hiddenGates, const float* hPrev, const float* gateActivations, const float* dh,
                          float* dInputGates, float* dHiddenGates, float* dhPrev) {
  vanishing::gruPointwiseBackward(batch, hidden, hiddenGates, hPrev, gateActivations, dh, dInputGates, dHiddenGates, dhPrev);
}

/** Returns Σ_r −log softmax[target]; the arg-max hits are read with `lastCorrect`. */
EXPORT("softmaxCrossEntropy")
double softmaxCrossEntropy(long rows, long classes, const float* logits, const int32_t* targets, float* dLogits, double gradientScale) {
  return vanishing::softmaxCrossEntropy(rows, classes, logits, targets, dLogits, gradientScale, &lastCorrectCount);
}

EXPORT("lastCorrect") long lastCorrect() { return lastCorrectCount; }

EXPORT("squaredError") double squaredError(long n, const float* pred, const float* target, float* dPred, double gradientScale) {
  return vanishing::squaredError(n, pred, target, dPred, gradientScale);
}

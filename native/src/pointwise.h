// Elementwise, reduction and loss kernels of the Kernels interface, float32, on raw pointers
// (the binding has already added offsets and checked bounds). Shapes as in src/kernels/kernels.ts.
#pragma once
#include <cstdint>

namespace vanishing {

enum class Activation : int { Tanh = 0, Relu = 1, Sigmoid = 2, Identity = 3 };

/** Whether `code` is one of Activation's values (the binding refuses any other code). */
inline bool isActivation(long code) { return code >= 0 && code <= static_cast<long>(Activation::Identity); }

void addBiasRows(float* out, long rows, long cols, const float* bias);
void accumulateColumnSums(float* out, const float* src, long rows, long cols);
/**
 * out[c] += Σ_r src[r, c] for columns [c0, c1) of a rows×cols block, rows in order; `twin`, when
 * not null, gets the same sums on its own values (the LSTM's and the Elman cell's two biases share
 * one gradient, so the block is read once for both).
 */
void accumulateColumnSums(float* out, float* twin, const float* src, long rows, long cols, long c0, long c1);
void activationForward(Activation act, const float* x, float* y, long n);
void activationBackward(Activation act, const float* y, const float* dy, float* dx, long n, bool accumulate);
void axpy(long n, float alpha, const float* x, float* y);
void copy(const float* src, float* dst, long n);
void fill(float* x, long n, float value);
void scale(float* x, long n, float factor);
double sumOfSquares(const float* x, long n);
long countAbsAbove(const float* x, long n, float threshold);
/** countAbsAbove over `cols` elements of each of `rows` rows, `rowStride` apart. */
long countAbsAboveInRows(const float* x, long rows, long cols, long rowStride, float threshold);
long countZero(const float* x, long n);
void lstmPointwiseForward(long batch, long hidden, float* gates, const float* cPrev, float* c, float* tanhC, float* h);
void lstmPointwiseBackward(long batch, long hidden, const float* gates, const float* cPrev, const float* tanhC, const float* dh, float* dc,
                           float* dGates);
void gruPointwiseForward(long batch, long hidden, const float* inputGates, const float* hiddenGates, const float* hPrev,
                         float* gateActivations, float* h);
void gruPointwiseBackward(long batch, long hidden, const float* hiddenGates, const float* hPrev, const float* gateActivations,
                          const float* dh, float* dInputGates, float* dHiddenGates, float* dhPrev);
/** Returns Σ_r −log softmax[target]; writes the arg-max hits to *correct. */
double softmaxCrossEntropy(long rows, long classes, const float* logits, const int32_t* targets, float* dLogits, double gradientScale,
                           long* correct);
double squaredError(long n, const float* pred, const float* target, float* dPred, double gradientScale);

}  // namespace vanishing

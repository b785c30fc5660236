// A recurrent layer's whole time loop in one native call: forward over every step, or backward
// through time with the weight gradients, so the per-step work never crosses into JavaScript.
// The equations, shapes and the readable reference loops are in src/model/*-layer.ts; these
// compute the same (test/kernels/fused-loops.test.ts holds them to it, NaN and ±Inf included).
//
// Letters: T steps, B batch, I input size, H hidden size. Sequences are time-major [T, B, ·].
#pragma once

#include "pointwise.h"

namespace vanishing {

/** An Elman RNN layer (nn.RNN): h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), h_{-1} = 0. */
struct RnnSequence {
  Activation activation;  // tanh, relu or identity
  long steps, batch, inputSize, hidden;
  const float* input;         // x, [T, B, I]
  const float* weightInput;   // W_ih, [H, I]
  const float* weightHidden;  // W_hh, [H, H]
  const float* biasInput;     // b_ih, [H]
  const float* biasHidden;    // b_hh, [H]
  float* hiddenStates;        // h, [T, B, H]: written by the forward pass, read by the backward pass
};

/** What backpropagation through time reads and writes besides the sequence. */
struct RnnBackward {
  const float* dOutput;         // dL/dh_t from above (the next layer or the head), [T, B, H]
  float* dPreActivation;        // scratch, [T, B, H]: dL/d(pre-activation) of every step
  double* hiddenGradientNorms;  // ‖dL/dh_t‖ over the batch (the total derivative), [T]
  float* gradWeightInput;       // += dL/dW_ih, [H, I]
  float* gradWeightHidden;      // += dL/dW_hh, [H, H]
  float* gradBiasInput;         // += dL/db_ih, [H]
  float* gradBiasHidden;        // += dL/db_hh, [H]
  float* dInput;                // dL/dx, [T, B, I], or null; overwritten, or added to when accumulateInput
  bool accumulateInput;
};

/** How a call runs: threads (1: the caller only) and whether denormals are flushed (float_mode.h). */
struct RunMode {
  int threads;
  bool flushDenormals;
};

/** Forward over all T steps. Returns false when a buffer could not be allocated. */
bool rnnForward(const RnnSequence& sequence, RunMode mode);

/** Backward through all T steps and the weight gradients. Returns false when a buffer could not be allocated. */
bool rnnBackward(const RnnSequence& sequence, const RnnBackward& backward, RunMode mode);

}  // namespace vanishing

// A recurrent layer's whole time loop in one native call: forward over every step, or backward
// through time with the weight gradients, so the per-step work never crosses into JavaScript.
// The equations, shapes and the readable reference loops are in src/model/*-layer.ts; these
// compute the same (test/kernels/fused-loops.test.ts holds them to it, NaN and ±Inf included).
// The Elman loops are in recurrent.cc, the LSTM and GRU loops in gated_recurrent.cc.
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

/** What every layer's backward pass writes besides its own gate gradients (G gate columns: H, 4H or 3H). */
struct LayerGradients {
  const float* dOutput;         // dL/dh_t from above (the next layer or the head), [T, B, H]
  double* hiddenGradientNorms;  // ‖dL/dh_t‖ over the batch (the total derivative), [T]
  float* gradWeightInput;       // += dL/dW_ih, [G, I]
  float* gradWeightHidden;      // += dL/dW_hh, [G, H]
  float* gradBiasInput;         // += dL/db_ih, [G]
  float* gradBiasHidden;        // += dL/db_hh, [G]
  float* dInput;                // dL/dx, [T, B, I], or null; overwritten, or added to when accumulateInput
  bool accumulateInput;
};

/**
 * An LSTM layer (nn.LSTM, gates i, f, g, o; src/model/lstm-layer.ts), h_{-1} = c_{-1} = 0.
 * The forward pass writes h, c, tanh(c) and the gate activations; the backward pass reads them.
 */
struct LstmSequence {
  long steps, batch, inputSize, hidden;
  const float* input;         // x, [T, B, I]
  const float* weightInput;   // W_ih, [4H, I]
  const float* weightHidden;  // W_hh, [4H, H]
  const float* biasInput;     // b_ih, [4H]
  const float* biasHidden;    // b_hh, [4H]
  float* hiddenStates;        // h, [T, B, H]
  float* cellStates;          // c, [T, B, H]
  float* tanhCell;            // tanh(c), [T, B, H]
  float* gates;               // i, f, g, o activations, [T, B, 4H]
};

/** An LSTM layer's backward pass: dGates ([T, B, 4H]) is overwritten with dL/d(gate pre-activations). */
struct LstmBackward {
  LayerGradients layer;
  float* dGates;
};

/**
 * A GRU layer (nn.GRU, gates r, z, n; src/model/gru-layer.ts), h_{-1} = 0. The forward pass
 * writes h, x W_ihᵀ + b_ih, h W_hhᵀ + b_hh and the gate activations; the backward pass reads them.
 */
struct GruSequence {
  long steps, batch, inputSize, hidden;
  const float* input;         // x, [T, B, I]
  const float* weightInput;   // W_ih, [3H, I]
  const float* weightHidden;  // W_hh, [3H, H]
  const float* biasInput;     // b_ih, [3H]
  const float* biasHidden;    // b_hh, [3H]
  float* hiddenStates;        // h, [T, B, H]
  float* inputGates;          // x_t W_ihᵀ + b_ih, [T, B, 3H]
  float* hiddenGates;         // h_{t-1} W_hhᵀ + b_hh, [T, B, 3H]
  float* gateActivations;     // r, z, n, [T, B, 3H]
};

/** A GRU layer's backward pass: dInputGates and dHiddenGates ([T, B, 3H]) are overwritten with dL/d(inputGates), dL/d(hiddenGates). */
struct GruBackward {
  LayerGradients layer;
  float* dInputGates;
  float* dHiddenGates;
};

/**
 * What a forward loop counts as it writes them, on each finished block of rows while it is in
 * cache: the values above `threshold` in magnitude of h (Elman with tanh; 0 with ReLU or identity,
 * which do not saturate), tanh(c_t) (LSTM) or n (GRU), which the layers' saturatedFraction reads
 * (a separate pass over them took 0.7–1.7 % of a step).
 */
struct SaturationCount {
  float threshold;
  long count;
};

/** Forward over all T steps. Returns false when a buffer could not be allocated. */
bool rnnForward(const RnnSequence& sequence, RunMode mode, SaturationCount& saturation);

/** Backward through all T steps and the weight gradients. Returns false when a buffer could not be allocated. */
bool rnnBackward(const RnnSequence& sequence, const RnnBackward& backward, RunMode mode);

/** The LSTM's forward over all T steps; false when a buffer could not be allocated. */
bool lstmForward(const LstmSequence& sequence, RunMode mode, SaturationCount& saturation);

/** The LSTM's backward through all T steps and its weight gradients; false when a buffer could not be allocated. */
bool lstmBackward(const LstmSequence& sequence, const LstmBackward& backward, RunMode mode);

/** The GRU's forward over all T steps; false when a buffer could not be allocated. */
bool gruForward(const GruSequence& sequence, RunMode mode, SaturationCount& saturation);

/** The GRU's backward through all T steps and its weight gradients; false when a buffer could not be allocated. */
bool gruBackward(const GruSequence& sequence, const GruBackward& backward, RunMode mode);

}  // namespace vanishing

// One LSTM or GRU cell's arithmetic, on a vector of VEC units and on a range of units of one row
// (batch element), written once for the step-by-step kernels (pointwise.cc, every unit of every
// row) and the fused time loops (gated_recurrent.cc, a worker's units of each finished block of
// rows), so both compute every value by the same operations. What the equations mean and how the
// backward ones are derived is in src/model/lstm-layer.ts and src/model/gru-layer.ts; the numbers
// below are theirs.
#pragma once

#include "simd.h"

namespace vanishing {
namespace cell {

/** LSTM (3)-(4): c_t, tanh(c_t) and h_t from the gate activations i, f, g, o and c_{t-1}. */
struct LstmState {
  vf cell, tanhCell, hidden;
};
inline LstmState lstmForward(vf inputGate, vf forgetGate, vf candidate, vf outputGate, vf previousCell) {
  const vf cell = forgetGate * previousCell + inputGate * candidate;
  const vf tanhCell = vtanh(cell);
  return {cell, tanhCell, outputGate * tanhCell};
}

/** LSTM (5)-(8): dL/d(gate pre-activations) i, f, g, o, and the carry f·dc_t to step t−1. */
struct LstmGradients {
  vf inputGate, forgetGate, candidate, outputGate, previousCell;
};
inline LstmGradients lstmBackward(vf inputGate, vf forgetGate, vf candidate, vf outputGate, vf previousCell, vf tanhCell, vf dHidden,
                                  vf dCellFromNext) {
  // forward: h = o·tanh(c), so dc gains dh·o·(1 − tanh²c) on top of what step t+1 sent.
  const vf dCell = dCellFromNext + dHidden * outputGate * (1.0f - tanhCell * tanhCell);
  return {dCell * candidate * inputGate * (1.0f - inputGate), dCell * previousCell * forgetGate * (1.0f - forgetGate),
          dCell * inputGate * (1.0f - candidate * candidate), dHidden * tanhCell * outputGate * (1.0f - outputGate), dCell * forgetGate};
}

/** GRU (3): r or z from its input and hidden pre-activations. */
inline vf gruGate(vf fromInput, vf fromHidden) { return vsigmoid(fromInput + fromHidden); }

/** GRU (4)-(5): n and h_t from r, z, i_n, h_n (= W_hn h_{t-1} + b_hn) and h_{t-1}. */
struct GruState {
  vf candidate, hidden;
};
inline GruState gruForward(vf reset, vf update, vf inputCandidate, vf hiddenCandidate, vf previousHidden) {
  const vf candidate = vtanh(inputCandidate + reset * hiddenCandidate);
  return {candidate, (1.0f - update) * candidate + update * previousHidden};
}

/**
 * GRU (6)-(9) without (9)'s W_hh term: d[i_r i_z i_n] = (reset, update, candidate),
 * d[h_r h_z h_n] = (reset, update, hiddenCandidate), and the direct part z·dh_t for h_{t-1}.
 */
struct GruGradients {
  vf reset, update, candidate, hiddenCandidate, previousHidden;
};
inline GruGradients gruBackward(vf reset, vf update, vf candidate, vf hiddenCandidate, vf previousHidden, vf dHidden) {
  // forward: h = (1−z)·n + z·hPrev
  const vf dCandidatePre = dHidden * (1.0f - update) * (1.0f - candidate * candidate);
  const vf dUpdatePre = dHidden * (previousHidden - candidate) * update * (1.0f - update);
  // forward: n = tanh(i_n + r·h_n), so d(i_n) = dn_pre, d(h_n) = dn_pre·r, dr = dn_pre·h_n
  const vf dResetPre = dCandidatePre * hiddenCandidate * reset * (1.0f - reset);
  return {dResetPre, dUpdatePre, dCandidatePre, dCandidatePre * reset, dHidden * update};
}

// ---------------------------------------------------------------------------------------------
// Units [u0, u1) of one row (u0 a multiple of VEC, or 0), a vector at a time; the ragged end of a
// row goes through a zero-padded partial vector. H is the hidden size: a row of gates holds gate
// q of unit j at q·H + j. A null previous state is the zero initial state (h_{-1} = c_{-1} = 0).

/** body(j, n) for each vector of units [j, j + n) in [u0, u1). */
template <typename Body>
inline void unitVectors(long u0, long u1, Body body) {
  long j = u0;
  for (; j + VEC <= u1; j += VEC) body(j, VEC);
  if (j < u1) body(j, static_cast<int>(u1 - j));
}

/**
 * LSTM (2)-(4): gates holds a_t on entry and i, f, g, o on exit; writes c_t, tanh(c_t), h_t. Two
 * passes over the row, the gates' activations first: one vector's σ, σ, tanh, σ and then its
 * tanh(c_t), which waits on them, made a chain too long for the core to overlap with the next
 * vector's (50 ns per 8 units with AVX2; 41 ns in two passes, the same values).
 */
inline void lstmForwardRow(long H, long u0, long u1, float* gates, const float* previousCell, float* cell, float* tanhCell, float* hidden) {
  unitVectors(u0, u1, [&](long j, int n) {
    storen(gates + j, vsigmoid(loadn(gates + j, n)), n);
    storen(gates + H + j, vsigmoid(loadn(gates + H + j, n)), n);
    storen(gates + 2 * H + j, vtanh(loadn(gates + 2 * H + j, n)), n);
    storen(gates + 3 * H + j, vsigmoid(loadn(gates + 3 * H + j, n)), n);
  });
  unitVectors(u0, u1, [&](long j, int n) {
    const vf previous = previousCell != nullptr ? loadn(previousCell + j, n) : vf{};
    const LstmState state = lstmForward(loadn(gates + j, n), loadn(gates + H + j, n), loadn(gates + 2 * H + j, n), loadn(gates + 3 * H + j, n), previous);
    storen(cell + j, state.cell, n);
    storen(tanhCell + j, state.tanhCell, n);
    storen(hidden + j, state.hidden, n);
  });
}

/** LSTM (5)-(8): dc holds dL/dc_t from step t+1 on entry and f·dc_t on exit; overwrites dGates. */
inline void lstmBackwardRow(long H, long u0, long u1, const float* gates, const float* previousCell, const float* tanhCell, const float* dHidden,
                            float* dCell, float* dGates) {
  unitVectors(u0, u1, [&](long j, int n) {
    const vf previous = previousCell != nullptr ? loadn(previousCell + j, n) : vf{};
    const LstmGradients grad = lstmBackward(loadn(gates + j, n), loadn(gates + H + j, n), loadn(gates + 2 * H + j, n),
                                            loadn(gates + 3 * H + j, n), previous, loadn(tanhCell + j, n), loadn(dHidden + j, n),
                                            loadn(dCell + j, n));
    storen(dGates + j, grad.inputGate, n);
    storen(dGates + H + j, grad.forgetGate, n);
    storen(dGates + 2 * H + j, grad.candidate, n);
    storen(dGates + 3 * H + j, grad.outputGate, n);
    storen(dCell + j, grad.previousCell, n);
  });
}

/**
 * GRU (3)-(5) from inputGates = x W_ihᵀ + b_ih and hiddenGates = h_{t-1} W_hhᵀ + b_hh; writes r, z, n and h_t.
 * r and z in a first pass over the row, n (whose tanh waits on r) and h_t in a second, as lstmForwardRow does.
 */
inline void gruForwardRow(long H, long u0, long u1, const float* inputGates, const float* hiddenGates, const float* previousHidden,
                          float* activations, float* hidden) {
  unitVectors(u0, u1, [&](long j, int n) {
    storen(activations + j, gruGate(loadn(inputGates + j, n), loadn(hiddenGates + j, n)), n);
    storen(activations + H + j, gruGate(loadn(inputGates + H + j, n), loadn(hiddenGates + H + j, n)), n);
  });
  unitVectors(u0, u1, [&](long j, int n) {
    const vf previous = previousHidden != nullptr ? loadn(previousHidden + j, n) : vf{};
    const GruState state = gruForward(loadn(activations + j, n), loadn(activations + H + j, n), loadn(inputGates + 2 * H + j, n),
                                      loadn(hiddenGates + 2 * H + j, n), previous);
    storen(activations + 2 * H + j, state.candidate, n);
    storen(hidden + j, state.hidden, n);
  });
}

/** GRU (6)-(9) but (9)'s W_hh term: overwrites dInputGates, dHiddenGates and dhPrev (= z·dh_t). */
inline void gruBackwardRow(long H, long u0, long u1, const float* hiddenGates, const float* previousHidden, const float* activations,
                           const float* dHidden, float* dInputGates, float* dHiddenGates, float* dhPrev) {
  unitVectors(u0, u1, [&](long j, int n) {
    const vf previous = previousHidden != nullptr ? loadn(previousHidden + j, n) : vf{};
    const GruGradients grad = gruBackward(loadn(activations + j, n), loadn(activations + H + j, n), loadn(activations + 2 * H + j, n),
                                          loadn(hiddenGates + 2 * H + j, n), previous, loadn(dHidden + j, n));
    storen(dInputGates + j, grad.reset, n);
    storen(dInputGates + H + j, grad.update, n);
    storen(dInputGates + 2 * H + j, grad.candidate, n);
    storen(dHiddenGates + j, grad.reset, n);
    storen(dHiddenGates + H + j, grad.update, n);
    storen(dHiddenGates + 2 * H + j, grad.hiddenCandidate, n);
    storen(dhPrev + j, grad.previousHidden, n);
  });
}

}  // namespace cell
}  // namespace vanishing

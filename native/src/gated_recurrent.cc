// The LSTM and GRU layers' time loops (recurrent.h), built like the Elman loops of recurrent.cc
// from the micro-kernel of gemm_kernel.h and the parts in time_loop.h. A step's recurrent product
// is computed a block of rows (MR batch elements) at a time, and as soon as a block is finished,
// while it is in L1, the cell's update runs on it with the row functions of cells.h (the very code
// of the step-by-step kernels in pointwise.cc):
// - forward: h_{t-1} W_hhᵀ is added to the step's gate pre-activations (x_t W_ihᵀ + b, computed
//   just before, a block of rows at a time: loop::InputProduct), then (LSTM) σ/tanh and c_t,
//   tanh c_t, h_t, or (GRU) r, z, n and h_t. A unit's gates are columns H apart, so W_hh is packed once per call with its rows
//   reordered into slots of VEC columns, one gate of VEC units each (LstmOrder, GruOrder below):
//   a worker then owns every gate of its units.
// - backward: dh_t = dL/dh_t(from above) [+ the GRU's direct z·dh_{t+1}] + d(gates)_{t+1} W_hh is
//   the product's tile (its squares summed for ‖dh_t‖ there), then the cell's backward writes the
//   step's gate gradients and what goes back to step t−1 besides W_hh (LSTM f·dc_t, GRU z·dh_t).
//   Then dx_t = d(input gates)_t W_ih of the block (loop::InputProduct).
// The weight gradients are one product each after the loop (time_loop.h), as in the reference.
//
// Threads: each worker owns a range of batch rows for the whole loop and runs it without waiting
// for the others (loop::LoopShare; with too small a batch, a range of units instead, and the workers
// meet at a barrier once per step). Every value is computed by the same operations whichever
// worker computes it, so results are bit-identical with any number of threads, and to the
// step-by-step native kernels but for the order in which ‖dh_t‖'s squares are added (per row and
// panel here).
//
// Letters: T steps, B batch, I input size, H hidden size, G = 4H (LSTM) or 3H (GRU).
#include <algorithm>
#include <atomic>

#include "cells.h"
#include "gemm_kernel.h"
#include "recurrent.h"
#include "simd.h"
#include "time_loop.h"

namespace vanishing {
namespace {

using kernel::GrowBuffer;
using kernel::NR;

/** The caller's buffer for W_hh packed whole, read by every worker. */
thread_local GrowBuffer recurrentPack;
/** The caller's b_ih + b_hh (LSTM); the backward pass's dh_t and its [B, H] carry to the previous step, read by every worker. */
thread_local GrowBuffer combinedBias;
thread_local GrowBuffer hiddenGradientOfStep;
thread_local GrowBuffer gradientToPreviousStep;

/** The caller's sums of squares of dh_t, per step, row and panel (loop::squareSlot). */
thread_local loop::DoubleBuffer squaresBySlot;

// ---------------------------------------------------------------------------------------------
// The order of the forward product's columns.

/** Slot s of the reordered product: gate `gate` of units [block·VEC, block·VEC + VEC) (those below H), or padding when block < 0. */
struct Slot {
  int gate;
  long block;
};

/** LSTM: gates i, f, g, o of unit block u in slots 4u … 4u+3, two panels. */
struct LstmOrder {
  long blocks;
  static constexpr long gatesPerUnit() { return 4; }
  long panels() const { return 2 * blocks; }
  /** Unit blocks are dealt to workers whole; group u is block u. */
  long groups() const { return blocks; }
  long firstPanel(long group) const { return 2 * group; }
  long firstUnit(long group) const { return group * VEC; }
  Slot slot(long s) const { return {static_cast<int>(s % 4), s / 4}; }
};

/**
 * GRU: unit blocks in pairs u, u+1 over three panels, [r_u z_u] [r_u+1 z_u+1] [n_u n_u+1], so no
 * slot is padding but in an odd last block, which takes two panels, [r z] [n padding].
 */
struct GruOrder {
  long blocks;
  static constexpr long gatesPerUnit() { return 3; }
  long panels() const { return 3 * (blocks / 2) + 2 * (blocks % 2); }
  /** Pairs of unit blocks are dealt to workers whole. */
  long groups() const { return (blocks + 1) / 2; }
  long firstPanel(long group) const { return 3 * group; }
  long firstUnit(long group) const { return 2 * group * VEC; }
  Slot slot(long s) const {
    const long pair = s / 6, k = s % 6, first = 2 * pair;
    if (first + 1 < blocks) {
      static constexpr int gate[6] = {0, 1, 0, 1, 2, 2};
      static constexpr int second[6] = {0, 0, 1, 1, 0, 1};
      return {gate[k], first + second[k]};
    }
    return k < 3 ? Slot{static_cast<int>(k), first} : Slot{0, -1};
  }
};

/** Units [unit, unit + n) of a slot: n ≤ VEC, fewer in the last block when VEC does not divide H. */
inline int unitsAt(long unit, long H) { return static_cast<int>(std::min<long>(VEC, H - unit)); }

/**
 * Panels [pBegin, pEnd) of op(B) = W_hhᵀ (W_hh is [G, H]) in `order`, every K block, in the
 * layout of kernel::packedPanel; padding columns are zero.
 */
template <class Order>
void packSlots(const Order& order, const float* weightHidden, long H, long pBegin, long pEnd, float* packed) {
  const long N = order.panels() * NR;
  for (long k0 = 0; k0 < H; k0 += kernel::KC) {
    const long kc = std::min(kernel::KC, H - k0);
    for (long p = pBegin; p < pEnd; ++p) {
      float* panel = const_cast<float*>(kernel::packedPanel(packed, N, k0, kc, p));
      for (int lane = 0; lane < NR; ++lane) {
        const Slot slot = order.slot(2 * p + lane / VEC);
        const long unit = slot.block * VEC + lane % VEC;
        const float* row = slot.block >= 0 && unit < H ? weightHidden + (slot.gate * H + unit) * H + k0 : nullptr;
        for (long k = 0; k < kc; ++k) panel[k * NR + lane] = row != nullptr ? row[k] : 0.0f;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Write-outs of the recurrent products, and the cells' updates of a finished block of rows.

/** Where slot s of the forward product goes in a row of gates: `units` (≤ VEC; 0 for padding) columns from `column` on. */
struct SlotPlace {
  long column;
  int units;
};
/** The caller's table of SlotPlace, read by every worker's write-outs. */
thread_local kernel::GrowBufferOf<SlotPlace> slotPlaces;

/**
 * Every slot's place in `order`, once per call: the write-out runs for every row and slot of every
 * step, and the GRU's slot order (a division by 6 and two lookups) left out of line took 2.7 % of
 * a training step of the bench's A-GRU.
 */
template <class Order>
const SlotPlace* placesOf(const Order& order, long H) {
  const long slots = 2 * order.panels();
  SlotPlace* places = slotPlaces.reserve(static_cast<size_t>(slots));
  if (places == nullptr) return nullptr;
  for (long s = 0; s < slots; ++s) {
    const Slot at = order.slot(s);
    places[s] = at.block < 0 ? SlotPlace{0, 0} : SlotPlace{at.gate * H + at.block * VEC, unitsAt(at.block * VEC, H)};
  }
  return places;
}

/**
 * The forward product's tile, slot by slot, into the step's [B, G] gate rows in their own order:
 * C += the tile (LSTM: onto x W_ihᵀ + b_ih + b_hh), or (GRU) C = the tile, plus b_hh once the sum
 * is complete, as the reference's product then addBiasRows give it.
 */
struct GateSumsWriteOut {
  const SlotPlace* places;  // placesOf(order)
  float* gates;             // B×G
  const float* biasHidden;  // b_hh, [G], or null: C accumulates onto what is there
  long G;
  /** Whether a step without a product still writes (the GRU's b_hh); the LSTM's gates are then already complete. */
  bool writesWithoutProduct() const { return biasHidden != nullptr; }
  inline void row(long i, long j, vf a0, vf a1, int /*n0*/, int /*n1*/, bool first, bool last) const {
    const long s = 2 * (j / NR);
    slot(i, s, a0, first, last);
    slot(i, s + 1, a1, first, last);
  }
  inline void slot(long i, long s, vf sum, bool first, bool last) const {
    const SlotPlace at = places[s];
    if (at.units == 0) return;
    float* p = gates + i * G + at.column;
    if (biasHidden == nullptr || !first) sum += loadn(p, at.units);
    if (biasHidden != nullptr && last) sum += loadn(biasHidden + at.column, at.units);
    storen(p, sum, at.units);
  }
};

/**
 * The backward product's tile: dh_t = dL/dh_t from above (+ the GRU's direct z·dh_{t+1}) + the
 * tile, into dHidden ([B, H]; partial sums wait there between K blocks), its squares in the row's
 * and panel's slot once complete.
 */
struct HiddenGradientWriteOut {
  float* dHidden;        // dh_t, B×H
  const float* dOutput;  // dL/dh_t from above, B×H
  const float* direct;   // the GRU's z_{t+1}·dh_{t+1}, B×H, or null
  double* squares;       // this step's sums of squares, B × panels
  long H, panels;
  bool writesWithoutProduct() const { return true; }
  inline void row(long i, long j, vf a0, vf a1, int n0, int n1, bool first, bool last) const {
    float* p = dHidden + i * H + j;
    if (first) {
      const long r = i * H + j;
      vf from0 = loadn(dOutput + r, n0), from1 = loadn(dOutput + r + VEC, n1);
      // forward at t+1: h_{t+1} = … + z·h_t, added before the product as the reference loop does.
      if (direct != nullptr) {
        from0 += loadn(direct + r, n0);
        from1 += loadn(direct + r + VEC, n1);
      }
      a0 += from0;
      a1 += from1;
    } else {
      a0 += loadn(p, n0);
      a1 += loadn(p + VEC, n1);
    }
    if (last) squares[loop::squareSlot(i, j, panels)] = loop::sumOfSquaresLanes(loop::firstLanes(a0, n0), loop::firstLanes(a1, n1));
    storen(p, a0, n0);
    storen(p + VEC, a1, n1);
  }
};

// ---------------------------------------------------------------------------------------------
// The loops, shared by both cells.

/** What a forward loop needs besides the cell: sizes, x and the weights, and where the input projection goes. */
struct ForwardShape {
  long steps, batch, inputSize, hidden;
  const float* input;           // x, [T, B, I]
  const float* weightInput;     // W_ih, [G, I]
  const float* weightHidden;    // W_hh, [G, H]
  const float* projectionBias;  // added to x W_ihᵀ, [G]
  float* projection;            // x_t W_ihᵀ + bias, [T, B, G]
  const float* hiddenStates;    // h, [T, B, H], written by the cell
};

/**
 * Forward over all steps: per step the input projection (loop::InputProduct), the recurrent
 * product in `order` through `sumsAt(t)` (no product at t = 0: h_{-1} = 0) and
 * `cellRows(t, r0, r1, u0, u1)` on each finished block of rows, for this worker's units.
 */
template <class Order, class SumsAt, class CellRows>
bool forwardThroughTime(const Order& order, const ForwardShape& s, SumsAt sumsAt, CellRows cellRows, RunMode mode) {
  const long T = s.steps, B = s.batch, H = s.hidden, G = order.gatesPerUnit() * H;
  const long panels = order.panels();
  float* packed = recurrentPack.reserve(kernel::packedFloats(H, panels * NR));
  if (packed == nullptr) return false;
  auto setup = [&](int worker, int workers) {
    packSlots(order, s.weightHidden, H, panels * worker / workers, panels * (worker + 1) / workers, packed);
    return true;
  };
  // Units are shared out in the order's groups, so a worker owns every gate of its units.
  auto columnsOf = [&](long g0, long g1) {
    return loop::Columns{order.firstPanel(g0), std::min(panels, order.firstPanel(g1)), std::min(H, order.firstUnit(g0)), std::min(H, order.firstUnit(g1))};
  };
  auto previous = [&](long t) -> const float* { return t > 0 ? s.hiddenStates + (t - 1) * B * H : nullptr; };
  // x_t W_ihᵀ + bias into the step's gate rows.
  const auto projection = loop::inputProjectionOf(B, s.inputSize, G, s.input, s.weightInput, s.projectionBias, s.projection);
  return loop::runTimeLoop(T, B, panels * NR, H, order.groups(), false, packed, mode, setup, columnsOf, previous, sumsAt, cellRows, projection,
                           [](int, int) { return true; });
}

/**
 * Backward through all steps: per step t, from T−1 down, dh_t through the product
 * d(gates)_{t+1} W_hh (none at T−1) and `cellRows(t, r0, r1, u0, u1)` on each finished block of
 * rows and its dx (`inputGradient`), then the parameter gradients and the norms. `dProductGates`
 * is what multiplies W_hh: dL/d(h_{t-1} W_hhᵀ + b_hh), [T, B, G]. `direct(t)` is the GRU's
 * z_{t+1}·dh_{t+1} for step t, or null.
 */
template <class Direct, class CellRows>
bool backwardThroughTime(long T, long B, long H, long G, const float* weightHidden, const float* dProductGates, const float* dOutput,
                         float* dHidden, Direct direct, CellRows cellRows, const loop::InputProduct<kernel::StoreWriteOut>& inputGradient,
                         const loop::ParameterGradients& parameters, double* norms, RunMode mode) {
  const long panels = kernel::panelsOf(H);
  const long slots = B * panels;
  float* packed = recurrentPack.reserve(kernel::packedFloats(G, H));
  double* squares = squaresBySlot.reserve(static_cast<size_t>(T * slots));
  if (packed == nullptr || squares == nullptr) return false;
  // No zeroing: every slot of every step is written once, by the write-out of its row and panel.
  auto setup = [&](int worker, int workers) {
    // A share of W_hh's panels, packed as op(B) = W_hh ([G, H]) for every step's d(gates)_{t+1} W_hh.
    kernel::packPanels(false, weightHidden, G, H, panels * worker / workers, panels * (worker + 1) / workers, packed);
    return true;
  };
  auto columnsOf = [&](long g0, long g1) { return loop::panelColumns(g0, g1, H); };
  // forward: gates_{t+1} = … + h_t W_hhᵀ, so dL/dh_t gains dL/dgates_{t+1} · W_hh.
  auto next = [&](long t) -> const float* { return t < T - 1 ? dProductGates + (t + 1) * B * G : nullptr; };
  auto writeOutAt = [&](long t) { return HiddenGradientWriteOut{dHidden, dOutput + t * B * H, direct(t), squares + t * slots, H, panels}; };
  const bool ok = loop::runTimeLoop(T, B, H, G, panels, true, packed, mode, setup, columnsOf, next, writeOutAt, cellRows, inputGradient,
                                    [&](int worker, int workers) { return loop::parameterGradients(parameters, worker, workers, loop::shareBuffer); });
  loop::normsFromSquares(squares, T, slots, norms);
  return ok;
}

/** The parameter gradients of a layer with G gate columns, from its gate gradients. */
loop::ParameterGradients parameterGradientsOf(long T, long B, long I, long H, long G, const float* input, const float* hiddenStates,
                                              const float* dInputGates, const float* dHiddenGates, long sharedColumns, const LayerGradients& layer,
                                              RunMode mode) {
  return {T, B, I, H, G, input, hiddenStates, dInputGates, dHiddenGates, layer.gradWeightInput, layer.gradWeightHidden, layer.gradBiasInput,
          layer.gradBiasHidden, !mode.flushDenormals, sharedColumns};
}

}  // namespace

bool lstmForward(const LstmSequence& s, RunMode mode, SaturationCount& saturation) {
  if (s.steps <= 0 || s.batch <= 0 || s.hidden <= 0) return true;
  const long B = s.batch, H = s.hidden, G = 4 * H;
  // b_ih + b_hh, so the input projection adds one bias row instead of two (as the reference does).
  float* bias = combinedBias.reserve(static_cast<size_t>(G));
  if (bias == nullptr) return false;
  for (long j = 0; j < G; ++j) bias[j] = s.biasInput[j] + s.biasHidden[j];
  const LstmOrder order{(H + VEC - 1) / VEC};
  const SlotPlace* places = placesOf(order, H);
  if (places == nullptr) return false;
  const ForwardShape shape{s.steps, B, s.inputSize, H, s.input, s.weightInput, s.weightHidden, bias, s.gates, s.hiddenStates};
  auto sumsAt = [&](long t) { return GateSumsWriteOut{places, s.gates + t * B * G, nullptr, G}; };
  std::atomic<long> saturated{0};
  auto cellRows = [&](long t, long r0, long r1, long u0, long u1) {
    for (long r = t * B + r0; r < t * B + r1; ++r)
      cell::lstmForwardRow(H, u0, u1, s.gates + r * G, t > 0 ? s.cellStates + (r - B) * H : nullptr, s.cellStates + r * H, s.tanhCell + r * H,
                           s.hiddenStates + r * H);
    const long first = (t * B + r0) * H + u0;
    saturated.fetch_add(countAbsAboveInRows(s.tanhCell + first, r1 - r0, u1 - u0, H, saturation.threshold), std::memory_order_relaxed);
  };
  const bool ok = forwardThroughTime(order, shape, sumsAt, cellRows, mode);
  saturation.count = saturated.load();
  return ok;
}

bool lstmBackward(const LstmSequence& s, const LstmBackward& g, RunMode mode) {
  if (s.steps <= 0 || s.batch <= 0 || s.hidden <= 0) return true;
  const long T = s.steps, B = s.batch, H = s.hidden, G = 4 * H, block = B * H;
  // dh_t of the step being processed, and dL/dc carried from step t+1 to t (none into T−1).
  float* dHidden = hiddenGradientOfStep.reserve(static_cast<size_t>(block));
  float* dCell = gradientToPreviousStep.reserve(static_cast<size_t>(block));
  if (dHidden == nullptr || dCell == nullptr) return false;
  std::fill(dCell, dCell + block, 0.0f);
  const loop::ParameterGradients parameters = parameterGradientsOf(T, B, s.inputSize, H, G, s.input, s.hiddenStates, g.dGates, g.dGates, G, g.layer, mode);
  const auto inputGradient =
      loop::inputGradientOf(B, G, s.inputSize, g.dGates, s.weightInput, g.layer.dInput, g.layer.accumulateInput, !mode.flushDenormals);
  auto direct = [](long) -> const float* { return nullptr; };
  auto cellRows = [&](long t, long r0, long r1, long u0, long u1) {
    for (long i = r0; i < r1; ++i) {
      const long r = t * B + i;
      cell::lstmBackwardRow(H, u0, u1, s.gates + r * G, t > 0 ? s.cellStates + (r - B) * H : nullptr, s.tanhCell + r * H, dHidden + i * H,
                            dCell + i * H, g.dGates + r * G);
    }
  };
  return backwardThroughTime(T, B, H, G, s.weightHidden, g.dGates, g.layer.dOutput, dHidden, direct, cellRows, inputGradient, parameters,
                             g.layer.hiddenGradientNorms, mode);
}

bool gruForward(const GruSequence& s, RunMode mode, SaturationCount& saturation) {
  if (s.steps <= 0 || s.batch <= 0 || s.hidden <= 0) return true;
  const long B = s.batch, H = s.hidden, G = 3 * H;
  const GruOrder order{(H + VEC - 1) / VEC};
  const SlotPlace* places = placesOf(order, H);
  if (places == nullptr) return false;
  // b_hn sits inside r ⊙ (W_hn h + b_hn), so b_ih and b_hh stay apart (src/model/gru-layer.ts).
  const ForwardShape shape{s.steps, B, s.inputSize, H, s.input, s.weightInput, s.weightHidden, s.biasInput, s.inputGates, s.hiddenStates};
  auto sumsAt = [&](long t) { return GateSumsWriteOut{places, s.hiddenGates + t * B * G, s.biasHidden, G}; };
  std::atomic<long> saturated{0};
  auto cellRows = [&](long t, long r0, long r1, long u0, long u1) {
    for (long r = t * B + r0; r < t * B + r1; ++r)
      cell::gruForwardRow(H, u0, u1, s.inputGates + r * G, s.hiddenGates + r * G, t > 0 ? s.hiddenStates + (r - B) * H : nullptr,
                          s.gateActivations + r * G, s.hiddenStates + r * H);
    // n, the last third of each row of the activations.
    const long first = (t * B + r0) * G + 2 * H + u0;
    saturated.fetch_add(countAbsAboveInRows(s.gateActivations + first, r1 - r0, u1 - u0, G, saturation.threshold), std::memory_order_relaxed);
  };
  const bool ok = forwardThroughTime(order, shape, sumsAt, cellRows, mode);
  saturation.count = saturated.load();
  return ok;
}

bool gruBackward(const GruSequence& s, const GruBackward& g, RunMode mode) {
  if (s.steps <= 0 || s.batch <= 0 || s.hidden <= 0) return true;
  const long T = s.steps, B = s.batch, H = s.hidden, G = 3 * H, block = B * H;
  // dh_t of the step being processed, and the direct part z_t·dh_t that step t hands to h_{t-1}.
  float* dHidden = hiddenGradientOfStep.reserve(static_cast<size_t>(block));
  float* direct = gradientToPreviousStep.reserve(static_cast<size_t>(block));
  if (dHidden == nullptr || direct == nullptr) return false;
  const loop::ParameterGradients parameters =
      parameterGradientsOf(T, B, s.inputSize, H, G, s.input, s.hiddenStates, g.dInputGates, g.dHiddenGates, 2 * H, g.layer, mode);
  const auto inputGradient =
      loop::inputGradientOf(B, G, s.inputSize, g.dInputGates, s.weightInput, g.layer.dInput, g.layer.accumulateInput, !mode.flushDenormals);
  auto directAt = [&](long t) -> const float* { return t < T - 1 ? direct : nullptr; };
  auto cellRows = [&](long t, long r0, long r1, long u0, long u1) {
    for (long i = r0; i < r1; ++i) {
      const long r = t * B + i;
      cell::gruBackwardRow(H, u0, u1, s.hiddenGates + r * G, t > 0 ? s.hiddenStates + (r - B) * H : nullptr, s.gateActivations + r * G,
                           dHidden + i * H, g.dInputGates + r * G, g.dHiddenGates + r * G, direct + i * H);
    }
  };
  return backwardThroughTime(T, B, H, G, s.weightHidden, g.dHiddenGates, g.layer.dOutput, dHidden, directAt, cellRows, inputGradient, parameters,
                             g.layer.hiddenGradientNorms, mode);
}

}  // namespace vanishing

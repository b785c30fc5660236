// The Elman RNN layer's time loops (recurrent.h), built from the micro-kernel of gemm_kernel.h:
// - forward:  h_t = act(pre_t + h_{t-1} W_hhᵀ), with pre_t = x_t W_ihᵀ + b_ih + b_hh (its bias
//   added in that product's write-out) held in h_t's place;
// - backward: dh_t = dL/dh_t(from above) + dpre_{t+1} W_hh, its squares summed for ‖dh_t‖, and
//   dpre_t = dh_t · act'(h_t), written over dh_t, then dx_t = dpre_t W_ih.
// x_t W_ihᵀ and dx_t are computed step by step in the loop, a block of rows at a time, when the
// workers own rows (loop::InputProduct), else for all steps before or after it.
// The product's write-out only adds the sum into place; the activation (forward), and the squares
// and the derivative (backward), run on each block of MR rows once its product is finished, while
// it is in L1, in a loop of their own, as the LSTM and GRU cells do (gated_recurrent.cc). Applied
// inside the write-out, between the micro-kernel's FMA loops, tanh made the forward loop about 7 %
// slower on AVX2 (a tight loop overlaps one vector's long dependency chains with the next's), and
// with AVX-512 GCC compiled it there into code that differed from the step-by-step kernel's tanh
// in the last bit of about 0.5 % of values; now both are the same loop. The backward measured the
// same either way.
// W_hh is packed once per call, not once per step, each worker packing a share of its panels.
// With several threads each worker then owns a range of batch rows for the whole loop and runs it
// without waiting for the others (loop::LoopShare; by column panels with a barrier per step when
// the batch is too small). Squares are summed per row and panel and added in order after the loop,
// so the norms are the same with any number of threads, like every other value (gemm_kernel.h).
#include "recurrent.h"

#include <atomic>
#include <cmath>

#include "gemm_kernel.h"
#include "simd.h"
#include "time_loop.h"

namespace vanishing {
namespace {

using kernel::GrowBuffer;
using kernel::NR;
using loop::firstLanes;
using loop::squareSlot;
using loop::sumOfSquaresLanes;

/** The caller's buffer for W_hh packed whole, read by every worker. */
thread_local GrowBuffer recurrentPack;
/** The caller's sums of squares of dh_t (per step, row and panel: loop::squareSlot), and b_ih + b_hh. */
thread_local loop::DoubleBuffer squaresBySlot;
thread_local GrowBuffer combinedBias;

/** Forward step's write-out: C holds pre_t; C = pre_t + h_{t-1} W_hhᵀ (the activation follows on the finished rows: activateRows). */
struct ForwardStepWriteOut {
  float* h;  // h_t, B×H
  long H;
  /** The first step has no product: its pre_t is already complete. */
  bool writesWithoutProduct() const { return false; }
  inline void row(long i, long j, vf a0, vf a1, int n0, int n1, bool /*first*/, bool /*last*/) const {
    float* p = h + i * H + j;
    storen(p, a0 + loadn(p, n0), n0);
    storen(p + VEC, a1 + loadn(p + VEC, n1), n1);
  }
};

/** h = act(h) on rows [r0, r1) and units [u0, u1) of a step: the pointwise kernel's activation, row by row. */
void activateRows(Activation act, float* h, long H, long r0, long r1, long u0, long u1) {
  for (long i = r0; i < r1; ++i) activationForward(act, h + i * H + u0, h + i * H + u0, u1 - u0);
}

/**
 * Backward step's write-out: the product is dpre_{t+1} W_hh; dh_t = dOutput_t + product, written
 * in dpre_t's place (partial sums wait there between K blocks). normsAndDerivative follows on the
 * finished rows. A profile puts about a sixth of this product's time on the write-out's stores,
 * but prefetching the next block of rows' dOutput gained nothing (into L2: 1.001, B-tanh, avx2,
 * 10 pairs) or lost (into L1, with their h: 1.030).
 */
struct BackwardStepWriteOut {
  float* dPre;        // dpre_t, B×H
  const float* dOut;  // dL/dh_t from above, B×H
  long H;
  /** The last step has no product: dh_t is dOutput_t alone. */
  bool writesWithoutProduct() const { return true; }
  inline void row(long i, long j, vf a0, vf a1, int n0, int n1, bool first, bool /*last*/) const {
    float* p = dPre + i * H + j;
    const float* from = first ? dOut + i * H + j : p;
    storen(p, a0 + loadn(from, n0), n0);
    storen(p + VEC, a1 + loadn(from + VEC, n1), n1);
  }
};

/**
 * On rows [r0, r1) and units [u0, u1) (whole panels, the last one possibly ragged) of a finished
 * backward step: the squares of dh_t into each row's and panel's slot, then dpre_t = dh_t · act'(h_t)
 * over dh_t by the pointwise kernel's derivative.
 */
void normsAndDerivative(Activation act, float* dPre, const float* h, double* squares, long H, long panels, long r0, long r1, long u0, long u1) {
  for (long i = r0; i < r1; ++i) {
    for (long j = u0; j < u1; j += NR) {
      const int nValid = static_cast<int>(std::min<long>(NR, H - j));
      const int n0 = std::min(nValid, VEC), n1 = std::max(nValid - VEC, 0);
      const float* at = dPre + i * H + j;
      squares[squareSlot(i, j, panels)] = sumOfSquaresLanes(firstLanes(loadn(at, n0), n0), firstLanes(loadn(at + VEC, n1), n1));
    }
    activationBackward(act, h + i * H + u0, dPre + i * H + u0, dPre + i * H + u0, u1 - u0, false);
  }
}

}  // namespace

bool rnnForward(const RnnSequence& s, RunMode mode, SaturationCount& saturation) {
  if (s.steps <= 0 || s.batch <= 0 || s.hidden <= 0) return true;
  const long T = s.steps, B = s.batch, I = s.inputSize, H = s.hidden;
  const long block = B * H;
  const long panels = kernel::panelsOf(H);
  float* packed = recurrentPack.reserve(kernel::packedFloats(H, H));
  float* bias = combinedBias.reserve(static_cast<size_t>(H));
  if (packed == nullptr || bias == nullptr) return false;
  for (long j = 0; j < H; ++j) bias[j] = s.biasInput[j] + s.biasHidden[j];
  auto setup = [&](int worker, int workers) {
    // A share of W_hh's panels, packed as op(B) = W_hhᵀ for every step's h_{t-1} W_hhᵀ.
    kernel::packPanels(true, s.weightHidden, H, H, panels * worker / workers, panels * (worker + 1) / workers, packed);
    return true;
  };
  auto previous = [&](long t) -> const float* { return t > 0 ? s.hiddenStates + (t - 1) * block : nullptr; };
  auto writeOutAt = [&](long t) { return ForwardStepWriteOut{s.hiddenStates + t * block, H}; };
  std::atomic<long> saturated{0};
  auto activate = [&](long t, long r0, long r1, long u0, long u1) {
    float* h = s.hiddenStates + t * block;
    activateRows(s.activation, h, H, r0, r1, u0, u1);
    // Only tanh saturates: a ReLU layer reads dead units instead (src/model/rnn-layer.ts), a linear one nothing.
    if (s.activation == Activation::Tanh)
      saturated.fetch_add(countAbsAboveInRows(h + r0 * H + u0, r1 - r0, u1 - u0, H, saturation.threshold), std::memory_order_relaxed);
  };
  const bool ok = loop::runTimeLoop(
      T, B, H, H, panels, false, packed, mode, setup, [&](long g0, long g1) { return loop::panelColumns(g0, g1, H); }, previous, writeOutAt,
      activate, loop::inputProjectionOf(B, I, H, s.input, s.weightInput, bias, s.hiddenStates), [](int, int) { return true; });
  saturation.count = saturated.load();
  return ok;
}

bool rnnBackward(const RnnSequence& s, const RnnBackward& g, RunMode mode) {
  if (s.steps <= 0 || s.batch <= 0 || s.hidden <= 0) return true;
  const long T = s.steps, B = s.batch, I = s.inputSize, H = s.hidden;
  const long block = B * H;
  const long panels = kernel::panelsOf(H);
  const long slots = B * panels;
  float* packed = recurrentPack.reserve(kernel::packedFloats(H, H));
  double* squares = squaresBySlot.reserve(static_cast<size_t>(T * slots));  // no zeroing: every slot is written once, by normsAndDerivative
  if (packed == nullptr || squares == nullptr) return false;
  auto setup = [&](int worker, int workers) {
    // A share of W_hh's panels, packed as op(B) = W_hh for every step's dpre_{t+1} W_hh.
    kernel::packPanels(false, s.weightHidden, H, H, panels * worker / workers, panels * (worker + 1) / workers, packed);
    return true;
  };
  // forward: pre_{t+1} = … + h_t W_hhᵀ, so dL/dh_t gains dL/dpre_{t+1} · W_hh.
  auto next = [&](long t) -> const float* { return t < T - 1 ? g.dPreActivation + (t + 1) * block : nullptr; };
  auto writeOutAt = [&](long t) { return BackwardStepWriteOut{g.dPreActivation + t * block, g.dOutput + t * block, H}; };
  auto finish = [&](long t, long r0, long r1, long u0, long u1) {
    normsAndDerivative(s.activation, g.dPreActivation + t * block, s.hiddenStates + t * block, squares + t * slots, H, panels, r0, r1, u0, u1);
  };
  // The weight gradients: sums over all steps and sequences, one product each.
  const loop::ParameterGradients parameters{T, B, I, H, H, s.input, s.hiddenStates, g.dPreActivation, g.dPreActivation,
                                            g.gradWeightInput, g.gradWeightHidden, g.gradBiasInput, g.gradBiasHidden, !mode.flushDenormals, H};
  // dx_t = dpre_t W_ih (none for the first layer).
  const auto inputGradient = loop::inputGradientOf(B, H, I, g.dPreActivation, s.weightInput, g.dInput, g.accumulateInput, !mode.flushDenormals);
  const bool ok = loop::runTimeLoop(
      T, B, H, H, panels, true, packed, mode, setup, [&](long g0, long g1) { return loop::panelColumns(g0, g1, H); }, next, writeOutAt,
      finish, inputGradient, [&](int worker, int workers) { return loop::parameterGradients(parameters, worker, workers, loop::shareBuffer); });
  loop::normsFromSquares(squares, T, slots, g.hiddenGradientNorms);
  return ok;
}

}  // namespace vanishing

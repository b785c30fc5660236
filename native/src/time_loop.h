// The parts every fused time loop (recurrent.cc: Elman RNN; gated_recurrent.cc: LSTM, GRU) is
// built from: write-outs and sweeps over the micro-kernel of gemm_kernel.h, the input projection
// step by step in the loop or for all steps before it (and dx in it or after it), and the
// parameter gradients after the backward loop.
//
// Letters: T steps, B batch, I input size, H hidden size, G gate columns (H, 4H or 3H).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <utility>

#include "gemm_kernel.h"
#include "parallel.h"
#include "pointwise.h"
#include "recurrent.h"
#include "simd.h"

namespace vanishing {
namespace loop {

using kernel::DoubleBuffer;
using kernel::GrowBuffer;
using kernel::NR;

/** Lanes [0, n) of v, the others zero (a padded tile's spare lanes may hold 0·Inf = NaN). */
inline vf firstLanes(vf v, int n) {
  if (n == VEC) return v;
  vi index;
  for (int l = 0; l < VEC; ++l) index[l] = l;
  return index < n ? v : vf{};
}

/** Σ v[l]² over the lanes, in double: float squares of gradients that vanish would underflow. */
inline double sumOfSquaresLanes(vf a, vf b) {
  const vwide da = widen(a), db = widen(b);
  return sumInLaneOrder(da * da + db * db);
}

/** The input projection's write-out: C = x W_ihᵀ, plus the bias once the sum is complete. */
struct BiasWriteOut {
  float* c;
  long ldc;
  const float* bias;
  inline void row(long i, long j, vf a0, vf a1, int n0, int n1, bool first, bool last) const {
    float* p = c + i * ldc + j;
    if (!first) {
      a0 += loadn(p, n0);
      a1 += loadn(p + VEC, n1);
    }
    if (last) {
      a0 += loadn(bias + j, n0);
      a1 += loadn(bias + j + VEC, n1);
    }
    storen(p, a0, n0);
    storen(p + VEC, a1, n1);
  }
};

/**
 * What one worker of a fused loop computes. The batch's rows are independent sequences (row i of
 * step t reads only row i of step t∓1), so a worker that owns a range of rows for every column
 * runs the whole time loop without waiting for the others. With fewer rows than MR per worker the
 * workers own ranges of column groups instead (panels, or the gated cells' groups of units) and
 * meet at a barrier after every step, because step t then reads columns another worker wrote.
 * Either way every value is computed by the same operations, so results do not depend on the split.
 */
struct LoopShare {
  long rowBegin, rowEnd;      // batch rows of every step
  long groupBegin, groupEnd;  // column groups
  bool barrierEachStep;
};

inline LoopShare loopShareOf(long rows, long groups, int worker, int workers) {
  if (workers <= 1) return {0, rows, 0, groups, false};
  if (rows >= kernel::MR * workers) {
    // Whole blocks of MR rows, so every block of rows is the same one as on a single thread.
    const long blocks = (rows + kernel::MR - 1) / kernel::MR;
    return {std::min(rows, blocks * worker / workers * kernel::MR), std::min(rows, blocks * (worker + 1) / workers * kernel::MR), 0, groups, false};
  }
  // Workers beyond the group count only wait at the barriers.
  const long active = std::min<long>(workers, groups);
  if (worker >= active) return {0, rows, groups, groups, true};
  return {0, rows, groups * worker / active, groups * (worker + 1) / active, true};
}

/**
 * A step's sums of squares of dh_t are kept per row and panel (`rows` × `panels` doubles a step)
 * and added in that order after the loop, so the norms are the same however rows and panels are
 * shared out.
 */
inline long squareSlot(long row, long column, long panels) { return row * panels + column / NR; }

/** Rows [rowBegin, rowEnd) × panels [pBegin, pEnd) through `out` with a zero product (the steps without a recurrent term). */
template <class WriteOut>
void withoutProduct(long rowBegin, long rowEnd, long N, long pBegin, long pEnd, const WriteOut& out) {
  for (long i = rowBegin; i < rowEnd; ++i) {
    for (long p = pBegin; p < pEnd; ++p) {
      const int nValid = static_cast<int>(std::min<long>(NR, N - p * NR));
      out.row(i, p * NR, vf{}, vf{}, std::min(nValid, VEC), std::max(nValid - VEC, 0), true, true);
    }
  }
}

/**
 * One step of a loop: rows [rowBegin, rowEnd) of the product A·op(B) (over panels [pBegin, pEnd),
 * every K block, B packed whole in the layout of kernel::packedPanel) through `out`, a block of MR
 * rows at a time, `before(r0, r1)` on each block before its product and `finished(r0, r1)` once
 * its product is complete, while it is in L1. With `a` null the product is zero (the first
 * forward, the last backward step).
 */
template <class WriteOut, class Before, class Finished>
void stepByRowBlocks(long rowBegin, long rowEnd, long N, long K, const float* a, const float* packed, long pBegin, long pEnd, const WriteOut& out,
                     Before before, Finished finished, bool watchDenormals) {
  if (a == nullptr) {
    before(rowBegin, rowEnd);
    if (out.writesWithoutProduct()) withoutProduct(rowBegin, rowEnd, N, pBegin, pEnd, out);
    finished(rowBegin, rowEnd);
    return;
  }
  for (long i0 = rowBegin; i0 < rowEnd; i0 += kernel::MR) {
    const long i1 = std::min(rowEnd, i0 + kernel::MR);
    before(i0, i1);
    for (long k0 = 0; k0 < K; k0 += kernel::KC) {
      const long kc = std::min(kernel::KC, K - k0);
      auto panelOf = [&](long p) -> std::pair<const float*, long> { return {kernel::packedPanel(packed, N, k0, kc, p), static_cast<long>(NR)}; };
      kernel::sweepBlock<false>(i0, i1, pBegin, pEnd, N, k0, kc, a, K, panelOf, out, k0 == 0, k0 + kc >= K, nullptr, watchDenormals);
    }
    finished(i0, i1);
  }
}

/** A worker's columns: panels [pBegin, pEnd) of the step's product, and units [u0, u1) of the cell's update. */
struct Columns {
  long pBegin, pEnd, u0, u1;
};

/** The Columns of panels [groupBegin, groupEnd) of units when a group is one panel (the products whose columns are the H units). */
inline Columns panelColumns(long groupBegin, long groupEnd, long H) { return {groupBegin, groupEnd, std::min(H, groupBegin * NR), std::min(H, groupEnd * NR)}; }

/** Each thread's buffer for the shares of products it computes (gemmShare packs B into it). */
inline thread_local GrowBuffer shareBuffer;
/** The caller's buffer for W_ih packed whole (InputProduct by steps), read by every worker. */
inline thread_local GrowBuffer inputPack;

/**
 * The product that joins a layer's loop to its input: forward, the input projection
 * x_t W_ihᵀ + bias (A = x, op(B) = W_ihᵀ, K = I, N = G, BiasWriteOut); backward,
 * dx_t = dInputGates_t · W_ih (A = the gate gradients, op(B) = W_ih, K = G, N = I, StoreWriteOut).
 * runTimeLoop runs it by steps when the workers own batch rows: on each block of rows of a step,
 * forward just before the block's recurrent product, backward just after the cell wrote the
 * block's gate gradients, with W_ih packed whole once per call (each worker packing a share of its
 * panels). Its C rows are then still in cache when the cell reads them (forward), and its A rows
 * when it reads them (backward); computed for all steps at once, before or after the loop, they
 * are [T·B, N] arrays larger than L2. When the workers share the batch by columns (or W_ih could
 * not be packed) it runs for all steps at once, before the loop (forward) or after it (backward).
 * Every element is the same sum either way (gemm_kernel.h), so the choice is only about speed.
 * Measured against all steps at once (20 layers of the bench's A and B shapes, two builds in one
 * process, median of paired rounds, AVX2 / AVX-512): the 64-unit LSTM's forward took 0.94× /
 * 0.93× as long, its backward 0.99× / 0.98×; the GRU's forward 1.02× / 1.02×, its backward
 * 0.98× / 0.97×; the 256-unit tanh layer's 0.98–1.0×.
 */
template <class WriteOut>
struct InputProduct {
  long batch, K, N;
  const float* a;  // [T·B, K]
  const float* b;  // W_ih; op(B) = bᵀ when transB
  bool transB;
  WriteOut out;    // into [T·B, N]
  float* packed;   // op(B) packed whole (packedFloats(K, N)), or null: all steps at once
  bool watchDenormals;

  /** Whether the loop runs it by steps: W_ih packed, something to multiply, and each worker owning whole rows of every step. */
  bool bySteps(const LoopShare& share) const { return packed != nullptr && K > 0 && N > 0 && !share.barrierEachStep; }
  void pack(int worker, int workers) const {
    const long panels = kernel::panelsOf(N);
    kernel::packPanels(transB, b, K, N, panels * worker / workers, panels * (worker + 1) / workers, packed);
  }
  /** Rows [r0, r1) of step t, every K block (as stepByRowBlocks does: each element's sum in the same order). */
  void rows(long t, long r0, long r1) const {
    const long panels = kernel::panelsOf(N);
    for (long k0 = 0; k0 < K; k0 += kernel::KC) {
      const long kc = std::min(kernel::KC, K - k0);
      auto panelOf = [&](long p) -> std::pair<const float*, long> { return {kernel::packedPanel(packed, N, k0, kc, p), static_cast<long>(NR)}; };
      kernel::sweepBlock<false>(t * batch + r0, t * batch + r1, 0, panels, N, k0, kc, a, K, panelOf, out, k0 == 0, k0 + kc >= K, nullptr,
                                watchDenormals);
    }
  }
  /** Worker `worker` of `workers`'s share of all `rows` (T·B) at once (with K = 0, the write-out of a zero product: the bias alone); false when `buffer` cannot grow. */
  bool all(long rows, int worker, int workers, GrowBuffer& buffer) const {
    if (N <= 0) return true;
    const kernel::Share share = kernel::shareOf(rows, N, worker, workers);
    if (K > 0)
      return kernel::gemmShare(false, transB, rows, N, K, a, b, out, share.rowBegin, share.rowEnd, share.pBegin, share.pEnd, buffer, watchDenormals);
    withoutProduct(share.rowBegin, share.rowEnd, N, share.pBegin, share.pEnd, out);
    return true;
  }
};

/** The forward's InputProduct: out = x W_ihᵀ + bias, [T·B, N] from x [T·B, I] and W_ih [N, I]. */
inline InputProduct<BiasWriteOut> inputProjectionOf(long batch, long I, long N, const float* x, const float* weightInput, const float* bias, float* out) {
  return {batch, I, N, x, weightInput, true, BiasWriteOut{out, N, bias}, inputPack.reserve(kernel::packedFloats(I, N)), false};
}

/** The backward's InputProduct: dx (=, or += when `accumulate`) dInputGates W_ih, [T·B, I] from [T·B, G] and W_ih [G, I]; none when dInput is null. */
inline InputProduct<kernel::StoreWriteOut> inputGradientOf(long batch, long G, long I, const float* dInputGates, const float* weightInput, float* dInput,
                                                           bool accumulate, bool watchDenormals) {
  const long N = dInput != nullptr ? I : 0;
  return {batch, G, N, dInputGates, weightInput, false, kernel::StoreWriteOut{dInput, I, accumulate},
          N > 0 ? inputPack.reserve(kernel::packedFloats(G, I)) : nullptr, watchDenormals};
}

/**
 * The shape of every fused loop, forward or backward, Elman or gated, run on the calling thread's
 * team. A step's product is N columns wide (in NR-column panels, shared out as `groups` column
 * groups) over K, the recurrent weights packed whole in `packed`.
 * - setup(worker, workers): this worker's share of the work before the loop (packing a share of
 *   the recurrent weights' panels); false when a buffer cannot grow.
 * - columnsOf(groupBegin, groupEnd): the Columns of a range of groups.
 * - operandOf(t): A of step t's product (h_{t-1} forward, the next step's gate gradients
 *   backward), or null where there is none.
 * - writeOutAt(t): step t's write-out; finished(t, r0, r1, u0, u1): the cell's work on a finished
 *   block of rows.
 * - input: the loop's InputProduct (forward: the input projection, backward: dx), by steps when
 *   it can be, else for all steps before (forward) or after (backward) the loop.
 * - after(worker, workers): once every worker's loop is done (the weight gradients); false when a
 *   buffer cannot grow.
 * Steps run from T−1 down when `backward`, whose products (of gradients, which vanish) watch for
 * denormal operands unless the mode flushes them (kernel::sweepBlock). Returns false when anything
 * could not allocate.
 */
template <class Setup, class ColumnsOf, class OperandOf, class WriteOutAt, class Finished, class InputWriteOut, class After>
bool runTimeLoop(long T, long B, long N, long K, long groups, bool backward, const float* packed, RunMode mode, Setup setup,
                 ColumnsOf columnsOf, OperandOf operandOf, WriteOutAt writeOutAt, Finished finished, const InputProduct<InputWriteOut>& input,
                 After after) {
  std::atomic<bool> failed{false};
  Team& team = callingThreadTeam();
  team.run(mode.threads, mode.flushDenormals, [&](int worker) {
    const int workers = team.size();
    const LoopShare share = loopShareOf(B, groups, worker, workers);
    const Columns columns = columnsOf(share.groupBegin, share.groupEnd);
    const bool inputBySteps = input.bySteps(share);  // the same for every worker: each has rows, or none has
    if (!setup(worker, workers)) failed = true;
    if (inputBySteps)
      input.pack(worker, workers);
    else if (!backward && !input.all(T * B, worker, workers, shareBuffer))
      failed = true;
    team.barrier();
    if (failed) return;  // read by every worker after the same barrier: all stop together
    for (long n = 0; n < T; ++n) {
      const long t = backward ? T - 1 - n : n;
      stepByRowBlocks(share.rowBegin, share.rowEnd, N, K, operandOf(t), packed, columns.pBegin, columns.pEnd, writeOutAt(t),
                      [&](long r0, long r1) {
                        if (inputBySteps && !backward) input.rows(t, r0, r1);
                      },
                      [&](long r0, long r1) {
                        finished(t, r0, r1, columns.u0, columns.u1);
                        if (inputBySteps && backward) input.rows(t, r0, r1);
                      },
                      backward && !mode.flushDenormals);
      if (share.barrierEachStep) team.barrier();
    }
    // What comes after reads every worker's rows.
    if (!share.barrierEachStep) team.barrier();
    if (!inputBySteps && backward && !input.all(T * B, worker, workers, shareBuffer)) failed = true;
    if (!after(worker, workers)) failed = true;
  });
  return !failed;
}

/**
 * After the backward time loop, from the gate pre-activation gradients of every step (the same
 * sums as RecurrentLayerBase.accumulateParameterGradients in src/model/layer-skeleton.ts, whose
 * comments explain them): dW_ih += dInputGatesᵀ x, dW_hh += dHiddenGates[1..T-1]ᵀ h[0..T-2],
 * db_ih += Σ dInputGates, db_hh += Σ dHiddenGates (dx is the loop's InputProduct). dInputGates
 * and dHiddenGates are [T, B, G] (the same buffer but in the GRU).
 */
struct ParameterGradients {
  long steps, batch, inputSize, hidden, gates;
  const float* input;         // x, [T, B, I]
  const float* hiddenStates;  // h, [T, B, H]
  const float* dInputGates;
  const float* dHiddenGates;
  float* gradWeightInput;   // [G, I]
  float* gradWeightHidden;  // [G, H]
  float* gradBiasInput;     // [G]
  float* gradBiasHidden;    // [G]
  /** Whether the products watch for denormal gate gradients (kernel::sweepBlock): not when the mode flushes them. */
  bool watchDenormals;
  /**
   * How many leading columns of dInputGates and dHiddenGates hold the same values (G when they are
   * one buffer; the GRU's r and z gradients, 2H): their sums are computed once for both biases.
   */
  long sharedColumns;
};

/**
 * Gate rows [rowBegin, rowEnd) (the transposed product's rows: gate columns) of dW_ih and dW_hh,
 * every panel, with the bias gradients' column sums, in one sweep over K. Both weight gradients
 * multiply the transposed gate gradients, dW_hh from B rows further on: K block k0 of dW_ih reads
 * rows [k0, k0 + KC), dW_hh's rows [k0 + B, k0 + B + KC). Where those are the same values (the
 * shared columns) one sliver of KC + B rows serves both; the bias sums ride on the packing
 * (packTransposedSliver). The gate gradients are read 1 + B/KC times instead of three
 * (A-LSTM's and A-GRU's steps took 0.98× as long, B-tanh's the same). Every product is the
 * micro-kernel on the same sliver and K block as kernel::gemmShare's, and every sum the same
 * additions in the same order as accumulateColumnSums's: the results are identical. Needs
 * batch ≤ KC and steps > 1; false when `buffer` cannot grow.
 * x's and h's panels are packed although their K block is one contiguous span: read in place,
 * rows 1 KiB apart put a panel's 256 lines in 4 of L1's 64 sets, and B-tanh's step took 1.064× as
 * long (avx2, `npm run bench:builds`, 10 pairs). Prefetching the next K block's x, h and gate
 * gradients into L2 while this block is multiplied left it as it was (1.006, 0.97–1.04).
 */
inline bool parameterGradientsTogether(const ParameterGradients& g, long rowBegin, long rowEnd, GrowBuffer& buffer) {
  using kernel::KC;
  using kernel::MR;
  const long B = g.batch, rows = g.steps * B, hiddenRows = rows - B, I = g.inputSize, H = g.hidden, G = g.gates;
  const long inputPanels = kernel::panelsOf(I), hiddenPanels = kernel::panelsOf(H);
  const size_t inputPanelFloats = static_cast<size_t>(inputPanels * NR * KC), hiddenPanelFloats = static_cast<size_t>(hiddenPanels * NR * KC);
  const size_t sliverFloats = static_cast<size_t>((KC + B) * MR + VEC);
  float* inputPacked = buffer.reserve(inputPanelFloats + hiddenPanelFloats + 2 * sliverFloats);
  if (inputPacked == nullptr) return false;
  float* hiddenPacked = inputPacked + inputPanelFloats;
  float* sliver = hiddenPacked + hiddenPanelFloats;
  float* hiddenSliver = sliver + sliverFloats;  // a column's dW_hh sliver when its values differ from dW_ih's (the GRU's n)
  const kernel::StoreWriteOut inputOut{g.gradWeightInput, I, true}, hiddenOut{g.gradWeightHidden, H, true};
  for (long k0 = 0; k0 < rows; k0 += KC) {
    const long inputKc = std::min(KC, rows - k0);
    const long hiddenKc = std::clamp(hiddenRows - k0, 0L, KC);
    for (long p = 0; p < inputPanels; ++p) kernel::packRowsPanel(g.input, I, k0, inputKc, p, inputPacked + p * inputKc * NR);
    for (long p = 0; p < hiddenPanels && hiddenKc > 0; ++p) kernel::packRowsPanel(g.hiddenStates, H, k0, hiddenKc, p, hiddenPacked + p * hiddenKc * NR);
    for (long i0 = rowBegin; i0 < rowEnd; i0 += MR) {
      const int width = static_cast<int>(std::min<long>(MR, rowEnd - i0));
      const bool shared = i0 + width <= g.sharedColumns;
      const float* inputA = g.dInputGates + k0 * G + i0;
      // dW_ih's rows with the sums (both biases' where the columns are shared), then the B rows
      // past them that dW_hh's block reads too.
      if (shared)
        kernel::packTransposedSliver<2>(inputA, G, inputKc, width, G - i0, sliver, g.gradBiasInput + i0, g.gradBiasHidden + i0);
      else
        kernel::packTransposedSliver<1>(inputA, G, inputKc, width, G - i0, sliver, g.gradBiasInput + i0);
      const float* hiddenA = sliver + B * width;
      if (hiddenKc > 0 && shared && B + hiddenKc > inputKc)
        kernel::packTransposedSliver(inputA + inputKc * G, G, B + hiddenKc - inputKc, width, G - i0, sliver + inputKc * width);
      if (hiddenKc > 0 && !shared) {
        // db_hh adds every step's values in order: step 0's (which dW_hh does not read) first.
        if (k0 == 0) accumulateColumnSums(g.gradBiasHidden, nullptr, g.dHiddenGates, B, G, i0, i0 + width);
        kernel::packTransposedSliver<1>(g.dHiddenGates + (k0 + B) * G + i0, G, hiddenKc, width, G - i0, hiddenSliver, g.gradBiasHidden + i0);
        hiddenA = hiddenSliver;
      }
      auto inputPanel = [&](long p) { return std::pair<const float*, long>{inputPacked + p * inputKc * NR, NR}; };
      kernel::sliverAcrossPanels<true>(inputKc, sliver, width, width, 0, inputPanels, I, inputPanel, inputOut, i0, k0 == 0, k0 + inputKc >= rows,
                                       g.watchDenormals);
      if (hiddenKc > 0) {
        auto hiddenPanel = [&](long p) { return std::pair<const float*, long>{hiddenPacked + p * hiddenKc * NR, NR}; };
        kernel::sliverAcrossPanels<true>(hiddenKc, hiddenA, width, width, 0, hiddenPanels, H, hiddenPanel, hiddenOut, i0, k0 == 0,
                                         k0 + hiddenKc >= hiddenRows, g.watchDenormals);
      }
    }
  }
  return true;
}

/** Worker `worker` of `workers`'s share of ParameterGradients; false when `buffer` cannot grow. */
inline bool parameterGradients(const ParameterGradients& g, int worker, int workers, GrowBuffer& buffer) {
  const long rows = g.steps * g.batch, I = g.inputSize, H = g.hidden, G = g.gates;
  const kernel::Share inputShare = kernel::shareOf(G, I, worker, workers);
  const kernel::Share hiddenShare = kernel::shareOf(G, H, worker, workers);
  // Together when both products share out gate rows alike, each over all of its panels, and
  // each packs its A sliver (kernel::sweepBlock: more than one panel).
  const bool together = g.steps > 1 && g.batch <= kernel::KC && inputShare.rowBegin == hiddenShare.rowBegin &&
                        inputShare.rowEnd == hiddenShare.rowEnd && inputShare.pBegin == 0 && hiddenShare.pBegin == 0 &&
                        inputShare.pEnd == kernel::panelsOf(I) && hiddenShare.pEnd == kernel::panelsOf(H) && kernel::panelsOf(I) > 1 &&
                        kernel::panelsOf(H) > 1;
  if (together) return parameterGradientsTogether(g, inputShare.rowBegin, inputShare.rowEnd, buffer);
  bool ok = true;
  ok = kernel::gemmShare(true, false, G, I, rows, g.dInputGates, g.input, kernel::StoreWriteOut{g.gradWeightInput, I, true}, inputShare.rowBegin,
                         inputShare.rowEnd, inputShare.pBegin, inputShare.pEnd, buffer, g.watchDenormals) && ok;
  if (g.steps > 1) {
    ok = kernel::gemmShare(true, false, G, H, rows - g.batch, g.dHiddenGates + g.batch * G, g.hiddenStates,
                           kernel::StoreWriteOut{g.gradWeightHidden, H, true}, hiddenShare.rowBegin, hiddenShare.rowEnd, hiddenShare.pBegin,
                           hiddenShare.pEnd, buffer, g.watchDenormals) && ok;
  }
  const auto columns = kernel::columnsOf(G, worker, workers);
  // This worker's shared columns once for both biases (each column's sum is the same whatever the
  // split), the rest from each array.
  const long shared = std::clamp(g.sharedColumns, columns.first, columns.second);
  if (columns.first < shared) accumulateColumnSums(g.gradBiasInput, g.gradBiasHidden, g.dInputGates, rows, G, columns.first, shared);
  if (shared < columns.second) {
    accumulateColumnSums(g.gradBiasInput, nullptr, g.dInputGates, rows, G, shared, columns.second);
    accumulateColumnSums(g.gradBiasHidden, nullptr, g.dHiddenGates, rows, G, shared, columns.second);
  }
  return ok;
}

/** ‖dL/dh_t‖ from each step's `slots` sums of squares (squareSlot), added in order. */
inline void normsFromSquares(const double* squares, long steps, long slots, double* norms) {
  for (long t = 0; t < steps; ++t) {
    double sum = 0;
    for (long p = 0; p < slots; ++p) sum += squares[t * slots + p];
    norms[t] = std::sqrt(sum);
  }
}

}  // namespace loop
}  // namespace vanishing

// The long elementwise calls outside the time loops (the optimiser steps, the sums of squares
// behind the gradient norms, the saturation counts, zeroing, and the copies and sums of the
// residual stream) on the calling thread's team.
//
// An array is cut into pieces of kPiece floats whatever the number of threads. A piece's kernel
// runs as on one thread (its sums in lane order), and the pieces' sums are added in piece order,
// so results are bit-identical with any number of threads; the workers take contiguous ranges of
// pieces. Arrays of one piece (biases, small layers) run on the caller alone: handing work to a
// helper costs microseconds, about what a short array's whole work costs (a piece's sum of squares
// takes about 12 µs on the cores we measured, its SGD step about 85 µs).
#pragma once
#include <algorithm>

#include "gemm_kernel.h"
#include "parallel.h"

namespace vanishing {

/** Floats per piece (128 KB): a 256-unit layer's 65,536 weights are two pieces. */
constexpr long kPiece = 1L << 15;

/**
 * piece(begin, count) for each piece of [0, n) (`size` items each but the last), on up to
 * `threads` workers; returns the pieces' results added in piece order by add(total, result), from `zero`.
 */
template <class Result, class Piece, class Add>
Result overPieces(long n, long size, int threads, bool flushDenormals, Result zero, Piece piece, Add add) {
  const long pieces = n <= 0 ? 0 : (n + size - 1) / size;
  auto range = [&](long p) { return std::pair<long, long>{p * size, std::min(size, n - p * size)}; };
  Result total = zero;
  thread_local kernel::GrowBufferOf<Result> results;
  Result* slots = threads > 1 && pieces > 1 ? results.reserve(static_cast<size_t>(pieces)) : nullptr;
  if (slots == nullptr) {
    for (long p = 0; p < pieces; ++p) {
      const auto [begin, count] = range(p);
      add(total, piece(begin, count));
    }
    return total;
  }
  Team& team = callingThreadTeam();
  team.run(static_cast<int>(std::min<long>(threads, pieces)), flushDenormals, [&](int worker) {
    const int workers = team.size();
    for (long p = pieces * worker / workers; p < pieces * (worker + 1) / workers; ++p) {
      const auto [begin, count] = range(p);
      slots[p] = piece(begin, count);
    }
  });
  for (long p = 0; p < pieces; ++p) add(total, slots[p]);
  return total;
}

/** piece(begin, count) for each piece of [0, n) (`size` items each but the last), on up to `threads` workers: work without a result. */
template <class Piece>
void forPieces(long n, long size, int threads, bool flushDenormals, Piece piece) {
  overPieces(n, size, threads, flushDenormals, 0, [&](long begin, long count) {
    piece(begin, count);
    return 0;
  }, [](int&, int) {});
}

}  // namespace vanishing

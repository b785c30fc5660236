// The matrix product of the Kernels interface: the micro-kernel and packing of gemm_kernel.h with
// a plain store, on the calling thread (the fused time loops in recurrent.cc split their products
// over threads themselves).
#include "gemm.h"

#include <algorithm>

#include "gemm_kernel.h"

namespace vanishing {
namespace {
/**
 * One packing buffer per thread (worker threads share the addon), grown once and reused. The
 * WebAssembly build (wasm/build.mjs) has one thread and no thread-local storage without the
 * atomics feature, so there it is a plain global.
 */
#if defined(__wasm__) && !defined(__wasm_atomics__)
kernel::GrowBuffer packBuffer;
#else
thread_local kernel::GrowBuffer packBuffer;
#endif
}  // namespace

int gemmTileRows() { return kernel::MR; }
int gemmTileCols() { return kernel::NR; }

bool gemm(bool transA, bool transB, long M, long N, long K, const float* a, const float* b, float* c, bool accumulate) {
  if (M <= 0 || N <= 0) return true;
  if (K <= 0) {
    if (!accumulate) std::fill(c, c + M * N, 0.0f);
    return true;
  }
  const kernel::StoreWriteOut out{c, N, accumulate};
  return kernel::gemmShare(transA, transB, M, N, K, a, b, out, 0, M, 0, kernel::panelsOf(N), packBuffer);
}

}  // namespace vanishing

// Single-threaded float32 matrix product for the Kernels interface (row-major, dense).
#pragma once

namespace vanishing {

/**
 * C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`. C is M×N; A is M×K (K×M when transA);
 * B is K×N (N×K when transB). Pointers already include the caller's offsets. C must not
 * overlap A or B (the models only ever use disjoint regions of one buffer).
 * Every product is computed (no zero skipping), so 0·NaN and 0·Inf give NaN as in IEEE.
 * Returns false, with C untouched, when the packing buffer could not be allocated.
 */
bool gemm(bool transA, bool transB, long M, long N, long K, const float* a, const float* b, float* c, bool accumulate);

/** Register tile of the micro-kernel, reported by the benchmark. */
int gemmTileRows();
int gemmTileCols();

}  // namespace vanishing

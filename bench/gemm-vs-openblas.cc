// Our matrix product against OpenBLAS's sgemm on one thread, timed in alternation (ours, then
// OpenBLAS, repeated) so a machine whose speed drifts moves both alike. bench/bench.ts compiles it
// with the flags of the variant being measured (native/binding.gyp) and links -lopenblas; run it
// with OPENBLAS_NUM_THREADS=1 (and OPENBLAS_CORETYPE where OpenBLAS does not know the CPU).
//
// Prints one JSON object: {"shapes": [{"shape", "ours", "openblas"}...]} with the best GFLOP/s of
// each over the rounds, for C = A·B (row-major, float32, no transposes) and the transposed
// products the RNN layers run.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "../native/src/gemm.h"

namespace {

struct Shape {
  bool transA, transB;
  long M, N, K;
  const char* name;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  const Shape shapes[] = {
      {false, false, 64, 256, 256, "64x256·256x256"},
      {false, false, 256, 256, 256, "256x256·256x256"},
      {false, false, 64, 64, 64, "64x64·64x64"},
      {false, true, 64, 256, 256, "64x256·(256x256)ᵀ"},
      {true, false, 256, 256, 1792, "(1792x256)ᵀ·1792x256"},
  };
  std::printf("{\"shapes\": [");
  bool firstShape = true;
  for (const Shape& s : shapes) {
    std::vector<float> a(static_cast<size_t>(s.M * s.K)), b(static_cast<size_t>(s.K * s.N)), c(static_cast<size_t>(s.M * s.N));
    unsigned state = 12345;
    auto next = [&] {
      state = state * 1664525u + 1013904223u;
      return static_cast<float>(state >> 8) / 16777216.0f;
    };
    for (float& x : a) x = next();
    for (float& x : b) x = next();
    const double flops = 2.0 * s.M * s.N * s.K;
    const int reps = std::max(5, static_cast<int>(1e8 / flops));
    const long lda = s.transA ? s.M : s.K, ldb = s.transB ? s.K : s.N;
    double bestOurs = 1e30, bestOpenblas = 1e30;
    for (int round = 0; round < 15; ++round) {
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) vanishing::gemm(s.transA, s.transB, s.M, s.N, s.K, a.data(), b.data(), c.data(), false);
      bestOurs = std::min(bestOurs, secondsSince(start) / reps);
      start = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) {
        cblas_sgemm(CblasRowMajor, s.transA ? CblasTrans : CblasNoTrans, s.transB ? CblasTrans : CblasNoTrans, static_cast<int>(s.M), static_cast<int>(s.N),
                    static_cast<int>(s.K), 1.0f, a.data(), static_cast<int>(lda), b.data(), static_cast<int>(ldb), 0.0f, c.data(), static_cast<int>(s.N));
      }
      bestOpenblas = std::min(bestOpenblas, secondsSince(start) / reps);
    }
    std::printf("%s{\"shape\": \"%s\", \"ours\": %.2f, \"openblas\": %.2f}", firstShape ? "" : ", ", s.name, flops / bestOurs / 1e9, flops / bestOpenblas / 1e9);
    firstShape = false;
  }
  std::printf("]}\n");
  return 0;
}

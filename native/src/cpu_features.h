// What the running CPU supports, by the names the compiler's own detection uses (and the loader
// in src/kernels/native-kernels.ts reads): the addon's `cpuFeatures` and the standalone test's
// --cpu-features both come from here. Call it only from code built for the baseline of the
// architecture: a variant built for wider instructions may use them before any check runs.
#pragma once

#if defined(__linux__) && defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace vanishing {

/** Calls report(name, supported) for every feature a build variant may require. */
template <typename Report>
void reportCpuFeatures(Report report) {
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports also checks that the OS saves the YMM/ZMM registers (XGETBV).
  __builtin_cpu_init();
  report("sse2", __builtin_cpu_supports("sse2") != 0);
  report("avx2", __builtin_cpu_supports("avx2") != 0);
  report("fma", __builtin_cpu_supports("fma") != 0);
  report("avx512f", __builtin_cpu_supports("avx512f") != 0);
  report("avx512bw", __builtin_cpu_supports("avx512bw") != 0);
  report("avx512dq", __builtin_cpu_supports("avx512dq") != 0);
  report("avx512vl", __builtin_cpu_supports("avx512vl") != 0);
#elif defined(__aarch64__)
#if defined(__linux__)
  report("neon", (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0);
#else
  report("neon", true);  // Advanced SIMD is part of every AArch64 macOS and Windows target
#endif
#endif
}

}  // namespace vanishing

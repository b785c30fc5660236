// The roofline measurements of roofline.h. Each runs for about 50 ms; the benchmark takes the
// best of a few runs, which shared cores disturb least.
#include "roofline.h"

#include <chrono>
#include <cstdint>

#include "simd.h"

namespace vanishing {
namespace {

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double measureClockHz() {
#if defined(__x86_64__) || defined(__aarch64__)
  const uint64_t iterations = 20'000'000;
  uint64_t value = 1, counter = iterations;
  const uint64_t one = 1;
  const auto start = std::chrono::steady_clock::now();
#if defined(__x86_64__)
  // 4 dependent 64-bit multiplications per iteration, 3 cycles each on every x86-64 core since
  // Core 2 and on AMD's Zen. (A chain of add-immediate is no clock: recent Intel cores fold
  // those at renaming, several per cycle.)
  asm volatile(
      "1:\n\t"
      "imul %2, %0\n\timul %2, %0\n\timul %2, %0\n\timul %2, %0\n\t"
      "dec %1\n\tjnz 1b"
      : "+r"(value), "+r"(counter)
      : "r"(one));
  const double cyclesPerIteration = 12;
#else
  // 8 dependent register additions per iteration, one cycle each on AArch64 cores.
  asm volatile(
      "1:\n\t"
      "add %0, %0, %2\n\tadd %0, %0, %2\n\tadd %0, %0, %2\n\tadd %0, %0, %2\n\t"
      "add %0, %0, %2\n\tadd %0, %0, %2\n\tadd %0, %0, %2\n\tadd %0, %0, %2\n\t"
      "subs %1, %1, #1\n\tb.ne 1b"
      : "+r"(value), "+r"(counter)
      : "r"(one)
      : "cc");
  const double cyclesPerIteration = 8;
#endif
  const double elapsed = seconds(start);
  return elapsed > 0 ? static_cast<double>(iterations) * cyclesPerIteration / elapsed : 0;
#else
  return 0;
#endif
}

/** Keeps the twelve accumulators in vector registers, each loop iteration: the compiler may not fold or spill them. */
#if defined(__x86_64__) || defined(__i386__)
#define KEEP_IN_REGISTERS(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) \
  asm volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11))
#elif defined(__aarch64__)
#define KEEP_IN_REGISTERS(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) \
  asm volatile("" : "+w"(a0), "+w"(a1), "+w"(a2), "+w"(a3), "+w"(a4), "+w"(a5), "+w"(a6), "+w"(a7), "+w"(a8), "+w"(a9), "+w"(a10), "+w"(a11))
#else
#define KEEP_IN_REGISTERS(...)
#endif

double measurePeakFlops() {
  // Twelve independent chains: more multiply-adds in flight than latency × units on any of our CPUs.
  vf a0 = splat(1.0f), a1 = splat(1.1f), a2 = splat(1.2f), a3 = splat(1.3f), a4 = splat(1.4f), a5 = splat(1.5f);
  vf a6 = splat(1.6f), a7 = splat(1.7f), a8 = splat(1.8f), a9 = splat(1.9f), a10 = splat(2.0f), a11 = splat(2.1f);
  const vf scale = splat(0.999999f), shift = splat(1e-7f);
  const long iterations = 4'000'000;
  const auto start = std::chrono::steady_clock::now();
  for (long n = 0; n < iterations; ++n) {
    a0 = a0 * scale + shift;
    a1 = a1 * scale + shift;
    a2 = a2 * scale + shift;
    a3 = a3 * scale + shift;
    a4 = a4 * scale + shift;
    a5 = a5 * scale + shift;
    a6 = a6 * scale + shift;
    a7 = a7 * scale + shift;
    a8 = a8 * scale + shift;
    a9 = a9 * scale + shift;
    a10 = a10 * scale + shift;
    a11 = a11 * scale + shift;
    KEEP_IN_REGISTERS(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
  }
  const double elapsed = seconds(start);
  return elapsed > 0 ? static_cast<double>(iterations) * 12 * VEC * 2 / elapsed : 0;
}

int vectorLanes() { return VEC; }

}  // namespace vanishing

// Denormal floats (|x| < 1.18e-38 in float32) as zero, for the duration of one native call.
//
// Why: a vanishing gradient passes through the denormal range on its way to zero, and on many x86
// CPUs every instruction that reads or produces a denormal takes a microcode assist of ~100
// cycles. The backward products already step around most of it without flushing (they multiply
// slivers holding denormals in double: gemm_kernel.h, microKernelWide); what is left is the
// elementwise work on those values. With the FTZ (flush results to zero) and DAZ (read denormal
// inputs as zero) bits of MXCSR set, those values are zero at full speed; only numbers below
// 1.18e-38 change (see README, "Denormal floats").
//
// The bits are set on entry to a native call and restored on exit, never left set: Node's own
// arithmetic (JavaScript numbers are doubles, computed with the same SSE unit) stays IEEE. On
// arm64, FPCR.FZ does the same for the NEON code.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace vanishing {

class DenormalMode {
 public:
  /** With `flush`, denormals are zero until this object goes out of scope; without, nothing changes. */
  explicit DenormalMode(bool flush) : active_(flush) {
    if (!active_) return;
#if defined(__x86_64__) || defined(__i386__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
#elif defined(__aarch64__)
    unsigned long fpcr;
    asm volatile("mrs %0, fpcr" : "=r"(fpcr));
    saved_ = fpcr;
    fpcr |= kFlushToZeroArm;
    asm volatile("msr fpcr, %0" ::"r"(fpcr));
#endif
  }
  ~DenormalMode() {
    if (!active_) return;
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(static_cast<unsigned>(saved_));
#elif defined(__aarch64__)
    asm volatile("msr fpcr, %0" ::"r"(saved_));
#endif
  }
  DenormalMode(const DenormalMode&) = delete;
  DenormalMode& operator=(const DenormalMode&) = delete;

 private:
  static constexpr unsigned kFlushToZero = 1u << 15;      // MXCSR.FTZ
  static constexpr unsigned kDenormalsAreZero = 1u << 6;  // MXCSR.DAZ
  static constexpr unsigned long kFlushToZeroArm = 1ul << 24;  // FPCR.FZ
  bool active_;
  unsigned long saved_ = 0;
};

}  // namespace vanishing

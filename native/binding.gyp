{
  # Built by native/build.mjs during `npm install` (kept out of the package root so npm does not
  # run node-gyp on its own and fail the install where no compiler exists).
  #
  # One addon per instruction set, never -march=native: a build copied to another machine must
  # not die of an illegal instruction. src/kernels/native-kernels.ts loads the baseline variant
  # first (it runs on every CPU of its architecture and reports the CPU's features), then the
  # best variant the CPU supports. Each variant's "requires" list there must name every
  # extension its flags below enable. A variant the compiler cannot build is simply left out.
  "target_defaults": {
    "sources": ["src/addon.cc", "src/gemm.cc", "src/pointwise.cc", "src/optimizer.cc", "src/recurrent.cc", "src/gated_recurrent.cc", "src/roofline.cc"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "cflags!": ["-O2", "-O3", "-fno-omit-frame-pointer"],
    # Hidden symbols: several variants live in one process (the probe, the chosen one, and all of
    # them in the tests), and each must call its own kernels, not another variant's.
    "cflags": ["-O3", "-fomit-frame-pointer", "-fvisibility=hidden"],
    "cflags_cc": ["-O3", "-std=gnu++17", "-fno-exceptions", "-fno-rtti", "-fvisibility=hidden"],
    "xcode_settings": {
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
      "GCC_OPTIMIZATION_LEVEL": "3",
      "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17"
    }
  },
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          # SSE2 only: every x86-64 CPU. Also the CPU probe (cpuFeatures).
          "target_name": "vanishing_baseline",
          "cflags": ["-march=x86-64", "-mtune=generic"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=x86-64", "-mtune=generic"]}
        },
        {
          "target_name": "vanishing_avx2",
          "cflags": ["-march=x86-64", "-mavx2", "-mfma", "-mtune=generic"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=x86-64", "-mavx2", "-mfma", "-mtune=generic"]}
        },
        {
          "target_name": "vanishing_avx512",
          "cflags": ["-march=x86-64", "-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mtune=generic"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=x86-64", "-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mtune=generic"]}
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          # Advanced SIMD (NEON) is part of every AArch64 CPU, so one variant is enough.
          "target_name": "vanishing_neon",
          "cflags": ["-march=armv8-a"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-march=armv8-a"]}
        }
      ]
    }]
  ]
}

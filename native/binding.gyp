{
  # Built by native/build.mjs during `npm install` (kept out of the package root so npm does not
  # run node-gyp on its own and fail the install where no compiler exists).
  "targets": [
    {
      "target_name": "vanishing_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/pointwise.cc"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-O2", "-O3", "-fno-omit-frame-pointer"],
      "cflags_cc!": ["-std=gnu++17", "-std=c++17", "-fno-exceptions", "-fno-rtti"],
      # Built on the machine that runs it, so tune for its own CPU (AVX-512 / AVX2 when present).
      "cflags": ["-O3", "-march=native", "-fomit-frame-pointer"],
      "cflags_cc": ["-O3", "-march=native", "-std=gnu++17", "-fno-exceptions", "-fno-rtti"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-march=native"],
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-march=native", "-std=gnu++17"]
      }
    }
  ]
}

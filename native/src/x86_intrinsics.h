// The x86 intrinsics (immintrin.h), included through here by every file that uses them. GCC 12
// reports its own _mm*_undefined_*() (an intentionally uninitialised register in the intrinsics'
// headers) as "used uninitialized" wherever an intrinsic using it is inlined (GCC bug 105593,
// fixed in 13): a page of false warnings per use, which once overflowed the build's output buffer
// (native/build.mjs). Silenced for the headers' own lines only; our code keeps the warning.
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Node-API binding of the native kernels (plain node_api.h: the thinnest call path, which
// matters because the models make thousands of small kernel calls per batch).
//
// Every function takes the arguments of the matching method of `Kernels` (src/kernels/kernels.ts)
// with Float32Array buffers and element offsets; activations arrive as small integer codes.
// Buffers are used in place (no copies); every offset and extent is checked against the array's
// length before any pointer is formed, so a wrong call throws a RangeError instead of corrupting
// memory. The binding refuses what it does not know: an unknown activation code, a failed
// Node-API call or a failed allocation throws a JS error instead of computing something else.
//
// The kernels themselves (gemm.cc, pointwise.cc) know nothing of Node-API; native/test builds
// them into a standalone test program, for this machine and for arm64 under qemu.
#include <node_api.h>

#include <cstdint>
#include <cmath>
#include <cstdio>
#include <initializer_list>

#include "cpu_features.h"
#include "float_mode.h"
#include "gemm.h"
#include "optimizer.h"
#include "pointwise.h"
#include "parallel.h"
#include "pieces.h"
#include "recurrent.h"
#include "roofline.h"
#include "simd.h"

namespace {

using namespace vanishing;

/**
 * Whether this thread's calls flush denormals to zero (float_mode.h): set by setDenormalMode,
 * which the TypeScript side calls when a kernel set of the other mode runs on this thread.
 */
thread_local bool flushDenormalsOnThisThread = false;

/**
 * Reads the arguments of one call; the first failure throws a JS error and poisons the call.
 * While it lives, the thread's denormal mode is in force (restored when the call returns).
 */
class Call {
 public:
  Call(napi_env env, napi_callback_info info, size_t expected) : env_(env), denormals_(flushDenormalsOnThisThread) {
    size_t argc = kMaxArgs;
    if (napi_get_cb_info(env, info, &argc, argv_, nullptr, nullptr) != napi_ok) {
      fail("could not read the arguments");
    } else if (argc < expected) {
      char message[96];
      std::snprintf(message, sizeof message, "expected %zu arguments, got %zu", expected, argc);
      napi_throw_type_error(env_, nullptr, message);
      failed_ = true;
    }
  }

  bool failed() const { return failed_; }
  napi_env env() const { return env_; }

  /**
   * A size, offset or code: an integral number. napi_get_value_int64 alone would read NaN and
   * ±Inf as 0 and truncate 2.5 to 2, silently doing less (or other) work than asked.
   */
  int64_t integer(size_t index) {
    double value = 0;
    if (failed_) return 0;
    if (napi_get_value_double(env_, argv_[index], &value) != napi_ok) {
      fail("an integer argument is not a number");
      return 0;
    }
    if (!(std::fabs(value) <= 9007199254740992.0) || std::trunc(value) != value) {
      char message[96];
      std::snprintf(message, sizeof message, "argument %zu must be an integer, got %g", index, value);
      fail(message);
      return 0;
    }
    return static_cast<int64_t>(value);
  }

  double number(size_t index) {
    double value = 0;
    if (!failed_ && napi_get_value_double(env_, argv_[index], &value) != napi_ok) fail("a number argument is not a number");
    return value;
  }

  bool boolean(size_t index) {
    bool value = false;
    if (!failed_ && napi_get_value_bool(env_, argv_[index], &value) != napi_ok) fail("a boolean argument is not a boolean");
    return value;
  }

  /** The Float32Array at `index`, advanced by the offset at index+1, holding at least `extent` elements from there. */
  float* floats(size_t index, int64_t extent) { return static_cast<float*>(typed(index, extent, napi_float32_array, "Float32Array")); }
  double* doubles(size_t index, int64_t extent) { return static_cast<double*>(typed(index, extent, napi_float64_array, "Float64Array")); }

  /** Like floats, but a null argument (with any offset) is allowed and gives nullptr. */
  float* optionalFloats(size_t index, int64_t extent) {
    napi_valuetype type = napi_undefined;
    if (failed_) return nullptr;
    if (napi_typeof(env_, argv_[index], &type) != napi_ok) {
      fail("could not read an argument's type");
      return nullptr;
    }
    return type == napi_null ? nullptr : floats(index, extent);
  }

  /** A thread count: 1 to kMaxThreads. */
  int threads(size_t index) {
    const int64_t value = integer(index);
    if (!failed_ && (value < 1 || value > kMaxThreads)) {
      char message[96];
      std::snprintf(message, sizeof message, "threads must be 1 to %d, got %lld", kMaxThreads, static_cast<long long>(value));
      range(message);
    }
    return static_cast<int>(value);
  }
  int32_t* ints(size_t index, int64_t extent) { return static_cast<int32_t*>(typed(index, extent, napi_int32_array, "Int32Array")); }

  napi_value result(double value) {
    napi_value result = nullptr;
    if (!failed_ && napi_create_double(env_, value, &result) != napi_ok) fail("could not create the result number");
    return result;
  }

  /** [first, second] as a JS array (softmaxCrossEntropy's [lossSum, correct]). */
  napi_value pair(double first, double second) {
    napi_value array = nullptr, a = nullptr, b = nullptr;
    if (failed_) return nullptr;
    if (napi_create_array_with_length(env_, 2, &array) != napi_ok || napi_create_double(env_, first, &a) != napi_ok ||
        napi_create_double(env_, second, &b) != napi_ok || napi_set_element(env_, array, 0, a) != napi_ok ||
        napi_set_element(env_, array, 1, b) != napi_ok) {
      fail("could not create the result array");
      return nullptr;
    }
    return array;
  }

  /** A JS object with number properties (the roofline's figures). */
  napi_value object(std::initializer_list<std::pair<const char*, double>> fields) {
    napi_value result = nullptr;
    if (failed_ || napi_create_object(env_, &result) != napi_ok) {
      fail("could not create the result object");
      return nullptr;
    }
    for (const auto& field : fields) {
      napi_value value = nullptr;
      if (napi_create_double(env_, field.second, &value) != napi_ok || napi_set_named_property(env_, result, field.first, value) != napi_ok) {
        fail("could not fill the result object");
        return nullptr;
      }
    }
    return result;
  }

  /** The activation code at `index`; any code outside Activation throws a RangeError. */
  Activation activation(size_t index) {
    const int64_t code = integer(index);
    if (failed_) return Activation::Identity;
    if (!isActivation(code)) {
      char message[128];
      std::snprintf(message, sizeof message, "unknown activation code %lld (known: 0 tanh, 1 relu, 2 sigmoid, 3 identity)",
                    static_cast<long long>(code));
      range(message);
      return Activation::Identity;
    }
    return static_cast<Activation>(code);
  }

  /** Throws a plain Error (for failures that are not the caller's fault, such as memory). */
  void error(const char* message) {
    if (failed_) return;
    napi_throw_error(env_, nullptr, message);
    failed_ = true;
  }

  /** Rows `stride` apart must not overlap rows of `cols` elements (one row may have any stride). */
  bool rowStride(int64_t rows, int64_t cols, int64_t stride) {
    if (!failed_ && rows > 1 && stride < cols) range("rows overlap: the row stride is below the row length");
    return !failed_;
  }

  /** Sizes must be ≥ 0 and small enough that products of two of them stay exact. */
  bool sizes(std::initializer_list<int64_t> values) {
    for (int64_t v : values) {
      if (!failed_ && (v < 0 || v > (int64_t{1} << 31))) range("a size is negative or too large");
    }
    return !failed_;
  }

 private:
  static constexpr size_t kMaxArgs = 48;

  void* typed(size_t index, int64_t extent, napi_typedarray_type expected, const char* typeName) {
    if (failed_) return nullptr;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env_, argv_[index], &type, &length, &data, nullptr, nullptr) != napi_ok || type != expected) {
      char message[96];
      std::snprintf(message, sizeof message, "argument %zu must be a %s", index, typeName);
      napi_throw_type_error(env_, nullptr, message);
      failed_ = true;
      return nullptr;
    }
    const int64_t offset = integer(index + 1);
    if (failed_) return nullptr;
    if (offset < 0 || extent < 0 || offset + extent > static_cast<int64_t>(length)) {
      char message[160];
      std::snprintf(message, sizeof message, "argument %zu: offset %lld + %lld elements exceeds its length %zu", index,
                    static_cast<long long>(offset), static_cast<long long>(extent), length);
      range(message);
      return nullptr;
    }
    const size_t elementBytes = expected == napi_float64_array ? 8 : 4;
    return static_cast<char*>(data) + static_cast<size_t>(offset) * elementBytes;
  }

  void fail(const char* message) {
    if (failed_) return;
    napi_throw_type_error(env_, nullptr, message);
    failed_ = true;
  }
  void range(const char* message) {
    if (failed_) return;
    napi_throw_range_error(env_, nullptr, message);
    failed_ = true;
  }

  napi_env env_;
  napi_value argv_[kMaxArgs] = {};
  bool failed_ = false;
  DenormalMode denormals_;
};

// gemm(transA, transB, M, N, K, a, aOffset, b, bOffset, c, cOffset, accumulate)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Call call(env, info, 12);
  const bool transA = call.boolean(0), transB = call.boolean(1);
  const int64_t M = call.integer(2), N = call.integer(3), K = call.integer(4);
  if (!call.sizes({M, N, K})) return nullptr;
  const float* a = call.floats(5, M * K);
  const float* b = call.floats(7, K * N);
  float* c = call.floats(9, M * N);
  const bool accumulate = call.boolean(11);
  if (call.failed()) return nullptr;
  if (!gemm(transA, transB, M, N, K, a, b, c, accumulate)) call.error("gemm: could not allocate its packing buffer (out of memory)");
  return nullptr;
}

// addBiasRows(out, outOffset, rows, cols, bias, biasOffset)
napi_value AddBiasRows(napi_env env, napi_callback_info info) {
  Call call(env, info, 6);
  const int64_t rows = call.integer(2), cols = call.integer(3);
  if (!call.sizes({rows, cols})) return nullptr;
  float* out = call.floats(0, rows * cols);
  const float* bias = call.floats(4, cols);
  if (call.failed()) return nullptr;
  addBiasRows(out, rows, cols, bias);
  return nullptr;
}

// accumulateColumnSums(out, outOffset, src, srcOffset, rows, cols)
napi_value AccumulateColumnSums(napi_env env, napi_callback_info info) {
  Call call(env, info, 6);
  const int64_t rows = call.integer(4), cols = call.integer(5);
  if (!call.sizes({rows, cols})) return nullptr;
  float* out = call.floats(0, cols);
  const float* src = call.floats(2, rows * cols);
  if (call.failed()) return nullptr;
  accumulateColumnSums(out, src, rows, cols);
  return nullptr;
}

// activationForward(code, x, xOffset, y, yOffset, n)
napi_value ActivationForward(napi_env env, napi_callback_info info) {
  Call call(env, info, 6);
  const Activation act = call.activation(0);
  const int64_t n = call.integer(5);
  if (!call.sizes({n})) return nullptr;
  const float* x = call.floats(1, n);
  float* y = call.floats(3, n);
  if (call.failed()) return nullptr;
  activationForward(act, x, y, n);
  return nullptr;
}

// activationBackward(code, y, yOffset, dy, dyOffset, dx, dxOffset, n, accumulate)
napi_value ActivationBackward(napi_env env, napi_callback_info info) {
  Call call(env, info, 9);
  const Activation act = call.activation(0);
  const int64_t n = call.integer(7);
  if (!call.sizes({n})) return nullptr;
  const float* y = call.floats(1, n);
  const float* dy = call.floats(3, n);
  float* dx = call.floats(5, n);
  const bool accumulate = call.boolean(8);
  if (call.failed()) return nullptr;
  activationBackward(act, y, dy, dx, n, accumulate);
  return nullptr;
}

/**
 * The piece size for an elementwise call from a to b over n floats: kPiece, or the whole call as
 * one piece (in the order of one thread) when [a, a + n) and [b, b + n) share a float.
 */
long pieceBetween(const float* a, const float* b, long n) { return a < b + n && b < a + n ? std::max(n, 1L) : kPiece; }

// axpy(n, alpha, x, xOffset, y, yOffset, threads)
napi_value Axpy(napi_env env, napi_callback_info info) {
  Call call(env, info, 7);
  const int64_t n = call.integer(0);
  const double alpha = call.number(1);
  if (!call.sizes({n})) return nullptr;
  const float* x = call.floats(2, n);
  float* y = call.floats(4, n);
  const int threads = call.threads(6);
  if (call.failed()) return nullptr;
  const float a = static_cast<float>(alpha);
  forPieces(n, pieceBetween(x, y, n), threads, flushDenormalsOnThisThread, [&](long begin, long count) { axpy(count, a, x + begin, y + begin); });
  return nullptr;
}

// copy(src, srcOffset, dst, dstOffset, n, threads)
napi_value Copy(napi_env env, napi_callback_info info) {
  Call call(env, info, 6);
  const int64_t n = call.integer(4);
  if (!call.sizes({n})) return nullptr;
  const float* src = call.floats(0, n);
  float* dst = call.floats(2, n);
  const int threads = call.threads(5);
  if (call.failed()) return nullptr;
  forPieces(n, pieceBetween(src, dst, n), threads, flushDenormalsOnThisThread, [&](long begin, long count) { copy(src + begin, dst + begin, count); });
  return nullptr;
}

// fill(x, xOffset, n, value, threads)
napi_value Fill(napi_env env, napi_callback_info info) {
  Call call(env, info, 5);
  const int64_t n = call.integer(2);
  if (!call.sizes({n})) return nullptr;
  float* x = call.floats(0, n);
  const float value = static_cast<float>(call.number(3));
  const int threads = call.threads(4);
  if (call.failed()) return nullptr;
  forPieces(n, kPiece, threads, flushDenormalsOnThisThread, [&](long begin, long count) { fill(x + begin, count, value); });
  return nullptr;
}

// scale(x, xOffset, n, factor, threads)
napi_value Scale(napi_env env, napi_callback_info info) {
  Call call(env, info, 5);
  const int64_t n = call.integer(2);
  if (!call.sizes({n})) return nullptr;
  float* x = call.floats(0, n);
  const float factor = static_cast<float>(call.number(3));
  const int threads = call.threads(4);
  if (call.failed()) return nullptr;
  forPieces(n, kPiece, threads, flushDenormalsOnThisThread, [&](long begin, long count) { scale(x + begin, count, factor); });
  return nullptr;
}

/** Adds one piece's sum (pieces.h adds them in piece order). */
void addSum(double& total, double piece) { total += piece; }

// sumOfSquares(x, xOffset, n, threads) → number
napi_value SumOfSquares(napi_env env, napi_callback_info info) {
  Call call(env, info, 4);
  const int64_t n = call.integer(2);
  if (!call.sizes({n})) return nullptr;
  const float* x = call.floats(0, n);
  const int threads = call.threads(3);
  if (call.failed()) return nullptr;
  return call.result(overPieces(n, kPiece, threads, flushDenormalsOnThisThread, 0.0, [&](long begin, long count) { return sumOfSquares(x + begin, count); }, addSum));
}

/**
 * The largest float ≤ t: |x| > t for float x and double t (as the reference compares) is |x| > it,
 * so the counting kernels compare in float and keep the reference's meaning.
 */
float floatBelowOrAt(double threshold) {
  float t = static_cast<float>(threshold);
  if (static_cast<double>(t) > threshold) t = std::nextafter(t, -INFINITY);
  return t;
}

/** Adds one piece's count. */
void addCount(long& total, long piece) { total += piece; }

// countAbsAbove(x, xOffset, n, threshold, threads) → number
napi_value CountAbsAbove(napi_env env, napi_callback_info info) {
  Call call(env, info, 5);
  const int64_t n = call.integer(2);
  if (!call.sizes({n})) return nullptr;
  const float* x = call.floats(0, n);
  const float threshold = floatBelowOrAt(call.number(3));
  const int threads = call.threads(4);
  if (call.failed()) return nullptr;
  return call.result(static_cast<double>(
      overPieces(n, kPiece, threads, flushDenormalsOnThisThread, 0L, [&](long begin, long count) { return countAbsAbove(x + begin, count, threshold); }, addCount)));
}

// countAbsAboveInRows(x, xOffset, rows, cols, rowStride, threshold, threads) → number
napi_value CountAbsAboveInRows(napi_env env, napi_callback_info info) {
  Call call(env, info, 7);
  const int64_t rows = call.integer(2), cols = call.integer(3), rowStride = call.integer(4);
  if (!call.sizes({rows, cols, rowStride}) || !call.rowStride(rows, cols, rowStride)) return nullptr;
  const float* x = call.floats(0, rows == 0 ? 0 : (rows - 1) * rowStride + cols);
  const float threshold = floatBelowOrAt(call.number(5));
  const int threads = call.threads(6);
  if (call.failed()) return nullptr;
  // Pieces of whole rows, about kPiece elements each.
  const long rowsPerPiece = std::max<long>(1, kPiece / std::max<int64_t>(cols, 1));
  return call.result(static_cast<double>(overPieces(
      rows, rowsPerPiece, threads, flushDenormalsOnThisThread, 0L,
      [&](long begin, long count) { return countAbsAboveInRows(x + begin * rowStride, count, cols, rowStride, threshold); }, addCount)));
}

// countZero(x, xOffset, n) → number
napi_value CountZero(napi_env env, napi_callback_info info) {
  Call call(env, info, 3);
  const int64_t n = call.integer(2);
  if (!call.sizes({n})) return nullptr;
  const float* x = call.floats(0, n);
  if (call.failed()) return nullptr;
  return call.result(static_cast<double>(countZero(x, n)));
}

/** Adds one piece's sums of an optimiser step. */
void addSums(UpdateSums& total, const UpdateSums& piece) {
  total.moved += piece.moved;
  total.before += piece.before;
  total.after += piece.after;
}

/** Writes an optimiser step's three sums into sums[0..2] (the caller has checked the array). */
void storeSums(double* out, const UpdateSums& sums) {
  out[0] = sums.moved;
  out[1] = sums.before;
  out[2] = sums.after;
}

// sgdStep(n, data, o, grad, o, momentumBuffer | null, o, learningRate, momentum, dampening, weightDecay, nesterov, first, sums, o, threads)
napi_value SgdStepCall(napi_env env, napi_callback_info info) {
  Call call(env, info, 16);
  const int64_t n = call.integer(0);
  if (!call.sizes({n})) return nullptr;
  float* data = call.floats(1, n);
  const float* grad = call.floats(3, n);
  float* momentumBuffer = call.optionalFloats(5, n);
  SgdStep step{call.number(7), call.number(8), call.number(9), call.number(10), call.boolean(11), call.boolean(12)};
  double* sums = call.doubles(13, 3);
  const int threads = call.threads(15);
  if (call.failed()) return nullptr;
  storeSums(sums, overPieces(n, kPiece, threads, flushDenormalsOnThisThread, UpdateSums{},
                             [&](long begin, long count) {
                               return sgdStep(count, data + begin, grad + begin, momentumBuffer != nullptr ? momentumBuffer + begin : nullptr, step);
                             },
                             addSums));
  return nullptr;
}

// adamStep(n, data, o, grad, o, firstMoment, o, secondMoment, o, stepSize, beta1, beta2, epsilon, weightDecay, biasCorrection2Root, sums, o, threads)
napi_value AdamStepCall(napi_env env, napi_callback_info info) {
  Call call(env, info, 18);
  const int64_t n = call.integer(0);
  if (!call.sizes({n})) return nullptr;
  float* data = call.floats(1, n);
  const float* grad = call.floats(3, n);
  float* firstMoment = call.floats(5, n);
  float* secondMoment = call.floats(7, n);
  AdamStep step{call.number(9), call.number(10), call.number(11), call.number(12), call.number(13), call.number(14)};
  double* sums = call.doubles(15, 3);
  const int threads = call.threads(17);
  if (call.failed()) return nullptr;
  storeSums(sums, overPieces(n, kPiece, threads, flushDenormalsOnThisThread, UpdateSums{},
                             [&](long begin, long count) {
                               return adamStep(count, data + begin, grad + begin, firstMoment + begin, secondMoment + begin, step);
                             },
                             addSums));
  return nullptr;
}

// lstmPointwiseForward(batch, hidden, gates, o, cPrev, o, c, o, tanhC, o, h, o)
napi_value LstmPointwiseForward(napi_env env, napi_callback_info info) {
  Call call(env, info, 12);
  const int64_t batch = call.integer(0), hidden = call.integer(1);
  if (!call.sizes({batch, hidden})) return nullptr;
  const int64_t block = batch * hidden;
  float* gates = call.floats(2, 4 * block);
  const float* cPrev = call.floats(4, block);
  float* c = call.floats(6, block);
  float* tanhC = call.floats(8, block);
  float* h = call.floats(10, block);
  if (call.failed()) return nullptr;
  lstmPointwiseForward(batch, hidden, gates, cPrev, c, tanhC, h);
  return nullptr;
}

// lstmPointwiseBackward(batch, hidden, gates, o, cPrev, o, tanhC, o, dh, o, dc, o, dGates, o)
napi_value LstmPointwiseBackward(napi_env env, napi_callback_info info) {
  Call call(env, info, 14);
  const int64_t batch = call.integer(0), hidden = call.integer(1);
  if (!call.sizes({batch, hidden})) return nullptr;
  const int64_t block = batch * hidden;
  const float* gates = call.floats(2, 4 * block);
  const float* cPrev = call.floats(4, block);
  const float* tanhC = call.floats(6, block);
  const float* dh = call.floats(8, block);
  float* dc = call.floats(10, block);
  float* dGates = call.floats(12, 4 * block);
  if (call.failed()) return nullptr;
  lstmPointwiseBackward(batch, hidden, gates, cPrev, tanhC, dh, dc, dGates);
  return nullptr;
}

// gruPointwiseForward(batch, hidden, inputGates, o, hiddenGates, o, hPrev, o, gateActivations, o, h, o)
napi_value GruPointwiseForward(napi_env env, napi_callback_info info) {
  Call call(env, info, 12);
  const int64_t batch = call.integer(0), hidden = call.integer(1);
  if (!call.sizes({batch, hidden})) return nullptr;
  const int64_t block = batch * hidden;
  const float* inputGates = call.floats(2, 3 * block);
  const float* hiddenGates = call.floats(4, 3 * block);
  const float* hPrev = call.floats(6, block);
  float* gateActivations = call.floats(8, 3 * block);
  float* h = call.floats(10, block);
  if (call.failed()) return nullptr;
  gruPointwiseForward(batch, hidden, inputGates, hiddenGates, hPrev, gateActivations, h);
  return nullptr;
}

// gruPointwiseBackward(batch, hidden, hiddenGates, o, hPrev, o, gateActivations, o, dh, o, dInputGates, o, dHiddenGates, o, dhPrev, o)
napi_value GruPointwiseBackward(napi_env env, napi_callback_info info) {
  Call call(env, info, 16);
  const int64_t batch = call.integer(0), hidden = call.integer(1);
  if (!call.sizes({batch, hidden})) return nullptr;
  const int64_t block = batch * hidden;
  const float* hiddenGates = call.floats(2, 3 * block);
  const float* hPrev = call.floats(4, block);
  const float* gateActivations = call.floats(6, 3 * block);
  const float* dh = call.floats(8, block);
  float* dInputGates = call.floats(10, 3 * block);
  float* dHiddenGates = call.floats(12, 3 * block);
  float* dhPrev = call.floats(14, block);
  if (call.failed()) return nullptr;
  gruPointwiseBackward(batch, hidden, hiddenGates, hPrev, gateActivations, dh, dInputGates, dHiddenGates, dhPrev);
  return nullptr;
}

// softmaxCrossEntropy(rows, classes, logits, o, targets, o, dLogits, o, gradientScale) → [lossSum, correct]
napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  Call call(env, info, 9);
  const int64_t rows = call.integer(0), classes = call.integer(1);
  if (!call.sizes({rows, classes})) return nullptr;
  const float* logits = call.floats(2, rows * classes);
  const int32_t* targets = call.ints(4, rows);
  float* dLogits = call.floats(6, rows * classes);
  const double gradientScale = call.number(8);
  if (call.failed()) return nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] < 0 || targets[r] >= classes) {
      napi_throw_range_error(env, nullptr, "softmaxCrossEntropy: a target is not a class id");
      return nullptr;
    }
  }
  long correct = 0;
  const double lossSum = softmaxCrossEntropy(rows, classes, logits, targets, dLogits, gradientScale, &correct);
  // [lossSum, correct] as a two-element array: one small allocation per batch, not per step.
  return call.pair(lossSum, static_cast<double>(correct));
}

// squaredError(n, pred, o, target, o, dPred, o, gradientScale) → number
napi_value SquaredError(napi_env env, napi_callback_info info) {
  Call call(env, info, 8);
  const int64_t n = call.integer(0);
  if (!call.sizes({n})) return nullptr;
  const float* pred = call.floats(1, n);
  const float* target = call.floats(3, n);
  float* dPred = call.floats(5, n);
  const double gradientScale = call.number(7);
  if (call.failed()) return nullptr;
  return call.result(squaredError(n, pred, target, dPred, gradientScale));
}

/** The sequence fields shared by rnnForward and rnnBackward: (code, T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o). */
bool readRnnSequence(Call& call, RnnSequence& s) {
  s.activation = call.activation(0);
  if (!call.failed() && s.activation == Activation::Sigmoid) call.error("rnn: the activation must be tanh, relu or identity");
  const int64_t T = call.integer(1), B = call.integer(2), I = call.integer(3), H = call.integer(4);
  if (!call.sizes({T, B, I, H, T * B, H * H})) return false;
  s.steps = T;
  s.batch = B;
  s.inputSize = I;
  s.hidden = H;
  s.input = call.floats(5, T * B * I);
  s.weightInput = call.floats(7, H * I);
  s.weightHidden = call.floats(9, H * H);
  s.biasInput = call.floats(11, H);
  s.biasHidden = call.floats(13, H);
  s.hiddenStates = call.floats(15, T * B * H);
  return !call.failed();
}

// rnnForward(code, T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o, saturationThreshold, threads) → how many |h| > threshold (tanh; 0 otherwise)
napi_value RnnForward(napi_env env, napi_callback_info info) {
  Call call(env, info, 19);
  RnnSequence sequence{};
  if (!readRnnSequence(call, sequence)) return nullptr;
  SaturationCount saturation{floatBelowOrAt(call.number(17)), 0};
  const int threads = call.threads(18);
  if (call.failed()) return nullptr;
  if (!rnnForward(sequence, RunMode{threads, flushDenormalsOnThisThread}, saturation)) call.error("rnnForward: could not allocate its buffers (out of memory)");
  return call.result(static_cast<double>(saturation.count));
}

// rnnBackward(code, T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o,
//             dOutput, o, dPre, o, norms, o, gW_ih, o, gW_hh, o, gb_ih, o, gb_hh, o, dInput|null, o, accumulateInput, threads)
napi_value RnnBackward(napi_env env, napi_callback_info info) {
  Call call(env, info, 35);
  RnnSequence sequence{};
  if (!readRnnSequence(call, sequence)) return nullptr;
  const int64_t T = sequence.steps, B = sequence.batch, I = sequence.inputSize, H = sequence.hidden;
  vanishing::RnnBackward backward{};
  backward.dOutput = call.floats(17, T * B * H);
  backward.dPreActivation = call.floats(19, T * B * H);
  backward.hiddenGradientNorms = call.doubles(21, T);
  backward.gradWeightInput = call.floats(23, H * I);
  backward.gradWeightHidden = call.floats(25, H * H);
  backward.gradBiasInput = call.floats(27, H);
  backward.gradBiasHidden = call.floats(29, H);
  backward.dInput = call.optionalFloats(31, T * B * I);
  backward.accumulateInput = call.boolean(33);
  const int threads = call.threads(34);
  if (call.failed()) return nullptr;
  if (!rnnBackward(sequence, backward, RunMode{threads, flushDenormalsOnThisThread})) call.error("rnnBackward: could not allocate its buffers (out of memory)");
  return nullptr;
}

/**
 * The fields the LSTM and GRU sequences share, at the start of their arguments:
 * (T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o), with G = gatesPerUnit·H gate rows.
 */
struct GatedSequenceFields {
  int64_t steps, batch, inputSize, hidden, gates;
  const float *input, *weightInput, *weightHidden, *biasInput, *biasHidden;
  float* hiddenStates;
};
bool readGatedSequence(Call& call, int64_t gatesPerUnit, GatedSequenceFields& s) {
  const int64_t T = call.integer(0), B = call.integer(1), I = call.integer(2), H = call.integer(3);
  if (!call.sizes({T, B, I, H, T * B, gatesPerUnit * H, gatesPerUnit * H * H})) return false;
  const int64_t G = gatesPerUnit * H;
  s.steps = T;
  s.batch = B;
  s.inputSize = I;
  s.hidden = H;
  s.gates = G;
  s.input = call.floats(4, T * B * I);
  s.weightInput = call.floats(6, G * I);
  s.weightHidden = call.floats(8, G * H);
  s.biasInput = call.floats(10, G);
  s.biasHidden = call.floats(12, G);
  s.hiddenStates = call.floats(14, T * B * H);
  return !call.failed();
}

/**
 * What every backward pass writes, from argument `at` on:
 * (dOutput, o, norms, o, gW_ih, o, gW_hh, o, gb_ih, o, gb_hh, o, dInput|null, o, accumulateInput).
 */
LayerGradients readLayerGradients(Call& call, const GatedSequenceFields& s, size_t at) {
  const int64_t T = s.steps, B = s.batch, I = s.inputSize, H = s.hidden, G = s.gates;
  LayerGradients g{};
  g.dOutput = call.floats(at, T * B * H);
  g.hiddenGradientNorms = call.doubles(at + 2, T);
  g.gradWeightInput = call.floats(at + 4, G * I);
  g.gradWeightHidden = call.floats(at + 6, G * H);
  g.gradBiasInput = call.floats(at + 8, G);
  g.gradBiasHidden = call.floats(at + 10, G);
  g.dInput = call.optionalFloats(at + 12, T * B * I);
  g.accumulateInput = call.boolean(at + 14);
  return g;
}

/** (… the shared fields, c, o, tanhC, o, gates, o): the LSTM's sequence, 22 arguments. */
bool readLstmSequence(Call& call, GatedSequenceFields& fields, LstmSequence& s) {
  if (!readGatedSequence(call, 4, fields)) return false;
  const int64_t rows = fields.steps * fields.batch;
  s = LstmSequence{fields.steps, fields.batch, fields.inputSize, fields.hidden, fields.input, fields.weightInput, fields.weightHidden,
                   fields.biasInput, fields.biasHidden, fields.hiddenStates, nullptr, nullptr, nullptr};
  s.cellStates = call.floats(16, rows * fields.hidden);
  s.tanhCell = call.floats(18, rows * fields.hidden);
  s.gates = call.floats(20, rows * fields.gates);
  return !call.failed();
}

// lstmForward(T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o, c, o, tanhC, o, gates, o, saturationThreshold, threads)
//   → how many |tanh(c_t)| > threshold
napi_value LstmForward(napi_env env, napi_callback_info info) {
  Call call(env, info, 24);
  GatedSequenceFields fields{};
  LstmSequence sequence{};
  if (!readLstmSequence(call, fields, sequence)) return nullptr;
  SaturationCount saturation{floatBelowOrAt(call.number(22)), 0};
  const int threads = call.threads(23);
  if (call.failed()) return nullptr;
  if (!lstmForward(sequence, RunMode{threads, flushDenormalsOnThisThread}, saturation)) call.error("lstmForward: could not allocate its buffers (out of memory)");
  return call.result(static_cast<double>(saturation.count));
}

// lstmBackward(T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o, c, o, tanhC, o, gates, o,
//              dOutput, o, norms, o, gW_ih, o, gW_hh, o, gb_ih, o, gb_hh, o, dInput|null, o, accumulateInput, dGates, o, threads)
napi_value LstmBackward(napi_env env, napi_callback_info info) {
  Call call(env, info, 40);
  GatedSequenceFields fields{};
  LstmSequence sequence{};
  if (!readLstmSequence(call, fields, sequence)) return nullptr;
  vanishing::LstmBackward backward{};
  backward.layer = readLayerGradients(call, fields, 22);
  backward.dGates = call.floats(37, fields.steps * fields.batch * fields.gates);
  const int threads = call.threads(39);
  if (call.failed()) return nullptr;
  if (!lstmBackward(sequence, backward, RunMode{threads, flushDenormalsOnThisThread})) call.error("lstmBackward: could not allocate its buffers (out of memory)");
  return nullptr;
}

/** (… the shared fields, inputGates, o, hiddenGates, o, gateActivations, o): the GRU's sequence, 22 arguments. */
bool readGruSequence(Call& call, GatedSequenceFields& fields, GruSequence& s) {
  if (!readGatedSequence(call, 3, fields)) return false;
  const int64_t gateRows = fields.steps * fields.batch * fields.gates;
  s = GruSequence{fields.steps, fields.batch, fields.inputSize, fields.hidden, fields.input, fields.weightInput, fields.weightHidden,
                  fields.biasInput, fields.biasHidden, fields.hiddenStates, nullptr, nullptr, nullptr};
  s.inputGates = call.floats(16, gateRows);
  s.hiddenGates = call.floats(18, gateRows);
  s.gateActivations = call.floats(20, gateRows);
  return !call.failed();
}

// gruForward(T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o, inputGates, o, hiddenGates, o, gateActivations, o,
//            saturationThreshold, threads) → how many |n| > threshold
napi_value GruForward(napi_env env, napi_callback_info info) {
  Call call(env, info, 24);
  GatedSequenceFields fields{};
  GruSequence sequence{};
  if (!readGruSequence(call, fields, sequence)) return nullptr;
  SaturationCount saturation{floatBelowOrAt(call.number(22)), 0};
  const int threads = call.threads(23);
  if (call.failed()) return nullptr;
  if (!gruForward(sequence, RunMode{threads, flushDenormalsOnThisThread}, saturation)) call.error("gruForward: could not allocate its buffers (out of memory)");
  return call.result(static_cast<double>(saturation.count));
}

// gruBackward(T, B, I, H, x, o, W_ih, o, W_hh, o, b_ih, o, b_hh, o, h, o, inputGates, o, hiddenGates, o, gateActivations, o,
//             dOutput, o, norms, o, gW_ih, o, gW_hh, o, gb_ih, o, gb_hh, o, dInput|null, o, accumulateInput,
//             dInputGates, o, dHiddenGates, o, threads)
napi_value GruBackward(napi_env env, napi_callback_info info) {
  Call call(env, info, 42);
  GatedSequenceFields fields{};
  GruSequence sequence{};
  if (!readGruSequence(call, fields, sequence)) return nullptr;
  vanishing::GruBackward backward{};
  backward.layer = readLayerGradients(call, fields, 22);
  const int64_t gateRows = fields.steps * fields.batch * fields.gates;
  backward.dInputGates = call.floats(37, gateRows);
  backward.dHiddenGates = call.floats(39, gateRows);
  const int threads = call.threads(41);
  if (call.failed()) return nullptr;
  if (!gruBackward(sequence, backward, RunMode{threads, flushDenormalsOnThisThread})) call.error("gruBackward: could not allocate its buffers (out of memory)");
  return nullptr;
}

// setDenormalMode(flush): whether this thread's later calls flush denormals to zero.
napi_value SetDenormalMode(napi_env env, napi_callback_info info) {
  Call call(env, info, 1);
  const bool flush = call.boolean(0);
  if (!call.failed()) flushDenormalsOnThisThread = flush;
  return nullptr;
}

// measureRoofline() → { clockHz, peakFlops, lanes }: this core's clock and this variant's FMA throughput.
napi_value MeasureRoofline(napi_env env, napi_callback_info info) {
  Call call(env, info, 0);
  const double clockHz = measureClockHz();
  const double peakFlops = measurePeakFlops();
  return call.object({{"clockHz", clockHz}, {"peakFlops", peakFlops}, {"lanes", static_cast<double>(vectorLanes())}});
}

bool setString(napi_env env, napi_value object, const char* name, const char* text) {
  napi_value value = nullptr;
  return napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value) == napi_ok && napi_set_named_property(env, object, name, value) == napi_ok;
}

bool setInt(napi_env env, napi_value object, const char* name, int number) {
  napi_value value = nullptr;
  return napi_create_int32(env, number, &value) == napi_ok && napi_set_named_property(env, object, name, value) == napi_ok;
}

bool setBool(napi_env env, napi_value object, const char* name, bool flag) {
  napi_value value = nullptr;
  return napi_get_boolean(env, flag, &value) == napi_ok && napi_set_named_property(env, object, name, value) == napi_ok;
}

/**
 * `cpuFeatures`: what the running CPU (and its OS, which must save the wider registers) supports,
 * from the compiler's own CPU detection. The loader reads it from the baseline variant, which
 * runs on every x86-64 CPU, before it loads a wider one: a variant built for instructions the
 * CPU lacks would die of an illegal instruction, not throw.
 */
bool setCpuFeatures(napi_env env, napi_value exports) {
  napi_value features = nullptr;
  if (napi_create_object(env, &features) != napi_ok) return false;
  bool ok = true;
  reportCpuFeatures([&](const char* name, bool supported) { ok = ok && setBool(env, features, name, supported); });
  return ok && napi_set_named_property(env, exports, "cpuFeatures", features) == napi_ok;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"addBiasRows", nullptr, AddBiasRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"accumulateColumnSums", nullptr, AccumulateColumnSums, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"activationForward", nullptr, ActivationForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"activationBackward", nullptr, ActivationBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"axpy", nullptr, Axpy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"copy", nullptr, Copy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"fill", nullptr, Fill, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"scale", nullptr, Scale, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sumOfSquares", nullptr, SumOfSquares, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countAbsAbove", nullptr, CountAbsAbove, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countAbsAboveInRows", nullptr, CountAbsAboveInRows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countZero", nullptr, CountZero, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmPointwiseForward", nullptr, LstmPointwiseForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmPointwiseBackward", nullptr, LstmPointwiseBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gruPointwiseForward", nullptr, GruPointwiseForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gruPointwiseBackward", nullptr, GruPointwiseBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"softmaxCrossEntropy", nullptr, SoftmaxCrossEntropy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"squaredError", nullptr, SquaredError, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sgdStep", nullptr, SgdStepCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamStep", nullptr, AdamStepCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"rnnForward", nullptr, RnnForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"rnnBackward", nullptr, RnnBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmForward", nullptr, LstmForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmBackward", nullptr, LstmBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gruForward", nullptr, GruForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gruBackward", nullptr, GruBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setDenormalMode", nullptr, SetDenormalMode, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"measureRoofline", nullptr, MeasureRoofline, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  const bool ok = napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) == napi_ok &&
                  setString(env, exports, "variant", VANISHING_VARIANT) && setString(env, exports, "isa", VANISHING_ISA) &&
                  setInt(env, exports, "gemmTileRows", gemmTileRows()) && setInt(env, exports, "gemmTileCols", gemmTileCols()) &&
                  setCpuFeatures(env, exports);
  if (!ok) {
    napi_throw_error(env, nullptr, "vanishing native addon: could not define its exports");
    return nullptr;
  }
  return exports;
}

}  // namespace

NAPI_MODULE_INIT() { return Init(env, exports); }

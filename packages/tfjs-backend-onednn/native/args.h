// Argument parsing for the flat Node-API boundary. Every accessor names the
// argument it reads, so a bad call fails with a JS error that says which
// argument is wrong and why.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace onednn_addon {

// Raised while checking arguments or computing; converted to a JS Error at the
// boundary (see Call in args.cc).
struct ArgError {
  std::string message;
};

constexpr size_t kAnyLength = static_cast<size_t>(-1);

class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* fn, size_t expected);

  // Float32Array argument; expectedLen checks the element count.
  float* F32(size_t i, const char* name, size_t expectedLen = kAnyLength);
  // Same, but null/undefined is allowed and returns nullptr.
  float* F32OrNull(size_t i, const char* name, size_t expectedLen = kAnyLength);
  // Uint8Array argument (bool tensors).
  uint8_t* U8(size_t i, const char* name, size_t expectedLen = kAnyLength);
  // Element count of a typed array argument.
  size_t Length(size_t i, const char* name);
  int64_t Int(size_t i, const char* name, int64_t min = INT64_MIN,
              int64_t max = INT64_MAX);
  double Num(size_t i, const char* name);
  // Int32Array or plain array of integers.
  std::vector<int64_t> Ints(size_t i, const char* name, size_t expectedLen = kAnyLength);
  // Array of Float32Arrays.
  std::vector<float*> F32List(size_t i, const char* name, std::vector<size_t>* lengths);

  [[noreturn]] void Fail(const char* name, const std::string& why) const;

  napi_env env;
  const char* fn;

 private:
  void* TypedData(size_t i, const char* name, napi_typedarray_type want,
                  const char* typeName, size_t* len, bool allowNull);
  size_t argc_;
  napi_value argv_[16];
};

using Handler = napi_value (*)(Args&);

// Wraps a handler: parses nothing itself, converts ArgError and oneDNN errors
// into JS exceptions.
napi_value Call(napi_env env, napi_callback_info info, const char* fn,
                size_t expected, Handler handler);

void ExportFunction(napi_env env, napi_value exports, const char* name,
                    napi_callback cb);

napi_value Undefined(napi_env env);
napi_value Number(napi_env env, double v);

}  // namespace onednn_addon

// Declares a Node-API callback named `Cb` that runs `Impl` with `n` arguments.
#define ONEDNN_CALLBACK(Cb, jsName, n, Impl)                        \
  static napi_value Cb(napi_env env, napi_callback_info info) {    \
    return ::onednn_addon::Call(env, info, jsName, n, Impl);       \
  }

#include "args.h"

#include <exception>

#include "oneapi/dnnl/dnnl.hpp"

namespace onednn_addon {

Args::Args(napi_env env_, napi_callback_info info, const char* fn_, size_t expected)
    : env(env_), fn(fn_), argc_(16) {
  napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);
  if (argc_ < expected) {
    throw ArgError{std::string(fn) + ": expected " + std::to_string(expected) +
                   " arguments, got " + std::to_string(argc_)};
  }
}

void Args::Fail(const char* name, const std::string& why) const {
  throw ArgError{std::string(fn) + ": argument '" + name + "' " + why};
}

void* Args::TypedData(size_t i, const char* name, napi_typedarray_type want,
                      const char* typeName, size_t* len, bool allowNull) {
  napi_value v = argv_[i];
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (allowNull && (t == napi_null || t == napi_undefined)) {
    *len = 0;
    return nullptr;
  }
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (!isTyped) Fail(name, std::string("must be a ") + typeName);
  napi_typedarray_type type;
  void* data = nullptr;
  napi_get_typedarray_info(env, v, &type, len, &data, nullptr, nullptr);
  if (type != want) Fail(name, std::string("must be a ") + typeName);
  return data;
}

float* Args::F32(size_t i, const char* name, size_t expectedLen) {
  size_t len;
  auto* p = static_cast<float*>(TypedData(i, name, napi_float32_array, "Float32Array", &len, false));
  if (expectedLen != kAnyLength && len != expectedLen) {
    Fail(name, "has " + std::to_string(len) + " elements, expected " + std::to_string(expectedLen));
  }
  return p;
}

float* Args::F32OrNull(size_t i, const char* name, size_t expectedLen) {
  size_t len;
  auto* p = static_cast<float*>(TypedData(i, name, napi_float32_array, "Float32Array or null", &len, true));
  if (p != nullptr && expectedLen != kAnyLength && len != expectedLen) {
    Fail(name, "has " + std::to_string(len) + " elements, expected " + std::to_string(expectedLen));
  }
  return p;
}

uint8_t* Args::U8(size_t i, const char* name, size_t expectedLen) {
  size_t len;
  auto* p = static_cast<uint8_t*>(TypedData(i, name, napi_uint8_array, "Uint8Array", &len, false));
  if (expectedLen != kAnyLength && len != expectedLen) {
    Fail(name, "has " + std::to_string(len) + " elements, expected " + std::to_string(expectedLen));
  }
  return p;
}

size_t Args::Length(size_t i, const char* name) {
  bool isTyped = false;
  napi_is_typedarray(env, argv_[i], &isTyped);
  if (!isTyped) Fail(name, "must be a typed array");
  size_t len;
  napi_typedarray_type type;
  napi_get_typedarray_info(env, argv_[i], &type, &len, nullptr, nullptr, nullptr);
  return len;
}

int64_t Args::Int(size_t i, const char* name, int64_t min, int64_t max) {
  double d = Num(i, name);
  auto v = static_cast<int64_t>(d);
  if (static_cast<double>(v) != d) Fail(name, "must be an integer");
  if (v < min || v > max) {
    Fail(name, "is " + std::to_string(v) + ", outside [" + std::to_string(min) + ", " +
                   std::to_string(max) + "]");
  }
  return v;
}

double Args::Num(size_t i, const char* name) {
  double d;
  if (napi_get_value_double(env, argv_[i], &d) != napi_ok) Fail(name, "must be a number");
  return d;
}

std::vector<int64_t> Args::Ints(size_t i, const char* name, size_t expectedLen) {
  std::vector<int64_t> out;
  napi_value v = argv_[i];
  bool isTyped = false, isArray = false;
  napi_is_typedarray(env, v, &isTyped);
  napi_is_array(env, v, &isArray);
  if (isTyped) {
    napi_typedarray_type type;
    size_t len;
    void* data;
    napi_get_typedarray_info(env, v, &type, &len, &data, nullptr, nullptr);
    if (type != napi_int32_array) Fail(name, "must be an Int32Array or an array of integers");
    const int32_t* p = static_cast<const int32_t*>(data);
    out.assign(p, p + len);
  } else if (isArray) {
    uint32_t len;
    napi_get_array_length(env, v, &len);
    out.reserve(len);
    for (uint32_t k = 0; k < len; ++k) {
      napi_value e;
      double d;
      napi_get_element(env, v, k, &e);
      if (napi_get_value_double(env, e, &d) != napi_ok) Fail(name, "must contain only numbers");
      out.push_back(static_cast<int64_t>(d));
    }
  } else {
    Fail(name, "must be an Int32Array or an array of integers");
  }
  if (expectedLen != kAnyLength && out.size() != expectedLen) {
    Fail(name, "has " + std::to_string(out.size()) + " entries, expected " +
                   std::to_string(expectedLen));
  }
  return out;
}

std::vector<float*> Args::F32List(size_t i, const char* name, std::vector<size_t>* lengths) {
  napi_value v = argv_[i];
  bool isArray = false;
  napi_is_array(env, v, &isArray);
  if (!isArray) Fail(name, "must be an array of Float32Arrays");
  uint32_t len;
  napi_get_array_length(env, v, &len);
  std::vector<float*> out(len);
  lengths->assign(len, 0);
  for (uint32_t k = 0; k < len; ++k) {
    napi_value e;
    napi_get_element(env, v, k, &e);
    bool isTyped = false;
    napi_is_typedarray(env, e, &isTyped);
    napi_typedarray_type type = napi_int8_array;
    void* data = nullptr;
    if (isTyped) napi_get_typedarray_info(env, e, &type, &(*lengths)[k], &data, nullptr, nullptr);
    if (!isTyped || type != napi_float32_array) {
      Fail(name, "entry " + std::to_string(k) + " must be a Float32Array");
    }
    out[k] = static_cast<float*>(data);
  }
  return out;
}

napi_value Call(napi_env env, napi_callback_info info, const char* fn, size_t expected,
                Handler handler) {
  try {
    Args args(env, info, fn, expected);
    return handler(args);
  } catch (const ArgError& e) {
    napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const dnnl::error& e) {
    std::string msg = std::string(fn) + ": oneDNN error: " + e.what();
    napi_throw_error(env, nullptr, msg.c_str());
  } catch (const std::exception& e) {
    std::string msg = std::string(fn) + ": " + e.what();
    napi_throw_error(env, nullptr, msg.c_str());
  }
  return nullptr;
}

void ExportFunction(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value Number(napi_env env, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  return n;
}

}  // namespace onednn_addon

// Argument conversion for the N-API glue: typed-array kinds, exact lengths, integer ranges.
// Validation with user-facing messages lives in lib/ (TypeScript); these checks only guard memory
// safety and undefined behaviour, and throw terse TypeError/RangeError if lib/ was bypassed.
#ifndef QINT8_NAPI_CONVERT_H_
#define QINT8_NAPI_CONVERT_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "qint8/quant.h"

namespace qint8 {
namespace napi {

[[noreturn]] inline void ThrowType(Napi::Env env, const std::string& what) {
  throw Napi::TypeError::New(env, "qint8 native: " + what);
}
[[noreturn]] inline void ThrowRange(Napi::Env env, const std::string& what) {
  throw Napi::RangeError::New(env, "qint8 native: " + what);
}

inline Napi::TypedArray TypedArrayArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type,
                                      const char* name) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type) {
    ThrowType(info.Env(), std::string(name) + " has the wrong typed-array type");
  }
  return info[i].As<Napi::TypedArray>();
}

// An Int8Array or a Uint8Array, seen as bytes; *is_signed tells which.
inline Napi::TypedArray ByteArrayArg(const Napi::CallbackInfo& info, size_t i, const char* name, bool* is_signed) {
  if (i < info.Length() && info[i].IsTypedArray()) {
    Napi::TypedArray a = info[i].As<Napi::TypedArray>();
    if (a.TypedArrayType() == napi_int8_array || a.TypedArrayType() == napi_uint8_array) {
      *is_signed = a.TypedArrayType() == napi_int8_array;
      return a;
    }
  }
  ThrowType(info.Env(), std::string(name) + " must be an Int8Array or a Uint8Array");
}

// The first element of a typed array, or nullptr when its buffer is detached. Works for arrays over an
// ArrayBuffer and over a SharedArrayBuffer (Napi::ArrayBuffer::Data() throws a plain Error for the latter).
inline uint8_t* DataOrNull(Napi::TypedArray a) {
  void* data = nullptr;
  if (napi_get_typedarray_info(a.Env(), a, nullptr, nullptr, &data, nullptr, nullptr) != napi_ok) return nullptr;
  return static_cast<uint8_t*>(data);
}

template <typename T>
T* Data(Napi::TypedArray a) {
  uint8_t* data = DataOrNull(a);
  if (data == nullptr && a.ByteLength() > 0) ThrowType(a.Env(), "detached buffer");
  return reinterpret_cast<T*>(data);
}

inline double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) ThrowType(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// An integer number within [lo, hi].
inline int64_t IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo, int64_t hi) {
  const double v = NumberArg(info, i, name);
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != static_cast<double>(static_cast<int64_t>(v))) {
    ThrowRange(info.Env(), std::string(name) + " is out of range");
  }
  return static_cast<int64_t>(v);
}

inline Profile ProfileArg(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<Profile>(IntArg(info, i, "profile", 0, 2));
}

// [outer, axis, inner] from three arguments, checked against overflow; returns the element count.
inline AxisLayout LayoutArgs(const Napi::CallbackInfo& info, size_t i, size_t* count) {
  const int64_t kMax = int64_t{1} << 40;
  AxisLayout layout{static_cast<size_t>(IntArg(info, i, "outer", 0, kMax)),
                    static_cast<size_t>(IntArg(info, i + 1, "axis", 1, kMax)),
                    static_cast<size_t>(IntArg(info, i + 2, "inner", 0, kMax))};
  const double total = static_cast<double>(layout.outer) * layout.axis * layout.inner;
  if (total > static_cast<double>(kMax)) ThrowRange(info.Env(), "tensor too large");
  *count = layout.outer * layout.axis * layout.inner;
  return layout;
}

// The most elements an operator's tensor may hold (2^48, far from int64 overflow).
constexpr int64_t kMaxElements = int64_t{1} << 48;

// The product of non-negative sizes, refused above kMaxElements (so no later product can overflow).
inline int64_t CheckedProduct(Napi::Env env, std::initializer_list<int64_t> sizes) {
  int64_t product = 1;
  for (int64_t size : sizes) {
    if (size < 0) ThrowRange(env, "negative size in geometry");
    if (size != 0 && product > kMaxElements / size) ThrowRange(env, "tensor too large");
    product *= size;
  }
  return product;
}

inline void RequireLength(Napi::Env env, Napi::TypedArray a, size_t length, const char* name) {
  if (a.ElementLength() != length) ThrowRange(env, std::string(name) + " has the wrong length");
}
inline void RequireAtLeast(Napi::Env env, Napi::TypedArray a, size_t length, const char* name) {
  if (a.ElementLength() < length) ThrowRange(env, std::string(name) + " is too short");
}

}  // namespace napi
}  // namespace qint8

#endif  // QINT8_NAPI_CONVERT_H_

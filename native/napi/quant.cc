// Glue for the quantization math: convert arguments, check memory safety, call the core, convert back.
#include <cmath>
#include <vector>

#include "addon.h"
#include "convert.h"
#include "qint8/quant.h"

namespace qint8 {
namespace napi {
namespace {

constexpr int64_t kInt32Min = -2147483648LL;
constexpr int64_t kInt32Max = 2147483647LL;

// quantizeMultiplier(real, profile) -> [multiplier, shift]
Napi::Value QuantizeMultiplierGlue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double real = NumberArg(info, 0, "real");
  if (!std::isfinite(real)) ThrowRange(env, "real must be finite");
  const Profile profile = ProfileArg(info, 1);
  const QuantizedMultiplier qm = QuantizeMultiplier(real, profile);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, qm.multiplier));
  result.Set(1u, Napi::Number::New(env, qm.shift));
  return result;
}

// multiplyByQuantizedMultiplier(x, multiplier, shift, profile): the fixed-point profiles.
Napi::Value MultiplyByQuantizedMultiplierGlue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t x = static_cast<int32_t>(IntArg(info, 0, "x", kInt32Min, kInt32Max));
  const int32_t multiplier = static_cast<int32_t>(IntArg(info, 1, "multiplier", kInt32Min, kInt32Max));
  const int shift = static_cast<int>(IntArg(info, 2, "shift", -31, 30));
  const Profile profile = ProfileArg(info, 3);
  if (profile == kProfileXnnpackFp32) ThrowRange(env, "use multiplyByFloatScale for xnnpack-fp32");
  return Napi::Number::New(env, MultiplyByQuantizedMultiplier(x, multiplier, shift, profile));
}

// multiplyByFloatScale(x, scale): xnnpack-fp32 requantization before the zero point.
Napi::Value MultiplyByFloatScaleGlue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t x = static_cast<int32_t>(IntArg(info, 0, "x", kInt32Min, kInt32Max));
  const double scale = NumberArg(info, 1, "scale");
  if (!std::isfinite(scale)) ThrowRange(env, "scale must be finite");
  return Napi::Number::New(env, MultiplyByFloatScale(x, static_cast<float>(scale)));
}

// multiplyByQuantizedMultiplierInt64(x: bigint, multiplier, shift)
Napi::Value MultiplyByQuantizedMultiplierInt64Glue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBigInt()) ThrowType(env, "x must be a bigint");
  bool lossless = false;
  const int64_t x = info[0].As<Napi::BigInt>().Int64Value(&lossless);
  const int64_t kLimit = int64_t{1} << 47;
  if (!lossless || x < -kLimit || x >= kLimit) ThrowRange(env, "x must satisfy |x| < 2^47");
  const int32_t multiplier = static_cast<int32_t>(IntArg(info, 1, "multiplier", 0, kInt32Max));
  const int shift = static_cast<int>(IntArg(info, 2, "shift", -31, 7));
  return Napi::Number::New(env, MultiplyByQuantizedMultiplierInt64(x, multiplier, shift));
}

// quantize(x, scale, zeroPoint, outer, axis, inner, qmin, qmax, rounding, out) -> NaN count
Napi::Value QuantizeGlue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::TypedArray x = TypedArrayArg(info, 0, napi_float32_array, "x");
  Napi::TypedArray scale = TypedArrayArg(info, 1, napi_float32_array, "scale");
  Napi::TypedArray zero_point = TypedArrayArg(info, 2, napi_int32_array, "zeroPoint");
  size_t count = 0;
  const AxisLayout layout = LayoutArgs(info, 3, &count);
  const int32_t qmin = static_cast<int32_t>(IntArg(info, 6, "qmin", -128, 255));
  const int32_t qmax = static_cast<int32_t>(IntArg(info, 7, "qmax", qmin, 255));
  const Rounding rounding = static_cast<Rounding>(IntArg(info, 8, "rounding", 0, 1));
  bool out_signed = false;
  Napi::TypedArray out = ByteArrayArg(info, 9, "out", &out_signed);
  RequireLength(env, x, count, "x");
  RequireLength(env, out, count, "out");
  RequireLength(env, scale, layout.axis, "scale");
  RequireLength(env, zero_point, layout.axis, "zeroPoint");
  const int32_t* zp = Data<int32_t>(zero_point);
  for (size_t a = 0; a < layout.axis; ++a) {
    if (zp[a] < qmin || zp[a] > qmax) ThrowRange(env, "zeroPoint outside [qmin, qmax]");
  }
  const size_t nans = Quantize(Data<float>(x), Data<float>(scale), zp, layout, qmin, qmax, rounding, State(env).isa, Data<uint8_t>(out));
  return Napi::Number::New(env, static_cast<double>(nans));
}

// dequantize(q, scale, zeroPoint, outer, axis, inner, out)
void DequantizeGlue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool in_signed = false;
  Napi::TypedArray q = ByteArrayArg(info, 0, "q", &in_signed);
  Napi::TypedArray scale = TypedArrayArg(info, 1, napi_float32_array, "scale");
  Napi::TypedArray zero_point = TypedArrayArg(info, 2, napi_int32_array, "zeroPoint");
  size_t count = 0;
  const AxisLayout layout = LayoutArgs(info, 3, &count);
  Napi::TypedArray out = TypedArrayArg(info, 6, napi_float32_array, "out");
  RequireLength(env, q, count, "q");
  RequireLength(env, out, count, "out");
  RequireLength(env, scale, layout.axis, "scale");
  RequireLength(env, zero_point, layout.axis, "zeroPoint");
  if (in_signed) {
    DequantizeInt8(Data<int8_t>(q), Data<float>(scale), Data<int32_t>(zero_point), layout, Data<float>(out));
  } else {
    DequantizeUint8(Data<uint8_t>(q), Data<float>(scale), Data<int32_t>(zero_point), layout, Data<float>(out));
  }
}

// requantize(q, multiplier, shift, scale, zeroPointIn, zeroPointOut, outer, axis, inner, profile, qmin, qmax, out)
void RequantizeGlue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool in_signed = false, out_signed = false;
  Napi::TypedArray q = ByteArrayArg(info, 0, "q", &in_signed);
  Napi::TypedArray multiplier = TypedArrayArg(info, 1, napi_int32_array, "multiplier");
  Napi::TypedArray shift = TypedArrayArg(info, 2, napi_int32_array, "shift");
  Napi::TypedArray scale = TypedArrayArg(info, 3, napi_float32_array, "scale");
  Napi::TypedArray zp_in = TypedArrayArg(info, 4, napi_int32_array, "zeroPointIn");
  Napi::TypedArray zp_out = TypedArrayArg(info, 5, napi_int32_array, "zeroPointOut");
  size_t count = 0;
  const AxisLayout layout = LayoutArgs(info, 6, &count);
  const Profile profile = ProfileArg(info, 9);
  const int32_t qmin = static_cast<int32_t>(IntArg(info, 10, "qmin", -128, 255));
  const int32_t qmax = static_cast<int32_t>(IntArg(info, 11, "qmax", qmin, 255));
  Napi::TypedArray out = ByteArrayArg(info, 12, "out", &out_signed);
  RequireLength(env, q, count, "q");
  RequireLength(env, out, count, "out");
  for (Napi::TypedArray* a : {&multiplier, &shift, &scale, &zp_in, &zp_out}) RequireLength(env, *a, layout.axis, "channel parameter");
  std::vector<RequantizeChannel> channels(layout.axis);
  const int32_t* m = Data<int32_t>(multiplier);
  const int32_t* s = Data<int32_t>(shift);
  const float* f = Data<float>(scale);
  const int32_t* zi = Data<int32_t>(zp_in);
  const int32_t* zo = Data<int32_t>(zp_out);
  for (size_t a = 0; a < layout.axis; ++a) {
    if (s[a] < -31 || s[a] > 30) ThrowRange(env, "shift outside [-31, 30]");
    if (zi[a] < -128 || zi[a] > 255 || zo[a] < -128 || zo[a] > 255) ThrowRange(env, "zero point out of range");
    channels[a] = RequantizeChannel{m[a], s[a], f[a], zi[a], zo[a]};
  }
  Requantize(Data<uint8_t>(q), in_signed, channels.data(), layout, profile, qmin, qmax, Data<uint8_t>(out));
}

}  // namespace

void RegisterQuant(Napi::Env env, Napi::Object exports) {
  exports.Set("quantizeMultiplier", Napi::Function::New(env, QuantizeMultiplierGlue, "quantizeMultiplier"));
  exports.Set("multiplyByQuantizedMultiplier",
              Napi::Function::New(env, MultiplyByQuantizedMultiplierGlue, "multiplyByQuantizedMultiplier"));
  exports.Set("multiplyByFloatScale", Napi::Function::New(env, MultiplyByFloatScaleGlue, "multiplyByFloatScale"));
  exports.Set("multiplyByQuantizedMultiplierInt64",
              Napi::Function::New(env, MultiplyByQuantizedMultiplierInt64Glue, "multiplyByQuantizedMultiplierInt64"));
  exports.Set("quantize", Napi::Function::New(env, QuantizeGlue, "quantize"));
  exports.Set("dequantize", Napi::Function::New(env, DequantizeGlue, "dequantize"));
  exports.Set("requantize", Napi::Function::New(env, RequantizeGlue, "requantize"));
}

}  // namespace napi
}  // namespace qint8

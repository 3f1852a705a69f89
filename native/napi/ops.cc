// Glue for the operators: convert and check arguments (memory safety and UB only), then run the one core
// call of each op, either now (sync) or on a worker thread over native-owned copies (…Async, a Promise).
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "addon.h"
#include "convert.h"
#include "op-call.h"
#include "qint8/conv.h"
#include "qint8/dwconv.h"
#include "qint8/gemm.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {
namespace {

// A stateless FULLY_CONNECTED packs its weights for the SIMD GEMM only from this many rows on; below, packing
// costs more than the scalar reference loop saves.
constexpr int32_t kMinGemmBatches = 4;

// --- Argument checks ---------------------------------------------------------------------------------

void RequireField(Napi::Env env, int64_t value, int64_t lo, int64_t hi, const char* name) {
  if (value < lo || value > hi) ThrowRange(env, std::string("geometry ") + name + " is out of range");
}

template <size_t kCount>
std::array<int32_t, kCount> GeometryArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::TypedArray geometry = TypedArrayArg(info, i, napi_int32_array, "geometry");
  RequireLength(info.Env(), geometry, kCount, "geometry");
  std::array<int32_t, kCount> fields{};
  std::memcpy(fields.data(), Data<int32_t>(geometry), sizeof(int32_t) * kCount);
  return fields;
}

// A present Int32Array, or null/undefined (returns false).
bool OptionalInt32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, Napi::TypedArray* array) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return false;
  *array = TypedArrayArg(info, i, napi_int32_array, name);
  return true;
}

// [act_min, act_max] must be ordered and inside the output's dtype, so storing the low byte is exact.
void RequireActivation(Napi::Env env, int32_t act_min, int32_t act_max, bool out_signed) {
  const int32_t lo = out_signed ? -128 : 0, hi = out_signed ? 127 : 255;
  if (act_min > act_max || act_min < lo || act_max > hi) ThrowRange(env, "activation range outside the output dtype");
}

// The requantization arrays the profile reads must hold `channels` entries (shifts in [-31, 30]); the others
// are only type-checked. Indices: multiplier, shift, scale at i, i+1, i+2.
void RequantizationArgs(const Napi::CallbackInfo& info, size_t i, int32_t profile, int64_t channels, ArrayView* multiplier,
                        ArrayView* shift, ArrayView* scale) {
  Napi::Env env = info.Env();
  Napi::TypedArray m = TypedArrayArg(info, i, napi_int32_array, "multiplier");
  Napi::TypedArray s = TypedArrayArg(info, i + 1, napi_int32_array, "shift");
  Napi::TypedArray f = TypedArrayArg(info, i + 2, napi_float32_array, "scale");
  if (profile == kProfileXnnpackFp32) {
    RequireLength(env, f, static_cast<size_t>(channels), "scale");
  } else {
    RequireLength(env, m, static_cast<size_t>(channels), "multiplier");
    RequireLength(env, s, static_cast<size_t>(channels), "shift");
    const int32_t* shifts = Data<int32_t>(s);
    for (int64_t c = 0; c < channels; ++c) {
      if (shifts[c] < -31 || shifts[c] > 30) ThrowRange(env, "shift outside [-31, 30]");
    }
  }
  *multiplier = ViewOf(m), *shift = ViewOf(s), *scale = ViewOf(f);
}

// --- Calls: checked arguments plus the core call -------------------------------------------------------

// CONV_2D / DEPTHWISE_CONV_2D: input, filter, bias|null, multiplier, shift, scale, geometry, out.
struct ConvCall {
  bool depthwise = false;
  ArrayView input, filter, bias, multiplier, shift, scale;
  bool input_signed = true, filter_signed = true, has_bias = false;
  std::array<int32_t, conv_field::kCount> geometry{};
  Isa isa = kIsaScalar;  // the environment's kernel family and thread count, read on the main thread
  size_t threads = 1;

  std::array<ArrayView*, 6> Inputs() { return {&input, &filter, &bias, &multiplier, &shift, &scale}; }
  void Run(uint8_t* out) const {
    const Requantization requant{multiplier.As<int32_t>(), shift.As<int32_t>(), scale.As<float>()};
    const int32_t* bias_data = has_bias ? bias.As<int32_t>() : nullptr;
    // CONV_2D int8 -> int8 on the SIMD GEMM (im2col / direct 1x1); the fast paths decline, writing nothing, what
    // they can't do exactly
    const ByteTensor x{input.data, input_signed}, w{filter.data, filter_signed};
    if (!depthwise && Conv2DFast(x, w, bias_data, requant, geometry.data(), out, isa, threads)) return;
    // DEPTHWISE_CONV_2D int8 -> int8 on the channel-tiled SIMD kernels, likewise
    if (depthwise && DepthwiseConv2DFast(x, w, bias_data, requant, geometry.data(), out, isa, threads)) return;
    (depthwise ? DepthwiseConv2D : Conv2D)(x, w, bias_data, requant, geometry.data(), out);
  }
};

// Element counts of a conv geometry after its fields are checked.
struct ConvCounts {
  int64_t input, filter, output, channels;
};

ConvCounts CheckConvGeometry(Napi::Env env, const std::array<int32_t, conv_field::kCount>& g, bool depthwise) {
  using namespace conv_field;
  const int64_t in_c = g[kInputChannels], out_c = g[kOutputChannels], filter_c = g[kFilterChannels];
  RequireField(env, in_c, 1, INT32_MAX, "InputChannels");
  RequireField(env, out_c, 0, INT32_MAX, "OutputChannels");
  if (depthwise) {
    RequireField(env, filter_c, 1, 1, "FilterChannels");
    RequireField(env, g[kDepthMultiplier], 1, INT32_MAX, "DepthMultiplier");
    if (out_c != in_c * g[kDepthMultiplier]) ThrowRange(env, "geometry OutputChannels != InputChannels * DepthMultiplier");
  } else {
    RequireField(env, filter_c, 1, in_c, "FilterChannels");
    if (in_c % filter_c != 0 || out_c % (in_c / filter_c) != 0) {
      ThrowRange(env, "geometry groups do not divide the channels");
    }
  }
  for (int field : {kStrideHeight, kStrideWidth, kDilationHeight, kDilationWidth}) {
    RequireField(env, g[field], 1, INT32_MAX, "stride or dilation");
  }
  RequireField(env, g[kProfile], 0, 2, "Profile");
  RequireField(env, g[kPerChannel], 0, 1, "PerChannel");
  ConvCounts counts;
  counts.input = CheckedProduct(env, {g[kBatches], g[kInputHeight], g[kInputWidth], in_c});
  counts.output = CheckedProduct(env, {g[kBatches], g[kOutputHeight], g[kOutputWidth], out_c});
  counts.filter =
      CheckedProduct(env, {depthwise ? 1 : out_c, g[kFilterHeight], g[kFilterWidth], depthwise ? out_c : filter_c});
  counts.channels = g[kPerChannel] ? out_c : 1;
  return counts;
}

ConvCall ParseConv(const Napi::CallbackInfo& info, bool depthwise, Napi::TypedArray* out) {
  Napi::Env env = info.Env();
  ConvCall call;
  call.depthwise = depthwise;
  call.isa = State(env).isa;
  call.threads = State(env).threads;
  Napi::TypedArray input = ByteArrayArg(info, 0, "input", &call.input_signed);
  Napi::TypedArray filter = ByteArrayArg(info, 1, "filter", &call.filter_signed);
  Napi::TypedArray bias;
  call.has_bias = OptionalInt32Arg(info, 2, "bias", &bias);
  call.geometry = GeometryArg<conv_field::kCount>(info, 6);
  bool out_signed = true;
  *out = ByteArrayArg(info, 7, "out", &out_signed);
  const ConvCounts counts = CheckConvGeometry(env, call.geometry, depthwise);
  RequireLength(env, input, static_cast<size_t>(counts.input), "input");
  RequireLength(env, filter, static_cast<size_t>(counts.filter), "filter");
  RequireLength(env, *out, static_cast<size_t>(counts.output), "out");
  if (call.has_bias) RequireLength(env, bias, static_cast<size_t>(call.geometry[conv_field::kOutputChannels]), "bias");
  RequireActivation(env, call.geometry[conv_field::kActivationMin], call.geometry[conv_field::kActivationMax], out_signed);
  RequantizationArgs(info, 3, call.geometry[conv_field::kProfile], counts.channels, &call.multiplier, &call.shift,
                     &call.scale);
  call.input = ViewOf(input), call.filter = ViewOf(filter);
  if (call.has_bias) call.bias = ViewOf(bias);
  return call;
}

ConvCall ParseConv2d(const Napi::CallbackInfo& info, Napi::TypedArray* out) { return ParseConv(info, false, out); }
ConvCall ParseDepthwiseConv2d(const Napi::CallbackInfo& info, Napi::TypedArray* out) { return ParseConv(info, true, out); }

// FULLY_CONNECTED: input, weights, bias|null, multiplier, shift, scale, geometry, out (bytes or Int32Array).
struct FullyConnectedCall {
  ArrayView input, weights, bias, multiplier, shift, scale;
  bool input_signed = true, weights_signed = true, out_signed = true, has_bias = false, raw_accumulators = false;
  std::array<int32_t, fc_field::kCount> geometry{};
  Isa isa = kIsaScalar;  // the environment's kernel family and thread count, read on the main thread
  size_t threads = 1;

  std::array<ArrayView*, 6> Inputs() { return {&input, &weights, &bias, &multiplier, &shift, &scale}; }

  // int8 x int8 -> int8 with enough rows to repay packing the weights: the SIMD GEMM of the environment's ISA.
  bool UsesGemm() const {
    using namespace fc_field;
    if (raw_accumulators || !input_signed || !weights_signed || !out_signed || geometry[kFilterOffset] != 0) return false;
    if (geometry[kBatches] < kMinGemmBatches || geometry[kUnits] == 0) return false;
    if (geometry[kProfile] == kProfileXnnpackFp32) return true;
    const size_t channels = geometry[kPerChannel] ? static_cast<size_t>(geometry[kUnits]) : 1;
    for (size_t c = 0; c < channels; ++c) {
      if (multiplier.As<int32_t>()[c] < 0) return false;  // PackGemmWeights takes multipliers in [0, 2^31)
    }
    return true;
  }

  void RunGemmPath(uint8_t* out) const {
    using namespace fc_field;
    const bool fp32 = geometry[kProfile] == kProfileXnnpackFp32;
    PackedGemmWeights packed;
    PackGemmWeights(GemmKernelFor(isa), weights.As<int8_t>(), static_cast<size_t>(geometry[kUnits]),
                    static_cast<size_t>(geometry[kDepth]), has_bias ? bias.As<int32_t>() : nullptr, -geometry[kInputOffset],
                    fp32 ? nullptr : multiplier.As<int32_t>(), fp32 ? nullptr : shift.As<int32_t>(),
                    fp32 ? scale.As<float>() : nullptr, geometry[kPerChannel] != 0, &packed);
    const GemmOutput output{static_cast<Profile>(geometry[kProfile]), geometry[kOutputOffset], geometry[kActivationMin],
                            geometry[kActivationMax]};
    RunGemm(packed, static_cast<size_t>(geometry[kBatches]), input.As<int8_t>(), packed.k, reinterpret_cast<int8_t*>(out),
            packed.n, output, threads);
  }

  void Run(uint8_t* out) const {
    if (UsesGemm()) return RunGemmPath(out);
    const ByteTensor x{input.data, input_signed}, w{weights.data, weights_signed};
    const int32_t* bias_data = has_bias ? bias.As<int32_t>() : nullptr;
    if (raw_accumulators) {
      FullyConnectedAccumulators(x, w, bias_data, geometry.data(), reinterpret_cast<int32_t*>(out));
    } else {
      const Requantization requant{multiplier.As<int32_t>(), shift.As<int32_t>(), scale.As<float>()};
      FullyConnected(x, w, bias_data, requant, geometry.data(), out);
    }
  }
};

FullyConnectedCall ParseFullyConnected(const Napi::CallbackInfo& info, Napi::TypedArray* out) {
  using namespace fc_field;
  Napi::Env env = info.Env();
  FullyConnectedCall call;
  Napi::TypedArray input = ByteArrayArg(info, 0, "input", &call.input_signed);
  Napi::TypedArray weights = ByteArrayArg(info, 1, "weights", &call.weights_signed);
  Napi::TypedArray bias;
  call.has_bias = OptionalInt32Arg(info, 2, "bias", &bias);
  const std::array<int32_t, kCount> g = call.geometry = GeometryArg<kCount>(info, 6);
  bool& out_signed = call.out_signed;
  call.isa = State(env).isa;
  call.threads = State(env).threads;
  call.raw_accumulators = info.Length() > 7 && info[7].IsTypedArray() &&
                          info[7].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array;
  *out = call.raw_accumulators ? info[7].As<Napi::TypedArray>() : ByteArrayArg(info, 7, "out", &out_signed);
  RequireField(env, g[kProfile], 0, 2, "Profile");
  RequireField(env, g[kPerChannel], 0, 1, "PerChannel");
  RequireLength(env, input, static_cast<size_t>(CheckedProduct(env, {g[kBatches], g[kDepth]})), "input");
  RequireLength(env, weights, static_cast<size_t>(CheckedProduct(env, {g[kUnits], g[kDepth]})), "weights");
  RequireLength(env, *out, static_cast<size_t>(CheckedProduct(env, {g[kBatches], g[kUnits]})), "out");
  if (call.has_bias) RequireLength(env, bias, static_cast<size_t>(g[kUnits]), "bias");
  if (call.raw_accumulators) {
    TypedArrayArg(info, 3, napi_int32_array, "multiplier");
    TypedArrayArg(info, 4, napi_int32_array, "shift");
    TypedArrayArg(info, 5, napi_float32_array, "scale");
  } else {
    RequireActivation(env, g[kActivationMin], g[kActivationMax], out_signed);
    RequantizationArgs(info, 3, g[kProfile], g[kPerChannel] ? g[kUnits] : 1, &call.multiplier, &call.shift, &call.scale);
  }
  call.input = ViewOf(input), call.weights = ViewOf(weights);
  if (call.has_bias) call.bias = ViewOf(bias);
  return call;
}

// MAX_POOL_2D / AVERAGE_POOL_2D: input, geometry, out.
struct PoolCall {
  bool average = false;
  ArrayView input;
  bool input_signed = true;
  std::array<int32_t, pool_field::kCount> geometry{};

  std::array<ArrayView*, 1> Inputs() { return {&input}; }
  void Run(uint8_t* out) const {
    (average ? AveragePool2D : MaxPool2D)(ByteTensor{input.data, input_signed}, geometry.data(), out);
  }
};

// Every window along one axis holds an in-image tap: its origin o*stride - pad lies in (-filter, in) for
// the first and the last output (origins grow with o).
void RequireNonEmptyWindows(Napi::Env env, int64_t in, int64_t out, int64_t filter, int64_t stride, int64_t pad) {
  const int64_t first = -pad, last = (out - 1) * stride - pad;
  if (in <= 0 || first <= -filter || last >= in) ThrowRange(env, "geometry has a pooling window outside the input");
}

PoolCall ParsePool(const Napi::CallbackInfo& info, bool average, Napi::TypedArray* out) {
  using namespace pool_field;
  Napi::Env env = info.Env();
  PoolCall call;
  call.average = average;
  Napi::TypedArray input = ByteArrayArg(info, 0, "input", &call.input_signed);
  const std::array<int32_t, kCount> g = call.geometry = GeometryArg<kCount>(info, 1);
  bool out_signed = true;
  *out = ByteArrayArg(info, 2, "out", &out_signed);
  for (int field : {kFilterHeight, kFilterWidth, kStrideHeight, kStrideWidth}) {
    RequireField(env, g[field], 1, INT32_MAX, "filter or stride");
  }
  const int64_t input_count = CheckedProduct(env, {g[kBatches], g[kInputHeight], g[kInputWidth], g[kChannels]});
  const int64_t output = CheckedProduct(env, {g[kBatches], g[kOutputHeight], g[kOutputWidth], g[kChannels]});
  RequireLength(env, input, static_cast<size_t>(input_count), "input");
  RequireLength(env, *out, static_cast<size_t>(output), "out");
  RequireActivation(env, g[kActivationMin], g[kActivationMax], out_signed);
  if (output > 0) {
    RequireNonEmptyWindows(env, g[kInputHeight], g[kOutputHeight], g[kFilterHeight], g[kStrideHeight], g[kPadTop]);
    RequireNonEmptyWindows(env, g[kInputWidth], g[kOutputWidth], g[kFilterWidth], g[kStrideWidth], g[kPadLeft]);
  }
  call.input = ViewOf(input);
  return call;
}

PoolCall ParseMaxPool2d(const Napi::CallbackInfo& info, Napi::TypedArray* out) { return ParsePool(info, false, out); }
PoolCall ParseAveragePool2d(const Napi::CallbackInfo& info, Napi::TypedArray* out) { return ParsePool(info, true, out); }

// ADD: a, b, geometry, out.
struct AddCall {
  ArrayView a, b;
  bool a_signed = true, b_signed = true;
  std::array<int32_t, add_field::kCount> geometry{};
  Isa isa = kIsaScalar;  // the environment's kernel family, read on the main thread

  std::array<ArrayView*, 2> Inputs() { return {&a, &b}; }
  void Run(uint8_t* out) const {
    Add(ByteTensor{a.data, a_signed}, ByteTensor{b.data, b_signed}, geometry.data(), out, isa);
  }
};

// The length an input read through `strides` over the output shape must have: 1 + its largest offset.
int64_t BroadcastLength(Napi::Env env, const std::array<int32_t, add_field::kCount>& g, int strides_field) {
  int64_t last = 0;
  for (int d = 0; d < kAddRank; ++d) {
    const int64_t stride = g[strides_field + d];
    RequireField(env, stride, 0, INT32_MAX, "stride");
    last += (g[add_field::kOutputShape + d] - 1) * stride;  // < 2^31 * 2^31 per term, six terms: fits
  }
  if (last >= kMaxElements) ThrowRange(env, "tensor too large");
  return last + 1;
}

AddCall ParseAdd(const Napi::CallbackInfo& info, Napi::TypedArray* out) {
  using namespace add_field;
  Napi::Env env = info.Env();
  AddCall call;
  call.isa = State(env).isa;
  Napi::TypedArray a = ByteArrayArg(info, 0, "a", &call.a_signed);
  Napi::TypedArray b = ByteArrayArg(info, 1, "b", &call.b_signed);
  const std::array<int32_t, kCount> g = call.geometry = GeometryArg<kCount>(info, 2);
  bool out_signed = true;
  *out = ByteArrayArg(info, 3, "out", &out_signed);
  const int64_t output = CheckedProduct(env, {g[kOutputShape], g[kOutputShape + 1], g[kOutputShape + 2],
                                              g[kOutputShape + 3], g[kOutputShape + 4], g[kOutputShape + 5]});
  RequireLength(env, *out, static_cast<size_t>(output), "out");
  if (output > 0) {
    RequireLength(env, a, static_cast<size_t>(BroadcastLength(env, g, kStridesA)), "a");
    RequireLength(env, b, static_cast<size_t>(BroadcastLength(env, g, kStridesB)), "b");
  }
  RequireField(env, g[kLeftShift], 0, 31, "LeftShift");
  for (int field : {kShiftA, kShiftB, kOutputShift}) RequireField(env, g[field], -31, 30, "shift");
  RequireActivation(env, g[kActivationMin], g[kActivationMax], out_signed);
  call.a = ViewOf(a), call.b = ViewOf(b);
  return call;
}

// SOFTMAX: input (Int8Array), geometry, out (Int8Array).
struct SoftmaxCall {
  ArrayView input;
  std::array<int32_t, softmax_field::kCount> geometry{};

  std::array<ArrayView*, 1> Inputs() { return {&input}; }
  void Run(uint8_t* out) const { Softmax(input.As<int8_t>(), geometry.data(), reinterpret_cast<int8_t*>(out)); }
};

SoftmaxCall ParseSoftmax(const Napi::CallbackInfo& info, Napi::TypedArray* out) {
  using namespace softmax_field;
  Napi::Env env = info.Env();
  SoftmaxCall call;
  Napi::TypedArray input = TypedArrayArg(info, 0, napi_int8_array, "input");
  const std::array<int32_t, kCount> g = call.geometry = GeometryArg<kCount>(info, 1);
  *out = TypedArrayArg(info, 2, napi_int8_array, "out");
  const size_t count = static_cast<size_t>(CheckedProduct(env, {g[kRows], g[kDepth]}));
  RequireLength(env, input, count, "input");
  RequireLength(env, *out, count, "out");
  RequireField(env, g[kInputMultiplier], 0, INT32_MAX, "InputMultiplier");
  RequireField(env, g[kInputLeftShift], 0, 31, "InputLeftShift");
  RequireField(env, g[kDiffMin], INT32_MIN, 0, "DiffMin");
  // Differences >= max(DiffMin, -255) are scaled by 2^InputLeftShift in int32: that must not wrap.
  const int64_t smallest_diff = g[kDiffMin] > -255 ? g[kDiffMin] : -255;
  if (smallest_diff * (int64_t{1} << g[kInputLeftShift]) < INT32_MIN) ThrowRange(env, "geometry DiffMin overflows");
  call.input = ViewOf(input);
  return call;
}

// --- Exports: each op's sync and async entry (op-call.h) ------------------------------------------

template <typename Call>
using Parser = Call (*)(const Napi::CallbackInfo&, Napi::TypedArray*);

template <typename Call, Parser<Call> kParse>
void Sync(const Napi::CallbackInfo& info) {
  RunCallSync(info, kParse);
}

template <typename Call, Parser<Call> kParse>
Napi::Value Async(const Napi::CallbackInfo& info) {
  return RunCallAsync(info, "qint8:op", kParse);
}

template <typename Call, Parser<Call> kParse>
void Export(Napi::Env env, Napi::Object exports, const std::string& name) {
  exports.Set(name, Napi::Function::New(env, Sync<Call, kParse>, name));
  exports.Set(name + "Async", Napi::Function::New(env, Async<Call, kParse>, name + "Async"));
}

}  // namespace

void RegisterOps(Napi::Env env, Napi::Object exports) {
  Export<ConvCall, ParseConv2d>(env, exports, "conv2d");
  Export<ConvCall, ParseDepthwiseConv2d>(env, exports, "depthwiseConv2d");
  Export<FullyConnectedCall, ParseFullyConnected>(env, exports, "fullyConnected");
  Export<PoolCall, ParseMaxPool2d>(env, exports, "maxPool2d");
  Export<PoolCall, ParseAveragePool2d>(env, exports, "averagePool2d");
  Export<AddCall, ParseAdd>(env, exports, "add");
  Export<SoftmaxCall, ParseSoftmax>(env, exports, "softmax");
}

}  // namespace napi
}  // namespace qint8

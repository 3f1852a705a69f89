// The prepared DEPTHWISE_CONV_2D: an int8 filter packed once (channel tiles with the folded bias and per-channel
// requantization) for the depthwise kernel of the environment that created it; run / runAsync check only what memory
// safety needs (the per-run geometry against the prepared layer, the array lengths) and call RunDwconv.
#include <array>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "addon.h"
#include "convert.h"
#include "qint8/dwconv.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {
namespace {

using ConvGeometry = std::array<int32_t, conv_field::kCount>;
constexpr int64_t kMaxElements = int64_t{1} << 48;

// The fields a run may change: batch and image sizes, the input channels with the depth multiplier (their product
// is the prepared output channels), the output size and the padding before.
bool IsPerRunField(int field) {
  using namespace conv_field;
  return field == kBatches || field == kInputHeight || field == kInputWidth || field == kInputChannels ||
         field == kOutputHeight || field == kOutputWidth || field == kPadTop || field == kPadLeft ||
         field == kDepthMultiplier;
}

int64_t CheckedProduct(Napi::Env env, std::initializer_list<int64_t> sizes) {
  int64_t product = 1;
  for (int64_t size : sizes) {
    if (size < 0) ThrowRange(env, "negative size in geometry");
    if (size != 0 && product > kMaxElements / size) ThrowRange(env, "tensor too large");
    product *= size;
  }
  return product;
}

// Everything a run needs, immutable once built and shared with in-flight async runs (so dispose() is safe): the
// packed weights, and the layer as given, for the shapes the fast path leaves to the reference kernel.
struct DepthwiseLayer {
  PackedDwconvWeights packed;
  ConvGeometry geometry{};  // as prepared; the per-run fields are ignored
  std::vector<int8_t> filter;
  std::vector<int32_t> bias, multiplier, shift;
  std::vector<float> scale;
  bool has_bias = false;
};

// out (every byte) = the depthwise convolution of `input` with geometry g (checked against the layer).
void RunLayer(const DepthwiseLayer& layer, const int8_t* input, const ConvGeometry& g, int8_t* out, size_t threads) {
  const ConvParams s = ConvParams::FromGeometry(g.data());
  if (s.EmptyOutput()) return;
  const DwconvShape shape{s.batches, s.in_h, s.in_w, s.in_c, s.depth_multiplier, s.out_h, s.out_w,
                          s.stride_h, s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left};
  if (DwconvShapeSupported(layer.packed, shape)) {
    const DwconvOutput output{s.profile, s.output_offset, s.act_min, s.act_max};
    RunDwconv(layer.packed, shape, input, out, output, threads);
    return;
  }
  const Requantization requant{layer.multiplier.data(), layer.shift.data(), layer.scale.data()};
  DepthwiseConv2D(ByteTensor{reinterpret_cast<const uint8_t*>(input), true},
                  ByteTensor{reinterpret_cast<const uint8_t*>(layer.filter.data()), true},
                  layer.has_bias ? layer.bias.data() : nullptr, requant, g.data(), reinterpret_cast<uint8_t*>(out));
}

// Async run: the input is copied on the main thread, the convolution computed on a worker thread into a native
// buffer, which OnOK copies into `out` if `out` still has its byte length.
class PreparedDepthwiseWorker : public Napi::AsyncWorker {
 public:
  PreparedDepthwiseWorker(Napi::Env env, std::shared_ptr<const DepthwiseLayer> layer, const ConvGeometry& geometry,
                          const int8_t* input, size_t input_bytes, Napi::TypedArray out, size_t threads)
      : Napi::AsyncWorker(env, "qint8:prepared-dwconv"),
        layer_(std::move(layer)),
        geometry_(geometry),
        deferred_(Napi::Promise::Deferred::New(env)),
        out_(Napi::Persistent(static_cast<Napi::Object>(out))),
        out_bytes_(out.ByteLength()),
        input_(input, input + input_bytes),
        threads_(threads) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_.resize(out_bytes_);
      RunLayer(*layer_, input_.data(), geometry_, result_.data(), threads_);
    } catch (const std::bad_alloc&) {
      SetError("qint8 native: out of memory");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::TypedArray out = out_.Value().As<Napi::TypedArray>();
    if (out.ByteLength() != out_bytes_ || (out_bytes_ > 0 && DataOrNull(out) == nullptr)) {
      deferred_.Reject(Napi::RangeError::New(env, "qint8 native: out was detached or resized during the work").Value());
      return;
    }
    if (out_bytes_ > 0) std::memcpy(Data<uint8_t>(out), result_.data(), out_bytes_);
    deferred_.Resolve(env.Undefined());
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  std::shared_ptr<const DepthwiseLayer> layer_;
  ConvGeometry geometry_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference out_;
  size_t out_bytes_;
  std::vector<int8_t> input_;
  size_t threads_;
  std::vector<int8_t> result_;
};

// DEPTHWISE_CONV_2D with int8 input, int8 filter (zero point 0) and int8 output, prepared once:
//   new PreparedDepthwiseConv2D(filter [1, KH, KW, Cout], bias | null, multiplier, shift, scale, geometry)
//   (geometry: conv_field; FilterChannels 1; the per-run fields are ignored), then run(input, geometry, out),
//   runAsync(input, geometry, out), dispose(), kernel().
class PreparedDepthwiseConv2D : public Napi::ObjectWrap<PreparedDepthwiseConv2D> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PreparedDepthwiseConv2D",
                       {InstanceMethod<&PreparedDepthwiseConv2D::Run>("run"),
                        InstanceMethod<&PreparedDepthwiseConv2D::RunAsync>("runAsync"),
                        InstanceMethod<&PreparedDepthwiseConv2D::Dispose>("dispose"),
                        InstanceMethod<&PreparedDepthwiseConv2D::Kernel>("kernel")});
  }

  explicit PreparedDepthwiseConv2D(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreparedDepthwiseConv2D>(info) {
    using namespace conv_field;
    Napi::Env env = info.Env();
    Napi::TypedArray filter = TypedArrayArg(info, 0, napi_int8_array, "filter");
    Napi::TypedArray bias;
    const bool has_bias = info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined();
    if (has_bias) bias = TypedArrayArg(info, 1, napi_int32_array, "bias");
    Napi::TypedArray multiplier = TypedArrayArg(info, 2, napi_int32_array, "multiplier");
    Napi::TypedArray shift = TypedArrayArg(info, 3, napi_int32_array, "shift");
    Napi::TypedArray scale = TypedArrayArg(info, 4, napi_float32_array, "scale");
    Napi::TypedArray geometry = TypedArrayArg(info, 5, napi_int32_array, "geometry");
    RequireLength(env, geometry, kCount, "geometry");
    auto layer = std::make_shared<DepthwiseLayer>();
    std::memcpy(layer->geometry.data(), Data<int32_t>(geometry), sizeof(int32_t) * kCount);
    const ConvGeometry& g = layer->geometry;
    const int64_t out_c = g[kOutputChannels];
    if (out_c < 1 || g[kFilterChannels] != 1 || g[kFilterHeight] < 1 || g[kFilterWidth] < 1) {
      ThrowRange(env, "geometry needs a [1, KH, KW, Cout] filter with KH, KW, Cout >= 1");
    }
    for (int field : {kStrideHeight, kStrideWidth, kDilationHeight, kDilationWidth}) {
      if (g[field] < 1) ThrowRange(env, "geometry stride or dilation is out of range");
    }
    if (!IsValidProfile(g[kProfile]) || g[kPerChannel] < 0 || g[kPerChannel] > 1) ThrowRange(env, "geometry flags");
    if (g[kFilterOffset] != 0) ThrowRange(env, "prepared depthwise conv needs a filter with zero point 0");
    if (g[kInputOffset] < -127 || g[kInputOffset] > 128) ThrowRange(env, "geometry InputOffset out of range");
    if (g[kOutputOffset] < -128 || g[kOutputOffset] > 127) ThrowRange(env, "geometry OutputOffset out of range");
    if (g[kActivationMin] < -128 || g[kActivationMin] > g[kActivationMax] || g[kActivationMax] > 127) {
      ThrowRange(env, "activation range must lie within int8");
    }
    const int64_t filter_count = CheckedProduct(env, {g[kFilterHeight], g[kFilterWidth], out_c});
    RequireLength(env, filter, static_cast<size_t>(filter_count), "filter");
    if (has_bias) RequireLength(env, bias, static_cast<size_t>(out_c), "bias");
    const size_t channels = g[kPerChannel] ? static_cast<size_t>(out_c) : 1;
    const Profile profile = static_cast<Profile>(g[kProfile]);
    const bool fp32 = profile == kProfileXnnpackFp32;
    if (fp32) {
      RequireLength(env, scale, channels, "scale");
    } else {
      RequireLength(env, multiplier, channels, "multiplier");
      RequireLength(env, shift, channels, "shift");
      const int32_t* m = Data<int32_t>(multiplier);
      const int32_t* s = Data<int32_t>(shift);
      for (size_t c = 0; c < channels; ++c) {
        if (m[c] < 0 || s[c] < -31 || s[c] > 30) ThrowRange(env, "multiplier must be >= 0 and shift in [-31, 30]");
      }
    }
    try {
      const int8_t* f = Data<int8_t>(filter);
      layer->filter.assign(f, f + filter_count);
      layer->has_bias = has_bias;
      if (has_bias) layer->bias.assign(Data<int32_t>(bias), Data<int32_t>(bias) + out_c);
      if (fp32) {
        layer->scale.assign(Data<float>(scale), Data<float>(scale) + channels);
      } else {
        layer->multiplier.assign(Data<int32_t>(multiplier), Data<int32_t>(multiplier) + channels);
        layer->shift.assign(Data<int32_t>(shift), Data<int32_t>(shift) + channels);
      }
      PackDwconvWeights(DwconvKernelFor(State(env).isa), layer->filter.data(), static_cast<size_t>(g[kFilterHeight]),
                        static_cast<size_t>(g[kFilterWidth]), static_cast<size_t>(out_c),
                        has_bias ? layer->bias.data() : nullptr, -g[kInputOffset],
                        fp32 ? nullptr : layer->multiplier.data(), fp32 ? nullptr : layer->shift.data(),
                        fp32 ? layer->scale.data() : nullptr, g[kPerChannel] != 0, &layer->packed);
    } catch (const std::bad_alloc&) {
      ThrowRange(env, "out of memory packing the filter");
    }
    layer_ = std::move(layer);
  }

 private:
  // (input: Int8Array NHWC, geometry: the prepared layer's with this run's sizes, out: Int8Array) checked; returns
  // the run's geometry.
  ConvGeometry CheckRun(const Napi::CallbackInfo& info, Napi::TypedArray* input, Napi::TypedArray* out) {
    using namespace conv_field;
    Napi::Env env = info.Env();
    if (!layer_) throw Napi::Error::New(env, "qint8 native: prepared operator was disposed");
    *input = TypedArrayArg(info, 0, napi_int8_array, "input");
    Napi::TypedArray geometry = TypedArrayArg(info, 1, napi_int32_array, "geometry");
    RequireLength(env, geometry, kCount, "geometry");
    *out = TypedArrayArg(info, 2, napi_int8_array, "out");
    ConvGeometry g;
    std::memcpy(g.data(), Data<int32_t>(geometry), sizeof(int32_t) * kCount);
    for (int field = 0; field < kCount; ++field) {
      if (!IsPerRunField(field) && g[field] != layer_->geometry[field]) {
        ThrowRange(env, "geometry does not match the prepared layer");
      }
    }
    if (g[kInputChannels] < 1 || g[kDepthMultiplier] < 1 ||
        static_cast<int64_t>(g[kInputChannels]) * g[kDepthMultiplier] != g[kOutputChannels]) {
      ThrowRange(env, "geometry OutputChannels != InputChannels * DepthMultiplier");
    }
    const int64_t input_count = CheckedProduct(env, {g[kBatches], g[kInputHeight], g[kInputWidth], g[kInputChannels]});
    const int64_t output_count = CheckedProduct(env, {g[kBatches], g[kOutputHeight], g[kOutputWidth], g[kOutputChannels]});
    RequireLength(env, *input, static_cast<size_t>(input_count), "input");
    RequireLength(env, *out, static_cast<size_t>(output_count), "out");
    return g;
  }

  void Run(const Napi::CallbackInfo& info) {
    Napi::TypedArray input, out;
    const ConvGeometry g = CheckRun(info, &input, &out);
    const size_t out_bytes = out.ByteLength();
    if (out_bytes == 0) return;
    const int8_t* x = input.ByteLength() > 0 ? Data<int8_t>(input) : nullptr;
    int8_t* y = Data<int8_t>(out);
    const uint8_t* x0 = reinterpret_cast<const uint8_t*>(x);
    const uint8_t* y0 = reinterpret_cast<const uint8_t*>(y);
    const bool aliased = x != nullptr && x0 < y0 + out_bytes && y0 < x0 + input.ByteLength();
    const size_t threads = State(info.Env()).threads;
    try {
      if (!aliased) {
        RunLayer(*layer_, x, g, y, threads);
        return;
      }
      std::vector<int8_t> staging(out_bytes);  // out overlaps the input: compute aside, as the async twin does
      RunLayer(*layer_, x, g, staging.data(), threads);
      std::memcpy(y, staging.data(), out_bytes);
    } catch (const std::bad_alloc&) {
      ThrowRange(info.Env(), "out of memory");
    }
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      Napi::TypedArray input, out;
      const ConvGeometry g = CheckRun(info, &input, &out);
      auto* worker = new PreparedDepthwiseWorker(env, layer_, g, input.ByteLength() > 0 ? Data<int8_t>(input) : nullptr,
                                                 input.ByteLength(), out, State(env).threads);
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    } catch (const Napi::Error& error) {
      Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(error.Value());
      return deferred.Promise();
    } catch (const std::bad_alloc&) {
      Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(Napi::RangeError::New(env, "qint8 native: out of memory").Value());
      return deferred.Promise();
    }
  }

  // Frees the packed filter now (in-flight async runs keep their own reference until they finish).
  void Dispose(const Napi::CallbackInfo&) { layer_.reset(); }

  // The name of the depthwise kernel the filter was packed for, or null after dispose.
  Napi::Value Kernel(const Napi::CallbackInfo& info) {
    if (!layer_) return info.Env().Null();
    return Napi::String::New(info.Env(), layer_->packed.kernel->name);
  }

  std::shared_ptr<const DepthwiseLayer> layer_;
};

// createDepthwiseConv2d(filter, bias, multiplier, shift, scale, geometry) -> PreparedDepthwiseConv2D
Napi::Value CreateDepthwiseConv2d(const Napi::CallbackInfo& info) {
  std::vector<napi_value> args(info.Length());
  for (size_t i = 0; i < info.Length(); ++i) args[i] = info[i];
  return State(info.Env()).prepared_depthwise_conv2d.New(args);
}

}  // namespace

void RegisterPreparedDepthwise(Napi::Env env, Napi::Object exports) {
  State(env).prepared_depthwise_conv2d = Napi::Persistent(PreparedDepthwiseConv2D::Define(env));
  exports.Set("createDepthwiseConv2d", Napi::Function::New(env, CreateDepthwiseConv2d, "createDepthwiseConv2d"));
}

}  // namespace napi
}  // namespace qint8

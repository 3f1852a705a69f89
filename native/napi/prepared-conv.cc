// The prepared CONV_2D: an int8 filter packed once (per group, with bias, z_in folding and per-channel
// requantization) for the kernel family of the environment that created it; run / runAsync check only what memory
// safety needs (the per-run geometry against the packed layer, the array lengths) and call RunConv2D.
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "addon.h"
#include "convert.h"
#include "qint8/conv.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {
namespace {

using ConvGeometry = std::array<int32_t, conv_field::kCount>;
constexpr int64_t kMaxConvElements = int64_t{1} << 48;

// The fields a run may change: the batch and image sizes, the output size and the padding before.
bool IsPerRunField(int field) {
  using namespace conv_field;
  return field == kBatches || field == kInputHeight || field == kInputWidth || field == kOutputHeight ||
         field == kOutputWidth || field == kPadTop || field == kPadLeft;
}

// The product of non-negative sizes, refused above kMaxConvElements (so no later product can overflow).
int64_t CheckedProduct(Napi::Env env, std::initializer_list<int64_t> sizes) {
  int64_t product = 1;
  for (int64_t size : sizes) {
    if (size < 0) ThrowRange(env, "negative size in geometry");
    if (size != 0 && product > kMaxConvElements / size) ThrowRange(env, "tensor too large");
    product *= size;
  }
  return product;
}

// What a run needs: the packed weights (shared with in-flight async runs, so dispose() is safe) and the
// geometry they were packed for.
struct PreparedConvLayer {
  std::shared_ptr<const PackedConvWeights> packed;
  ConvGeometry geometry{};
};

// Async run: the input is copied on the main thread, the conv computed on a worker thread into a native buffer,
// which OnOK copies into `out` if `out` still has its byte length.
class PreparedConvWorker : public Napi::AsyncWorker {
 public:
  PreparedConvWorker(Napi::Env env, std::shared_ptr<const PackedConvWeights> packed, const ConvGeometry& geometry,
                     const int8_t* input, size_t input_bytes, Napi::TypedArray out, size_t threads)
      : Napi::AsyncWorker(env, "qint8:prepared-conv"),
        packed_(std::move(packed)),
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
      RunConv2D(*packed_, input_.data(), ConvParams::FromGeometry(geometry_.data()), result_.data(), threads_);
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
  std::shared_ptr<const PackedConvWeights> packed_;
  ConvGeometry geometry_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference out_;
  size_t out_bytes_;
  std::vector<int8_t> input_;
  size_t threads_;
  std::vector<int8_t> result_;
};

// CONV_2D with int8 input, int8 filter (zero point 0) and int8 output, prepared once:
//   new PreparedConv2D(filter, bias | null, multiplier, shift, scale, geometry)   (geometry: conv_field; the
//   per-run fields are ignored), then run(input, geometry, out), runAsync(input, geometry, out), dispose(), kernel().
class PreparedConv2D : public Napi::ObjectWrap<PreparedConv2D> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PreparedConv2D",
                       {InstanceMethod<&PreparedConv2D::Run>("run"),
                        InstanceMethod<&PreparedConv2D::RunAsync>("runAsync"),
                        InstanceMethod<&PreparedConv2D::Dispose>("dispose"),
                        InstanceMethod<&PreparedConv2D::Kernel>("kernel")});
  }

  explicit PreparedConv2D(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreparedConv2D>(info) {
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
    std::memcpy(layer_.geometry.data(), Data<int32_t>(geometry), sizeof(int32_t) * kCount);
    const ConvGeometry& g = layer_.geometry;
    const int64_t in_c = g[kInputChannels], out_c = g[kOutputChannels], filter_c = g[kFilterChannels];
    if (filter_c < 1 || in_c < filter_c || in_c % filter_c != 0 || out_c < 0 || out_c % (in_c / filter_c) != 0) {
      ThrowRange(env, "geometry groups do not divide the channels");
    }
    for (int field : {kStrideHeight, kStrideWidth, kDilationHeight, kDilationWidth}) {
      if (g[field] < 1) ThrowRange(env, "geometry stride or dilation is out of range");
    }
    if (!IsValidProfile(g[kProfile]) || g[kPerChannel] < 0 || g[kPerChannel] > 1) ThrowRange(env, "geometry flags");
    if (g[kFilterOffset] != 0) ThrowRange(env, "prepared conv needs a filter with zero point 0");
    if (g[kInputOffset] < -127 || g[kInputOffset] > 128) ThrowRange(env, "geometry InputOffset out of range");
    if (g[kActivationMin] < -128 || g[kActivationMin] > g[kActivationMax] || g[kActivationMax] > 127) {
      ThrowRange(env, "activation range must lie within int8");
    }
    const int64_t filter_count = CheckedProduct(env, {out_c, g[kFilterHeight], g[kFilterWidth], filter_c});
    RequireLength(env, filter, static_cast<size_t>(filter_count), "filter");
    if (has_bias) RequireLength(env, bias, static_cast<size_t>(out_c), "bias");
    const size_t channels = g[kPerChannel] ? static_cast<size_t>(out_c) : 1;
    const Profile profile = static_cast<Profile>(g[kProfile]);
    if (profile == kProfileXnnpackFp32) {
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
    const Requantization requant{profile == kProfileXnnpackFp32 ? nullptr : Data<int32_t>(multiplier),
                                 profile == kProfileXnnpackFp32 ? nullptr : Data<int32_t>(shift),
                                 profile == kProfileXnnpackFp32 ? Data<float>(scale) : nullptr};
    auto packed = std::make_shared<PackedConvWeights>();
    try {
      PackConvWeights(GemmKernelFor(State(env).isa), filter_count > 0 ? Data<int8_t>(filter) : nullptr,
                      has_bias ? Data<int32_t>(bias) : nullptr, requant, ConvParams::FromGeometry(g.data()),
                      packed.get());
    } catch (const std::bad_alloc&) {
      ThrowRange(env, "out of memory packing the filter");
    }
    layer_.packed = std::move(packed);
  }

 private:
  // (input: Int8Array NHWC, geometry: the packed layer's with this run's sizes, out: Int8Array) checked; returns
  // the run's geometry.
  ConvGeometry CheckRun(const Napi::CallbackInfo& info, Napi::TypedArray* input, Napi::TypedArray* out) {
    using namespace conv_field;
    Napi::Env env = info.Env();
    if (!layer_.packed) throw Napi::Error::New(env, "qint8 native: prepared operator was disposed");
    *input = TypedArrayArg(info, 0, napi_int8_array, "input");
    Napi::TypedArray geometry = TypedArrayArg(info, 1, napi_int32_array, "geometry");
    RequireLength(env, geometry, kCount, "geometry");
    *out = TypedArrayArg(info, 2, napi_int8_array, "out");
    ConvGeometry g;
    std::memcpy(g.data(), Data<int32_t>(geometry), sizeof(int32_t) * kCount);
    for (int field = 0; field < kCount; ++field) {
      if (!IsPerRunField(field) && g[field] != layer_.geometry[field]) {
        ThrowRange(env, "geometry does not match the prepared layer");
      }
    }
    const int64_t input_count =
        CheckedProduct(env, {g[kBatches], g[kInputHeight], g[kInputWidth], g[kInputChannels]});
    const int64_t output_count =
        CheckedProduct(env, {g[kBatches], g[kOutputHeight], g[kOutputWidth], g[kOutputChannels]});
    RequireLength(env, *input, static_cast<size_t>(input_count), "input");
    RequireLength(env, *out, static_cast<size_t>(output_count), "out");
    return g;
  }

  void Run(const Napi::CallbackInfo& info) {
    Napi::TypedArray input, out;
    const ConvGeometry g = CheckRun(info, &input, &out);
    const size_t out_bytes = out.ByteLength();
    if (out_bytes == 0) return;
    const ConvParams params = ConvParams::FromGeometry(g.data());
    const int8_t* x = input.ByteLength() > 0 ? Data<int8_t>(input) : nullptr;
    int8_t* y = Data<int8_t>(out);
    const uint8_t* x0 = reinterpret_cast<const uint8_t*>(x);
    const uint8_t* y0 = reinterpret_cast<const uint8_t*>(y);
    const bool aliased = x != nullptr && x0 < y0 + out_bytes && y0 < x0 + input.ByteLength();
    const size_t threads = State(info.Env()).threads;
    try {
      if (!aliased) {
        RunConv2D(*layer_.packed, x, params, y, threads);
        return;
      }
      std::vector<int8_t> staging(out_bytes);  // out overlaps the input: compute aside, as the async twin does
      RunConv2D(*layer_.packed, x, params, staging.data(), threads);
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
      const int8_t* x = input.ByteLength() > 0 ? Data<int8_t>(input) : nullptr;
      auto* worker = new PreparedConvWorker(env, layer_.packed, g, x, input.ByteLength(), out, State(env).threads);
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
  void Dispose(const Napi::CallbackInfo&) { layer_.packed.reset(); }

  // The name of the GEMM kernel the filter was packed for, or null after dispose.
  Napi::Value Kernel(const Napi::CallbackInfo& info) {
    if (!layer_.packed) return info.Env().Null();
    return Napi::String::New(info.Env(), layer_.packed->kernel->name);
  }

  PreparedConvLayer layer_;
};

// createConv2d(filter, bias, multiplier, shift, scale, geometry) -> PreparedConv2D
Napi::Value CreateConv2d(const Napi::CallbackInfo& info) {
  std::vector<napi_value> args(info.Length());
  for (size_t i = 0; i < info.Length(); ++i) args[i] = info[i];
  return State(info.Env()).prepared_conv2d.New(args);
}

}  // namespace

void RegisterPreparedConv(Napi::Env env, Napi::Object exports) {
  State(env).prepared_conv2d = Napi::Persistent(PreparedConv2D::Define(env));
  exports.Set("createConv2d", Napi::Function::New(env, CreateConv2d, "createConv2d"));
}

}  // namespace napi
}  // namespace qint8

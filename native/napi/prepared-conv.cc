// The prepared CONV_2D: an int8 filter packed once (per group, with bias, z_in folding and per-channel
// requantization) for the kernel family of the environment that created it; run / runAsync check only what memory
// safety needs (the per-run geometry against the packed layer, the array lengths) and call RunConv2D.
#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "addon.h"
#include "convert.h"
#include "op-call.h"
#include "prepared-op.h"
#include "qint8/conv.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {
namespace {

// The fields a run may change: the batch and image sizes, the output size and the padding before.
bool IsPerRunField(int field) {
  using namespace conv_field;
  return field == kBatches || field == kInputHeight || field == kInputWidth || field == kOutputHeight ||
         field == kOutputWidth || field == kPadTop || field == kPadLeft;
}

// What a run needs: the packed weights and the geometry they were packed for.
struct PreparedConvLayer {
  PackedConvWeights packed;
  ConvGeometry geometry{};
};

// One run: out (NHWC) = the convolution of input (NHWC) with the layer, over the run's geometry.
struct ConvRun {
  std::shared_ptr<const PreparedConvLayer> layer;
  ArrayView input;
  ConvGeometry geometry{};  // checked against the layer
  size_t threads = 1;       // the environment's thread count, read on the main thread

  std::array<ArrayView*, 1> Inputs() { return {&input}; }
  void Run(uint8_t* out) const {
    const ConvParams params = ConvParams::FromGeometry(geometry.data());
    if (params.EmptyOutput()) return;
    RunConv2D(layer->packed, input.As<int8_t>(), params, reinterpret_cast<int8_t*>(out), threads);
  }
};

// PreparedOp's spec (prepared-op.h) for CONV_2D with int8 input, int8 filter (zero point 0) and int8 output,
// prepared once:
//   new PreparedConv2D(filter, bias | null, multiplier, shift, scale, geometry)   (geometry: conv_field; the
//   per-run fields are ignored), then run(input, geometry, out), runAsync(input, geometry, out), dispose(), kernel().
struct PreparedConv2DSpec {
  using Layer = PreparedConvLayer;
  static constexpr const char* kClassName = "PreparedConv2D";
  static constexpr const char* kFactoryName = "createConv2d";
  static constexpr const char* kResourceName = "qint8:prepared-conv";
  static constexpr Napi::FunctionReference AddonState::*kConstructor = &AddonState::prepared_conv2d;

  static std::shared_ptr<const PreparedConvLayer> Prepare(const Napi::CallbackInfo& info) {
    using namespace conv_field;
    Napi::Env env = info.Env();
    ConvGeometry g;
    const PreparedArgs args = PreparedConstructorArgs(info, "filter", &g);
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
    RequireInt8Activation(env, g[kActivationMin], g[kActivationMax]);
    const int64_t filter_count = CheckedProduct(env, {out_c, g[kFilterHeight], g[kFilterWidth], filter_c});
    RequireLength(env, args.weights, static_cast<size_t>(filter_count), "filter");
    if (args.has_bias) RequireLength(env, args.bias, static_cast<size_t>(out_c), "bias");
    const size_t channels = g[kPerChannel] ? static_cast<size_t>(out_c) : 1;
    const Requantization requant = PreparedRequantization(env, args, static_cast<Profile>(g[kProfile]), channels);
    try {
      auto layer = std::make_shared<PreparedConvLayer>();
      layer->geometry = g;
      PackConvWeights(GemmKernelFor(State(env).isa), filter_count > 0 ? Data<int8_t>(args.weights) : nullptr,
                      args.has_bias ? Data<int32_t>(args.bias) : nullptr, requant, ConvParams::FromGeometry(g.data()),
                      &layer->packed);
      return layer;
    } catch (const std::bad_alloc&) {
      ThrowRange(env, "out of memory packing the filter");
    }
  }

  // (input: Int8Array NHWC, geometry: the packed layer's with this run's sizes, out: Int8Array) checked.
  static ConvRun ParseRun(std::shared_ptr<const PreparedConvLayer> layer, const Napi::CallbackInfo& info,
                          Napi::TypedArray* out) {
    using namespace conv_field;
    Napi::Env env = info.Env();
    Napi::TypedArray input;
    const ConvGeometry g = PreparedConvRunArgs(info, layer->geometry, IsPerRunField, &input, out);
    const int64_t input_count = CheckedProduct(env, {g[kBatches], g[kInputHeight], g[kInputWidth], g[kInputChannels]});
    const int64_t output_count =
        CheckedProduct(env, {g[kBatches], g[kOutputHeight], g[kOutputWidth], g[kOutputChannels]});
    RequireLength(env, input, static_cast<size_t>(input_count), "input");
    RequireLength(env, *out, static_cast<size_t>(output_count), "out");
    return ConvRun{std::move(layer), ViewOf(input), g, State(env).threads};
  }
};

}  // namespace

void RegisterPreparedConv(Napi::Env env, Napi::Object exports) {
  PreparedOp<PreparedConv2DSpec>::Register(env, exports);
}

}  // namespace napi
}  // namespace qint8

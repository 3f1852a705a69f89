// The prepared DEPTHWISE_CONV_2D: an int8 filter packed once (channel tiles with the folded bias and per-channel
// requantization) for the depthwise kernel of the environment that created it; run / runAsync check only what memory
// safety needs (the per-run geometry against the prepared layer, the array lengths) and call RunDwconv.
#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "addon.h"
#include "convert.h"
#include "op-call.h"
#include "prepared-op.h"
#include "qint8/dwconv.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {
namespace {

// The fields a run may change: batch and image sizes, the input channels with the depth multiplier (their product
// is the prepared output channels), the output size and the padding before.
bool IsPerRunField(int field) {
  using namespace conv_field;
  return field == kBatches || field == kInputHeight || field == kInputWidth || field == kInputChannels ||
         field == kOutputHeight || field == kOutputWidth || field == kPadTop || field == kPadLeft ||
         field == kDepthMultiplier;
}

// Everything a run needs: the packed weights, and the layer as given, for the shapes the fast path leaves to the
// reference kernel.
struct DepthwiseLayer {
  PackedDwconvWeights packed;
  ConvGeometry geometry{};  // as prepared; the per-run fields are ignored
  std::vector<int8_t> filter;
  std::vector<int32_t> bias, multiplier, shift;
  std::vector<float> scale;
  bool has_bias = false;
};

// One run: out (every byte) = the depthwise convolution of `input` with the layer, over the run's geometry.
struct DepthwiseRun {
  std::shared_ptr<const DepthwiseLayer> layer;
  ArrayView input;
  ConvGeometry geometry{};  // checked against the layer
  size_t threads = 1;       // the environment's thread count, read on the main thread

  std::array<ArrayView*, 1> Inputs() { return {&input}; }
  void Run(uint8_t* out) const {
    const ConvParams s = ConvParams::FromGeometry(geometry.data());
    if (s.EmptyOutput()) return;
    const DwconvShape shape{s.batches, s.in_h, s.in_w, s.in_c, s.depth_multiplier, s.out_h, s.out_w,
                            s.stride_h, s.stride_w, s.dilation_h, s.dilation_w, s.pad_top, s.pad_left};
    if (DwconvShapeSupported(layer->packed, shape)) {
      const DwconvOutput output{s.profile, s.output_offset, s.act_min, s.act_max};
      RunDwconv(layer->packed, shape, input.As<int8_t>(), reinterpret_cast<int8_t*>(out), output, threads);
      return;
    }
    const Requantization requant{layer->multiplier.data(), layer->shift.data(), layer->scale.data()};
    const ByteTensor x{input.data, true}, w{reinterpret_cast<const uint8_t*>(layer->filter.data()), true};
    DepthwiseConv2D(x, w, layer->has_bias ? layer->bias.data() : nullptr, requant, geometry.data(), out);
  }
};

// PreparedOp's spec (prepared-op.h) for DEPTHWISE_CONV_2D with int8 input, int8 filter (zero point 0) and int8
// output, prepared once:
//   new PreparedDepthwiseConv2D(filter [1, KH, KW, Cout], bias | null, multiplier, shift, scale, geometry)
//   (geometry: conv_field; FilterChannels 1; the per-run fields are ignored), then run(input, geometry, out),
//   runAsync(input, geometry, out), dispose(), kernel().
struct PreparedDepthwiseConv2DSpec {
  using Layer = DepthwiseLayer;
  static constexpr const char* kClassName = "PreparedDepthwiseConv2D";
  static constexpr const char* kFactoryName = "createDepthwiseConv2d";
  static constexpr const char* kResourceName = "qint8:prepared-dwconv";
  static constexpr Napi::FunctionReference AddonState::*kConstructor = &AddonState::prepared_depthwise_conv2d;

  static std::shared_ptr<const DepthwiseLayer> Prepare(const Napi::CallbackInfo& info) {
    using namespace conv_field;
    Napi::Env env = info.Env();
    ConvGeometry g;
    const PreparedArgs args = PreparedConstructorArgs(info, "filter", &g);
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
    RequireInt8Activation(env, g[kActivationMin], g[kActivationMax]);
    const int64_t filter_count = CheckedProduct(env, {g[kFilterHeight], g[kFilterWidth], out_c});
    RequireLength(env, args.weights, static_cast<size_t>(filter_count), "filter");
    if (args.has_bias) RequireLength(env, args.bias, static_cast<size_t>(out_c), "bias");
    const size_t channels = g[kPerChannel] ? static_cast<size_t>(out_c) : 1;
    const bool fp32 = g[kProfile] == kProfileXnnpackFp32;
    const Requantization requant = PreparedRequantization(env, args, static_cast<Profile>(g[kProfile]), channels);
    try {
      // The layer keeps its own copies of the arrays: the reference kernel reads them at run time.
      auto layer = std::make_shared<DepthwiseLayer>();
      layer->geometry = g;
      const int8_t* f = Data<int8_t>(args.weights);
      layer->filter.assign(f, f + filter_count);
      layer->has_bias = args.has_bias;
      if (args.has_bias) layer->bias.assign(Data<int32_t>(args.bias), Data<int32_t>(args.bias) + out_c);
      if (fp32) {
        layer->scale.assign(requant.scale, requant.scale + channels);
      } else {
        layer->multiplier.assign(requant.multiplier, requant.multiplier + channels);
        layer->shift.assign(requant.shift, requant.shift + channels);
      }
      PackDwconvWeights(DwconvKernelFor(State(env).isa), layer->filter.data(), static_cast<size_t>(g[kFilterHeight]),
                        static_cast<size_t>(g[kFilterWidth]), static_cast<size_t>(out_c),
                        args.has_bias ? layer->bias.data() : nullptr, -g[kInputOffset],
                        fp32 ? nullptr : layer->multiplier.data(), fp32 ? nullptr : layer->shift.data(),
                        fp32 ? layer->scale.data() : nullptr, g[kPerChannel] != 0, &layer->packed);
      return layer;
    } catch (const std::bad_alloc&) {
      ThrowRange(env, "out of memory packing the filter");
    }
  }

  // (input: Int8Array NHWC, geometry: the prepared layer's with this run's sizes, out: Int8Array) checked.
  static DepthwiseRun ParseRun(std::shared_ptr<const DepthwiseLayer> layer, const Napi::CallbackInfo& info,
                               Napi::TypedArray* out) {
    using namespace conv_field;
    Napi::Env env = info.Env();
    Napi::TypedArray input;
    const ConvGeometry g = PreparedConvRunArgs(info, layer->geometry, IsPerRunField, &input, out);
    if (g[kInputChannels] < 1 || g[kDepthMultiplier] < 1 ||
        static_cast<int64_t>(g[kInputChannels]) * g[kDepthMultiplier] != g[kOutputChannels]) {
      ThrowRange(env, "geometry OutputChannels != InputChannels * DepthMultiplier");
    }
    const int64_t input_count = CheckedProduct(env, {g[kBatches], g[kInputHeight], g[kInputWidth], g[kInputChannels]});
    const int64_t output_count = CheckedProduct(env, {g[kBatches], g[kOutputHeight], g[kOutputWidth], g[kOutputChannels]});
    RequireLength(env, input, static_cast<size_t>(input_count), "input");
    RequireLength(env, *out, static_cast<size_t>(output_count), "out");
    return DepthwiseRun{std::move(layer), ViewOf(input), g, State(env).threads};
  }
};

}  // namespace

void RegisterPreparedDepthwise(Napi::Env env, Napi::Object exports) {
  PreparedOp<PreparedDepthwiseConv2DSpec>::Register(env, exports);
}

}  // namespace napi
}  // namespace qint8

// The prepared FULLY_CONNECTED: weights packed once (with bias, zero-point terms and per-channel requantization) for
// the kernel family of the environment that created them; run / runAsync only check the input and call the GEMM.
#include <array>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "addon.h"
#include "convert.h"
#include "op-call.h"
#include "prepared-op.h"
#include "qint8/gemm.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {
namespace {

// What a run needs: the packed weights and the output stage of every GEMM call.
struct FullyConnectedLayer {
  PackedGemmWeights packed;
  GemmOutput output{};
};

// One run: out [batches * units] = the GEMM of input [batches * depth] with the layer.
struct FullyConnectedRun {
  std::shared_ptr<const FullyConnectedLayer> layer;
  ArrayView input;
  size_t batches = 0;
  size_t threads = 1;  // the environment's thread count, read on the main thread

  std::array<ArrayView*, 1> Inputs() { return {&input}; }
  void Run(uint8_t* out) const {
    const PackedGemmWeights& p = layer->packed;
    if (batches == 0 || p.n == 0) return;
    RunGemm(p, batches, input.As<int8_t>(), p.k, reinterpret_cast<int8_t*>(out), p.n, layer->output, threads);
  }
};

// PreparedOp's spec (prepared-op.h) for FULLY_CONNECTED with int8 input, int8 weights (zero point 0) and int8
// output, prepared once:
//   new PreparedFullyConnected(weights, bias | null, multiplier, shift, scale, geometry)   (geometry: fc_field,
//   Batches ignored), then run(input, batches, out), runAsync(input, batches, out), dispose(), kernel().
struct PreparedFullyConnectedSpec {
  using Layer = FullyConnectedLayer;
  static constexpr const char* kClassName = "PreparedFullyConnected";
  static constexpr const char* kFactoryName = "createFullyConnected";
  static constexpr const char* kResourceName = "qint8:prepared";
  static constexpr Napi::FunctionReference AddonState::*kConstructor = &AddonState::prepared_fully_connected;

  static std::shared_ptr<const FullyConnectedLayer> Prepare(const Napi::CallbackInfo& info) {
    using namespace fc_field;
    Napi::Env env = info.Env();
    std::array<int32_t, kCount> g;
    const PreparedArgs args = PreparedConstructorArgs(info, "weights", &g);
    if (g[kDepth] < 0 || g[kUnits] < 0) ThrowRange(env, "geometry sizes must be >= 0");
    if (g[kProfile] < 0 || g[kProfile] > 2 || g[kPerChannel] < 0 || g[kPerChannel] > 1) ThrowRange(env, "geometry flags");
    if (g[kFilterOffset] != 0) ThrowRange(env, "prepared GEMM needs weights with zero point 0");
    if (g[kInputOffset] < -255 || g[kInputOffset] > 255) ThrowRange(env, "geometry InputOffset out of range");
    RequireInt8Activation(env, g[kActivationMin], g[kActivationMax]);
    const size_t depth = static_cast<size_t>(g[kDepth]), units = static_cast<size_t>(g[kUnits]);
    if (depth != 0 && units > (size_t{1} << 40) / depth) ThrowRange(env, "weights too large");
    RequireLength(env, args.weights, units * depth, "weights");
    if (args.has_bias) RequireLength(env, args.bias, units, "bias");
    const Profile profile = static_cast<Profile>(g[kProfile]);
    const Requantization requant = PreparedRequantization(env, args, profile, g[kPerChannel] ? units : 1);
    try {
      auto layer = std::make_shared<FullyConnectedLayer>();
      PackGemmWeights(GemmKernelFor(State(env).isa), Data<int8_t>(args.weights), units, depth,
                      args.has_bias ? Data<int32_t>(args.bias) : nullptr, -g[kInputOffset], requant.multiplier,
                      requant.shift, requant.scale, g[kPerChannel] != 0, &layer->packed);
      layer->output = GemmOutput{profile, g[kOutputOffset], g[kActivationMin], g[kActivationMax]};
      return layer;
    } catch (const std::bad_alloc&) {
      ThrowRange(env, "out of memory packing the weights");
    }
  }

  // (input: Int8Array [batches * depth], batches, out: Int8Array [batches * units]) checked.
  static FullyConnectedRun ParseRun(std::shared_ptr<const FullyConnectedLayer> layer, const Napi::CallbackInfo& info,
                                    Napi::TypedArray* out) {
    Napi::Env env = info.Env();
    Napi::TypedArray input = TypedArrayArg(info, 0, napi_int8_array, "input");
    const size_t batches = static_cast<size_t>(IntArg(info, 1, "batches", 0, int64_t{1} << 40));
    *out = TypedArrayArg(info, 2, napi_int8_array, "out");
    const PackedGemmWeights& p = layer->packed;
    if (p.k != 0 && batches > (size_t{1} << 40) / p.k) ThrowRange(env, "input too large");
    RequireLength(env, input, batches * p.k, "input");
    RequireLength(env, *out, batches * p.n, "out");
    return FullyConnectedRun{std::move(layer), ViewOf(input), batches, State(env).threads};
  }
};

}  // namespace

void RegisterPrepared(Napi::Env env, Napi::Object exports) {
  PreparedOp<PreparedFullyConnectedSpec>::Register(env, exports);
}

}  // namespace napi
}  // namespace qint8

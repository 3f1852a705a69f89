// What the prepared operators share: PreparedOp<Spec>, the JS class (run / runAsync / dispose / kernel and the
// createX factory) over an immutable packed layer, and the argument checks they have in common.
#ifndef QINT8_NAPI_PREPARED_OP_H_
#define QINT8_NAPI_PREPARED_OP_H_

#include <napi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "addon.h"
#include "convert.h"
#include "op-call.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {

// The arguments every prepared constructor takes, (weights, bias | null, multiplier, shift, scale, geometry),
// type-checked; the geometry (kCount entries) is copied out.
struct PreparedArgs {
  Napi::TypedArray weights, bias, multiplier, shift, scale;
  bool has_bias = false;
};

template <size_t kCount>
PreparedArgs PreparedConstructorArgs(const Napi::CallbackInfo& info, const char* weights_name,
                                     std::array<int32_t, kCount>* geometry) {
  PreparedArgs args;
  args.weights = TypedArrayArg(info, 0, napi_int8_array, weights_name);
  args.has_bias = info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined();
  if (args.has_bias) args.bias = TypedArrayArg(info, 1, napi_int32_array, "bias");
  args.multiplier = TypedArrayArg(info, 2, napi_int32_array, "multiplier");
  args.shift = TypedArrayArg(info, 3, napi_int32_array, "shift");
  args.scale = TypedArrayArg(info, 4, napi_float32_array, "scale");
  Napi::TypedArray g = TypedArrayArg(info, 5, napi_int32_array, "geometry");
  RequireLength(info.Env(), g, kCount, "geometry");
  std::memcpy(geometry->data(), Data<int32_t>(g), sizeof(int32_t) * kCount);
  return args;
}

using ConvGeometry = std::array<int32_t, conv_field::kCount>;

// The arguments of a prepared convolution's run, (input: Int8Array, geometry, out: Int8Array), type-checked;
// returns the run's geometry once every field but the per-run ones equals the prepared layer's.
inline ConvGeometry PreparedConvRunArgs(const Napi::CallbackInfo& info, const ConvGeometry& prepared,
                                        bool (*is_per_run_field)(int), Napi::TypedArray* input, Napi::TypedArray* out) {
  Napi::Env env = info.Env();
  *input = TypedArrayArg(info, 0, napi_int8_array, "input");
  Napi::TypedArray geometry = TypedArrayArg(info, 1, napi_int32_array, "geometry");
  RequireLength(env, geometry, conv_field::kCount, "geometry");
  *out = TypedArrayArg(info, 2, napi_int8_array, "out");
  ConvGeometry g;
  std::memcpy(g.data(), Data<int32_t>(geometry), sizeof(int32_t) * conv_field::kCount);
  for (int field = 0; field < conv_field::kCount; ++field) {
    if (!is_per_run_field(field) && g[field] != prepared[field]) {
      ThrowRange(env, "geometry does not match the prepared layer");
    }
  }
  return g;
}

inline void RequireInt8Activation(Napi::Env env, int32_t act_min, int32_t act_max) {
  if (act_min < -128 || act_min > act_max || act_max > 127) ThrowRange(env, "activation range must lie within int8");
}

// The requantization arrays `profile` reads must hold `channels` entries (multipliers >= 0, shifts in
// [-31, 30]); returns them, with the arrays the profile does not read as null.
inline Requantization PreparedRequantization(Napi::Env env, const PreparedArgs& args, Profile profile,
                                             size_t channels) {
  if (profile == kProfileXnnpackFp32) {
    RequireLength(env, args.scale, channels, "scale");
    return Requantization{nullptr, nullptr, Data<float>(args.scale)};
  }
  RequireLength(env, args.multiplier, channels, "multiplier");
  RequireLength(env, args.shift, channels, "shift");
  const int32_t* m = Data<int32_t>(args.multiplier);
  const int32_t* s = Data<int32_t>(args.shift);
  for (size_t c = 0; c < channels; ++c) {
    if (m[c] < 0 || s[c] < -31 || s[c] > 30) ThrowRange(env, "multiplier must be >= 0 and shift in [-31, 30]");
  }
  return Requantization{m, s, nullptr};
}

// The JS class of a prepared operator, one instantiation per operator. run(...) / runAsync(...) parse a run with
// Spec::ParseRun and execute it as an op call (op-call.h); dispose() drops the layer (in-flight async runs hold their
// own reference, so it is freed when the last one finishes); kernel() names the kernel the layer was packed for, or
// is null after dispose. A run after dispose throws (runAsync: rejects) a plain Error.
// Spec supplies:
//   Layer                        immutable once prepared; layer.packed.kernel->name names its kernel
//   kClassName, kFactoryName (the createX export), kResourceName (async_hooks): const char*
//   kConstructor                 the AddonState member that holds the class constructor
//   static std::shared_ptr<const Layer> Prepare(const Napi::CallbackInfo&)    the constructor: checks, packs
//   static Call ParseRun(std::shared_ptr<const Layer>, const Napi::CallbackInfo&, Napi::TypedArray* out)
template <typename Spec>
class PreparedOp : public Napi::ObjectWrap<PreparedOp<Spec>> {
 public:
  using Layer = typename Spec::Layer;

  // Defines the class for this environment and exports its factory createX(...args) -> new X(...args).
  static void Register(Napi::Env env, Napi::Object exports) {
    using Wrap = Napi::ObjectWrap<PreparedOp>;
    Napi::Function constructor = Wrap::DefineClass(env, Spec::kClassName,
                                                   {Wrap::template InstanceMethod<&PreparedOp::Run>("run"),
                                                    Wrap::template InstanceMethod<&PreparedOp::RunAsync>("runAsync"),
                                                    Wrap::template InstanceMethod<&PreparedOp::Dispose>("dispose"),
                                                    Wrap::template InstanceMethod<&PreparedOp::Kernel>("kernel")});
    State(env).*Spec::kConstructor = Napi::Persistent(constructor);
    exports.Set(Spec::kFactoryName, Napi::Function::New(env, Create, Spec::kFactoryName));
  }

  explicit PreparedOp(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<PreparedOp>(info), layer_(Spec::Prepare(info)) {}

 private:
  std::shared_ptr<const Layer> LiveLayer(Napi::Env env) const {
    if (!layer_) throw Napi::Error::New(env, "qint8 native: prepared operator was disposed");
    return layer_;
  }

  void Run(const Napi::CallbackInfo& info) {
    RunCallSync(info, [this](const Napi::CallbackInfo& args, Napi::TypedArray* out) {
      return Spec::ParseRun(LiveLayer(args.Env()), args, out);
    });
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    return RunCallAsync(info, Spec::kResourceName, [this](const Napi::CallbackInfo& args, Napi::TypedArray* out) {
      return Spec::ParseRun(LiveLayer(args.Env()), args, out);
    });
  }

  void Dispose(const Napi::CallbackInfo&) { layer_.reset(); }

  Napi::Value Kernel(const Napi::CallbackInfo& info) {
    if (!layer_) return info.Env().Null();
    return Napi::String::New(info.Env(), layer_->packed.kernel->name);
  }

  static Napi::Value Create(const Napi::CallbackInfo& info) {
    std::vector<napi_value> args(info.Length());
    for (size_t i = 0; i < info.Length(); ++i) args[i] = info[i];
    return (State(info.Env()).*Spec::kConstructor).New(args);
  }

  std::shared_ptr<const Layer> layer_;  // null after dispose()
};

}  // namespace napi
}  // namespace qint8

#endif  // QINT8_NAPI_PREPARED_OP_H_

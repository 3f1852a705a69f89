// Prepared operators: weights packed once (with bias, zero-point terms and per-channel requantization) for the
// kernel family of the environment that created them; run / runAsync only check the input and call the GEMM.
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "addon.h"
#include "convert.h"
#include "qint8/gemm.h"
#include "qint8/ops.h"

namespace qint8 {
namespace napi {
namespace {

// One GEMM call's output stage and sizes.
struct PreparedGemm {
  std::shared_ptr<const PackedGemmWeights> packed;  // shared with in-flight async runs, so dispose() is safe
  GemmOutput output{};
};

// Async run of a prepared GEMM: the input is copied on the main thread, the product computed on a worker thread
// into a native buffer, which OnOK copies into `out` if `out` still has its byte length.
class PreparedRunWorker : public Napi::AsyncWorker {
 public:
  PreparedRunWorker(Napi::Env env, PreparedGemm gemm, const int8_t* input, size_t batches, Napi::TypedArray out,
                    size_t threads)
      : Napi::AsyncWorker(env, "qint8:prepared"),
        gemm_(std::move(gemm)),
        deferred_(Napi::Promise::Deferred::New(env)),
        out_(Napi::Persistent(static_cast<Napi::Object>(out))),
        input_(input, input + batches * gemm_.packed->k),
        batches_(batches),
        threads_(threads) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_.resize(batches_ * gemm_.packed->n);
      const PackedGemmWeights& p = *gemm_.packed;
      RunGemm(p, batches_, input_.data(), p.k, reinterpret_cast<int8_t*>(result_.data()), p.n, gemm_.output, threads_);
    } catch (const std::bad_alloc&) {
      SetError("qint8 native: out of memory");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::TypedArray out = out_.Value().As<Napi::TypedArray>();
    if (out.ByteLength() != result_.size() || (!result_.empty() && DataOrNull(out) == nullptr)) {
      deferred_.Reject(Napi::RangeError::New(env, "qint8 native: out was detached or resized during the work").Value());
      return;
    }
    if (!result_.empty()) std::memcpy(Data<uint8_t>(out), result_.data(), result_.size());
    deferred_.Resolve(env.Undefined());
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  PreparedGemm gemm_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference out_;
  std::vector<int8_t> input_;
  size_t batches_;
  size_t threads_;
  std::vector<uint8_t> result_;
};

// FULLY_CONNECTED with int8 input, int8 weights (zero point 0) and int8 output, prepared once:
//   new PreparedFullyConnected(weights, bias | null, multiplier, shift, scale, geometry)   (geometry: fc_field,
//   Batches ignored), then run(input, batches, out), runAsync(input, batches, out), dispose().
class PreparedFullyConnected : public Napi::ObjectWrap<PreparedFullyConnected> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "PreparedFullyConnected",
                       {InstanceMethod<&PreparedFullyConnected::Run>("run"),
                        InstanceMethod<&PreparedFullyConnected::RunAsync>("runAsync"),
                        InstanceMethod<&PreparedFullyConnected::Dispose>("dispose"),
                        InstanceMethod<&PreparedFullyConnected::Kernel>("kernel")});
  }

  explicit PreparedFullyConnected(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreparedFullyConnected>(info) {
    using namespace fc_field;
    Napi::Env env = info.Env();
    Napi::TypedArray weights = TypedArrayArg(info, 0, napi_int8_array, "weights");
    Napi::TypedArray bias;
    const bool has_bias = info.Length() > 1 && !info[1].IsNull() && !info[1].IsUndefined();
    if (has_bias) bias = TypedArrayArg(info, 1, napi_int32_array, "bias");
    Napi::TypedArray multiplier = TypedArrayArg(info, 2, napi_int32_array, "multiplier");
    Napi::TypedArray shift = TypedArrayArg(info, 3, napi_int32_array, "shift");
    Napi::TypedArray scale = TypedArrayArg(info, 4, napi_float32_array, "scale");
    Napi::TypedArray geometry = TypedArrayArg(info, 5, napi_int32_array, "geometry");
    RequireLength(env, geometry, kCount, "geometry");
    const int32_t* g = Data<int32_t>(geometry);
    if (g[kDepth] < 0 || g[kUnits] < 0) ThrowRange(env, "geometry sizes must be >= 0");
    if (g[kProfile] < 0 || g[kProfile] > 2 || g[kPerChannel] < 0 || g[kPerChannel] > 1) ThrowRange(env, "geometry flags");
    if (g[kFilterOffset] != 0) ThrowRange(env, "prepared GEMM needs weights with zero point 0");
    if (g[kInputOffset] < -255 || g[kInputOffset] > 255) ThrowRange(env, "geometry InputOffset out of range");
    if (g[kActivationMin] < -128 || g[kActivationMin] > g[kActivationMax] || g[kActivationMax] > 127) {
      ThrowRange(env, "activation range must lie within int8");
    }
    const size_t depth = static_cast<size_t>(g[kDepth]), units = static_cast<size_t>(g[kUnits]);
    const size_t channels = g[kPerChannel] ? units : 1;
    if (depth != 0 && units > (size_t{1} << 40) / depth) ThrowRange(env, "weights too large");
    RequireLength(env, weights, units * depth, "weights");
    if (has_bias) RequireLength(env, bias, units, "bias");
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
    auto packed = std::make_shared<PackedGemmWeights>();
    try {
      PackGemmWeights(GemmKernelFor(State(env).isa), Data<int8_t>(weights), units, depth,
                      has_bias ? Data<int32_t>(bias) : nullptr, -g[kInputOffset],
                      profile == kProfileXnnpackFp32 ? nullptr : Data<int32_t>(multiplier),
                      profile == kProfileXnnpackFp32 ? nullptr : Data<int32_t>(shift),
                      profile == kProfileXnnpackFp32 ? Data<float>(scale) : nullptr, g[kPerChannel] != 0, packed.get());
    } catch (const std::bad_alloc&) {
      ThrowRange(env, "out of memory packing the weights");
    }
    gemm_.packed = std::move(packed);
    gemm_.output = GemmOutput{profile, g[kOutputOffset], g[kActivationMin], g[kActivationMax]};
  }

 private:
  // (input: Int8Array [batches * depth], batches, out: Int8Array [batches * units]) checked; returns batches.
  size_t CheckRun(const Napi::CallbackInfo& info, Napi::TypedArray* input, Napi::TypedArray* out) {
    Napi::Env env = info.Env();
    if (!gemm_.packed) throw Napi::Error::New(env, "qint8 native: prepared operator was disposed");
    *input = TypedArrayArg(info, 0, napi_int8_array, "input");
    const size_t batches = static_cast<size_t>(IntArg(info, 1, "batches", 0, int64_t{1} << 40));
    *out = TypedArrayArg(info, 2, napi_int8_array, "out");
    const PackedGemmWeights& p = *gemm_.packed;
    if (p.k != 0 && batches > (size_t{1} << 40) / p.k) ThrowRange(env, "input too large");
    RequireLength(env, *input, batches * p.k, "input");
    RequireLength(env, *out, batches * p.n, "out");
    return batches;
  }

  void Run(const Napi::CallbackInfo& info) {
    Napi::TypedArray input, out;
    const size_t batches = CheckRun(info, &input, &out);
    const PackedGemmWeights& p = *gemm_.packed;
    if (batches == 0 || p.n == 0) return;
    const int8_t* a = Data<int8_t>(input);
    int8_t* c = Data<int8_t>(out);
    const size_t out_bytes = batches * p.n;
    const bool aliased = input.ByteLength() > 0 && reinterpret_cast<const uint8_t*>(a) < reinterpret_cast<uint8_t*>(c) + out_bytes &&
                         reinterpret_cast<const uint8_t*>(c) < reinterpret_cast<const uint8_t*>(a) + input.ByteLength();
    if (!aliased) {
      RunGemm(p, batches, a, p.k, c, p.n, gemm_.output, State(info.Env()).threads);
      return;
    }
    std::vector<int8_t> staging(out_bytes);  // out overlaps the input: compute aside, as the async twin does
    RunGemm(p, batches, a, p.k, staging.data(), p.n, gemm_.output, State(info.Env()).threads);
    std::memcpy(c, staging.data(), out_bytes);
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      Napi::TypedArray input, out;
      const size_t batches = CheckRun(info, &input, &out);
      auto* worker = new PreparedRunWorker(env, gemm_, batches > 0 ? Data<int8_t>(input) : nullptr, batches, out,
                                           State(env).threads);
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    } catch (const Napi::Error& error) {
      Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(error.Value());
      return deferred.Promise();
    }
  }

  // Frees the packed weights now (in-flight async runs keep their own reference until they finish).
  void Dispose(const Napi::CallbackInfo&) { gemm_.packed.reset(); }

  // The name of the GEMM kernel the weights were packed for.
  Napi::Value Kernel(const Napi::CallbackInfo& info) {
    if (!gemm_.packed) return info.Env().Null();
    return Napi::String::New(info.Env(), gemm_.packed->kernel->name);
  }

  PreparedGemm gemm_;
};

// createFullyConnected(weights, bias, multiplier, shift, scale, geometry) -> PreparedFullyConnected
Napi::Value CreateFullyConnected(const Napi::CallbackInfo& info) {
  std::vector<napi_value> args(info.Length());
  for (size_t i = 0; i < info.Length(); ++i) args[i] = info[i];
  return State(info.Env()).prepared_fully_connected.New(args);
}

}  // namespace

void RegisterPrepared(Napi::Env env, Napi::Object exports) {
  State(env).prepared_fully_connected = Napi::Persistent(PreparedFullyConnected::Define(env));
  exports.Set("createFullyConnected", Napi::Function::New(env, CreateFullyConnected, "createFullyConnected"));
}

}  // namespace napi
}  // namespace qint8

// Glue for backend introspection: the chosen kernel family, what the CPU and the build offer.
#include <algorithm>
#include <string>
#include <vector>

#include "addon.h"
#include "convert.h"
#include "qint8/threadpool.h"

namespace qint8 {
namespace napi {
namespace {

Napi::Array IsaList(Napi::Env env, const std::vector<Isa>& isas) {
  Napi::Array list = Napi::Array::New(env, isas.size());
  for (size_t i = 0; i < isas.size(); ++i) list.Set(static_cast<uint32_t>(i), Napi::String::New(env, IsaName(isas[i])));
  return list;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("isa", IsaName(State(env).isa));
  result.Set("cpuIsas", IsaList(env, CpuIsas()));
  result.Set("compiledIsas", IsaList(env, CompiledIsas()));
  result.Set("usableIsas", IsaList(env, UsableIsas()));
  result.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  result.Set("threads", Napi::Number::New(env, static_cast<double>(State(env).threads)));
  result.Set("maxThreads", Napi::Number::New(env, static_cast<double>(ThreadPoolSize())));
  return result;
}

// setIsa(name): forces a usable family; returns its name.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) ThrowType(env, "isa must be a string");
  Isa isa;
  if (!IsaFromName(info[0].As<Napi::String>().Utf8Value(), &isa)) ThrowRange(env, "unknown isa");
  bool usable = false;
  for (Isa u : UsableIsas()) usable = usable || u == isa;
  if (!usable) ThrowRange(env, "isa not usable on this CPU or not compiled");
  State(env).isa = isa;
  return Napi::String::New(env, IsaName(isa));
}

// setThreads(n): threads a compute call of this environment may use, clamped to the pool; returns the count.
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t requested = IntArg(info, 0, "threads", 1, 1 << 16);
  State(env).threads = std::min<size_t>(static_cast<size_t>(requested), ThreadPoolSize());
  return Napi::Number::New(env, static_cast<double>(State(env).threads));
}

// alignmentPadding(buffer, alignment): bytes from the start of `buffer` to its first address that is a multiple of
// `alignment` (a power of two; the TypeScript caller checks). A view made there starts on that boundary: an
// ArrayBuffer's own start is only 16-byte aligned (16 bytes past a 64-byte line for large ones, from mmap).
Napi::Value AlignmentPadding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) ThrowType(env, "buffer must be an ArrayBuffer");
  const int64_t alignment = IntArg(info, 1, "alignment", 1, 4096);
  if ((alignment & (alignment - 1)) != 0) ThrowRange(env, "alignment must be a power of two");
  const uintptr_t address = reinterpret_cast<uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data());
  const uintptr_t a = static_cast<uintptr_t>(alignment);
  return Napi::Number::New(env, static_cast<double>((a - address % a) % a));
}

}  // namespace

void RegisterInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("alignmentPadding", Napi::Function::New(env, AlignmentPadding, "alignmentPadding"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
}

}  // namespace napi
}  // namespace qint8

// Module registration only: a context-aware Node-API addon (safe in worker threads and Electron),
// with its state held per environment, never in globals.
#include "addon.h"

#include "qint8/threadpool.h"

namespace qint8 {
namespace napi {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  AddonState* state = new AddonState();
  state->isa = BestIsa();
  state->threads = ThreadPoolSize();
  env.SetInstanceData<AddonState>(state);  // deleted by N-API when the environment is torn down
  RegisterInfo(env, exports);
  RegisterQuant(env, exports);
  RegisterOps(env, exports);
  RegisterPrepared(env, exports);
  RegisterPreparedConv(env, exports);
  RegisterPreparedDepthwise(env, exports);
  return exports;
}

}  // namespace napi
}  // namespace qint8

static Napi::Object InitQint8(Napi::Env env, Napi::Object exports) { return qint8::napi::Init(env, exports); }

NODE_API_MODULE(qint8, InitQint8)

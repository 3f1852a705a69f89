// Per-instance state of the addon (one per Node environment: main thread and each worker thread).
#ifndef QINT8_NAPI_ADDON_H_
#define QINT8_NAPI_ADDON_H_

#include <napi.h>

#include <cstddef>

#include "qint8/isa.h"

namespace qint8 {
namespace napi {

struct AddonState {
  Isa isa = kIsaScalar;  // the kernel family this environment runs
  size_t threads = 1;    // threads a compute call may use (setThreads), at most ThreadPoolSize()
  Napi::FunctionReference prepared_fully_connected;  // constructor of PreparedFullyConnected
  Napi::FunctionReference prepared_conv2d;           // constructor of PreparedConv2D
  Napi::FunctionReference prepared_depthwise_conv2d;  // constructor of PreparedDepthwiseConv2D
};

inline AddonState& State(Napi::Env env) { return *env.GetInstanceData<AddonState>(); }

// Registration of each glue file's functions on the exports object.
void RegisterInfo(Napi::Env env, Napi::Object exports);
void RegisterQuant(Napi::Env env, Napi::Object exports);
void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterPrepared(Napi::Env env, Napi::Object exports);
void RegisterPreparedConv(Napi::Env env, Napi::Object exports);
void RegisterPreparedDepthwise(Napi::Env env, Napi::Object exports);

}  // namespace napi
}  // namespace qint8

#endif  // QINT8_NAPI_ADDON_H_

// Running an op call (one operator's checked arguments plus its core call), for the stateless ops and the prepared
// operators alike: now, into the caller's `out` (sync), or on a libuv worker over native-owned copies (a Promise).
#ifndef QINT8_NAPI_OP_CALL_H_
#define QINT8_NAPI_OP_CALL_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "convert.h"

namespace qint8 {
namespace napi {

// A Call is a copyable struct with
//   std::array<ArrayView*, N> Inputs();   every byte range it reads (checked for overlap with `out`; the async path
//                                         copies each range and repoints the view at the copy)
//   void Run(uint8_t* out) const;         writes every byte of `out`, reads only its inputs (and what it owns);
//                                         makes no N-API call, may throw only std::bad_alloc.
// A parser, Call (const Napi::CallbackInfo&, Napi::TypedArray* out), checks the arguments (throwing Napi errors)
// and sets `out` to the array the call writes, whose byte length is the byte count Run writes.

// Bytes an operator reads. Sync calls point into the caller's arrays; async work points into its own copies.
struct ArrayView {
  const uint8_t* data = nullptr;
  size_t bytes = 0;
  template <typename T>
  const T* As() const { return reinterpret_cast<const T*>(data); }
};

inline ArrayView ViewOf(Napi::TypedArray a) {
  return ArrayView{a.ByteLength() > 0 ? Data<uint8_t>(a) : nullptr, a.ByteLength()};
}

inline bool Overlaps(const uint8_t* a, size_t a_bytes, const uint8_t* b, size_t b_bytes) {
  if (a_bytes == 0 || b_bytes == 0) return false;
  const uintptr_t a0 = reinterpret_cast<uintptr_t>(a), b0 = reinterpret_cast<uintptr_t>(b);
  return a0 < b0 + b_bytes && b0 < a0 + a_bytes;
}

// Runs a call into `out` now. When `out` shares memory with an input, computes into a staging buffer first,
// so the result is the same as for separate arrays (and as the async twin's).
template <typename Call>
void RunNow(Call& call, Napi::TypedArray out) {
  const size_t bytes = out.ByteLength();
  uint8_t* destination = bytes > 0 ? Data<uint8_t>(out) : nullptr;
  bool aliased = false;
  for (ArrayView* view : call.Inputs()) aliased = aliased || Overlaps(view->data, view->bytes, destination, bytes);
  if (!aliased) {
    call.Run(destination);
    return;
  }
  std::vector<uint8_t> staging(bytes);
  call.Run(staging.data());
  std::memcpy(destination, staging.data(), bytes);
}

// Async work over a call whose inputs are copied into native memory on the main thread (in the constructor).
// Execute computes into a native buffer (no N-API); OnOK copies it into `out` only if `out` still has the byte
// length it had when the call was made, else rejects with a RangeError, so `out` is written whole or not at all.
template <typename Call>
class AsyncOpWorker : public Napi::AsyncWorker {
 public:
  // `resource_name` names the work for async_hooks ("qint8:op", "qint8:prepared", ...).
  AsyncOpWorker(Napi::Env env, const char* resource_name, Call call, Napi::TypedArray out)
      : Napi::AsyncWorker(env, resource_name),
        call_(std::move(call)),
        deferred_(Napi::Promise::Deferred::New(env)),
        out_(Napi::Persistent(static_cast<Napi::Object>(out))),
        out_bytes_(out.ByteLength()) {
    const auto inputs = call_.Inputs();
    copies_.reserve(inputs.size());
    for (ArrayView* view : inputs) {
      copies_.emplace_back(view->data, view->data + view->bytes);
      view->data = copies_.back().data();
    }
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_.resize(out_bytes_);
      call_.Run(result_.data());
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
  Call call_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference out_;
  size_t out_bytes_;
  std::vector<std::vector<uint8_t>> copies_;
  std::vector<uint8_t> result_;
};

// The sync entry: parses, then runs into `out`. Argument errors throw; running out of memory throws a RangeError.
template <typename Parse>
void RunCallSync(const Napi::CallbackInfo& info, Parse parse) {
  try {
    Napi::TypedArray out;
    auto call = parse(info, &out);
    RunNow(call, out);
  } catch (const std::bad_alloc&) {
    ThrowRange(info.Env(), "out of memory");
  }
}

// The async entry: parses, then queues an AsyncOpWorker and returns its promise. Argument errors (and running out
// of memory) reject the returned promise rather than throwing.
template <typename Parse>
Napi::Value RunCallAsync(const Napi::CallbackInfo& info, const char* resource_name, Parse parse) {
  Napi::Env env = info.Env();
  try {
    Napi::TypedArray out;
    auto call = parse(info, &out);
    auto* worker = new AsyncOpWorker<decltype(call)>(env, resource_name, std::move(call), out);
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

}  // namespace napi
}  // namespace qint8

#endif  // QINT8_NAPI_OP_CALL_H_

// The persistent thread pool behind ParallelFor: created on first use, one job at a time, joined at exit by an
// atexit handler while the pool object itself is deliberately never destroyed (no static destruction order).
#include "qint8/threadpool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace qint8 {
namespace {

// True while this thread runs tasks of a job: a nested ParallelFor then runs inline (it must not try to lock
// the submission mutex its own caller may hold).
thread_local bool t_in_job = false;

void RunInline(size_t tasks, const std::function<void(size_t)>& fn) {
  for (size_t t = 0; t < tasks; ++t) fn(t);
}

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Spins (with a pause hint) until done() or about `budget` has passed; true when done() became true. Waking a
// sleeping thread costs tens of microseconds on a VM, as long as a whole GEMV, so both sides spin first.
template <typename Done>
bool SpinUntil(Done done, std::chrono::microseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

constexpr std::chrono::microseconds kWorkerSpin{100};  // after a job, before sleeping
constexpr std::chrono::microseconds kCallerSpin{200};  // waiting for the last workers, before sleeping
constexpr size_t kMaxWorkers = 255;                      // the participant count lives in 8 bits of job_word_

// Jobs: the caller publishes (fn, task count) and a claim word = generation << 32 | next task index. Workers
// claim tasks by compare-and-swap on that word, so a worker that wakes up late can never claim a task of a
// later job; the caller waits only for tasks actually claimed (a completed-task count), never for workers that
// did not show up (on a shared machine a worker may not get a core for milliseconds).
class Pool {
 public:
  explicit Pool(size_t workers) {
    workers = std::min(workers, kMaxWorkers);
    threads_.reserve(workers);
    for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this, i] { WorkerLoop(i); });
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  size_t workers() const { return threads_.size(); }

  void Run(size_t tasks, size_t participants, const std::function<void(size_t)>& fn) {
    std::unique_lock<std::mutex> submit(submit_, std::try_to_lock);
    if (!submit.owns_lock() || tasks > kMaxTasks) return RunInline(tasks, fn);  // busy with another job
    uint64_t generation;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (stop_.load(std::memory_order_relaxed)) {  // process exit began: the workers are gone
        lock.unlock();
        submit.unlock();
        return RunInline(tasks, fn);
      }
      generation = (job_word_.load(std::memory_order_relaxed) >> 8) + 1;
      fn_.store(&fn, std::memory_order_relaxed);
      tasks_.store(tasks, std::memory_order_relaxed);
      completed_.store(0, std::memory_order_relaxed);
      // Release: a successful claim (acquire, same release sequence) sees fn_ and tasks_ of this job.
      claim_.store((generation & 0xFFFFFFFF) << 32, std::memory_order_release);
      job_word_.store((generation << 8) | (participants - 1), std::memory_order_release);
    }
    wake_.notify_all();
    WorkOnTasks(static_cast<uint32_t>(generation));
    const auto finished = [this, tasks] { return completed_.load(std::memory_order_acquire) == tasks; };
    if (!SpinUntil(finished, kCallerSpin)) {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, finished);
    }
  }

  // Stops and joins every worker. Waits for a job in flight (it holds submit_) unless called from inside one.
  void Shutdown() {
    std::unique_lock<std::mutex> submit(submit_, std::defer_lock);
    if (!t_in_job) submit.lock();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_.load(std::memory_order_relaxed)) return;
      stop_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    const std::thread::id self = std::this_thread::get_id();
    for (std::thread& t : threads_) {
      if (!t.joinable()) continue;
      if (t.get_id() == self || t_in_job) {
        t.detach();  // exit() called from inside a task: the process is going away with this thread in it
      } else {
        t.join();
      }
    }
  }

 private:
  static constexpr size_t kMaxTasks = 0xFFFFFFFF;

  // Claims and runs tasks of job `generation` until none is left (or the job is no longer current).
  void WorkOnTasks(uint32_t generation) {
    t_in_job = true;
    // Acquire on every read of claim_: having seen job g's claim word, this thread also sees job g's tasks_ and
    // fn_ (written before the caller's release store), so the bound checked below belongs to the same job.
    uint64_t word = claim_.load(std::memory_order_acquire);
    for (;;) {
      const size_t tasks = tasks_.load(std::memory_order_relaxed);
      if (static_cast<uint32_t>(word >> 32) != generation || (word & 0xFFFFFFFF) >= tasks) break;
      if (!claim_.compare_exchange_weak(word, word + 1, std::memory_order_acquire, std::memory_order_acquire)) continue;
      // Claimed task (word & 0xFFFFFFFF) of the current job: the job cannot finish before this task does, so
      // fn_ and tasks_ stay this job's until then.
      (*fn_.load(std::memory_order_relaxed))(static_cast<size_t>(word & 0xFFFFFFFF));
      if (completed_.fetch_add(1, std::memory_order_acq_rel) + 1 == tasks_.load(std::memory_order_relaxed)) {
        std::lock_guard<std::mutex> lock(mutex_);  // pairs with the caller's predicate check under mutex_
        done_.notify_one();
      }
      word = claim_.load(std::memory_order_acquire);
    }
    t_in_job = false;
  }

  void WorkerLoop(size_t index) {
    uint64_t seen = 0;
    for (;;) {
      // A new job (or stop): spin briefly, then sleep on the condition variable.
      const auto ready = [&] {
        return stop_.load(std::memory_order_acquire) || job_word_.load(std::memory_order_acquire) != seen;
      };
      if (!SpinUntil(ready, kWorkerSpin)) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, ready);
      }
      if (stop_.load(std::memory_order_acquire)) return;
      seen = job_word_.load(std::memory_order_acquire);
      if (index < (seen & 0xFF)) WorkOnTasks(static_cast<uint32_t>(seen >> 8));  // this worker takes part
    }
  }

  std::mutex submit_;  // held by the submitting thread for a whole job
  std::mutex mutex_;   // guards sleeping and waking (the condition variables' predicates)
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> job_word_{0};  // generation << 8 | workers taking part (workers 0 .. n-1)
  std::atomic<uint64_t> claim_{0};     // (generation mod 2^32) << 32 | next task index
  std::atomic<const std::function<void(size_t)>*> fn_{nullptr};
  std::atomic<size_t> tasks_{0};
  std::atomic<size_t> completed_{0};
  std::vector<std::thread> threads_;
};

// Cached: std::thread::hardware_concurrency() reads /sys on glibc (microseconds per call).
size_t HardwareThreads() {
  static const size_t threads = [] {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? size_t{1} : static_cast<size_t>(n);
  }();
  return threads;
}

Pool* g_pool = nullptr;

void ShutdownPool() { g_pool->Shutdown(); }

// Created once, on first parallel use; leaked on purpose (see the file comment). atexit() from a shared library
// registers against that library, so the join also runs if the addon is unloaded before exit.
Pool& GetPool() {
  static Pool* const pool = [] {
    Pool* p = new Pool(HardwareThreads() - 1);
    g_pool = p;
    std::atexit(ShutdownPool);
    return p;
  }();
  return *pool;
}

}  // namespace

size_t ThreadPoolSize() { return HardwareThreads(); }

void ParallelFor(size_t tasks, size_t threads, const std::function<void(size_t)>& fn) {
  if (tasks == 0) return;
  size_t participants = threads == 0 ? HardwareThreads() : std::min(threads, HardwareThreads());
  participants = std::min(participants, tasks);
  if (participants <= 1 || t_in_job) return RunInline(tasks, fn);
  Pool& pool = GetPool();
  participants = std::min(participants, pool.workers() + 1);
  if (participants <= 1) return RunInline(tasks, fn);
  pool.Run(tasks, participants, fn);
}

}  // namespace qint8

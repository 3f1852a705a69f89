// A small persistent thread pool for the compute drivers (RunGemm): one job at a time, tasks handed out by an
// atomic counter, the calling thread always works too. Safe to call from several threads (Node workers) at once.
#ifndef QINT8_THREADPOOL_H_
#define QINT8_THREADPOOL_H_

#include <cstddef>
#include <functional>

namespace qint8 {

// Runs fn(0) .. fn(tasks - 1), each exactly once, on up to `threads` threads (the caller included; 0 means
// every pool thread) and returns when all have finished. Which thread runs which task is unspecified, so fn
// must give the same result wherever it runs (write disjoint outputs). fn must not throw.
// The pool (hardware threads - 1 workers, created on first use) runs one job at a time: a caller that finds it
// busy, a call made from inside a task, or a call after process exit began runs its tasks inline, serially.
// Worker threads are joined at process exit (or when the library is unloaded); the pool object itself is never
// destroyed, so a late caller sees a stopped pool, not a destroyed one.
void ParallelFor(size_t tasks, size_t threads, const std::function<void(size_t)>& fn);

// Threads that can take part in a job: the worker count + 1 (the caller). At least 1.
size_t ThreadPoolSize();

}  // namespace qint8

#endif  // QINT8_THREADPOOL_H_

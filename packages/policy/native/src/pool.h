// A persistent thread pool shared by every engine in the process.
//
// `run(threads, chunks, f)` calls f(i, chunks) once for every chunk i in
// [0, chunks): the caller and up to threads - 1 workers take chunks from a
// shared counter until none is left. A worker that the operating system has
// not scheduled (the cores are shared) therefore never holds the caller up:
// the caller does the chunks itself and waits only for chunks a worker has
// begun. Kernels compute "share i of n" with the same operations whatever
// thread runs it, so results do not depend on who took which chunk. Idle
// workers spin briefly for the next job, then sleep on a futex; the caller
// waits for begun chunks the same way.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace eto {

class Pool {
 public:
  static Pool& shared();

  /** f(i, chunks) for every i in [0, chunks), on the caller and up to threads - 1 workers. */
  template <class F>
  void run(int threads, int chunks, F&& f) {
    if (threads <= 1 || chunks <= 1 || threads > 255 || chunks >= (1 << 20)) {
      for (int i = 0; i < chunks; i++) f(i, chunks);
      return;
    }
    std::lock_guard<std::mutex> guard(mutex_);
    ensure(threads - 1);
    using Fn = std::remove_reference_t<F>;
    dispatch(threads, chunks, [](void* ctx, int i, int n) { (*static_cast<Fn*>(ctx))(i, n); }, &f);
  }

  ~Pool();

 private:
  using Job = void (*)(void*, int, int);
  Pool() = default;
  void ensure(int workers);
  void dispatch(int threads, int chunks, Job job, void* ctx);
  /** Runs chunks of job `gen` until none is left. */
  void drain(uint32_t gen);
  void worker(int index, uint32_t seen);

  std::mutex mutex_;
  std::vector<std::thread> threads_;
  // the job, written by the caller before it is announced
  Job job_ = nullptr;
  void* ctx_ = nullptr;
  // [generation: 24 bits | chunks: 20 bits | next chunk: 20 bits]
  alignas(64) std::atomic<uint64_t> work_{0};
  // chunks of the current job finished
  alignas(64) std::atomic<uint32_t> done_{0};
  // what workers wait on: [threads taking part: 8 bits | generation: 24 bits]
  alignas(64) std::atomic<uint32_t> announce_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  std::atomic<int> callerSleeping_{0};
  std::atomic<bool> stop_{false};
  uint32_t generation_ = 0;
};

}  // namespace eto

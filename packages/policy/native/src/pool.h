// A persistent thread pool shared by every engine in the process. `run(nth, f)`
// calls f(tid, nth) on the calling thread (tid 0) and nth - 1 workers, and
// returns when all are done. Idle workers spin briefly for the next job, then
// sleep on a futex; the caller waits for them the same way.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace eto {

class Pool {
 public:
  static Pool& shared();

  /** Runs f(tid, nth) for tid in [0, nth) (nth >= 1), the caller taking tid 0. */
  template <class F>
  void run(int nth, F&& f) {
    if (nth <= 1 || nth > 255) {
      f(0, 1);
      return;
    }
    std::lock_guard<std::mutex> guard(mutex_);
    ensure(nth - 1);
    using Fn = std::remove_reference_t<F>;
    dispatch(nth, [](void* ctx, int tid, int n) { (*static_cast<Fn*>(ctx))(tid, n); }, &f);
  }

  ~Pool();

 private:
  using Job = void (*)(void*, int, int);
  Pool() = default;
  void ensure(int workers);
  void dispatch(int nth, Job job, void* ctx);
  void worker(int index, uint32_t seen);

  std::mutex mutex_;
  std::vector<std::thread> threads_;
  // job state, written by the caller before `generation_` moves
  Job job_ = nullptr;
  void* ctx_ = nullptr;
  alignas(64) std::atomic<uint32_t> generation_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  alignas(64) std::atomic<uint32_t> pending_{0};
  alignas(64) std::atomic<int> callerSleeping_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace eto

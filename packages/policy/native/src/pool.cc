#include "pool.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace eto {

namespace {

// Iterations of the spin before sleeping: a few tens of microseconds, about
// the gap between two kernels of one forward or backward pass.
constexpr int kSpin = 4000;

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

inline void futexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

inline void futexWake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace

Pool& Pool::shared() {
  // never destroyed: workers may still be parked when the process exits
  static Pool* pool = new Pool();
  return *pool;
}

Pool::~Pool() {
  stop_.store(true);
  generation_.fetch_add(1 << 8);
  futexWake(&generation_);
  for (auto& t : threads_) t.join();
}

void Pool::ensure(int workers) {
  while ((int)threads_.size() < workers) {
    const int index = (int)threads_.size();
    // the generation before the next dispatch: a worker that starts late still sees that job as new
    const uint32_t seen = generation_.load();
    threads_.emplace_back([this, index, seen] { worker(index, seen); });
  }
}

void Pool::dispatch(int nth, Job job, void* ctx) {
  job_ = job;
  ctx_ = ctx;
  pending_.store((uint32_t)(nth - 1));
  // the job's thread count travels in the low byte of the generation word, so
  // a worker reads it together with the news of the job
  const uint32_t g = generation_.load();
  generation_.store((((g >> 8) + 1) << 8) | (uint32_t)nth);
  if (sleepers_.load() > 0) futexWake(&generation_);
  job(ctx, 0, nth);
  for (int spin = 0;; spin++) {
    const uint32_t left = pending_.load();
    if (left == 0) break;
    if (spin < kSpin) {
      relax();
      continue;
    }
    callerSleeping_.store(1);
    if (pending_.load() == left) futexWait(&pending_, left);
    callerSleeping_.store(0);
  }
}

void Pool::worker(int index, uint32_t seen) {
  const int tid = index + 1;
  for (;;) {
    uint32_t now = generation_.load();
    for (int spin = 0; now == seen; spin++) {
      if (spin < kSpin) {
        relax();
      } else {
        sleepers_.fetch_add(1);
        if (generation_.load() == seen) futexWait(&generation_, seen);
        sleepers_.fetch_sub(1);
      }
      now = generation_.load();
    }
    seen = now;
    if (stop_.load()) return;
    const int nth = (int)(now & 0xff);
    if (tid < nth) {
      job_(ctx_, tid, nth);
      if (pending_.fetch_sub(1) == 1 && callerSleeping_.load()) futexWake(&pending_);
    }
  }
}

}  // namespace eto

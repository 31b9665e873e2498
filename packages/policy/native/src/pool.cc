#include "pool.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace eto {

namespace {

// Iterations of the spin before sleeping: a few tens of microseconds, longer
// than the gap between two kernels of one pass.
constexpr int kSpin = 4000;

constexpr uint64_t kMask20 = (1u << 20) - 1;
constexpr uint32_t kMask24 = (1u << 24) - 1;

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

inline uint64_t packWork(uint32_t gen, uint32_t chunks, uint32_t next) {
  return ((uint64_t)gen << 40) | ((uint64_t)chunks << 20) | next;
}

}  // namespace

Pool& Pool::shared() {
  // never destroyed: workers may still be parked when the process exits
  static Pool* pool = new Pool();
  return *pool;
}

Pool::~Pool() {
  stop_.store(true);
  announce_.fetch_add(1);
  futexWake(&announce_);
  for (auto& t : threads_) t.join();
}

void Pool::ensure(int workers) {
  while ((int)threads_.size() < workers) {
    const int index = (int)threads_.size();
    // the announcement before the next dispatch: a worker that starts late still sees that job as new
    const uint32_t seen = announce_.load();
    threads_.emplace_back([this, index, seen] { worker(index, seen); });
  }
}

void Pool::drain(uint32_t gen) {
  uint64_t w = work_.load();
  for (;;) {
    const uint32_t chunks = (uint32_t)((w >> 20) & kMask20), next = (uint32_t)(w & kMask20);
    if ((uint32_t)(w >> 40) != gen || next >= chunks) return;
    if (!work_.compare_exchange_weak(w, w + 1)) continue;
    // the chunk is ours: the job cannot finish, so job_ and ctx_ stay valid while it runs
    job_(ctx_, (int)next, (int)chunks);
    if (done_.fetch_add(1) + 1 == chunks && callerSleeping_.load()) futexWake(&done_);
    w = work_.load();
  }
}

void Pool::dispatch(int threads, int chunks, Job job, void* ctx) {
  generation_ = (generation_ + 1) & kMask24;
  job_ = job;
  ctx_ = ctx;
  done_.store(0);
  work_.store(packWork(generation_, (uint32_t)chunks, 0));
  announce_.store(((uint32_t)threads << 24) | generation_);
  if (sleepers_.load() > 0) futexWake(&announce_);
  drain(generation_);
  for (int spin = 0;; spin++) {
    const uint32_t finished = done_.load();
    if (finished == (uint32_t)chunks) break;
    if (spin < kSpin) {
      relax();
      continue;
    }
    callerSleeping_.store(1);
    if (done_.load() == finished) futexWait(&done_, finished);
    callerSleeping_.store(0);
  }
}

void Pool::worker(int index, uint32_t seen) {
  const int tid = index + 1;
  for (;;) {
    uint32_t now = announce_.load();
    for (int spin = 0; now == seen; spin++) {
      if (spin < kSpin) {
        relax();
      } else {
        sleepers_.fetch_add(1);
        if (announce_.load() == seen) futexWait(&announce_, seen);
        sleepers_.fetch_sub(1);
      }
      now = announce_.load();
    }
    seen = now;
    if (stop_.load()) return;
    if (tid < (int)(now >> 24)) drain(now & kMask24);
  }
}

}  // namespace eto

// Persistent workers woken by a generation counter. A worker spins on the counter for a
// short while after each job (jobs of one token follow each other within microseconds), then
// sleeps on it with a futex (std::atomic::wait). The caller waits for the workers the same way.
// run() only bumps counters: no lock, no allocation, and a futex wake only when some thread
// is actually asleep.
//
// Indices are claimed from a shared counter rather than bound to threads: the caller, once
// done with index 0, runs any index no worker has picked up yet. On a loaded machine a
// descheduled worker then delays nothing it has not started.
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <atomic>
#include <thread>
#include <vector>

#include "kernels/threadpool.h"

namespace edgenode::kernels {
namespace {

// Each a pause instruction (10-100 ns depending on the CPU): tens to a couple of hundred
// microseconds in all, enough to bridge the row ops between two matrix products without
// burning a core for long when the machine is oversubscribed.
constexpr int kSpinIterations = 2000;

constexpr size_t kLineBytes = 64;

// Two cache lines from p on, requested without waiting for them.
inline void read_ahead(const char* p) {
  __builtin_prefetch(p);
  __builtin_prefetch(p + kLineBytes);
}

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

struct ThreadPool::State {
  int n_threads = 1;
  std::vector<std::thread> workers;
  Job job = nullptr;
  void* ctx = nullptr;
  alignas(64) std::atomic<uint32_t> generation{0};
  alignas(64) std::atomic<int> next_index{0};
  alignas(64) std::atomic<int> completed{0};
  std::atomic<bool> caller_asleep{false};
  alignas(64) std::atomic<int> sleepers{0};
  std::atomic<bool> stopping{false};
  // barrier(): arrivals in the current phase, and the phase count the waiters watch.
  alignas(64) std::atomic<int> barrier_arrived{0};
  alignas(64) std::atomic<uint32_t> barrier_phase{0};
  std::atomic<int> barrier_sleepers{0};

  // Runs unclaimed indices of the current job until none is left.
  void run_claimed() {
    for (int i = next_index.fetch_add(1, std::memory_order_acq_rel); i < n_threads;
         i = next_index.fetch_add(1, std::memory_order_acq_rel)) {
      job(ctx, i, n_threads);
      // seq_cst pairs with the caller's: either the last finisher sees the caller asleep and
      // wakes it, or the caller's wait() sees the final count.
      if (completed.fetch_add(1, std::memory_order_seq_cst) + 1 == n_threads - 1 &&
          caller_asleep.load(std::memory_order_seq_cst)) {
        completed.notify_one();
      }
    }
  }

  void worker_loop() {
    uint32_t seen = 0;
    for (;;) {
      uint32_t now = generation.load(std::memory_order_acquire);
      for (int spin = 0; now == seen && spin < kSpinIterations; ++spin) {
        cpu_relax();
        now = generation.load(std::memory_order_acquire);
      }
      if (now == seen) {
        // The seq_cst increment pairs with run()'s seq_cst generation bump and sleepers load:
        // either run() sees this sleeper and wakes it, or wait() sees the new generation.
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        generation.wait(seen, std::memory_order_seq_cst);
        sleepers.fetch_sub(1, std::memory_order_relaxed);
        continue;
      }
      seen = now;
      if (stopping.load(std::memory_order_acquire)) return;
      run_claimed();
    }
  }
};

ThreadPool::ThreadPool(int n_threads) : state_(new State) {
  state_->n_threads = n_threads < 1 ? 1 : n_threads;
  for (int i = 1; i < state_->n_threads; ++i) state_->workers.emplace_back([s = state_] { s->worker_loop(); });
}

ThreadPool::~ThreadPool() {
  state_->stopping.store(true, std::memory_order_release);
  state_->generation.fetch_add(1, std::memory_order_seq_cst);
  state_->generation.notify_all();
  for (auto& w : state_->workers) w.join();
  delete state_;
}

int ThreadPool::size() const { return state_->n_threads; }

void ThreadPool::barrier(ReadAhead* ahead) {
  State& s = *state_;
  if (s.n_threads == 1) return;
  const uint32_t phase = s.barrier_phase.load(std::memory_order_acquire);
  if (s.barrier_arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == s.n_threads) {
    // Reset before the phase moves on: no waiter arrives at the next barrier before that.
    s.barrier_arrived.store(0, std::memory_order_relaxed);
    s.barrier_phase.fetch_add(1, std::memory_order_seq_cst);
    if (s.barrier_sleepers.load(std::memory_order_seq_cst) > 0) s.barrier_phase.notify_all();
    return;
  }
  // Reading ahead does not count against the spin: it takes the place of idling, and a
  // waiter that went to sleep after it would wake up late.
  for (int spin = 0; spin < kSpinIterations;) {
    if (s.barrier_phase.load(std::memory_order_acquire) != phase) return;
    if (ahead && ahead->next < ahead->end) {
      read_ahead(ahead->next);
      ahead->next += 2 * kLineBytes;
      continue;
    }
    cpu_relax();
    ++spin;
  }
  // As in worker_loop: either the last arrival sees this sleeper, or wait() sees the new phase.
  s.barrier_sleepers.fetch_add(1, std::memory_order_seq_cst);
  while (s.barrier_phase.load(std::memory_order_seq_cst) == phase) s.barrier_phase.wait(phase, std::memory_order_seq_cst);
  s.barrier_sleepers.fetch_sub(1, std::memory_order_relaxed);
}

void ThreadPool::run(Job job, void* ctx) {
  State& s = *state_;
  if (s.n_threads == 1) {
    job(ctx, 0, 1);
    return;
  }
  // A worker still leaving the previous job may bump next_index, but it claims an index only
  // after this release store, so it sees this job and ctx.
  s.job = job;
  s.ctx = ctx;
  s.completed.store(0, std::memory_order_relaxed);
  s.next_index.store(1, std::memory_order_release);
  s.generation.fetch_add(1, std::memory_order_seq_cst);
  if (s.sleepers.load(std::memory_order_seq_cst) > 0) s.generation.notify_all();
  job(ctx, 0, s.n_threads);
  s.run_claimed();

  const int others = s.n_threads - 1;
  for (int spin = 0; spin < kSpinIterations; ++spin) {
    if (s.completed.load(std::memory_order_acquire) == others) return;
    cpu_relax();
  }
  s.caller_asleep.store(true, std::memory_order_seq_cst);
  for (int done = s.completed.load(std::memory_order_seq_cst); done != others;
       done = s.completed.load(std::memory_order_seq_cst)) {
    s.completed.wait(done, std::memory_order_seq_cst);
  }
  s.caller_asleep.store(false, std::memory_order_relaxed);
}

}  // namespace edgenode::kernels

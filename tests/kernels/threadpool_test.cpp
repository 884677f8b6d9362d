// The thread pool runs every index exactly once per run, over many runs, parallel_for
// covers its range exactly once, and barrier() holds every index until all have reached it
// (reading ahead while it waits, when asked to).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "kernels/threadpool.h"

namespace edgenode::kernels {
namespace {

TEST(ThreadPool, EveryIndexRunsExactlyOncePerRun) {
  for (const int n : {1, 2, 3, 5}) {
    ThreadPool pool(n);
    ASSERT_EQ(pool.size(), n);
    std::vector<std::atomic<int>> hits(n);
    struct Ctx {
      std::vector<std::atomic<int>>* hits;
      int expected_threads;
      std::atomic<int> wrong_count{0};
    } ctx{&hits, n};
    constexpr int kRuns = 1000;
    for (int run = 0; run < kRuns; ++run) {
      pool.run([](void* p, int i, int nt) {
        auto* c = static_cast<Ctx*>(p);
        if (nt != c->expected_threads) c->wrong_count.fetch_add(1);
        (*c->hits)[i].fetch_add(1, std::memory_order_relaxed);
      }, &ctx);
      // run() returns only after every index is done.
      for (int i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), run + 1) << "index " << i << " run " << run;
    }
    EXPECT_EQ(ctx.wrong_count.load(), 0);
  }
}

TEST(ThreadPool, WakesAfterSleeping) {
  ThreadPool pool(3);
  std::atomic<int> count{0};
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // long enough for workers to go to sleep
    pool.run([](void* p, int, int) { static_cast<std::atomic<int>*>(p)->fetch_add(1); }, &count);
    EXPECT_EQ(count.load(), 3 * (round + 1));
  }
}

TEST(ThreadPool, ParallelForCoversRangeOnce) {
  ThreadPool pool(3);
  for (const int n : {0, 1, 2, 7, 1000}) {
    std::vector<int> seen(n, 0);
    pool.parallel_for(n, [&](int begin, int end) {
      for (int i = begin; i < end; ++i) ++seen[i];
    });
    for (int i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << i;
  }
}

// Each index records the phase it has reached; after every barrier all indices must have
// reached at least that phase. More threads than this machine's cores (5 on 2) puts workers
// to sleep mid-job, which must delay the others but never deadlock them.
TEST(ThreadPool, BarrierHoldsEveryIndexUntilAllArrive) {
  for (const int n : {1, 2, 5}) {
    ThreadPool pool(n);
    constexpr int kPhases = 4;
    struct Ctx {
      ThreadPool* pool;
      std::vector<std::atomic<int>> reached;
      std::atomic<int> early{0};
    } ctx{&pool, std::vector<std::atomic<int>>(n)};
    for (int run = 0; run < 300; ++run) {
      for (auto& r : ctx.reached) r.store(0);
      pool.run([](void* p, int i, int nt) {
        auto* c = static_cast<Ctx*>(p);
        for (int phase = 1; phase <= kPhases; ++phase) {
          c->reached[i].store(phase, std::memory_order_release);
          c->pool->barrier();
          for (int j = 0; j < nt; ++j)
            if (c->reached[j].load(std::memory_order_acquire) < phase) c->early.fetch_add(1);
          c->pool->barrier();  // nobody starts the next phase while another still checks this one
        }
      }, &ctx);
      for (int i = 0; i < n; ++i) ASSERT_EQ(ctx.reached[i].load(), kPhases) << "index " << i << " run " << run;
    }
    EXPECT_EQ(ctx.early.load(), 0) << n << " threads";
  }
}

// An index that waits at a barrier requests its read-ahead range meanwhile, and the barrier
// still holds it until the late one arrives.
TEST(ThreadPool, BarrierReadsAheadWhileWaiting) {
  ThreadPool pool(2);
  static std::vector<char> memory(size_t{1} << 20);
  struct Ctx {
    ThreadPool* pool;
    ThreadPool::ReadAhead ahead[2];
    std::atomic<bool> late_done{false};
    bool held = true;
  } ctx{&pool, {}};
  for (auto& a : ctx.ahead) a = {memory.data(), memory.data() + memory.size()};
  pool.run([](void* p, int i, int) {
    auto* c = static_cast<Ctx*>(p);
    if (i == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      c->late_done.store(true, std::memory_order_release);
    }
    c->pool->barrier(&c->ahead[i]);
    if (!c->late_done.load(std::memory_order_acquire)) c->held = false;
  }, &ctx);
  EXPECT_TRUE(ctx.held);
  // Index 0 waited about 50 ms: it read ahead before it slept.
  EXPECT_GT(ctx.ahead[0].next, memory.data());
  EXPECT_LE(ctx.ahead[0].next, memory.data() + memory.size() + 128);
}

}  // namespace
}  // namespace edgenode::kernels

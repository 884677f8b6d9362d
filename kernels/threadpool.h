// A persistent pool of worker threads for splitting one operation across cores.
// run() calls the job once for every index in [0, n_threads); workers spin briefly and then
// sleep between jobs. Nothing on the run() path allocates or takes a lock.
// An index is not tied to a thread: the caller runs index 0 and then any index no worker has
// started yet, so one thread may run several indices (one after another) in a run.
#pragma once

#include <cstdint>
#include <functional>

namespace edgenode::kernels {

class ThreadPool {
 public:
  // A job sees (thread_index, n_threads); the calling thread runs index 0.
  using Job = void (*)(void* ctx, int thread_index, int n_threads);

  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Runs job on every thread (the caller included) and returns when all are done.
  void run(Job job, void* ctx);

  // Memory a thread reads after a barrier: while it waits there, it requests the range line
  // by line, so an early arrival reads ahead instead of idling. The range advances as it is
  // requested, and a later barrier given the same one goes on where this one stopped.
  struct ReadAhead {
    const char* next = nullptr;
    const char* end = nullptr;
  };

  // For a job split into phases: returns once every index of the current job has called it
  // as often as this one. Every index must call it the same number of times. A job that
  // does runs each index on a thread of its own (no index can finish, and free its thread
  // for another, while the others wait here), so a descheduled worker delays the others but
  // cannot deadlock them. Spins briefly (reading ahead, when given a range), then sleeps.
  void barrier(ReadAhead* ahead = nullptr);

  // Convenience for splitting [0, n) into contiguous chunks, one per thread.
  template <class F>
  void parallel_for(int n, F&& body) {  // body(begin, end)
    struct Ctx { F* f; int n; } c{&body, n};
    run([](void* p, int i, int nt) {
          auto* c = static_cast<Ctx*>(p);
          const int chunk = (c->n + nt - 1) / nt;
          const int b = i * chunk, e = b + chunk < c->n ? b + chunk : c->n;
          if (b < e) (*c->f)(b, e);
        }, &c);
  }

 private:
  struct State;
  State* state_;
};

}  // namespace edgenode::kernels

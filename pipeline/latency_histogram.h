// Latency percentiles without storing samples: counts in log-spaced buckets (about 9 %
// wide, 10 µs to ~10 min), updated with relaxed atomics. Percentiles come from the
// difference of two snapshots, so telemetry reports each interval, not the whole run.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace edgenode::pipeline {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 220;
  using Counts = std::array<uint64_t, kBuckets>;

  void record(double ms);
  Counts snapshot() const;
  // The p-th percentile (0..100) in ms of the samples in `counts`; 0 when empty.
  static double percentile(const Counts& counts, double p);
  static Counts minus(const Counts& now, const Counts& before);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
};

}  // namespace edgenode::pipeline

#include "pipeline/latency_histogram.h"

#include <cmath>

namespace edgenode::pipeline {

namespace {
constexpr double kMinMs = 0.01;
constexpr double kGrowth = 1.09;

int bucket_of(double ms) {
  if (!(ms > kMinMs)) return 0;
  const int b = 1 + static_cast<int>(std::log(ms / kMinMs) / std::log(kGrowth));
  return b >= LatencyHistogram::kBuckets ? LatencyHistogram::kBuckets - 1 : b;
}

// The upper edge of a bucket: a percentile never under-reports.
double bucket_upper_ms(int b) { return kMinMs * std::pow(kGrowth, b); }
}  // namespace

void LatencyHistogram::record(double ms) { buckets_[static_cast<size_t>(bucket_of(ms))].fetch_add(1, std::memory_order_relaxed); }

LatencyHistogram::Counts LatencyHistogram::snapshot() const {
  Counts out{};
  for (int i = 0; i < kBuckets; ++i) out[static_cast<size_t>(i)] = buckets_[static_cast<size_t>(i)].load(std::memory_order_relaxed);
  return out;
}

LatencyHistogram::Counts LatencyHistogram::minus(const Counts& now, const Counts& before) {
  Counts out{};
  for (int i = 0; i < kBuckets; ++i) out[static_cast<size_t>(i)] = now[static_cast<size_t>(i)] - before[static_cast<size_t>(i)];
  return out;
}

double LatencyHistogram::percentile(const Counts& counts, double p) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(total));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[static_cast<size_t>(i)];
    if (static_cast<double>(seen) >= rank && seen > 0) return bucket_upper_ms(i);
  }
  return bucket_upper_ms(kBuckets - 1);
}

}  // namespace edgenode::pipeline

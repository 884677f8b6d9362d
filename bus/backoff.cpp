#include "bus/backoff.h"

#include <algorithm>

namespace edgenode::bus {

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max, uint64_t seed)
    : min_(std::max(min, std::chrono::milliseconds(1))), max_(std::max(max, min_)), rng_(seed) {}

std::chrono::milliseconds ReconnectBackoff::next() {
  // Doubling stops once the cap is reached, so the shift never overflows.
  int64_t ceiling = min_.count();
  for (int i = 0; i < attempt_ && ceiling < max_.count(); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<int64_t>(max_.count()));
  ++attempt_;
  std::uniform_int_distribution<int64_t> jitter(ceiling / 2, ceiling);
  return std::chrono::milliseconds(jitter(rng_));
}

}  // namespace edgenode::bus

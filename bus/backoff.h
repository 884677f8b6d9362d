// Jittered exponential backoff for reconnects: the n-th delay is drawn uniformly from
// [d/2, d] with d = min(max, min * 2^n), so many nodes that lost the same broker do not
// come back in lockstep.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace edgenode::bus {

class ReconnectBackoff {
 public:
  ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max, uint64_t seed);
  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  std::chrono::milliseconds min_, max_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace edgenode::bus

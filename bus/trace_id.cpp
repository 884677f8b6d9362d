#include "bus/trace_id.h"

#include <random>

namespace edgenode::bus {

std::string random_trace_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, bits >>= 4) id[i] = kHex[bits & 0xF];
  return id;
}

}  // namespace edgenode::bus

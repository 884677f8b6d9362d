// This process's resident memory and CPU use, from /proc (Linux).
#pragma once

#include <cstdint>

namespace edgenode::node {

struct ProcessSample {
  uint64_t rss_bytes = 0;
  double cpu_seconds = 0;  // user + system time so far
};

ProcessSample sample_process();

}  // namespace edgenode::node

// Trace ids tie a result to the input it came from.
#pragma once

#include <string>

namespace edgenode::bus {

// 16 random lowercase hex digits (64 bits), thread-safe.
std::string random_trace_id();

}  // namespace edgenode::bus

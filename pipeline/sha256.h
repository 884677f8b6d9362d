// SHA-256 (FIPS 180-4), for dead-letter payload digests and prompt template hashes.
#pragma once

#include <string>
#include <string_view>

namespace edgenode::pipeline {

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace edgenode::pipeline

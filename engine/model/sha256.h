// SHA-256 (FIPS 180-4): the provenance of results (which model file and prompt template
// produced them) and dead-letter payload digests. Streams in 64-byte blocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgenode::engine {

class Sha256 {
 public:
  void update(const uint8_t* data, size_t size);
  std::string hex_digest();  // lower-case hex; ends the stream

 private:
  std::array<uint32_t, 8> state_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t buffer_[64] = {};
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

// Lower-case hex digest of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex digest of a file; empty when it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace edgenode::engine

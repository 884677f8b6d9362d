// The size-limit reason shared by the codecs (internal to bus/).
#pragma once

#include <cstddef>
#include <string>

namespace edgenode::bus {

inline std::string payload_too_large(std::size_t size, std::size_t limit) {
  return "payload too large: " + std::to_string(size) + " bytes, limit " + std::to_string(limit);
}

}  // namespace edgenode::bus

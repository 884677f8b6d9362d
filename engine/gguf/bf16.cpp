// f32 -> bfloat16 for the writer (round to nearest even, NaN kept quiet).
#include <cstring>

#include "engine/gguf/dequantize.h"

namespace edgenode::engine {

uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet nan
  return static_cast<uint16_t>((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

}  // namespace edgenode::engine

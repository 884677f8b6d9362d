// ggml tensor element types as numbered in GGUF, with their block geometry.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace edgenode::engine {

enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35,
};

struct GgmlTypeTraits {
  std::string_view name;   // as ggml prints it: "f32", "q8_0", "q4_K"
  int64_t block_size;      // elements per block
  uint64_t block_bytes;    // bytes per block
  bool dequantizable;      // this project can convert it to f32
};

// Traits of a type number as read from a file; nullopt for a number ggml does not define.
std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t type);
std::optional<GgmlTypeTraits> ggml_type_traits(GgmlType type);

std::string_view type_name(GgmlType type);  // "unknown" for an undefined number
int64_t block_size(GgmlType type);           // 0 for an undefined number
uint64_t block_bytes(GgmlType type);         // 0 for an undefined number
// Bytes of a row of n elements; nullopt when n is not a multiple of the block size.
std::optional<uint64_t> row_bytes(GgmlType type, int64_t n);
// Parses a type name ("q4_k", "Q8_0", case-insensitive).
std::optional<GgmlType> ggml_type_from_name(std::string_view name);

}  // namespace edgenode::engine

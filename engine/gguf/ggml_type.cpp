#include "engine/gguf/ggml_type.h"

#include <cctype>
#include <string>

namespace edgenode::engine {
namespace {

struct TypeEntry {
  uint32_t number;
  GgmlTypeTraits traits;
};

// Block geometry of every type ggml defines (ggml.c type_traits); numbers 4, 5 and 31-33
// were removed from ggml and are not valid in a file.
constexpr TypeEntry kTypes[] = {
    {0, {"f32", 1, 4, true}},
    {1, {"f16", 1, 2, true}},
    {2, {"q4_0", 32, 18, true}},
    {3, {"q4_1", 32, 20, true}},
    {6, {"q5_0", 32, 22, true}},
    {7, {"q5_1", 32, 24, true}},
    {8, {"q8_0", 32, 34, true}},
    {9, {"q8_1", 32, 36, false}},
    {10, {"q2_K", 256, 84, false}},
    {11, {"q3_K", 256, 110, false}},
    {12, {"q4_K", 256, 144, true}},
    {13, {"q5_K", 256, 176, true}},
    {14, {"q6_K", 256, 210, true}},
    {15, {"q8_K", 256, 292, false}},
    {16, {"iq2_xxs", 256, 66, false}},
    {17, {"iq2_xs", 256, 74, false}},
    {18, {"iq3_xxs", 256, 98, false}},
    {19, {"iq1_s", 256, 50, false}},
    {20, {"iq4_nl", 32, 18, false}},
    {21, {"iq3_s", 256, 110, false}},
    {22, {"iq2_s", 256, 82, false}},
    {23, {"iq4_xs", 256, 136, false}},
    {24, {"i8", 1, 1, false}},
    {25, {"i16", 1, 2, false}},
    {26, {"i32", 1, 4, false}},
    {27, {"i64", 1, 8, false}},
    {28, {"f64", 1, 8, false}},
    {29, {"iq1_m", 256, 56, false}},
    {30, {"bf16", 1, 2, true}},
    {34, {"tq1_0", 256, 54, false}},
    {35, {"tq2_0", 256, 66, false}},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t type) {
  for (const auto& entry : kTypes) {
    if (entry.number == type) return entry.traits;
  }
  return std::nullopt;
}

std::optional<GgmlTypeTraits> ggml_type_traits(GgmlType type) {
  return ggml_type_traits(static_cast<uint32_t>(type));
}

std::string_view type_name(GgmlType type) {
  auto traits = ggml_type_traits(type);
  return traits ? traits->name : std::string_view("unknown");
}

int64_t block_size(GgmlType type) {
  auto traits = ggml_type_traits(type);
  return traits ? traits->block_size : 0;
}

uint64_t block_bytes(GgmlType type) {
  auto traits = ggml_type_traits(type);
  return traits ? traits->block_bytes : 0;
}

std::optional<uint64_t> row_bytes(GgmlType type, int64_t n) {
  auto traits = ggml_type_traits(type);
  if (!traits || n < 0 || n % traits->block_size != 0) return std::nullopt;
  return static_cast<uint64_t>(n / traits->block_size) * traits->block_bytes;
}

std::optional<GgmlType> ggml_type_from_name(std::string_view name) {
  const std::string wanted = lower(name);
  for (const auto& entry : kTypes) {
    if (lower(entry.traits.name) == wanted) {
      return static_cast<GgmlType>(entry.number);
    }
  }
  return std::nullopt;
}

}  // namespace edgenode::engine

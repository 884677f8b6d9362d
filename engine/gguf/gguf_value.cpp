#include <limits>
#include <type_traits>

#include "engine/gguf/gguf.h"

namespace edgenode::engine {

// GgufValue::type() relies on the variant's alternatives being in file-format order.
static_assert(std::is_same_v<std::variant_alternative_t<0, GgufValue::Storage>, uint8_t>);
static_assert(std::is_same_v<std::variant_alternative_t<7, GgufValue::Storage>, bool>);
static_assert(std::is_same_v<std::variant_alternative_t<8, GgufValue::Storage>, std::string>);
static_assert(std::is_same_v<std::variant_alternative_t<9, GgufValue::Storage>, GgufArray>);
static_assert(std::is_same_v<std::variant_alternative_t<12, GgufValue::Storage>, double>);

const char* value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::UINT8: return "u8";
    case GgufValueType::INT8: return "i8";
    case GgufValueType::UINT16: return "u16";
    case GgufValueType::INT16: return "i16";
    case GgufValueType::UINT32: return "u32";
    case GgufValueType::INT32: return "i32";
    case GgufValueType::FLOAT32: return "f32";
    case GgufValueType::BOOL: return "bool";
    case GgufValueType::STRING: return "string";
    case GgufValueType::ARRAY: return "array";
    case GgufValueType::UINT64: return "u64";
    case GgufValueType::INT64: return "i64";
    case GgufValueType::FLOAT64: return "f64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const {
  switch (type()) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::UINT16:
    case GgufValueType::INT16: case GgufValueType::UINT32: case GgufValueType::INT32:
    case GgufValueType::UINT64: case GgufValueType::INT64:
      return true;
    default:
      return false;
  }
}

std::optional<int64_t> GgufValue::as_i64() const {
  if (!is_integer()) return std::nullopt;
  if (const auto* u = std::get_if<uint64_t>(&v)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(*u);
  }
  return std::visit(
      [](const auto& x) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<int64_t>(x);
        } else {
          return std::nullopt;
        }
      },
      v);
}

std::optional<uint64_t> GgufValue::as_u64() const {
  if (const auto* u = std::get_if<uint64_t>(&v)) return *u;
  auto s = as_i64();
  if (!s || *s < 0) return std::nullopt;
  return static_cast<uint64_t>(*s);
}

std::optional<double> GgufValue::as_f64() const {
  if (const auto* f = std::get_if<float>(&v)) return *f;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&v)) return static_cast<double>(*u);
  if (auto s = as_i64()) return static_cast<double>(*s);
  return std::nullopt;
}

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;  // the parser rejected products that overflow
  return n;
}

uint64_t GgufTensorInfo::row_bytes() const {
  if (ne.empty()) return 0;
  return engine::row_bytes(type, ne[0]).value_or(0);
}

}  // namespace edgenode::engine

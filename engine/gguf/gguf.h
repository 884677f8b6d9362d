// GGUF v2/v3 reader: the file is memory-mapped read-only and every count, length, offset,
// type and dimension is checked against the file before it is used. A bad file gives an
// Error naming the problem (and the key or tensor), never a crash or an out-of-bounds read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "engine/gguf/ggml_type.h"

namespace edgenode::engine {

// GGUF metadata value types, numbered as in the file format.
enum class GgufValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* value_type_name(GgufValueType type);

struct GgufValue;

// An array value: the element type as written in the file plus the elements
// (nested arrays are GgufArray elements themselves).
struct GgufArray {
  GgufValueType element_type = GgufValueType::UINT8;
  std::vector<GgufValue> items;
};

struct GgufValue {
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                               std::string, GgufArray, uint64_t, int64_t, double>;
  Storage v;  // the alternative index equals the GgufValueType number

  GgufValueType type() const { return static_cast<GgufValueType>(v.index()); }
  bool is_integer() const;
  // The value as a signed/unsigned 64-bit integer when it is an integer type whose value fits.
  std::optional<int64_t> as_i64() const;
  std::optional<uint64_t> as_u64() const;
  // Any integer or float type as double (bool is not a number).
  std::optional<double> as_f64() const;
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> ne;   // ne[0] is the row length (contiguous), up to 4 dims
  uint64_t offset = 0;       // relative to the start of the data section
  const uint8_t* data = nullptr;  // inside the mapped file
  uint64_t nbytes = 0;

  int64_t n_elements() const;
  int64_t n_rows() const { return ne.empty() || ne[0] == 0 ? 0 : n_elements() / ne[0]; }
  uint64_t row_bytes() const;  // bytes of one row of ne[0] elements
};

class GgufFile {
 public:
  // Maps the file read-only (MAP_PRIVATE) and parses it.
  static Result<GgufFile> open(const std::string& path);
  // Parses a buffer the caller keeps alive for the lifetime of the GgufFile (not owning).
  static Result<GgufFile> from_memory(const uint8_t* data, size_t size);

  GgufFile(GgufFile&& other) noexcept;
  GgufFile& operator=(GgufFile&& other) noexcept;
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;
  ~GgufFile();

  uint32_t version() const { return version_; }
  uint64_t file_size() const { return size_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // start of the tensor data section
  const std::string& path() const { return path_; }       // empty for from_memory

  // Metadata in file order.
  const std::vector<GgufKeyValue>& metadata() const { return kv_; }
  const GgufValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed getters. Errors name the key and the expected vs actual type ("missing key" when
  // absent). Integer getters accept any integer type whose value fits the requested one.
  Result<std::string> get_string(std::string_view key) const;
  Result<uint32_t> get_u32(std::string_view key) const;
  Result<int32_t> get_i32(std::string_view key) const;
  Result<uint64_t> get_u64(std::string_view key) const;
  Result<float> get_f32(std::string_view key) const;  // accepts f32 or f64
  Result<bool> get_bool(std::string_view key) const;
  Result<const GgufArray*> get_array(std::string_view key) const;
  Result<std::vector<std::string>> get_string_array(std::string_view key) const;
  Result<std::vector<float>> get_f32_array(std::string_view key) const;
  Result<std::vector<int32_t>> get_i32_array(std::string_view key) const;

  // The same getters with a default for optional keys; a present key of the wrong type
  // is still an error.
  Result<uint32_t> get_u32_or(std::string_view key, uint32_t fallback) const;
  Result<float> get_f32_or(std::string_view key, float fallback) const;
  Result<bool> get_bool_or(std::string_view key, bool fallback) const;
  Result<std::string> get_string_or(std::string_view key, std::string fallback) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* tensor(std::string_view name) const;

  // Drops this process's pages of a range of the mapping once their contents were copied
  // elsewhere, so the file is not counted twice in its memory; a later read maps them again
  // from the page cache. Whole pages inside the range only; a no-op for from_memory files and
  // for ranges outside the mapping.
  void release_pages(const uint8_t* begin, uint64_t bytes) const;

 private:
  GgufFile() = default;
  friend class GgufParser;

  std::string path_;
  void* map_ = nullptr;  // owned mmap, or null for from_memory
  uint64_t size_ = 0;
  const uint8_t* bytes_ = nullptr;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> kv_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace edgenode::engine

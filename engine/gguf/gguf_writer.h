// Writes GGUF v3 files: metadata of every value type (arrays included) and tensors of any
// type this project can quantize to, with the data section aligned to general.alignment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/gguf/gguf.h"

namespace edgenode::engine {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t alignment = 32);

  // Adds or replaces a metadata key (file order is insertion order).
  void set(const std::string& key, GgufValue value);
  void set_string(const std::string& key, std::string value);
  void set_u32(const std::string& key, uint32_t value);
  void set_i32(const std::string& key, int32_t value);
  void set_f32(const std::string& key, float value);
  void set_bool(const std::string& key, bool value);
  void set_string_array(const std::string& key, const std::vector<std::string>& values);
  void set_f32_array(const std::string& key, const std::vector<float>& values);
  void set_i32_array(const std::string& key, const std::vector<int32_t>& values);

  // A tensor from bytes already in `type`'s layout (size checked against ne and type).
  Result<void> add_tensor_raw(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                              std::vector<uint8_t> data);
  // A tensor from f32 values (ne[0]*ne[1]*... of them), quantized row by row to `type`.
  Result<void> add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                          const float* values);

  Result<std::vector<uint8_t>> to_bytes() const;
  Result<void> write(const std::string& path) const;

 private:
  // Magic, version, metadata and tensor infos, padded to the alignment.
  Result<std::vector<uint8_t>> header_bytes() const;

  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
  };
  uint32_t alignment_;
  std::vector<GgufKeyValue> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace edgenode::engine

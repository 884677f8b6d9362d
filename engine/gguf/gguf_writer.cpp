#include "engine/gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "engine/gguf/dequantize.h"

namespace edgenode::engine {
namespace {

constexpr uint32_t kDefaultAlignment = 32;  // what readers assume without general.alignment

template <class T>
void put(std::vector<uint8_t>& out, const T& x) {
  const auto* p = reinterpret_cast<const uint8_t*>(&x);
  out.insert(out.end(), p, p + sizeof(T));
}

void put_string(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

Result<void> put_value(std::vector<uint8_t>& out, const std::string& key, const GgufValue& value) {
  if (const auto* array = std::get_if<GgufArray>(&value.v)) {
    put<uint32_t>(out, static_cast<uint32_t>(array->element_type));
    put<uint64_t>(out, array->items.size());
    for (const auto& item : array->items) {
      if (item.type() != array->element_type) {
        return bad_input(std::string("metadata key '") + key + "': array of " + value_type_name(array->element_type) +
                         " holds a " + value_type_name(item.type()));
      }
      EDGENODE_TRY(put_value(out, key, item));
    }
    return {};
  }
  if (const auto* s = std::get_if<std::string>(&value.v)) {
    put_string(out, *s);
    return {};
  }
  if (const auto* b = std::get_if<bool>(&value.v)) {
    put<uint8_t>(out, *b ? 1 : 0);
    return {};
  }
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_arithmetic_v<T>) put<T>(out, x);
      },
      value.v);
  return {};
}

uint64_t padding_to(uint64_t size, uint64_t alignment) { return (alignment - size % alignment) % alignment; }

template <class T>
GgufValue array_of(GgufValueType type, const std::vector<T>& values) {
  GgufArray array;
  array.element_type = type;
  array.items.reserve(values.size());
  for (const auto& v : values) array.items.push_back(GgufValue{v});
  return GgufValue{std::move(array)};
}

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment) {
  if (alignment_ != kDefaultAlignment) set_u32("general.alignment", alignment_);
}

void GgufWriter::set(const std::string& key, GgufValue value) {
  for (auto& kv : kv_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  kv_.push_back({key, std::move(value)});
}

void GgufWriter::set_string(const std::string& key, std::string value) { set(key, GgufValue{std::move(value)}); }
void GgufWriter::set_u32(const std::string& key, uint32_t value) { set(key, GgufValue{value}); }
void GgufWriter::set_i32(const std::string& key, int32_t value) { set(key, GgufValue{value}); }
void GgufWriter::set_f32(const std::string& key, float value) { set(key, GgufValue{value}); }
void GgufWriter::set_bool(const std::string& key, bool value) { set(key, GgufValue{value}); }

void GgufWriter::set_string_array(const std::string& key, const std::vector<std::string>& values) {
  set(key, array_of(GgufValueType::STRING, values));
}
void GgufWriter::set_f32_array(const std::string& key, const std::vector<float>& values) {
  set(key, array_of(GgufValueType::FLOAT32, values));
}
void GgufWriter::set_i32_array(const std::string& key, const std::vector<int32_t>& values) {
  set(key, array_of(GgufValueType::INT32, values));
}

Result<void> GgufWriter::add_tensor_raw(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                                        std::vector<uint8_t> data) {
  const std::string who = "tensor '" + name + "'";
  if (ne.empty() || ne.size() > 4) return bad_input(who + ": 1 to 4 dimensions allowed");
  for (int64_t d : ne) {
    if (d <= 0) return bad_input(who + ": dimensions must be positive");
  }
  auto row = row_bytes(type, ne[0]);
  if (!row) {
    return bad_input(who + ": row length " + std::to_string(ne[0]) + " is not a multiple of the " +
                     std::string(type_name(type)) + " block size");
  }
  uint64_t expected = *row;
  for (size_t i = 1; i < ne.size(); ++i) expected *= static_cast<uint64_t>(ne[i]);
  if (data.size() != expected) {
    return bad_input(who + ": " + std::to_string(data.size()) + " bytes given, " + std::to_string(expected) +
                     " expected");
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return bad_input("duplicate " + who);
  }
  tensors_.push_back({name, type, std::move(ne), std::move(data)});
  return {};
}

Result<void> GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                                    const float* values) {
  if (ne.empty()) return bad_input("tensor '" + name + "': no dimensions");
  auto row = row_bytes(type, ne[0]);
  if (!row || !can_quantize(type)) {
    return bad_input("tensor '" + name + "': cannot store rows of " + std::to_string(ne[0]) + " as " +
                     std::string(type_name(type)));
  }
  int64_t rows = 1;
  for (size_t i = 1; i < ne.size(); ++i) rows *= ne[i];
  std::vector<uint8_t> data(*row * static_cast<uint64_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    EDGENODE_TRY(quantize_row(type, values + r * ne[0], data.data() + r * *row, ne[0]));
  }
  return add_tensor_raw(name, type, std::move(ne), std::move(data));
}

Result<std::vector<uint8_t>> GgufWriter::header_bytes() const {
  std::vector<uint8_t> out;
  put<uint32_t>(out, 0x46554747);  // "GGUF"
  put<uint32_t>(out, 3);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, kv_.size());
  for (const auto& kv : kv_) {
    put_string(out, kv.key);
    put<uint32_t>(out, static_cast<uint32_t>(kv.value.type()));
    EDGENODE_TRY(put_value(out, kv.key, kv.value));
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    put_string(out, t.name);
    put<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) put<int64_t>(out, d);
    put<uint32_t>(out, static_cast<uint32_t>(t.type));
    put<uint64_t>(out, offset);
    offset += t.data.size() + padding_to(t.data.size(), alignment_);
  }
  out.resize(out.size() + padding_to(out.size(), alignment_), 0);
  return out;
}

Result<std::vector<uint8_t>> GgufWriter::to_bytes() const {
  auto out = header_bytes();
  if (!out) return out.error();
  for (const auto& t : tensors_) {
    out->insert(out->end(), t.data.begin(), t.data.end());
    out->resize(out->size() + padding_to(t.data.size(), alignment_), 0);
  }
  return out;
}

Result<void> GgufWriter::write(const std::string& path) const {
  auto header = header_bytes();
  if (!header) return header.error();
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) return bad_input("cannot write " + path + ": " + std::strerror(errno));
  const std::vector<uint8_t> zeros(alignment_, 0);
  bool ok = std::fwrite(header->data(), 1, header->size(), file.get()) == header->size();
  for (const auto& t : tensors_) {
    if (!ok) break;
    const uint64_t pad = padding_to(t.data.size(), alignment_);
    ok = std::fwrite(t.data.data(), 1, t.data.size(), file.get()) == t.data.size() &&
         std::fwrite(zeros.data(), 1, pad, file.get()) == pad;
  }
  if (!ok || std::fflush(file.get()) != 0) return internal_error("cannot write " + path + ": " + std::strerror(errno));
  return {};
}

}  // namespace edgenode::engine

// Parses the GGUF header, metadata and tensor infos from a byte range. Every read goes
// through ByteCursor, which checks the remaining length first; every count is compared
// with the bytes that could hold it before anything is allocated for it.
#include "engine/gguf/gguf_parser.h"

#include <cstring>
#include <limits>
#include <string>

namespace edgenode::engine {
namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr int kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;
// Smallest encoding of a metadata pair (empty key, u8 value) and of a tensor info
// (empty name, one dimension): bounds the counts a file of a given size can hold.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

class ByteCursor {
 public:
  ByteCursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  template <class T>
  bool read(T& out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(&out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

  // A u64 length followed by that many bytes.
  Result<std::string> read_string(const std::string& what) {
    uint64_t length = 0;
    if (!read(length)) return bad_input("truncated file: " + what + " length at offset " + std::to_string(pos_));
    if (length > remaining()) {
      return bad_input(what + " length " + std::to_string(length) + " exceeds the " +
                       std::to_string(remaining()) + " bytes left in the file");
    }
    std::string s(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return s;
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Bytes one array element of this type occupies at least (used to bound array lengths).
uint64_t min_element_bytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::UINT8: case GgufValueType::INT8: case GgufValueType::BOOL: return 1;
    case GgufValueType::UINT16: case GgufValueType::INT16: return 2;
    case GgufValueType::UINT32: case GgufValueType::INT32: case GgufValueType::FLOAT32: return 4;
    case GgufValueType::UINT64: case GgufValueType::INT64: case GgufValueType::FLOAT64: return 8;
    case GgufValueType::STRING: return 8;
    case GgufValueType::ARRAY: return 4 + 8;
  }
  return 1;
}

bool known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::FLOAT64); }

Error truncated(const std::string& what, uint64_t offset) {
  return bad_input("truncated file: " + what + " at offset " + std::to_string(offset));
}

template <class T>
Result<GgufValue> read_scalar(ByteCursor& in, const std::string& what) {
  T x{};
  if (!in.read(x)) return truncated(what, in.position());
  return GgufValue{x};
}

Result<GgufValue> read_value(ByteCursor& in, GgufValueType type, const std::string& key, int depth);

Result<GgufValue> read_array(ByteCursor& in, const std::string& key, int depth) {
  if (depth >= kMaxArrayDepth) {
    return bad_input("metadata key '" + key + "': arrays nested deeper than " + std::to_string(kMaxArrayDepth));
  }
  uint32_t raw_type = 0;
  uint64_t count = 0;
  if (!in.read(raw_type)) return truncated("array type of key '" + key + "'", in.position());
  if (!known_value_type(raw_type)) {
    return bad_input("metadata key '" + key + "': unknown array element type " + std::to_string(raw_type));
  }
  if (!in.read(count)) return truncated("array length of key '" + key + "'", in.position());
  const auto element_type = static_cast<GgufValueType>(raw_type);
  if (count > in.remaining() / min_element_bytes(element_type)) {
    return bad_input("metadata key '" + key + "': array length " + std::to_string(count) +
                     " exceeds the " + std::to_string(in.remaining()) + " bytes left in the file");
  }
  GgufArray array;
  array.element_type = element_type;
  array.items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    auto item = read_value(in, element_type, key, depth + 1);
    if (!item) return item.error();
    array.items.push_back(std::move(item.value()));
  }
  return GgufValue{std::move(array)};
}

Result<GgufValue> read_value(ByteCursor& in, GgufValueType type, const std::string& key, int depth) {
  const std::string what = "value of key '" + key + "'";
  switch (type) {
    case GgufValueType::UINT8: return read_scalar<uint8_t>(in, what);
    case GgufValueType::INT8: return read_scalar<int8_t>(in, what);
    case GgufValueType::UINT16: return read_scalar<uint16_t>(in, what);
    case GgufValueType::INT16: return read_scalar<int16_t>(in, what);
    case GgufValueType::UINT32: return read_scalar<uint32_t>(in, what);
    case GgufValueType::INT32: return read_scalar<int32_t>(in, what);
    case GgufValueType::FLOAT32: return read_scalar<float>(in, what);
    case GgufValueType::UINT64: return read_scalar<uint64_t>(in, what);
    case GgufValueType::INT64: return read_scalar<int64_t>(in, what);
    case GgufValueType::FLOAT64: return read_scalar<double>(in, what);
    case GgufValueType::BOOL: {
      uint8_t b = 0;
      if (!in.read(b)) return truncated(what, in.position());
      if (b > 1) return bad_input("metadata key '" + key + "': invalid bool byte " + std::to_string(b));
      return GgufValue{b == 1};
    }
    case GgufValueType::STRING: {
      auto s = in.read_string("string " + what);
      if (!s) return s.error();
      return GgufValue{std::move(s.value())};
    }
    case GgufValueType::ARRAY: return read_array(in, key, depth);
  }
  return bad_input("metadata key '" + key + "': unknown value type");
}

Result<void> check_alignment(const GgufFile& file, uint32_t& alignment) {
  const GgufValue* value = file.find("general.alignment");
  if (!value) return {};
  auto a = value->as_u64();
  if (value->type() != GgufValueType::UINT32 || !a) {
    return bad_input(std::string("general.alignment must be u32, found ") + value_type_name(value->type()));
  }
  if (*a == 0 || (*a & (*a - 1)) != 0) {
    return bad_input("general.alignment " + std::to_string(*a) + " is not a power of two");
  }
  alignment = static_cast<uint32_t>(*a);
  return {};
}

Result<GgufTensorInfo> read_tensor_info(ByteCursor& in, uint64_t index) {
  GgufTensorInfo info;
  auto name = in.read_string("name of tensor " + std::to_string(index));
  if (!name) return name.error();
  info.name = std::move(name.value());
  const std::string who = "tensor '" + info.name + "'";

  uint32_t n_dims = 0;
  if (!in.read(n_dims)) return truncated("dimension count of " + who, in.position());
  if (n_dims == 0 || n_dims > kMaxDims) {
    return bad_input(who + " has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
  }
  int64_t n_elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    int64_t extent = 0;
    if (!in.read(extent)) return truncated("dimensions of " + who, in.position());
    if (extent <= 0) return bad_input(who + " has dimension " + std::to_string(d) + " = " + std::to_string(extent));
    if (extent > std::numeric_limits<int64_t>::max() / n_elements) {
      return bad_input(who + " has absurd dimensions: element count overflows");
    }
    n_elements *= extent;
    info.ne.push_back(extent);
  }

  uint32_t raw_type = 0;
  if (!in.read(raw_type)) return truncated("type of " + who, in.position());
  auto traits = ggml_type_traits(raw_type);
  if (!traits) return bad_input(who + " has unknown tensor type " + std::to_string(raw_type));
  info.type = static_cast<GgmlType>(raw_type);
  if (info.ne[0] % traits->block_size != 0) {
    return bad_input(who + " row length " + std::to_string(info.ne[0]) + " is not a multiple of the " +
                     std::string(traits->name) + " block size " + std::to_string(traits->block_size));
  }
  const uint64_t n_blocks = static_cast<uint64_t>(n_elements / traits->block_size);
  if (n_blocks > std::numeric_limits<uint64_t>::max() / traits->block_bytes) {
    return bad_input(who + " has absurd dimensions: byte size overflows");
  }
  info.nbytes = n_blocks * traits->block_bytes;

  if (!in.read(info.offset)) return truncated("offset of " + who, in.position());
  return info;
}

}  // namespace

Result<void> GgufParser::parse(GgufFile& file) {
  ByteCursor in(file.bytes_, file.size_);

  uint32_t magic = 0;
  if (!in.read(magic)) return bad_input("not a GGUF file: shorter than its magic");
  if (magic != kGgufMagic) return bad_input("not a GGUF file: bad magic");
  if (!in.read(file.version_)) return truncated("version", in.position());
  if (file.version_ != 2 && file.version_ != 3) {
    // A big-endian file (written for s390x) shows its version byte-swapped.
    const bool byte_swapped = file.version_ == 0x02000000 || file.version_ == 0x03000000;
    return bad_input("unsupported GGUF version " + std::to_string(file.version_) +
                     (byte_swapped ? " (a big-endian file)" : ""));
  }

  uint64_t n_tensors = 0, n_kv = 0;
  if (!in.read(n_tensors)) return truncated("tensor count", in.position());
  if (!in.read(n_kv)) return truncated("metadata count", in.position());
  if (n_tensors > in.remaining() / kMinTensorInfoBytes) {
    return bad_input("tensor count " + std::to_string(n_tensors) + " is larger than the file can hold");
  }
  if (n_kv > in.remaining() / kMinKvBytes) {
    return bad_input("metadata count " + std::to_string(n_kv) + " is larger than the file can hold");
  }

  file.kv_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    auto key = in.read_string("metadata key " + std::to_string(i));
    if (!key) return key.error();
    uint32_t raw_type = 0;
    if (!in.read(raw_type)) return truncated("type of key '" + key.value() + "'", in.position());
    if (!known_value_type(raw_type)) {
      return bad_input("metadata key '" + key.value() + "' has unknown value type " + std::to_string(raw_type));
    }
    auto value = read_value(in, static_cast<GgufValueType>(raw_type), key.value(), 0);
    if (!value) return value.error();
    if (!file.kv_index_.emplace(key.value(), file.kv_.size()).second) {
      return bad_input("duplicate metadata key '" + key.value() + "'");
    }
    file.kv_.push_back({std::move(key.value()), std::move(value.value())});
  }
  EDGENODE_TRY(check_alignment(file, file.alignment_));

  file.tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    auto info = read_tensor_info(in, i);
    if (!info) return info.error();
    if (!file.tensor_index_.emplace(info->name, file.tensors_.size()).second) {
      return bad_input("duplicate tensor name '" + info->name + "'");
    }
    file.tensors_.push_back(std::move(info.value()));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t end_of_infos = in.position();
  const uint64_t padding = (file.alignment_ - end_of_infos % file.alignment_) % file.alignment_;
  file.data_offset_ = end_of_infos + padding;
  if (!file.tensors_.empty() && file.data_offset_ > file.size_) {
    return bad_input("truncated file: tensor data section starts past the end of the file");
  }

  const uint64_t data_size = file.size_ >= file.data_offset_ ? file.size_ - file.data_offset_ : 0;
  for (auto& t : file.tensors_) {
    const std::string who = "tensor '" + t.name + "'";
    if (t.offset % file.alignment_ != 0) {
      return bad_input(who + " offset " + std::to_string(t.offset) + " is not aligned to " +
                       std::to_string(file.alignment_));
    }
    if (t.offset > data_size || t.nbytes > data_size - t.offset) {
      return bad_input(who + " data (offset " + std::to_string(t.offset) + ", " + std::to_string(t.nbytes) +
                       " bytes) extends past the end of the file");
    }
    t.data = file.bytes_ + file.data_offset_ + t.offset;
  }
  return {};
}

}  // namespace edgenode::engine

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_parser.h"

namespace edgenode::engine {
namespace {

std::string quoted(std::string_view key) { return "'" + std::string(key) + "'"; }

Error missing(std::string_view key) { return bad_input("missing metadata key " + quoted(key)); }

Error wrong_type(std::string_view key, const char* expected, const GgufValue& found) {
  return bad_input("metadata key " + quoted(key) + ": expected " + expected + ", found " +
                   value_type_name(found.type()));
}

// f64 metadata read as f32: out-of-range values become infinities explicitly (a plain cast
// of such a double is undefined behaviour).
float narrow_to_float(double x) {
  if (x > std::numeric_limits<float>::max()) return std::numeric_limits<float>::infinity();
  if (x < -std::numeric_limits<float>::max()) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(x);
}

template <class T>
Result<T> integer_as(const GgufFile& file, std::string_view key, const char* expected) {
  const GgufValue* value = file.find(key);
  if (!value) return missing(key);
  if (!value->is_integer()) return wrong_type(key, expected, *value);
  if constexpr (std::is_signed_v<T>) {
    auto x = value->as_i64();
    if (!x || *x < std::numeric_limits<T>::min() || *x > std::numeric_limits<T>::max()) {
      return bad_input("metadata key " + quoted(key) + ": value does not fit " + expected);
    }
    return static_cast<T>(*x);
  } else {
    auto x = value->as_u64();
    if (!x || *x > std::numeric_limits<T>::max()) {
      return bad_input("metadata key " + quoted(key) + ": value does not fit " + expected);
    }
    return static_cast<T>(*x);
  }
}

}  // namespace

Result<GgufFile> GgufFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return bad_input("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return bad_input("cannot open " + path + ": not a regular file");
  }
  GgufFile file;
  file.path_ = path;
  file.size_ = static_cast<uint64_t>(st.st_size);
  if (file.size_ > 0) {
    void* map = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return internal_error("cannot map " + path + ": " + std::strerror(err));
    }
    file.map_ = map;
    file.bytes_ = static_cast<const uint8_t*>(map);
  }
  ::close(fd);
  auto parsed = GgufParser::parse(file);
  if (!parsed) return Error{path + ": " + parsed.error().message, parsed.error().kind};
  return file;
}

Result<GgufFile> GgufFile::from_memory(const uint8_t* data, size_t size) {
  GgufFile file;
  file.bytes_ = data;
  file.size_ = size;
  EDGENODE_TRY(GgufParser::parse(file));
  return file;
}

GgufFile::GgufFile(GgufFile&& other) noexcept { *this = std::move(other); }

GgufFile& GgufFile::operator=(GgufFile&& other) noexcept {
  if (this == &other) return *this;
  if (map_) ::munmap(map_, size_);
  path_ = std::move(other.path_);
  map_ = std::exchange(other.map_, nullptr);
  size_ = std::exchange(other.size_, 0);
  bytes_ = std::exchange(other.bytes_, nullptr);
  version_ = other.version_;
  alignment_ = other.alignment_;
  data_offset_ = other.data_offset_;
  kv_ = std::move(other.kv_);
  kv_index_ = std::move(other.kv_index_);
  // Tensor data pointers point into the mapping, which moves with its ownership.
  tensors_ = std::move(other.tensors_);
  tensor_index_ = std::move(other.tensor_index_);
  return *this;
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(map_, size_);
}

void GgufFile::release_pages(const uint8_t* begin, uint64_t bytes) const {
  // Addresses compared as integers: begin may point into memory that is not the mapping.
  const auto map_start = reinterpret_cast<uintptr_t>(bytes_), start = reinterpret_cast<uintptr_t>(begin);
  if (!map_ || start < map_start || bytes > size_ || start - map_start > size_ - bytes) return;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t first = (start + page - 1) / page * page;
  const uintptr_t last = (start + bytes) / page * page;
  if (first < last) (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

const GgufValue* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].value;
}

const GgufTensorInfo* GgufFile::tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::string> GgufFile::get_string(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) return missing(key);
  if (const auto* s = std::get_if<std::string>(&value->v)) return *s;
  return wrong_type(key, "string", *value);
}

Result<uint32_t> GgufFile::get_u32(std::string_view key) const { return integer_as<uint32_t>(*this, key, "u32"); }
Result<int32_t> GgufFile::get_i32(std::string_view key) const { return integer_as<int32_t>(*this, key, "i32"); }
Result<uint64_t> GgufFile::get_u64(std::string_view key) const { return integer_as<uint64_t>(*this, key, "u64"); }

Result<float> GgufFile::get_f32(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) return missing(key);
  if (const auto* f = std::get_if<float>(&value->v)) return *f;
  if (const auto* d = std::get_if<double>(&value->v)) return narrow_to_float(*d);
  return wrong_type(key, "f32", *value);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) return missing(key);
  if (const auto* b = std::get_if<bool>(&value->v)) return *b;
  return wrong_type(key, "bool", *value);
}

Result<const GgufArray*> GgufFile::get_array(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) return missing(key);
  if (const auto* a = std::get_if<GgufArray>(&value->v)) return a;
  return wrong_type(key, "array", *value);
}

Result<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  auto array = get_array(key);
  if (!array) return array.error();
  if ((*array)->element_type != GgufValueType::STRING) {
    return bad_input("metadata key " + quoted(key) + ": expected array of string, found array of " +
                     value_type_name((*array)->element_type));
  }
  std::vector<std::string> out;
  out.reserve((*array)->items.size());
  for (const auto& item : (*array)->items) out.push_back(std::get<std::string>(item.v));
  return out;
}

Result<std::vector<float>> GgufFile::get_f32_array(std::string_view key) const {
  auto array = get_array(key);
  if (!array) return array.error();
  const auto type = (*array)->element_type;
  if (type != GgufValueType::FLOAT32 && type != GgufValueType::FLOAT64) {
    return bad_input("metadata key " + quoted(key) + ": expected array of f32, found array of " +
                     value_type_name(type));
  }
  std::vector<float> out;
  out.reserve((*array)->items.size());
  for (const auto& item : (*array)->items) out.push_back(narrow_to_float(*item.as_f64()));
  return out;
}

Result<std::vector<int32_t>> GgufFile::get_i32_array(std::string_view key) const {
  auto array = get_array(key);
  if (!array) return array.error();
  std::vector<int32_t> out;
  out.reserve((*array)->items.size());
  for (const auto& item : (*array)->items) {
    auto x = item.as_i64();
    if (!x || *x < std::numeric_limits<int32_t>::min() || *x > std::numeric_limits<int32_t>::max()) {
      return bad_input("metadata key " + quoted(key) + ": expected array of i32, found array of " +
                       value_type_name((*array)->element_type));
    }
    out.push_back(static_cast<int32_t>(*x));
  }
  return out;
}

Result<uint32_t> GgufFile::get_u32_or(std::string_view key, uint32_t fallback) const {
  return has(key) ? get_u32(key) : Result<uint32_t>(fallback);
}

Result<float> GgufFile::get_f32_or(std::string_view key, float fallback) const {
  return has(key) ? get_f32(key) : Result<float>(fallback);
}

Result<bool> GgufFile::get_bool_or(std::string_view key, bool fallback) const {
  return has(key) ? get_bool(key) : Result<bool>(fallback);
}

Result<std::string> GgufFile::get_string_or(std::string_view key, std::string fallback) const {
  return has(key) ? get_string(key) : Result<std::string>(std::move(fallback));
}

}  // namespace edgenode::engine

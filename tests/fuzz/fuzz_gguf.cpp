// libFuzzer target for the GGUF reader: parse arbitrary bytes, then touch every metadata
// value and every byte of every tensor (dequantizing where the type allows), so the
// sanitizers see any read the parser's checks failed to bound.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "engine/gguf/dequantize.h"
#include "engine/gguf/gguf.h"

namespace {

using namespace edgenode::engine;

uint64_t touch(const GgufValue& value) {
  if (const auto* s = std::get_if<std::string>(&value.v)) {
    uint64_t h = s->size();
    for (char c : *s) h = h * 31 + static_cast<unsigned char>(c);
    return h;
  }
  if (const auto* a = std::get_if<GgufArray>(&value.v)) {
    uint64_t h = static_cast<uint64_t>(a->element_type);
    for (const auto& item : a->items) h += touch(item);
    return h;
  }
  // Numbers by their bits: any double is fine, even ones no integer type can hold.
  const double number = value.as_f64().value_or(0.0);
  uint64_t bits;
  std::memcpy(&bits, &number, sizeof bits);
  return bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = GgufFile::from_memory(data, size);
  if (!file.ok()) return 0;
  volatile uint64_t sink = 0;
  for (const auto& kv : file->metadata()) sink = sink + touch(kv.value) + kv.key.size();
  // The typed getters on keys models read.
  (void)file->get_u32("general.alignment");
  (void)file->get_string_array("tokenizer.ggml.tokens");
  (void)file->get_f32_array("tokenizer.ggml.scores");
  (void)file->get_i32_array("tokenizer.ggml.token_type");
  std::vector<float> row;
  for (const auto& t : file->tensors()) {
    uint64_t h = 0;
    for (uint64_t i = 0; i < t.nbytes; ++i) h += t.data[i];
    sink = sink + h;
    if (!can_dequantize(t.type) || t.ne[0] > (1 << 20)) continue;
    row.resize(static_cast<size_t>(t.ne[0]));
    const int64_t rows = std::min<int64_t>(t.n_rows(), 4);
    for (int64_t r = 0; r < rows; ++r) {
      (void)dequantize_row(t.type, t.data + r * t.row_bytes(), row.data(), t.ne[0]);
    }
  }
  return 0;
}

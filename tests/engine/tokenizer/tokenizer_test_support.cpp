#include "tokenizer_test_support.h"

#include <cstdio>

#include "engine/gguf/gguf.h"

namespace edgenode::engine::testing {

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& gguf, std::string& error) {
  auto file = GgufFile::open(gguf.string());
  if (!file) {
    error = file.error().message;
    return nullptr;
  }
  auto tokenizer = Tokenizer::from_gguf(*file);
  if (!tokenizer) {
    error = tokenizer.error().message;
    return nullptr;
  }
  return std::move(*tokenizer);
}

std::string printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string describe(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(ids[i]) + " '" + printable(tokenizer.piece(ids[i])) + "'";
  }
  return out + "]";
}

}  // namespace edgenode::engine::testing

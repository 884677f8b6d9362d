#include "engine/tokenizer/sentencepiece_text.h"

namespace edgenode::engine::sentencepiece {

std::string escape_spaces(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (c == ' ') {
      escaped.append(kSpaceMarker);
    } else {
      escaped.push_back(c);
    }
  }
  return escaped;
}

std::string unescape_spaces(std::string_view text) {
  std::string plain;
  plain.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.compare(pos, kSpaceMarker.size(), kSpaceMarker) == 0) {
      plain.push_back(' ');
      pos += kSpaceMarker.size();
    } else {
      plain.push_back(text[pos++]);
    }
  }
  return plain;
}

}  // namespace edgenode::engine::sentencepiece

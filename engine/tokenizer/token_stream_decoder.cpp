#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace edgenode::engine {

std::string TokenStreamDecoder::push(int32_t id) {
  pending_ += tokenizer_.piece(id, render_special_);
  // Hold back only a well-formed character that is not finished yet; anything that can no
  // longer become valid is replaced now.
  const size_t keep = utf8::incomplete_tail(pending_);
  std::string text = utf8::sanitized(std::string_view(pending_).substr(0, pending_.size() - keep));
  pending_.erase(0, pending_.size() - keep);
  return text;
}

std::string TokenStreamDecoder::finish() {
  std::string text = utf8::sanitized(pending_);
  pending_.clear();
  return text;
}

}  // namespace edgenode::engine

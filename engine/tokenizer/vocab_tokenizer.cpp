#include "engine/tokenizer/vocab_tokenizer.h"

#include <string_view>

#include "engine/tokenizer/utf8.h"

namespace edgenode::engine {
namespace {

// Tokens that end a turn in the chat formats of common models; GGUF files often name only
// one of them as eos, so they are recognised by their text, as llama.cpp does.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
};

bool renders_only_with_special(TokenType type) {
  return type == TokenType::control || type == TokenType::unknown;
}

}  // namespace

VocabTokenizer::VocabTokenizer(Vocab vocab) : vocab_(std::move(vocab)), splitter_(vocab_) {
  eog_.assign(vocab_.tokens.size(), false);
  if (valid_id(vocab_.eos)) eog_[vocab_.eos] = true;
  for (size_t id = 0; id < vocab_.tokens.size(); ++id) {
    if (vocab_.types[id] != TokenType::control && vocab_.types[id] != TokenType::user_defined) continue;
    for (std::string_view text : kEndOfGenerationTexts) {
      if (vocab_.tokens[id] == text) eog_[id] = true;
    }
  }
}

bool VocabTokenizer::is_eog(int32_t id) const { return valid_id(id) && eog_[id]; }

TokenType VocabTokenizer::type(int32_t id) const {
  return valid_id(id) ? vocab_.types[id] : TokenType::undefined;
}

std::string VocabTokenizer::piece(int32_t id, bool render_special) const {
  if (!valid_id(id)) return {};
  if (!render_special && renders_only_with_special(vocab_.types[id])) return {};
  return pieces_[id];
}

std::string VocabTokenizer::decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::string raw;
  // The space an SPM tokenizer puts in front of the text is not part of it: drop it from the
  // first visible token when that is a normal piece (as Hugging Face's decoder does).
  bool strip_pending = vocab_.kind == VocabKind::spm && vocab_.add_space_prefix;
  for (int32_t id : ids) {
    if (!valid_id(id)) continue;
    if (!render_special && renders_only_with_special(vocab_.types[id])) continue;
    std::string_view p = pieces_[id];
    if (p.empty()) continue;
    if (strip_pending && vocab_.types[id] == TokenType::normal && p.front() == ' ') p.remove_prefix(1);
    strip_pending = false;
    raw.append(p);
  }
  return utf8::sanitized(raw);
}

}  // namespace edgenode::engine

#include "small_vocabs.h"

#include <cstdio>

#include "engine/tokenizer/byte_level.h"

namespace edgenode::engine::testing {

Vocab small_spm_vocab(const std::vector<std::pair<std::string, float>>& pieces, bool add_space_prefix) {
  Vocab v;
  v.kind = VocabKind::spm;
  auto add = [&](std::string text, float score, TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, TokenType::unknown);
  add("<s>", 0, TokenType::control);
  add("</s>", 0, TokenType::control);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    add(name, 0, TokenType::byte);
  }
  for (const auto& [text, score] : pieces) add(text, score, TokenType::normal);
  add("<tag>", 0, TokenType::user_defined);
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_bos = true;
  v.add_space_prefix = add_space_prefix;
  return v;
}

Vocab small_bpe_vocab(const std::vector<std::string>& merges, const std::string& pre) {
  Vocab v;
  v.kind = VocabKind::bpe;
  v.pre = pre;
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(byte_level::encode(std::string(1, static_cast<char>(b))));
  }
  for (const std::string& merge : merges) {
    const size_t space = merge.find(' ');
    v.tokens.push_back(merge.substr(0, space) + merge.substr(space + 1));
  }
  v.merges = merges;
  v.types.assign(v.tokens.size(), TokenType::normal);
  v.tokens.push_back("<|bos|>");
  v.types.push_back(TokenType::control);
  v.tokens.push_back("<tag>");
  v.types.push_back(TokenType::user_defined);
  v.scores.assign(v.tokens.size(), 0.0f);
  v.bos = static_cast<int32_t>(v.tokens.size()) - 2;
  v.eos = v.bos;
  v.add_bos = true;
  return v;
}

int32_t id_of(const Vocab& vocab, const std::string& text) {
  for (size_t i = 0; i < vocab.tokens.size(); ++i) {
    if (vocab.tokens[i] == text) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace edgenode::engine::testing

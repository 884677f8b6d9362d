#include "engine/tokenizer/special_token_splitter.h"

#include <string>

#include "engine/tokenizer/sentencepiece_text.h"

namespace edgenode::engine {

void SpecialTokenSplitter::Trie::insert(std::string_view text, int32_t token) {
  uint32_t node = 0;
  for (char c : text) {
    const auto byte = static_cast<uint8_t>(c);
    auto [it, added] = edges_.try_emplace(edge_key(node, byte), static_cast<uint32_t>(token_at_node_.size()));
    if (added) token_at_node_.push_back(-1);
    node = it->second;
  }
  // Two tokens with the same spelling: the lower id wins, as in a text-to-id map built in order.
  if (token_at_node_[node] < 0) token_at_node_[node] = token;
  first_byte_[static_cast<uint8_t>(text[0])] = true;
}

std::pair<int32_t, size_t> SpecialTokenSplitter::Trie::longest_at(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, 0};
  if (!first_byte_[static_cast<uint8_t>(text[pos])]) return best;
  uint32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    auto it = edges_.find(edge_key(node, static_cast<uint8_t>(text[i])));
    if (it == edges_.end()) break;
    node = it->second;
    if (token_at_node_[node] >= 0) best = {token_at_node_[node], i + 1 - pos};
  }
  return best;
}

SpecialTokenSplitter::SpecialTokenSplitter(const Vocab& vocab) {
  const bool sentencepiece_spelling = vocab.kind == VocabKind::spm;
  for (size_t id = 0; id < vocab.tokens.size(); ++id) {
    if (vocab.tokens[id].empty()) continue;
    const TokenType type = vocab.types[id];
    const bool user_defined = type == TokenType::user_defined;
    if (!user_defined && type != TokenType::control && type != TokenType::unknown) continue;
    const std::string spelling =
        sentencepiece_spelling ? sentencepiece::escape_spaces(vocab.tokens[id]) : vocab.tokens[id];
    const auto token = static_cast<int32_t>(id);
    if (user_defined) user_defined_only_.insert(spelling, token);
    with_control_.insert(spelling, token);
    if (user_defined && sentencepiece_spelling && spelling.find(sentencepiece::kSpaceMarker) != std::string::npos) {
      user_defined_with_space_marker_.insert(spelling, token);
    }
  }
}

void SpecialTokenSplitter::split(std::string_view text, bool parse_special, std::vector<TextFragment>& out) const {
  split_with(parse_special ? with_control_ : user_defined_only_, text, out);
}

void SpecialTokenSplitter::split_escaped(std::string_view escaped, std::vector<TextFragment>& out) const {
  split_with(user_defined_with_space_marker_, escaped, out);
}

void SpecialTokenSplitter::split_with(const Trie& trie, std::string_view text, std::vector<TextFragment>& out) {
  if (trie.empty()) {
    if (!text.empty()) out.push_back({-1, text});
    return;
  }
  size_t plain_from = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto [token, length] = trie.longest_at(text, pos);
    if (token < 0) {
      ++pos;
      continue;
    }
    if (pos > plain_from) out.push_back({-1, text.substr(plain_from, pos - plain_from)});
    out.push_back({token, text.substr(pos, length)});
    pos += length;
    plain_from = pos;
  }
  if (plain_from < text.size()) out.push_back({-1, text.substr(plain_from)});
}

}  // namespace edgenode::engine

#include "engine/grammar/token_trie.h"

#include <algorithm>

namespace edgenode::engine::grammar {
namespace {

// Characters in `piece` when it is plain JSON string content made of whole UTF-8
// characters; -1 otherwise.
int64_t plain_characters(const std::string& piece) {
  int64_t chars = 0;
  for (size_t i = 0; i < piece.size();) {
    uint8_t b = static_cast<uint8_t>(piece[i]);
    if (b == '"' || b == '\\' || b < 0x20) return -1;
    size_t n = b < 0x80 ? 1 : (b >= 0xC2 && b <= 0xDF) ? 2 : (b >= 0xE0 && b <= 0xEF) ? 3 : (b >= 0xF0 && b <= 0xF4) ? 4 : 0;
    if (n == 0 || i + n > piece.size()) return -1;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
    for (size_t k = 1; k < n; ++k) {
      uint8_t c = static_cast<uint8_t>(piece[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return -1;
    }
    i += n;
    ++chars;
  }
  return chars;
}

ByteTrie build_trie(const std::vector<std::string>& pieces, std::vector<int32_t> ids) {
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    return pieces[static_cast<size_t>(a)] < pieces[static_cast<size_t>(b)];
  });
  ByteTrie trie;
  trie.nodes.push_back(TrieNode{});
  std::vector<uint32_t> path = {0};  // node index per depth along the current piece
  const std::string* previous = nullptr;
  auto close_to = [&](size_t depth) {
    while (path.size() > depth + 1) {
      trie.nodes[path.back()].subtree_end = static_cast<uint32_t>(trie.nodes.size());
      path.pop_back();
    }
  };
  for (int32_t id : ids) {
    const std::string& piece = pieces[static_cast<size_t>(id)];
    size_t common = 0;
    if (previous) {
      size_t limit = std::min({previous->size(), piece.size(), path.size() - 1});
      while (common < limit && (*previous)[common] == piece[common]) ++common;
    }
    close_to(common);
    for (size_t d = common; d < piece.size(); ++d) {
      TrieNode node;
      node.byte = static_cast<uint8_t>(piece[d]);
      node.depth = static_cast<uint16_t>(std::min<size_t>(d + 1, UINT16_MAX));
      node.tokens_begin = node.tokens_end = static_cast<uint32_t>(trie.token_ids.size());
      path.push_back(static_cast<uint32_t>(trie.nodes.size()));
      trie.nodes.push_back(node);
      trie.max_depth = std::max(trie.max_depth, node.depth);
    }
    TrieNode& end = trie.nodes[path.back()];
    if (end.tokens_begin == end.tokens_end) end.tokens_begin = static_cast<uint32_t>(trie.token_ids.size());
    trie.token_ids.push_back(id);
    end.tokens_end = static_cast<uint32_t>(trie.token_ids.size());
    previous = &piece;
  }
  close_to(0);
  trie.nodes[0].subtree_end = static_cast<uint32_t>(trie.nodes.size());
  return trie;
}

}  // namespace

TokenTrie::TokenTrie(const std::vector<std::string>& pieces, const std::vector<int32_t>& eog_ids)
    : n_vocab_(pieces.size()), pieces_(pieces), eog_flag_(pieces.size(), 0) {
  for (int32_t id : eog_ids) {
    if (id >= 0 && static_cast<size_t>(id) < pieces.size() && !eog_flag_[static_cast<size_t>(id)]) {
      eog_flag_[static_cast<size_t>(id)] = 1;
      eog_ids_.push_back(id);
    }
  }
  std::vector<int32_t> all, special;
  for (size_t id = 0; id < pieces.size(); ++id) {
    if (eog_flag_[id] || pieces[id].empty() || pieces[id].size() > UINT16_MAX) continue;
    all.push_back(static_cast<int32_t>(id));
    int64_t chars = plain_characters(pieces[id]);
    if (chars < 0) {
      special.push_back(static_cast<int32_t>(id));
    } else {
      plain_.emplace_back(static_cast<int32_t>(id), static_cast<uint32_t>(chars));
    }
  }
  all_ = build_trie(pieces, std::move(all));
  special_ = build_trie(pieces, std::move(special));
}

bool TokenTrie::is_eog(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < eog_flag_.size() && eog_flag_[static_cast<size_t>(id)];
}

}  // namespace edgenode::engine::grammar

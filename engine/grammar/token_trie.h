// The vocabulary prepared once for constrained decoding: a byte trie of the token pieces
// (walked against the automaton so a rejected prefix prunes every token under it), and the
// "plain string" tokens whose bytes can only continue a JSON string, which are checked by
// length alone when the automaton is inside a string.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgenode::engine::grammar {

struct TrieNode {
  uint8_t byte = 0;
  uint16_t depth = 0;         // bytes from the root (the root has depth 0)
  uint32_t subtree_end = 0;   // index of the first node after this node's subtree
  uint32_t tokens_begin = 0;  // tokens whose piece ends here: token_ids[begin, end)
  uint32_t tokens_end = 0;
};

// Nodes in preorder, nodes[0] the root.
struct ByteTrie {
  std::vector<TrieNode> nodes;
  std::vector<int32_t> token_ids;
  uint16_t max_depth = 0;
};

class TokenTrie {
 public:
  // pieces[id] are the bytes token id produces; an empty piece is never allowed (pass ""
  // for control tokens that must not appear inside JSON). eog_ids end generation.
  TokenTrie(const std::vector<std::string>& pieces, const std::vector<int32_t>& eog_ids);

  size_t n_vocab() const { return n_vocab_; }
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }
  const std::string& piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  bool is_eog(int32_t id) const;

  const ByteTrie& all_tokens() const { return all_; }
  // Tokens that are not plain string content (quotes, backslashes, control bytes, partial
  // UTF-8); with plain_tokens() they cover all_tokens().
  const ByteTrie& special_tokens() const { return special_; }
  // (token id, characters) of tokens made only of complete UTF-8 characters that may
  // appear unescaped in a JSON string.
  const std::vector<std::pair<int32_t, uint32_t>>& plain_tokens() const { return plain_; }

 private:
  size_t n_vocab_;
  std::vector<std::string> pieces_;
  std::vector<int32_t> eog_ids_;
  std::vector<uint8_t> eog_flag_;
  ByteTrie all_;
  ByteTrie special_;
  std::vector<std::pair<int32_t, uint32_t>> plain_;
};

}  // namespace edgenode::engine::grammar

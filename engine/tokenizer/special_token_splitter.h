// Splits text at the spellings of added tokens before the normal tokenizer runs, as Hugging
// Face does: user-defined tokens always match; control and unknown tokens only when special
// parsing is on. Matching is leftmost-longest over a byte trie, so the cost is linear in the
// text whatever the number of added tokens.
//
// In a SentencePiece vocabulary the spaces of an added token are spelled U+2581, as the
// SentencePiece model and Hugging Face's tokenizer.json spell them: GGUF converters turn the
// pieces "▁▁", "▁▁▁", ... into runs of spaces, and Hugging Face matches "▁▁" written in the
// text (spaces reach those pieces only after they became U+2581; see spm_tokenizer.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace edgenode::engine {

// A piece of the input: either plain text to tokenize, or one matched added token.
struct TextFragment {
  int32_t token = -1;     // >= 0 when the fragment is an added token
  std::string_view text;  // the covered input bytes
};

class SpecialTokenSplitter {
 public:
  explicit SpecialTokenSplitter(const Vocab& vocab);

  // Appends the fragments of text to out (plain fragments are never empty).
  void split(std::string_view text, bool parse_special, std::vector<TextFragment>& out) const;
  // SentencePiece: splits a plain fragment whose spaces became U+2581 at the user-defined
  // tokens spelled with U+2581, which only now show (the others were split off before).
  void split_escaped(std::string_view escaped, std::vector<TextFragment>& out) const;

 private:
  class Trie {
   public:
    void insert(std::string_view text, int32_t token);
    // Longest token spelled at text[pos...]: its id and byte length, or {-1, 0}.
    std::pair<int32_t, size_t> longest_at(std::string_view text, size_t pos) const;
    bool empty() const { return token_at_node_.size() <= 1; }

   private:
    static uint64_t edge_key(uint32_t node, uint8_t byte) { return (uint64_t{node} << 8) | byte; }
    std::unordered_map<uint64_t, uint32_t> edges_;
    std::vector<int32_t> token_at_node_{-1};  // node 0 is the root
    std::array<bool, 256> first_byte_{};
  };

  static void split_with(const Trie& trie, std::string_view text, std::vector<TextFragment>& out);

  Trie with_control_;       // control, unknown and user-defined tokens
  Trie user_defined_only_;  // what matches without special parsing
  Trie user_defined_with_space_marker_;  // SentencePiece user-defined tokens holding U+2581
};

}  // namespace edgenode::engine

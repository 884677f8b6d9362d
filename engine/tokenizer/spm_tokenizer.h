// SentencePiece-style tokenizer (tokenizer.ggml.model = "llama"): spaces become U+2581, the
// text is split into characters, and the adjacent pair whose merged piece has the highest
// score is merged until no merged piece is in the vocabulary (ties: leftmost pair first).
// Characters left outside the vocabulary fall back to <0xNN> byte tokens.
#pragma once

#include <array>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/vocab_tokenizer.h"

namespace edgenode::engine {

class SpmTokenizer final : public VocabTokenizer {
 public:
  explicit SpmTokenizer(Vocab vocab);

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const override;
  std::string kind() const override { return "spm"; }

 private:
  // Tokenizes text whose spaces are already U+2581.
  void encode_escaped(std::string_view text, std::vector<int32_t>& out) const;
  void append_byte_fallback(std::string_view symbol, std::vector<int32_t>& out) const;
  int32_t mergeable_id(std::string_view text) const;

  // Pieces a merge may produce: normal and user-defined tokens (never control or byte tokens,
  // so plain text cannot turn into them). Keys view the vocabulary's strings.
  std::unordered_map<std::string_view, int32_t> mergeable_;
  std::array<int32_t, 256> byte_tokens_{};  // <0xNN> token per byte, -1 when absent
};

}  // namespace edgenode::engine

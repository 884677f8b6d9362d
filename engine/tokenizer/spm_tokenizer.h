// SentencePiece-style tokenizer (tokenizer.ggml.model = "llama"): spaces become U+2581, the
// text is split into characters, and the adjacent pair whose merged piece has the highest
// score is merged until no merged piece is in the vocabulary (ties: leftmost pair first).
// Characters left outside the vocabulary fall back to <0xNN> byte tokens.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/tokenizer/text_index.h"
#include "engine/tokenizer/vocab_tokenizer.h"

namespace edgenode::engine {

class SpmTokenizer final : public VocabTokenizer {
 public:
  explicit SpmTokenizer(Vocab vocab);

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const override;
  std::string kind() const override { return "spm"; }

 private:
  struct ChunkCache;
  // Tokenizes text whose spaces are already U+2581, chunk by chunk.
  void encode_escaped(std::string_view text, ChunkCache& cache, std::vector<int32_t>& out) const;
  // The merge algorithm proper on one chunk.
  void encode_chunk(std::string_view chunk, std::vector<int32_t>& out) const;
  // Whether some mergeable piece holds these two characters next to each other (may say
  // yes wrongly, never no wrongly).
  bool may_be_spanned(std::string_view left_char, std::string_view right_char) const;
  void note_adjacent_characters(std::string_view piece);
  void append_byte_fallback(std::string_view symbol, std::vector<int32_t>& out) const;
  int32_t mergeable_id(std::string_view text) const;

  // Pieces a merge may produce: normal and user-defined tokens (never control or byte tokens,
  // so plain text cannot turn into them). Keys view the vocabulary's strings.
  TextIndex mergeable_;
  std::array<int32_t, 256> byte_tokens_{};  // <0xNN> token per byte, -1 when absent
  // A bit filter over the pairs of adjacent characters inside mergeable pieces. Between two
  // characters no piece spans, no merge can happen, so the text splits there into chunks that
  // merge independently (and repeat, so their ids are cached).
  std::vector<uint64_t> spanned_pairs_;
};

}  // namespace edgenode::engine

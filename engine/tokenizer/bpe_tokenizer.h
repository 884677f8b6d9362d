// Byte-level BPE tokenizer (tokenizer.ggml.model = "gpt2"): the pre-tokenizer named by
// tokenizer.ggml.pre splits the text, then each pre-token's bytes are merged pairwise by
// merge rank (lowest rank first, leftmost on ties) as tokenizer.ggml.merges lists them.
// Merging works on token ids (a pair of ids -> rank and result id), never on strings.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/text_index.h"
#include "engine/tokenizer/vocab_tokenizer.h"

namespace edgenode::engine {

class BpeTokenizer final : public VocabTokenizer {
 public:
  static Result<std::unique_ptr<BpeTokenizer>> create(Vocab vocab);

  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const override;
  std::string kind() const override { return "bpe:" + (vocab().pre.empty() ? std::string("default") : vocab().pre); }

  struct Merge {
    int32_t rank;
    int32_t result;
  };
  struct EncodeScratch;

 private:
  BpeTokenizer(Vocab vocab, PreTokenizer pre_tokenizer);
  void build_tables();
  void encode_word(std::string_view word, EncodeScratch& scratch, std::vector<int32_t>& out) const;
  const Merge* find_merge(int32_t left, int32_t right) const;

  static uint64_t pair_key(int32_t left, int32_t right) {
    return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
  }

  PreTokenizer pre_tokenizer_;
  std::array<int32_t, 256> byte_tokens_{};       // the token spelling each single byte, -1 if none
  std::unordered_map<uint64_t, Merge> merges_;   // by pair_key(left id, right id)
  std::vector<std::string> raw_texts_;           // the bytes each normal token stands for
  TextIndex whole_words_{&raw_texts_};           // raw bytes -> normal token (ignore_merges only)
};

}  // namespace edgenode::engine

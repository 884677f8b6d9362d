// A made-up SentencePiece ("llama") vocabulary for generated models: special tokens, the 256
// byte tokens <0x00>..<0xFF>, then word pieces marked with U+2581 for a leading space. Pieces
// are prefix-closed and scored -rank, so score-driven merges reach every piece.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgenode::tools {

enum class TokenType : int32_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

// Which special tokens lead (and trail) the vocabulary, as in the models of each family.
enum class SpecialTokenStyle {
  llama,   // <unk>=0 <s>=1 </s>=2
  phi3,    // as llama, plus trailing <|endoftext|> <|user|> <|assistant|> <|end|>
  gemma3,  // <pad>=0 <eos>=1 <bos>=2 <unk>=3 <start_of_turn>=4 <end_of_turn>=5
};

struct SyntheticVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> token_types;
  int32_t bos_id = -1, eos_id = -1, unknown_id = -1, padding_id = -1;
  std::vector<int32_t> eog_ids;  // end-of-generation tokens besides eos (e.g. <|end|>)
  bool add_space_prefix = true;
};

// Builds exactly n_vocab tokens; n_vocab must leave room for the specials and byte tokens
// plus at least one piece (the caller checks with min_vocab_size).
SyntheticVocab make_synthetic_vocab(int n_vocab, SpecialTokenStyle style);
int min_vocab_size(SpecialTokenStyle style);

}  // namespace edgenode::tools

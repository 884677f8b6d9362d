// The vocabulary a GGUF file describes (tokenizer.ggml.*), as plain data. The tokenizers are
// built from a Vocab, so tests and fuzzers can also build one in memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/tokenizer/tokenizer.h"

namespace edgenode::engine {

class GgufFile;

enum class VocabKind { spm, bpe };  // tokenizer.ggml.model "llama" / "gpt2"

struct Vocab {
  VocabKind kind = VocabKind::spm;
  std::string pre;                   // tokenizer.ggml.pre; empty when absent
  std::vector<std::string> tokens;   // token text by id (SPM: U+2581 for space; BPE: byte-level)
  std::vector<float> scores;         // SPM merge priority by id (higher merges first)
  std::vector<TokenType> types;      // by id; normal when the file has no token_type
  std::vector<std::string> merges;   // BPE: "left right" by rank (rank 0 merges first)
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t unk = -1;
  int32_t pad = -1;
  bool add_bos = false;
  bool add_space_prefix = false;     // SPM: prepend a space to text (Llama 2 style)
  std::string chat_template;         // empty when the model has none
};

// Reads and checks tokenizer.ggml.*: array lengths must agree and special ids must be in range.
Result<Vocab> read_vocab(const GgufFile& file);

}  // namespace edgenode::engine

#include "engine/tokenizer/tokenizer.h"

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/spm_tokenizer.h"
#include "engine/tokenizer/vocab.h"

namespace edgenode::engine {

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_vocab(Vocab vocab) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return bad_input("the vocabulary has no tokens");
  if (vocab.types.size() != n) return bad_input("token types do not match the number of tokens");
  for (int32_t id : {vocab.bos, vocab.eos, vocab.unk, vocab.pad}) {
    if (id < -1 || id >= static_cast<int64_t>(n)) {
      return bad_input("special token id " + std::to_string(id) + " is outside the vocabulary");
    }
  }
  if (vocab.kind == VocabKind::spm) {
    if (vocab.scores.size() != n) return bad_input("token scores do not match the number of tokens");
    return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(vocab)));
  }
  auto bpe = BpeTokenizer::create(std::move(vocab));
  if (!bpe) return bpe.error();
  return std::unique_ptr<Tokenizer>(std::move(*bpe));
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const GgufFile& file) {
  auto vocab = read_vocab(file);
  if (!vocab) return vocab.error();
  return from_vocab(std::move(*vocab));
}

}  // namespace edgenode::engine

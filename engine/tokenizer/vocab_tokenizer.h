// What SPM and BPE tokenizers share: the vocabulary, the added-token splitter, the piece of
// every token computed once, end-of-generation ids, and decode().
#pragma once

#include <string>
#include <vector>

#include "engine/tokenizer/special_token_splitter.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/vocab.h"

namespace edgenode::engine {

class VocabTokenizer : public Tokenizer {
 public:
  std::string piece(int32_t id, bool render_special = true) const override;
  std::string decode(const std::vector<int32_t>& ids, bool render_special = true) const override;

  int32_t n_vocab() const override { return static_cast<int32_t>(vocab_.tokens.size()); }
  int32_t bos() const override { return vocab_.bos; }
  int32_t eos() const override { return vocab_.eos; }
  bool add_bos_default() const override { return vocab_.add_bos && vocab_.bos >= 0; }
  bool is_eog(int32_t id) const override;
  TokenType type(int32_t id) const override;
  std::string chat_template() const override { return vocab_.chat_template; }
  std::string bos_text() const override { return token_text(vocab_.bos); }
  std::string eos_text() const override { return token_text(vocab_.eos); }

 protected:
  explicit VocabTokenizer(Vocab vocab);

  const Vocab& vocab() const { return vocab_; }
  const SpecialTokenSplitter& splitter() const { return splitter_; }
  bool valid_id(int32_t id) const { return id >= 0 && id < n_vocab(); }
  // The subclass gives the text every token stands for (control tokens included).
  void set_pieces(std::vector<std::string> pieces) { pieces_ = std::move(pieces); }

 private:
  std::string token_text(int32_t id) const { return valid_id(id) ? vocab_.tokens[id] : std::string(); }

  Vocab vocab_;
  SpecialTokenSplitter splitter_;
  std::vector<std::string> pieces_;
  std::vector<bool> eog_;
};

}  // namespace edgenode::engine

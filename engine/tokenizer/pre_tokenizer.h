// The regex pre-tokenizer of a byte-level BPE vocabulary, chosen by tokenizer.ggml.pre. The
// patterns are the Hugging Face tokenizer.json ones, run by PCRE2 with UTF + UCP + JIT, so
// \p{L}, \p{N} and \s follow the Unicode properties without tables of our own. A pattern
// splits text into its matches plus the unmatched gaps; a sequence of patterns splits each
// piece of the previous one again. Invalid UTF-8 never matches, so it stays in the gaps.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace edgenode::engine {

class PreTokenizer {
 public:
  // An unknown name gets the GPT-2 patterns and a logged warning.
  static Result<PreTokenizer> for_name(std::string_view pre);

  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;
  ~PreTokenizer();

  // Appends the pre-tokens of text to out: views into text that cover it exactly, in order.
  void split(std::string_view text, std::vector<std::string_view>& out) const;

  const std::string& name() const { return name_; }  // the family the name resolved to
  // A whole pre-token that is in the vocabulary is taken as one token (llama-bpe).
  bool ignore_merges() const { return ignore_merges_; }
  // Text is brought to Unicode NFC before it is split (Qwen's tokenizers).
  bool normalizes_to_nfc() const { return nfc_; }

 private:
  struct Pattern;
  PreTokenizer() = default;
  void split_with(const Pattern& pattern, std::string_view text, std::vector<std::string_view>& out) const;

  std::string name_;
  bool ignore_merges_ = false;
  bool nfc_ = false;
  std::vector<std::unique_ptr<Pattern>> patterns_;
};

}  // namespace edgenode::engine

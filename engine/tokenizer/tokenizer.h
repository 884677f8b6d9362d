// Text <-> token ids for the tokenizer a GGUF file describes (SPM or byte-level BPE).
// A Tokenizer is immutable after construction and safe to share between threads;
// streaming detokenization keeps its state in a per-sequence TokenStreamDecoder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace edgenode::engine {

class GgufFile;
struct Vocab;

// As GGUF's tokenizer.ggml.token_type.
enum class TokenType : int32_t { undefined = 0, normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

class Tokenizer {
 public:
  // Reads tokenizer.ggml.* from the file; an unsupported model kind is an error naming it.
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const GgufFile& file);
  // The same from a vocabulary already in memory (engine/tokenizer/vocab.h).
  static Result<std::unique_ptr<Tokenizer>> from_vocab(Vocab vocab);
  virtual ~Tokenizer() = default;

  // add_bos: prepend BOS when the model wants one (add_bos_token); parse_special: text that
  // spells a control/user-defined token becomes that token.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const = 0;
  // The bytes of one token as they appear in text (byte tokens give their byte; control
  // tokens give their text only when render_special).
  virtual std::string piece(int32_t id, bool render_special = true) const = 0;
  // Concatenated pieces; invalid UTF-8 is replaced with U+FFFD.
  virtual std::string decode(const std::vector<int32_t>& ids, bool render_special = true) const = 0;

  virtual int32_t n_vocab() const = 0;
  virtual int32_t bos() const = 0;  // -1 when none
  virtual int32_t eos() const = 0;  // -1 when none
  virtual bool add_bos_default() const = 0;
  virtual bool is_eog(int32_t id) const = 0;  // end of generation (eos, eot, <|im_end|>, ...)
  virtual TokenType type(int32_t id) const = 0;
  virtual std::string kind() const = 0;  // "spm" or "bpe:<pre>"
  virtual std::string chat_template() const = 0;  // empty when the model has none
  virtual std::string bos_text() const = 0;  // text of BOS/EOS for templates ("" when none)
  virtual std::string eos_text() const = 0;
};

// Turns a stream of token ids into text without ever emitting half a UTF-8 character.
class TokenStreamDecoder {
 public:
  explicit TokenStreamDecoder(const Tokenizer& tokenizer, bool render_special = true)
      : tokenizer_(tokenizer), render_special_(render_special) {}
  // Text that became complete with this token (may be empty).
  std::string push(int32_t id);
  // End of generation: bytes still pending, invalid sequences replaced by U+FFFD.
  std::string finish();

 private:
  const Tokenizer& tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace edgenode::engine

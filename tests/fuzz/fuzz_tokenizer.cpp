// libFuzzer target for the tokenizers: arbitrary bytes (valid and invalid UTF-8) are encoded
// with and without special parsing, decoded and streamed. The checks: ids are in range, the
// pieces of a plain encoding give back the input bytes exactly, decode() is valid UTF-8, and
// the stream decoder gives the same text as decode().
//
// Vocabularies: built in memory (one SPM, and byte-level BPE with each pre-tokenizer; the
// first input byte picks one), or, when EDGENODE_FUZZ_VOCAB names a GGUF file, that one.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/nfc.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"
#include "engine/tokenizer/vocab.h"

namespace {

using namespace edgenode::engine;

const std::vector<std::string> kWords = {"the", "he", "th", "in", "ing", "er", "an", "and", "12", "123", "ab"};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "tokenizer invariant broken: %s\n", what);
    std::abort();
  }
}

Vocab common_specials(Vocab v) {
  v.tokens.push_back("<|ctl|>");
  v.types.push_back(TokenType::control);
  v.tokens.push_back("<u>");
  v.types.push_back(TokenType::user_defined);
  v.scores.resize(v.tokens.size(), 0.0f);
  v.bos = static_cast<int32_t>(v.tokens.size()) - 2;
  v.eos = v.bos;
  v.add_bos = true;
  return v;
}

// Byte tokens, every printable ASCII character and a few words, with and without the space
// marker; no dummy prefix, so plain pieces reproduce the input exactly.
Vocab spm_vocab() {
  Vocab v;
  v.kind = VocabKind::spm;
  auto add = [&](std::string text, float score, TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.types.push_back(type);
  };
  add("<unk>", 0, TokenType::unknown);
  v.unk = 0;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    add(name, 0, TokenType::byte);
  }
  const std::string space = "\xE2\x96\x81";
  add(space, -100, TokenType::normal);
  add(space + space, -1000, TokenType::normal);
  for (char c = 33; c < 127; ++c) add(std::string(1, c), -50, TokenType::normal);
  float score = -1;
  for (const std::string& w : kWords) {
    add(w, score, TokenType::normal);
    add(space + w, score - 0.5f, TokenType::normal);
    score -= 1;
  }
  add("\xC3\xA9", -20, TokenType::normal);
  return common_specials(std::move(v));
}

Vocab bpe_vocab(const std::string& pre) {
  Vocab v;
  v.kind = VocabKind::bpe;
  v.pre = pre;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(byte_level::encode(std::string(1, static_cast<char>(b))));
  const std::string space = byte_level::encode(" ");
  auto add_merge = [&](const std::string& left, const std::string& right) {
    v.merges.push_back(left + " " + right);
    v.tokens.push_back(left + right);
  };
  add_merge("t", "h");
  add_merge("th", "e");
  add_merge("h", "e");
  add_merge(space, "t");
  add_merge(space + "t", "he");
  add_merge("i", "n");
  add_merge("in", "g");
  add_merge("1", "2");
  add_merge("12", "3");
  add_merge(space, space);
  v.types.assign(v.tokens.size(), TokenType::normal);
  return common_specials(std::move(v));
}

std::vector<std::unique_ptr<Tokenizer>> make_tokenizers() {
  std::vector<std::unique_ptr<Tokenizer>> tokenizers;
  if (const char* path = std::getenv("EDGENODE_FUZZ_VOCAB")) {
    auto file = GgufFile::open(path);
    check(file.ok(), "EDGENODE_FUZZ_VOCAB does not open");
    auto tokenizer = Tokenizer::from_gguf(*file);
    check(tokenizer.ok(), "EDGENODE_FUZZ_VOCAB is not a tokenizer");
    tokenizers.push_back(std::move(*tokenizer));
    return tokenizers;
  }
  tokenizers.push_back(Tokenizer::from_vocab(spm_vocab()).value());
  for (const char* pre : {"gpt2", "llama-bpe", "qwen2", "smollm", "gpt-4o"}) {
    tokenizers.push_back(Tokenizer::from_vocab(bpe_vocab(pre)).value());
  }
  return tokenizers;
}

// Whether plain-text pieces must reproduce the input: true for the built-in vocabularies; a
// real SPM vocabulary adds its dummy-prefix space.
bool exact_pieces(const Tokenizer& tokenizer) {
  return std::getenv("EDGENODE_FUZZ_VOCAB") == nullptr || tokenizer.kind() != "spm";
}

// What the pieces of a plain encoding spell: the input, except that SPM writes spaces as
// U+2581, so a U+2581 in the input comes back as a space.
std::string expected_pieces(const Tokenizer& tokenizer, std::string_view text) {
  if (tokenizer.kind() != "spm") return std::string(text);
  std::string expected;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (text.compare(pos, 3, "\xE2\x96\x81") == 0) {
      expected.push_back(' ');
      pos += 2;
    } else {
      expected.push_back(text[pos]);
    }
  }
  return expected;
}

}  // namespace

// Loading a real vocabulary takes a while: do it before the per-input timeout starts counting.
const std::vector<std::unique_ptr<Tokenizer>>& tokenizers() {
  static const std::vector<std::unique_ptr<Tokenizer>> instance = make_tokenizers();
  return instance;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tokenizers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& tokenizers = ::tokenizers();
  if (size == 0) return 0;
  const Tokenizer& tokenizer = *tokenizers[data[0] % tokenizers.size()];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  for (bool parse_special : {false, true}) {
    const auto ids = tokenizer.encode(text, /*add_bos=*/parse_special, parse_special);
    std::string pieces;
    for (int32_t id : ids) {
      check(id >= 0 && id < tokenizer.n_vocab(), "token id out of range");
      pieces += tokenizer.piece(id);
    }
    if (!parse_special && exact_pieces(tokenizer)) {
      // Qwen's vocabularies bring the text to NFC first, so their pieces spell that form.
      std::string nfc;
      const bool normalizable = tokenizer.kind() != "spm" && to_nfc(text, nfc);
      check(pieces == expected_pieces(tokenizer, text) || (normalizable && pieces == nfc),
            "pieces differ from the input");
    }

    const std::string decoded = tokenizer.decode(ids);
    check(utf8::sanitized(decoded) == decoded, "decode() gave invalid UTF-8");

    TokenStreamDecoder stream(tokenizer);
    std::string streamed;
    for (int32_t id : ids) streamed += stream.push(id);
    streamed += stream.finish();
    check(streamed == utf8::sanitized(pieces), "streamed text differs from the sanitized pieces");
  }
  return 0;
}

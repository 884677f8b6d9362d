// Byte-level BPE and its pre-tokenizers on small vocabularies.
#include <gtest/gtest.h>

#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"
#include "small_vocabs.h"

namespace edgenode::engine::testing {
namespace {

std::unique_ptr<Tokenizer> make(const Vocab& vocab) {
  auto tokenizer = Tokenizer::from_vocab(vocab);
  EXPECT_TRUE(tokenizer.ok()) << (tokenizer.ok() ? "" : tokenizer.error().message);
  return tokenizer.ok() ? std::move(*tokenizer) : nullptr;
}

std::vector<std::string> pre_tokens(const std::string& pre, const std::string& text) {
  auto pre_tokenizer = PreTokenizer::for_name(pre);
  EXPECT_TRUE(pre_tokenizer.ok());
  std::vector<std::string_view> views;
  pre_tokenizer->split(text, views);
  return {views.begin(), views.end()};
}

using Strings = std::vector<std::string>;

TEST(BpeTokenizer, MergesByRankWithinEachPreToken) {
  const Vocab v = small_bpe_vocab({"h e", "l l", "he ll", "hell o", "\xC4\xA0 w", "o r", "\xC4\xA0w or"});
  auto t = make(v);
  EXPECT_EQ(t->encode("hello world", false, false),
            (std::vector<int32_t>{id_of(v, "hello"), id_of(v, "\xC4\xA0wor"), 'l', 'd'}));
}

TEST(BpeTokenizer, LowerRankWinsOverPosition) {
  const Vocab first_ab = small_bpe_vocab({"a b", "b c"});
  EXPECT_EQ(make(first_ab)->encode("abc", false, false), (std::vector<int32_t>{id_of(first_ab, "ab"), 'c'}));
  const Vocab first_bc = small_bpe_vocab({"b c", "a b"});
  EXPECT_EQ(make(first_bc)->encode("abc", false, false), (std::vector<int32_t>{'a', id_of(first_bc, "bc")}));
  const Vocab repeated = small_bpe_vocab({"a a"});
  EXPECT_EQ(make(repeated)->encode("aaa", false, false), (std::vector<int32_t>{id_of(repeated, "aa"), 'a'}));
}

TEST(BpeTokenizer, IgnoreMergesTakesAWholeWordFromTheVocabulary) {
  for (const std::string pre : {"llama-bpe", "qwen2"}) {
    Vocab v = small_bpe_vocab({}, pre);
    v.tokens.push_back("xyz");
    v.types.push_back(TokenType::normal);
    v.scores.push_back(0);
    auto t = make(v);
    const auto ids = t->encode("xyz", false, false);
    if (pre == "llama-bpe") {
      EXPECT_EQ(ids, (std::vector<int32_t>{id_of(v, "xyz")}));
    } else {
      EXPECT_EQ(ids, (std::vector<int32_t>{'x', 'y', 'z'}));
    }
  }
}

TEST(BpeTokenizer, AnyBytesSurviveEncoding) {
  const Vocab v = small_bpe_vocab({"a b"});
  auto t = make(v);
  const std::string bytes("\xFF\xFE" "ab\x00\xC3 \xE2\x82", 9);
  std::string pieces;
  for (int32_t id : t->encode(bytes, false, false)) pieces += t->piece(id);
  EXPECT_EQ(pieces, bytes);
  EXPECT_EQ(t->decode(t->encode("caf\xC3\xA9", false, false)), "caf\xC3\xA9");
  EXPECT_EQ(t->decode(t->encode("\xFF" "a", false, false)), "\xEF\xBF\xBD" "a");
}

TEST(BpeTokenizer, SpecialAndUserDefinedTokens) {
  const Vocab v = small_bpe_vocab({});
  auto t = make(v);
  const int32_t bos = id_of(v, "<|bos|>");
  const int32_t tag = id_of(v, "<tag>");
  EXPECT_EQ(t->encode("<|bos|>", false, true), (std::vector<int32_t>{bos}));
  for (int32_t id : t->encode("<|bos|>", false, false)) EXPECT_NE(id, bos);
  EXPECT_EQ(t->encode("a<tag>", false, false), (std::vector<int32_t>{'a', tag}));
  EXPECT_EQ(t->encode("a", true, false), (std::vector<int32_t>{bos, 'a'}));
  EXPECT_EQ(t->decode({bos, 'a'}), "<|bos|>a");
  EXPECT_EQ(t->decode({bos, 'a'}, /*render_special=*/false), "a");
}

TEST(BpeTokenizer, UnknownPreTokenizerFallsBackToGpt2) {
  const Vocab v = small_bpe_vocab({"a b"}, "no-such-pre");
  auto t = make(v);
  EXPECT_EQ(t->kind(), "bpe:no-such-pre");
  EXPECT_EQ(t->encode("ab ab", false, false), (std::vector<int32_t>{id_of(v, "ab"), ' ', id_of(v, "ab")}));
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(pre_tokens("gpt2", "Hello world's 12345  x\n"),
            (Strings{"Hello", " world", "'s", " 12345", " ", " x", "\n"}));
}

TEST(PreTokenizer, Llama3GroupsDigitsByThreeAndKeepsNewlines) {
  EXPECT_EQ(pre_tokens("llama-bpe", "I'VE 12345\n\n  x"), (Strings{"I", "'VE", " ", "123", "45", "\n\n", " ", " x"}));
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(pre_tokens("qwen2", "a 123"), (Strings{"a", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, SmollmIsolatesDigitsBeforeTheGpt2Split) {
  EXPECT_EQ(pre_tokens("smollm", "ab 12c"), (Strings{"ab", " ", "1", "2", "c"}));
  // Every numeric character is a digit, as the Rust Digits pre-tokenizer's char::is_numeric
  // says ("½" and "①" too; transformers.js keeps to ASCII digits).
  EXPECT_EQ(pre_tokens("smollm", "x\xC2\xBD\xE2\x91\xA0y"), (Strings{"x", "\xC2\xBD", "\xE2\x91\xA0", "y"}));
}

TEST(PreTokenizer, Gpt4oSplitsCamelCaseAndKeepsContractions) {
  EXPECT_EQ(pre_tokens("gpt-4o", "HelloWorld's a/b\n"), (Strings{"Hello", "World's", " a", "/b", "\n"}));
}

TEST(PreTokenizer, WhiteSpaceIsUnicodeWhiteSpace) {
  // NBSP, U+3000 and NEL are white space; U+180E (a format character since Unicode 6.3) and
  // U+FEFF are not, as in Hugging Face's tokenizers (Oniguruma) and llama.cpp. transformers.js
  // differs on two of them, both deliberately not followed: JavaScript's \s matches U+FEFF
  // and does not match NEL (U+0085).
  EXPECT_EQ(pre_tokens("gpt2", "a\xC2\xA0\xC2\xA0" "b"), (Strings{"a", "\xC2\xA0", "\xC2\xA0", "b"}));
  EXPECT_EQ(pre_tokens("gpt2", "a\xC2\x85\xC2\x85" "b"), (Strings{"a", "\xC2\x85", "\xC2\x85", "b"}));
  EXPECT_EQ(pre_tokens("gpt2", "a \xE1\xA0\x8E" "b"), (Strings{"a", " \xE1\xA0\x8E", "b"}));
  EXPECT_EQ(pre_tokens("llama-bpe", "a\xE1\xA0\x8E  \n"), (Strings{"a", "\xE1\xA0\x8E", "  \n"}));
  EXPECT_EQ(pre_tokens("gpt2", "a \xEF\xBB\xBF b"), (Strings{"a", " \xEF\xBB\xBF", " b"}));
}

TEST(PreTokenizer, UnicodeLettersAndInvalidBytes) {
  EXPECT_EQ(pre_tokens("gpt2", "caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC"), (Strings{"caf\xC3\xA9", " \xE6\x9D\xB1\xE4\xBA\xAC"}));
  EXPECT_EQ(pre_tokens("gpt2", "ab\xFF" "cd"), (Strings{"ab", "\xFF", "cd"}));
}

}  // namespace
}  // namespace edgenode::engine::testing

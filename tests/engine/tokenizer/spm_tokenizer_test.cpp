// The SPM algorithm on vocabularies small enough to check by hand.
#include <gtest/gtest.h>

#include "engine/tokenizer/tokenizer.h"
#include "small_vocabs.h"

namespace edgenode::engine::testing {
namespace {

const std::string kSpace = "\xE2\x96\x81";

std::unique_ptr<Tokenizer> make(const Vocab& vocab) {
  auto tokenizer = Tokenizer::from_vocab(vocab);
  EXPECT_TRUE(tokenizer.ok());
  return std::move(*tokenizer);
}

TEST(SpmTokenizer, MergesTheHighestScoringPairFirst) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}, {"b", -10}, {"c", -10}, {"ab", -3}, {"bc", -1},
                                   {kSpace + "a", -5}});
  auto t = make(v);
  // "▁abc": "bc" (-1) beats "ab" (-3) and "▁a" (-5); then "▁a" merges; "▁abc" is no piece.
  EXPECT_EQ(t->encode("abc", false, false), (std::vector<int32_t>{id_of(v, kSpace + "a"), id_of(v, "bc")}));
}

TEST(SpmTokenizer, EqualScoresMergeLeftmostFirst) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}, {"aa", -1}}, /*add_space_prefix=*/false);
  auto t = make(v);
  EXPECT_EQ(t->encode("aaa", false, false), (std::vector<int32_t>{id_of(v, "aa"), id_of(v, "a")}));
}

TEST(SpmTokenizer, DummyPrefixAndSpacesBecomeTheSpaceMarker) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}, {kSpace + "a", -1}});
  auto t = make(v);
  const int32_t space_a = id_of(v, kSpace + "a");
  EXPECT_EQ(t->encode("a a", false, false), (std::vector<int32_t>{space_a, space_a}));
  EXPECT_EQ(t->encode("a a", true, false), (std::vector<int32_t>{1, space_a, space_a}));
  EXPECT_TRUE(t->encode("", false, false).empty());
  EXPECT_EQ(t->encode("", true, false), (std::vector<int32_t>{1}));
}

TEST(SpmTokenizer, GemmaStyleHasNoDummyPrefix) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}, {kSpace + "a", -1}}, /*add_space_prefix=*/false);
  auto t = make(v);
  EXPECT_EQ(t->encode("a a", false, false), (std::vector<int32_t>{id_of(v, "a"), id_of(v, kSpace + "a")}));
  EXPECT_EQ(t->decode(t->encode(" a", false, false)), " a");
}

TEST(SpmTokenizer, UnknownCharactersFallBackToBytes) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}}, /*add_space_prefix=*/false);
  auto t = make(v);
  // U+00E9 is C3 A9; byte token of byte b has id 3 + b.
  EXPECT_EQ(t->encode("a\xC3\xA9", false, false), (std::vector<int32_t>{id_of(v, "a"), 3 + 0xC3, 3 + 0xA9}));
  // Invalid UTF-8 survives as bytes too.
  EXPECT_EQ(t->encode("\xFF", false, false), (std::vector<int32_t>{3 + 0xFF}));
}

TEST(SpmTokenizer, WithoutByteTokensAnUnknownCharacterIsTheUnknownToken) {
  Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}}, /*add_space_prefix=*/false);
  for (auto& type : v.types) {
    if (type == TokenType::byte) type = TokenType::unused;
  }
  auto t = make(v);
  EXPECT_EQ(t->encode("a\xC3\xA9" "a", false, false), (std::vector<int32_t>{id_of(v, "a"), 0, id_of(v, "a")}));
}

TEST(SpmTokenizer, ControlTokensComeOnlyFromSpecialParsing) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"<", -10}, {"s", -10}, {">", -10}, {"<s", -5}, {"<s>", -1}},
                                  /*add_space_prefix=*/false);
  auto t = make(v);
  // "<s>" is also a normal piece here (the last one); plain text may only give that, never id 1.
  const auto normal_s = static_cast<int32_t>(v.tokens.size()) - 2;
  ASSERT_EQ(v.tokens[normal_s], "<s>");
  EXPECT_EQ(t->encode("<s>", false, false), (std::vector<int32_t>{normal_s}));
  EXPECT_EQ(t->encode("<s>", false, true), (std::vector<int32_t>{1}));
}

TEST(SpmTokenizer, UserDefinedTokensMatchWithoutSpecialParsing) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}}, /*add_space_prefix=*/false);
  auto t = make(v);
  const int32_t tag = id_of(v, "<tag>");
  EXPECT_EQ(t->encode("a<tag>a", false, false), (std::vector<int32_t>{id_of(v, "a"), tag, id_of(v, "a")}));
}

TEST(SpmTokenizer, DecodeDropsOnlyTheDummyPrefixSpace) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}, {kSpace + "a", -1}});
  auto t = make(v);
  EXPECT_EQ(t->decode(t->encode("a a", false, false)), "a a");
  EXPECT_EQ(t->decode(t->encode(" a", false, false)), " a");
  EXPECT_EQ(t->decode(t->encode("a", true, false)), "<s> a");
  EXPECT_EQ(t->decode(t->encode("a", true, false), /*render_special=*/false), "a");
  EXPECT_EQ(t->piece(1, /*render_special=*/false), "");
}

TEST(SpmTokenizer, DecodeReplacesInvalidUtf8) {
  const Vocab v = small_spm_vocab({{kSpace, -10}, {"a", -10}}, /*add_space_prefix=*/false);
  auto t = make(v);
  EXPECT_EQ(t->decode({id_of(v, "a"), 3 + 0xC3, id_of(v, "a")}), "a\xEF\xBF\xBD" "a");
  EXPECT_EQ(t->decode({3 + 0xC3, 3 + 0xA9}), "\xC3\xA9");
}

TEST(SpmTokenizer, ReportsItsSpecialTokens) {
  const Vocab v = small_spm_vocab({{kSpace, -10}});
  auto t = make(v);
  EXPECT_EQ(t->kind(), "spm");
  EXPECT_EQ(t->bos(), 1);
  EXPECT_EQ(t->eos(), 2);
  EXPECT_TRUE(t->is_eog(2));
  EXPECT_FALSE(t->is_eog(1));
  EXPECT_EQ(t->bos_text(), "<s>");
  EXPECT_EQ(t->type(0), TokenType::unknown);
  EXPECT_EQ(t->type(-1), TokenType::undefined);
  EXPECT_EQ(t->piece(100000), "");
}

}  // namespace
}  // namespace edgenode::engine::testing

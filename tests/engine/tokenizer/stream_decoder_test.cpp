// TokenStreamDecoder never emits half a character and replaces what cannot be completed.
#include <gtest/gtest.h>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"
#include "small_vocabs.h"

namespace edgenode::engine::testing {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

class StreamDecoder : public ::testing::Test {
 protected:
  // Byte-level BPE: token id b is byte b.
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::from_vocab(small_bpe_vocab({"a b"})).value();
};

TEST_F(StreamDecoder, HoldsBackAnUnfinishedCharacter) {
  TokenStreamDecoder decoder(*tokenizer);
  EXPECT_EQ(decoder.push('a'), "a");
  EXPECT_EQ(decoder.push(0xE2), "");
  EXPECT_EQ(decoder.push(0x82), "");
  EXPECT_EQ(decoder.push(0xAC), "\xE2\x82\xAC");
  EXPECT_EQ(decoder.finish(), "");
}

TEST_F(StreamDecoder, ReplacesBytesThatCanNoLongerFormACharacter) {
  TokenStreamDecoder decoder(*tokenizer);
  EXPECT_EQ(decoder.push(0xE2), "");
  EXPECT_EQ(decoder.push('x'), kReplacement + "x");
  EXPECT_EQ(decoder.push(0xFF), kReplacement);
}

TEST_F(StreamDecoder, FinishReplacesAnUnfinishedTail) {
  TokenStreamDecoder decoder(*tokenizer);
  EXPECT_EQ(decoder.push(0xF0), "");
  EXPECT_EQ(decoder.push(0x9F), "");
  EXPECT_EQ(decoder.finish(), kReplacement);
  EXPECT_EQ(decoder.finish(), "");
}

TEST_F(StreamDecoder, MultiTokenPiecesAndSpecialTokens) {
  const int32_t bos = tokenizer->bos();
  TokenStreamDecoder shown(*tokenizer);
  EXPECT_EQ(shown.push(bos), "<|bos|>");
  TokenStreamDecoder hidden(*tokenizer, /*render_special=*/false);
  EXPECT_EQ(hidden.push(bos), "");
  const auto ab = tokenizer->encode("ab", false, false);
  ASSERT_EQ(ab.size(), 1u);
  EXPECT_EQ(hidden.push(ab[0]), "ab");
}

TEST_F(StreamDecoder, StreamedTextEqualsDecode) {
  const std::string text = "na\xC3\xAFve \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x9A\x80 ab";
  const auto ids = tokenizer->encode(text, false, false);
  TokenStreamDecoder decoder(*tokenizer);
  std::string streamed;
  for (int32_t id : ids) streamed += decoder.push(id);
  streamed += decoder.finish();
  EXPECT_EQ(streamed, text);
  EXPECT_EQ(tokenizer->decode(ids), text);
}

TEST(Utf8, ReplacesEachMaximalInvalidSubpart) {
  EXPECT_EQ(utf8::sanitized("ok"), "ok");
  EXPECT_EQ(utf8::sanitized("\xC0\xAF"), kReplacement + kReplacement);                 // overlong
  EXPECT_EQ(utf8::sanitized("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
  EXPECT_EQ(utf8::sanitized("\xE2\x82" "a"), kReplacement + "a");                      // truncated
  EXPECT_EQ(utf8::sanitized("\xF4\x90\x80\x80"), kReplacement + kReplacement + kReplacement + kReplacement);
  EXPECT_EQ(utf8::sanitized("\xF0\x9F\x9A\x80"), "\xF0\x9F\x9A\x80");
  EXPECT_EQ(utf8::incomplete_tail("a\xF0\x9F\x9A"), 3u);
  EXPECT_EQ(utf8::incomplete_tail("a\xC3\xA9"), 0u);
  EXPECT_EQ(utf8::incomplete_tail("\xFF"), 0u);
}

}  // namespace
}  // namespace edgenode::engine::testing

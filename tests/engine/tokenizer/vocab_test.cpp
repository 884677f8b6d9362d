// Reading tokenizer.ggml.* from a GGUF: defaults, and a clear error for each bad vocabulary.
#include <gtest/gtest.h>

#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/vocab.h"

namespace edgenode::engine::testing {
namespace {

GgufWriter spm_writer() {
  GgufWriter writer;
  writer.set_string("general.architecture", "llama");
  writer.set_string("tokenizer.ggml.model", "llama");
  writer.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xE2\x96\x81" "a"});
  writer.set_f32_array("tokenizer.ggml.scores", {0, 0, 0, -1});
  writer.set_i32_array("tokenizer.ggml.token_type", {2, 3, 3, 1});
  writer.set_u32("tokenizer.ggml.bos_token_id", 1);
  writer.set_u32("tokenizer.ggml.eos_token_id", 2);
  return writer;
}

// The error from_gguf gives for the writer's file ("" when it loads).
std::string load_error(const GgufWriter& writer) {
  auto bytes = writer.to_bytes();
  EXPECT_TRUE(bytes.ok());
  auto file = GgufFile::from_memory(bytes->data(), bytes->size());
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  auto tokenizer = Tokenizer::from_gguf(*file);
  return tokenizer.ok() ? std::string() : tokenizer.error().message;
}

TEST(Vocab, ReadsAnSpmVocabularyWithLlamaCppDefaults) {
  auto bytes = spm_writer().to_bytes();
  ASSERT_TRUE(bytes.ok());
  auto file = GgufFile::from_memory(bytes->data(), bytes->size());
  ASSERT_TRUE(file.ok());
  auto vocab = read_vocab(*file);
  ASSERT_TRUE(vocab.ok()) << vocab.error().message;
  EXPECT_EQ(vocab->kind, VocabKind::spm);
  EXPECT_TRUE(vocab->add_bos);
  EXPECT_TRUE(vocab->add_space_prefix);
  EXPECT_EQ(vocab->unk, -1);
  auto tokenizer = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tokenizer.ok());
  EXPECT_EQ((*tokenizer)->encode("a", true, false), (std::vector<int32_t>{1, 3}));
}

TEST(Vocab, UnsupportedModelIsNamed) {
  GgufWriter writer = spm_writer();
  writer.set_string("tokenizer.ggml.model", "bert");
  EXPECT_NE(load_error(writer).find("unsupported tokenizer model 'bert'"), std::string::npos);
}

TEST(Vocab, MissingTokensIsNamed) {
  GgufWriter writer;
  writer.set_string("tokenizer.ggml.model", "llama");
  EXPECT_NE(load_error(writer).find("tokenizer.ggml.tokens"), std::string::npos);
}

TEST(Vocab, ArrayLengthsMustAgree) {
  GgufWriter scores = spm_writer();
  scores.set_f32_array("tokenizer.ggml.scores", {0, 0});
  EXPECT_NE(load_error(scores).find("tokenizer.ggml.scores has 2 entries for 4 tokens"), std::string::npos);
  GgufWriter types = spm_writer();
  types.set_i32_array("tokenizer.ggml.token_type", {1});
  EXPECT_NE(load_error(types).find("tokenizer.ggml.token_type"), std::string::npos);
}

TEST(Vocab, BpeNeedsMerges) {
  GgufWriter writer = spm_writer();
  writer.set_string("tokenizer.ggml.model", "gpt2");
  EXPECT_NE(load_error(writer).find("tokenizer.ggml.merges"), std::string::npos);
}

TEST(Vocab, WrongValueTypeIsNamed) {
  GgufWriter writer = spm_writer();
  writer.set_string("tokenizer.ggml.bos_token_id", "one");
  EXPECT_NE(load_error(writer).find("tokenizer.ggml.bos_token_id"), std::string::npos);
}

}  // namespace
}  // namespace edgenode::engine::testing

// A corrupt or hostile file is an error that names the problem, never a crash.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"
#include "gguf_bytes.h"

namespace edgenode::engine {
namespace {

using testing::GgufBytes;

std::string open_error(const std::vector<uint8_t>& bytes) {
  auto file = GgufFile::from_memory(bytes.data(), bytes.size());
  EXPECT_FALSE(file.ok()) << "a bad file was accepted";
  return file.ok() ? "" : file.error().message;
}

#define EXPECT_ERROR_HAS(bytes, text)                                         \
  do {                                                                        \
    const std::string message = open_error(bytes);                            \
    EXPECT_NE(message.find(text), std::string::npos) << "error: " << message; \
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message; \
  } while (0)

// A small valid file: metadata of several types and two tensors.
std::vector<uint8_t> valid_file() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 2);
  w.set_f32("llama.rope.freq_base", 10000.0f);
  w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "c"});
  std::vector<float> values(64 * 2, 0.5f);
  EXPECT_TRUE(w.add_tensor("a.weight", GgmlType::Q8_0, {64, 2}, values.data()).ok());
  EXPECT_TRUE(w.add_tensor("b.weight", GgmlType::F32, {32}, values.data()).ok());
  return w.to_bytes().value();
}

TEST(GgufBadInput, ValidFileOpens) {
  const auto bytes = valid_file();
  auto file = GgufFile::from_memory(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->tensors().size(), 2u);
}

TEST(GgufBadInput, TruncatedAtEveryCutPointIsAnError) {
  const auto bytes = valid_file();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto file = GgufFile::from_memory(bytes.data(), cut);
    ASSERT_FALSE(file.ok()) << "accepted a file cut at " << cut << " of " << bytes.size();
    const auto& message = file.error().message;
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(file.error().kind, ErrorKind::bad_input);
  }
}

TEST(GgufBadInput, WrongMagic) {
  auto bytes = valid_file();
  bytes[0] = 'X';
  EXPECT_ERROR_HAS(bytes, "bad magic");
}

TEST(GgufBadInput, EmptyFile) { EXPECT_ERROR_HAS(std::vector<uint8_t>{}, "not a GGUF file"); }

TEST(GgufBadInput, UnsupportedVersions) {
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 0, 1).bytes, "unsupported GGUF version 1");
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 0, 4).bytes, "unsupported GGUF version 4");
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 0, 0x03000000).bytes, "big-endian");
}

TEST(GgufBadInput, Version2IsAccepted) {
  auto bytes = GgufBytes{}.header(0, 1, 2).kv_u32("x", 7).bytes;
  auto file = GgufFile::from_memory(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->version(), 2u);
  EXPECT_EQ(file->get_u32("x").value(), 7u);
}

TEST(GgufBadInput, AbsurdCountsAreRejectedBeforeAllocating) {
  EXPECT_ERROR_HAS(GgufBytes{}.header(UINT64_MAX, 0).bytes, "tensor count");
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, UINT64_MAX / 2).bytes, "metadata count");
}

TEST(GgufBadInput, HugeStringLength) {
  auto bytes = GgufBytes{}.header(0, 1).put<uint64_t>(UINT64_MAX).zeros(16).bytes;
  EXPECT_ERROR_HAS(bytes, "length");
  auto value = GgufBytes{}.header(0, 1).str("key").put<uint32_t>(8).put<uint64_t>(1ull << 40).bytes;
  EXPECT_ERROR_HAS(value, "'key'");
}

TEST(GgufBadInput, HugeArrayLength) {
  auto bytes = GgufBytes{}.header(0, 1).str("tokenizer.ggml.scores").put<uint32_t>(9).put<uint32_t>(6)
                   .put<uint64_t>(1ull << 61).bytes;
  EXPECT_ERROR_HAS(bytes, "array length");
  EXPECT_ERROR_HAS(bytes, "tokenizer.ggml.scores");
}

TEST(GgufBadInput, UnknownValueTypes) {
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 1).str("k").put<uint32_t>(13).bytes, "unknown value type 13");
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(99).put<uint64_t>(0).bytes,
                   "unknown array element type 99");
}

TEST(GgufBadInput, DeeplyNestedArrays) {
  GgufBytes b;
  b.header(0, 1).str("deep").put<uint32_t>(9);
  for (int i = 0; i < 100; ++i) b.put<uint32_t>(9).put<uint64_t>(1);
  EXPECT_ERROR_HAS(b.bytes, "nested deeper");
}

TEST(GgufBadInput, NestedArraysWithinTheLimitParse) {
  GgufBytes b;
  b.header(0, 1).str("nested").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(2);
  b.put<uint32_t>(4).put<uint64_t>(2).put<uint32_t>(1).put<uint32_t>(2);
  b.put<uint32_t>(8).put<uint64_t>(1).str("x");
  auto file = GgufFile::from_memory(b.bytes.data(), b.bytes.size());
  ASSERT_TRUE(file.ok()) << file.error().message;
  const auto* outer = file->get_array("nested").value();
  ASSERT_EQ(outer->items.size(), 2u);
  const auto& inner0 = std::get<GgufArray>(outer->items[0].v);
  EXPECT_EQ(std::get<uint32_t>(inner0.items[1].v), 2u);
  const auto& inner1 = std::get<GgufArray>(outer->items[1].v);
  EXPECT_EQ(std::get<std::string>(inner1.items[0].v), "x");
}

TEST(GgufBadInput, InvalidBool) {
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 1).str("flag").put<uint32_t>(7).put<uint8_t>(2).bytes, "invalid bool");
}

TEST(GgufBadInput, DuplicateKeyAndTensor) {
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 2).kv_u32("k", 1).kv_u32("k", 2).bytes, "duplicate metadata key 'k'");
  auto b = GgufBytes{}.header(2, 0).tensor_info("t", {32}, 0, 0).tensor_info("t", {32}, 0, 128).pad_to(32).zeros(256);
  EXPECT_ERROR_HAS(b.bytes, "duplicate tensor name 't'");
}

TEST(GgufBadInput, BadAlignment) {
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 1).kv_u32("general.alignment", 24).bytes, "not a power of two");
  EXPECT_ERROR_HAS(GgufBytes{}.header(0, 1).kv_u32("general.alignment", 0).bytes, "not a power of two");
  auto wrong_type = GgufBytes{}.header(0, 1).str("general.alignment").put<uint32_t>(8).str("32").bytes;
  EXPECT_ERROR_HAS(wrong_type, "general.alignment must be u32");
}

TEST(GgufBadInput, TensorOffsetPastTheEnd) {
  auto b = GgufBytes{}.header(1, 0).tensor_info("w", {32, 4}, 0, 1 << 20).pad_to(32).zeros(512);
  EXPECT_ERROR_HAS(b.bytes, "tensor 'w'");
  EXPECT_ERROR_HAS(b.bytes, "past the end");
  auto overflow = GgufBytes{}.header(1, 0).tensor_info("w", {32}, 0, UINT64_MAX - 31).pad_to(32).zeros(128);
  EXPECT_ERROR_HAS(overflow.bytes, "past the end");
}

TEST(GgufBadInput, TensorDataCutShort) {
  auto b = GgufBytes{}.header(1, 0).tensor_info("w", {32, 4}, 0, 0).pad_to(32).zeros(32 * 4 * 4 - 1);
  EXPECT_ERROR_HAS(b.bytes, "past the end");
}

TEST(GgufBadInput, MisalignedTensorOffset) {
  auto b = GgufBytes{}.header(1, 0).tensor_info("w", {32}, 0, 4).pad_to(32).zeros(256);
  EXPECT_ERROR_HAS(b.bytes, "not aligned");
}

TEST(GgufBadInput, AbsurdDimensions) {
  auto too_many = GgufBytes{}.header(1, 0).tensor_info("w", {1, 1, 1, 1, 1}, 0, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(too_many.bytes, "5 dimensions");
  auto none = GgufBytes{}.header(1, 0).tensor_info("w", {}, 0, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(none.bytes, "0 dimensions");
  auto negative = GgufBytes{}.header(1, 0).tensor_info("w", {32, -1}, 0, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(negative.bytes, "dimension 1 = -1");
  auto zero = GgufBytes{}.header(1, 0).tensor_info("w", {0}, 0, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(zero.bytes, "dimension 0 = 0");
  auto overflow = GgufBytes{}.header(1, 0).tensor_info("w", {1ll << 40, 1ll << 40}, 0, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(overflow.bytes, "overflows");
  // Element count fits int64 but the byte size of f32 does not fit the file.
  auto huge = GgufBytes{}.header(1, 0).tensor_info("w", {1ll << 31, 1ll << 31}, 0, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(huge.bytes, "tensor 'w'");
}

TEST(GgufBadInput, UnknownTensorType) {
  auto b = GgufBytes{}.header(1, 0).tensor_info("w", {32}, 4, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(b.bytes, "unknown tensor type 4");
  auto far = GgufBytes{}.header(1, 0).tensor_info("w", {32}, 1000, 0).pad_to(32).zeros(64);
  EXPECT_ERROR_HAS(far.bytes, "unknown tensor type 1000");
}

TEST(GgufBadInput, RowNotAWholeNumberOfBlocks) {
  auto b = GgufBytes{}.header(1, 0).tensor_info("w", {33, 2}, 8, 0).pad_to(32).zeros(256);
  EXPECT_ERROR_HAS(b.bytes, "not a multiple of the q8_0 block size 32");
}

TEST(GgufBadInput, OpenReportsPathAndMissingFile) {
  auto missing = GgufFile::open("/nonexistent/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/model.gguf"), std::string::npos);
  auto dir = GgufFile::open("/");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message.find("not a regular file"), std::string::npos);
}

TEST(GgufMetadataGetters, MissingKeyAndWrongTypeNameTheKey) {
  const auto bytes = valid_file();
  auto file = GgufFile::from_memory(bytes.data(), bytes.size()).value();
  auto missing = file.get_u32("llama.context_length");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "missing metadata key 'llama.context_length'");
  auto wrong = file.get_u32("general.architecture");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "metadata key 'general.architecture': expected u32, found string");
  auto wrong_array = file.get_f32_array("tokenizer.ggml.tokens");
  ASSERT_FALSE(wrong_array.ok());
  EXPECT_NE(wrong_array.error().message.find("expected array of f32, found array of string"), std::string::npos);
  EXPECT_EQ(file.get_u32_or("llama.context_length", 2048).value(), 2048u);
  EXPECT_FALSE(file.get_u32_or("general.architecture", 1).ok());
}

TEST(GgufMetadataGetters, IntegerGettersAcceptAnyIntegerThatFits) {
  auto b = GgufBytes{}.header(0, 5);
  b.str("u8").put<uint32_t>(0).put<uint8_t>(200);
  b.str("i64").put<uint32_t>(11).put<int64_t>(-5);
  b.str("big").put<uint32_t>(10).put<uint64_t>(1ull << 40);
  b.str("f64").put<uint32_t>(12).put<double>(0.25);
  b.str("huge").put<uint32_t>(12).put<double>(-1e300);
  auto file = GgufFile::from_memory(b.bytes.data(), b.bytes.size()).value();
  EXPECT_EQ(file.get_u32("u8").value(), 200u);
  EXPECT_EQ(file.get_i32("u8").value(), 200);
  EXPECT_EQ(file.get_i32("i64").value(), -5);
  EXPECT_FALSE(file.get_u32("i64").ok());
  EXPECT_NE(file.get_u32("big").error().message.find("does not fit u32"), std::string::npos);
  EXPECT_EQ(file.get_u64("big").value(), 1ull << 40);
  EXPECT_FLOAT_EQ(file.get_f32("f64").value(), 0.25f);
  EXPECT_EQ(file.get_f32("huge").value(), -std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace edgenode::engine

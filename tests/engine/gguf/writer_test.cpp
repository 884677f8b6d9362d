// The writer's files read back with every value and tensor intact.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "engine/gguf/dequantize.h"
#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"

namespace edgenode::engine {
namespace {

TEST(GgufWriter, EveryMetadataTypeRoundTrips) {
  GgufWriter w;
  w.set("u8", GgufValue{uint8_t{200}});
  w.set("i8", GgufValue{int8_t{-100}});
  w.set("u16", GgufValue{uint16_t{60000}});
  w.set("i16", GgufValue{int16_t{-30000}});
  w.set_u32("u32", 4000000000u);
  w.set_i32("i32", -2000000000);
  w.set_f32("f32", 1.5f);
  w.set_bool("bool", true);
  w.set_string("string", std::string("h\xc3\xa9llo\0x", 8));
  w.set("u64", GgufValue{uint64_t{1} << 63});
  w.set("i64", GgufValue{int64_t{-(int64_t{1} << 62)}});
  w.set("f64", GgufValue{0.125});
  w.set_string_array("strings", {"a", "", "ccc"});
  w.set_f32_array("floats", {0.5f, -1.0f});
  w.set_i32_array("ints", {1, -2, 3});
  GgufArray nested{GgufValueType::ARRAY, {}};
  nested.items.push_back(GgufValue{GgufArray{GgufValueType::UINT8, {GgufValue{uint8_t{1}}, GgufValue{uint8_t{2}}}}});
  nested.items.push_back(GgufValue{GgufArray{GgufValueType::STRING, {GgufValue{std::string("x")}}}});
  w.set("nested", GgufValue{nested});
  w.set_u32("u32", 7);  // replacing keeps one entry

  const auto bytes = w.to_bytes().value();
  auto file = GgufFile::from_memory(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->metadata().size(), 16u);
  EXPECT_EQ(std::get<uint8_t>(file->find("u8")->v), 200);
  EXPECT_EQ(std::get<int8_t>(file->find("i8")->v), -100);
  EXPECT_EQ(std::get<uint16_t>(file->find("u16")->v), 60000);
  EXPECT_EQ(std::get<int16_t>(file->find("i16")->v), -30000);
  EXPECT_EQ(file->get_u32("u32").value(), 7u);
  EXPECT_EQ(file->get_i32("i32").value(), -2000000000);
  EXPECT_EQ(file->get_f32("f32").value(), 1.5f);
  EXPECT_TRUE(file->get_bool("bool").value());
  EXPECT_EQ(file->get_string("string").value(), std::string("h\xc3\xa9llo\0x", 8));
  EXPECT_EQ(file->get_u64("u64").value(), uint64_t{1} << 63);
  EXPECT_EQ(std::get<int64_t>(file->find("i64")->v), -(int64_t{1} << 62));
  EXPECT_EQ(std::get<double>(file->find("f64")->v), 0.125);
  EXPECT_EQ(file->get_string_array("strings").value(), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(file->get_f32_array("floats").value(), (std::vector<float>{0.5f, -1.0f}));
  EXPECT_EQ(file->get_i32_array("ints").value(), (std::vector<int32_t>{1, -2, 3}));
  const GgufArray* outer = file->get_array("nested").value();
  ASSERT_EQ(outer->element_type, GgufValueType::ARRAY);
  ASSERT_EQ(outer->items.size(), 2u);
  EXPECT_EQ(std::get<uint8_t>(std::get<GgufArray>(outer->items[0].v).items[1].v), 2);
  EXPECT_EQ(std::get<std::string>(std::get<GgufArray>(outer->items[1].v).items[0].v), "x");
}

TEST(GgufWriter, MixedArrayIsRejected) {
  GgufWriter w;
  w.set("bad", GgufValue{GgufArray{GgufValueType::UINT32, {GgufValue{uint32_t{1}}, GgufValue{std::string("x")}}}});
  auto bytes = w.to_bytes();
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.error().message.find("'bad'"), std::string::npos);
}

TEST(GgufWriter, AlignmentIsHonoured) {
  GgufWriter w(64);
  std::vector<float> v(96, 1.0f);
  ASSERT_TRUE(w.add_tensor("a", GgmlType::F32, {3}, v.data()).ok());
  ASSERT_TRUE(w.add_tensor("b", GgmlType::F16, {32, 3}, v.data()).ok());
  const auto bytes = w.to_bytes().value();
  auto file = GgufFile::from_memory(bytes.data(), bytes.size()).value();
  EXPECT_EQ(file.alignment(), 64u);
  EXPECT_EQ(file.get_u32("general.alignment").value(), 64u);
  EXPECT_EQ(file.data_offset() % 64, 0u);
  EXPECT_EQ(file.tensor("b")->offset, 64u);
  std::vector<float> row(32);
  ASSERT_TRUE(dequantize_row(GgmlType::F16, file.tensor("b")->data, row.data(), 32).ok());
  EXPECT_EQ(row[31], 1.0f);
}

TEST(GgufWriter, RawTensorSizeIsChecked) {
  GgufWriter w;
  EXPECT_FALSE(w.add_tensor_raw("t", GgmlType::Q8_0, {32, 2}, std::vector<uint8_t>(67)).ok());
  EXPECT_TRUE(w.add_tensor_raw("t", GgmlType::Q8_0, {32, 2}, std::vector<uint8_t>(68)).ok());
  EXPECT_FALSE(w.add_tensor_raw("t", GgmlType::Q8_0, {32, 2}, std::vector<uint8_t>(68)).ok());  // duplicate
  EXPECT_FALSE(w.add_tensor_raw("u", GgmlType::F32, {1, 1, 1, 1, 1}, std::vector<uint8_t>(4)).ok());
}

TEST(GgufWriter, WritesAFileThatOpensMapped) {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  std::vector<float> v(64);
  for (int i = 0; i < 64; ++i) v[i] = static_cast<float>(i);
  ASSERT_TRUE(w.add_tensor("t", GgmlType::F32, {64}, v.data()).ok());
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("edgenode-writer-" + std::to_string(::getpid()) + ".gguf")).string();
  ASSERT_TRUE(w.write(path).ok());
  {
    auto file = GgufFile::open(path);
    ASSERT_TRUE(file.ok()) << file.error().message;
    GgufFile moved = std::move(file.value());  // the mapping moves with the object
    EXPECT_EQ(moved.file_size(), std::filesystem::file_size(path));
    EXPECT_EQ(moved.path(), path);
    const float* data = reinterpret_cast<const float*>(moved.tensor("t")->data);
    EXPECT_EQ(data[63], 63.0f);
  }
  std::filesystem::remove(path);
  EXPECT_FALSE(w.write("/nonexistent-dir/x.gguf").ok());
}

}  // namespace
}  // namespace edgenode::engine

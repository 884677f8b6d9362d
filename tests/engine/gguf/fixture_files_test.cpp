// The reader opens every shared fixture model and vocabulary, and agrees with llama.cpp's
// view of them (reference/*.json: tensor names, types, shapes and scalar metadata).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/gguf/dequantize.h"
#include "engine/gguf/gguf.h"

namespace edgenode::engine {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = EDGENODE_SHARED_FIXTURES;

std::vector<fs::path> gguf_files(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".gguf") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Compares one scalar metadata value with its JSON rendering.
void expect_metadata_equal(const std::string& key, const GgufValue& value, const nlohmann::json& expected) {
  if (const auto* s = std::get_if<std::string>(&value.v)) {
    EXPECT_EQ(*s, expected.get<std::string>()) << key;
  } else if (const auto* b = std::get_if<bool>(&value.v)) {
    EXPECT_EQ(*b, expected.get<bool>()) << key;
  } else if (value.is_integer()) {
    EXPECT_EQ(*value.as_i64(), expected.get<int64_t>()) << key;
  } else if (auto f = value.as_f64()) {
    EXPECT_NEAR(*f, expected.get<double>(), 1e-6 * std::fabs(expected.get<double>())) << key;
  } else {
    ADD_FAILURE() << key << ": unexpected value type " << value_type_name(value.type());
  }
}

TEST(GgufFixtures, ModelsMatchTheReferenceTensorLists) {
  const auto models = gguf_files(kFixtures / "models");
  if (models.empty()) GTEST_SKIP() << "no fixture models under " << kFixtures;
  for (const auto& path : models) {
    SCOPED_TRACE(path.filename().string());
    auto file = GgufFile::open(path.string());
    ASSERT_TRUE(file.ok()) << file.error().message;
    const fs::path ref_path = kFixtures / "reference" / (path.stem().string() + ".json");
    ASSERT_TRUE(fs::exists(ref_path)) << ref_path;
    std::ifstream in(ref_path);
    const auto ref = nlohmann::json::parse(in);

    const auto& tensors = ref.at("tensors");
    ASSERT_EQ(file->tensors().size(), tensors.size());
    for (const auto& t : tensors) {
      const GgufTensorInfo* info = file->tensor(t.at("name").get<std::string>());
      ASSERT_NE(info, nullptr) << t.at("name");
      EXPECT_EQ(upper(type_name(info->type)), t.at("type").get<std::string>()) << info->name;
      EXPECT_EQ(info->ne, t.at("shape").get<std::vector<int64_t>>()) << info->name;
    }
    for (const auto& [key, expected] : ref.at("metadata").items()) {
      const GgufValue* value = file->find(key);
      ASSERT_NE(value, nullptr) << key;
      expect_metadata_equal(key, *value, expected);
    }
  }
}

TEST(GgufFixtures, EveryTensorDequantizesToFiniteValues) {
  const auto models = gguf_files(kFixtures / "models");
  if (models.empty()) GTEST_SKIP() << "no fixture models under " << kFixtures;
  for (const auto& path : models) {
    auto file = GgufFile::open(path.string()).value();
    for (const auto& t : file.tensors()) {
      std::vector<float> row(static_cast<size_t>(t.ne[0]));
      for (int64_t r = 0; r < t.n_rows(); ++r) {
        ASSERT_TRUE(dequantize_row(t.type, t.data + r * t.row_bytes(), row.data(), t.ne[0]).ok());
        for (float x : row) ASSERT_TRUE(std::isfinite(x)) << path.filename() << " " << t.name;
      }
    }
  }
}

TEST(GgufFixtures, Q8_0FilesHoldTheSameWeightsAsTheirF32Twins) {
  // The synthetic pairs come from one seed: dequantized Q8_0 must sit within half a step
  // of the F32 weights, plus the fp16 rounding of the scale (q = round(x / d) uses the exact
  // d; |q| <= 127 times a relative scale error of at most 2^-11 adds 0.062 of a step).
  const fs::path f32_path = kFixtures / "models" / "tiny-llama-spm-f32.gguf";
  const fs::path q8_path = kFixtures / "models" / "tiny-llama-spm-q8_0.gguf";
  if (!fs::exists(f32_path) || !fs::exists(q8_path)) GTEST_SKIP() << "tiny-llama-spm fixtures absent";
  auto f32 = GgufFile::open(f32_path.string()).value();
  auto q8 = GgufFile::open(q8_path.string()).value();
  const GgufTensorInfo* a = f32.tensor("blk.0.attn_q.weight");
  const GgufTensorInfo* b = q8.tensor("blk.0.attn_q.weight");
  ASSERT_TRUE(a && b);
  ASSERT_EQ(b->type, GgmlType::Q8_0);
  std::vector<float> exact(a->ne[0]), approx(a->ne[0]);
  for (int64_t r = 0; r < a->n_rows(); ++r) {
    ASSERT_TRUE(dequantize_row(a->type, a->data + r * a->row_bytes(), exact.data(), a->ne[0]).ok());
    ASSERT_TRUE(dequantize_row(b->type, b->data + r * b->row_bytes(), approx.data(), b->ne[0]).ok());
    for (int64_t blk = 0; blk < a->ne[0] / 32; ++blk) {
      float amax = 0.0f;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(exact[32 * blk + i]));
      for (int i = 0; i < 32; ++i) {
        ASSERT_NEAR(approx[32 * blk + i], exact[32 * blk + i], amax / 127 * 0.563f + 1e-7f);
      }
    }
  }
}

TEST(GgufFixtures, VocabFilesOpen) {
  const auto vocabs = gguf_files(kFixtures / "vocab");
  if (vocabs.empty()) GTEST_SKIP() << "no fixture vocabularies under " << kFixtures;
  for (const auto& path : vocabs) {
    SCOPED_TRACE(path.filename().string());
    auto file = GgufFile::open(path.string());
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_TRUE(file->tensors().empty());
    auto tokens = file->get_string_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    EXPECT_GT(tokens->size(), 30000u);
    auto types = file->get_i32_array("tokenizer.ggml.token_type");
    ASSERT_TRUE(types.ok()) << types.error().message;
    EXPECT_EQ(types->size(), tokens->size());
  }
}

}  // namespace
}  // namespace edgenode::engine

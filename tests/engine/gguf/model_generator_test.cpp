// The fixture generator writes models llama.cpp would recognise: the same tensor names,
// shapes and metadata keys as the reference files of the same shape, deterministic weights
// of the stated distribution, and a usable SPM vocabulary.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/gguf/dequantize.h"
#include "engine/gguf/gguf.h"
#include "model_generator.h"

namespace edgenode::engine {
namespace {

namespace fs = std::filesystem;
using tools::ModelShape;

GgufFile open_bytes(const std::vector<uint8_t>& bytes) {
  auto file = GgufFile::from_memory(bytes.data(), bytes.size());
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  return std::move(file.value());
}

std::vector<uint8_t> model_bytes(const ModelShape& shape) {
  auto writer = tools::build_model(shape);
  EXPECT_TRUE(writer.ok()) << (writer.ok() ? "" : writer.error().message);
  return writer->to_bytes().value();
}

struct FixtureShape {
  const char* reference;
  ModelShape shape;
};

ModelShape shape_of(const char* arch, int vocab, int layers, int heads_kv, int head_dim, int ff, bool tied) {
  ModelShape s;
  s.arch = arch;
  s.n_embd = 128;
  s.n_head = 4;
  s.vocab = vocab;
  s.n_layer = layers;
  s.n_head_kv = heads_kv;
  s.head_dim = head_dim;
  s.n_ff = ff;
  s.tied = tied;
  return s;
}

class GeneratorMatchesReference : public ::testing::TestWithParam<FixtureShape> {};

TEST_P(GeneratorMatchesReference, TensorsAndMetadata) {
  const fs::path ref_path = fs::path(EDGENODE_SHARED_FIXTURES) / "reference" / GetParam().reference;
  if (!fs::exists(ref_path)) GTEST_SKIP() << "fixture reference absent: " << ref_path;
  std::ifstream in(ref_path);
  const auto ref = nlohmann::json::parse(in);
  const auto bytes = model_bytes(GetParam().shape);
  const GgufFile file = open_bytes(bytes);

  ASSERT_EQ(file.tensors().size(), ref.at("tensors").size());
  size_t i = 0;
  for (const auto& t : ref.at("tensors")) {
    const auto& mine = file.tensors()[i++];
    EXPECT_EQ(mine.name, t.at("name").get<std::string>());  // same file order too
    EXPECT_EQ(mine.ne, t.at("shape").get<std::vector<int64_t>>()) << mine.name;
    EXPECT_EQ(mine.type, GgmlType::F32) << mine.name;
  }
  for (const auto& [key, expected] : ref.at("metadata").items()) {
    if (key.rfind("tokenizer.", 0) == 0 || key == "general.name") continue;
    const GgufValue* value = file.find(key);
    ASSERT_NE(value, nullptr) << key;
    if (expected.is_string()) {
      EXPECT_EQ(std::get<std::string>(value->v), expected.get<std::string>()) << key;
    } else {
      ASSERT_TRUE(value->as_f64().has_value()) << key;
      EXPECT_NEAR(*value->as_f64(), expected.get<double>(), 1e-6 * std::fabs(expected.get<double>())) << key;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Architectures, GeneratorMatchesReference,
    ::testing::Values(FixtureShape{"tiny-llama-spm-f32.json", shape_of("llama", 2000, 4, 2, 0, 352, false)},
                      FixtureShape{"tiny-qwen2-f32.json", shape_of("qwen2", 2048, 3, 2, 0, 416, false)},
                      FixtureShape{"tiny-qwen3-f32.json", shape_of("qwen3", 2048, 3, 2, 64, 384, true)},
                      FixtureShape{"tiny-phi3-f32.json", shape_of("phi3", 2000, 3, 2, 0, 320, false)},
                      FixtureShape{"tiny-gemma3-f32.json", shape_of("gemma3", 2048, 6, 1, 64, 384, true)}),
    [](const auto& info) { return info.param.shape.arch; });

TEST(ModelGenerator, SameSeedSameBytesOtherSeedOtherWeights) {
  ModelShape shape;
  const auto a = model_bytes(shape);
  EXPECT_EQ(a, model_bytes(shape));
  shape.seed = 2;
  const auto b = model_bytes(shape);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_NE(a, b);
}

TEST(ModelGenerator, WeightsFollowTheStatedDistributions) {
  ModelShape shape;
  shape.n_embd = 256;
  shape.n_ff = 512;
  const auto bytes = model_bytes(shape);
  const GgufFile file = open_bytes(bytes);
  auto moments = [&](const char* name) {
    const GgufTensorInfo* t = file.tensor(name);
    const float* x = reinterpret_cast<const float*>(t->data);
    double sum = 0, sum_sq = 0;
    const int64_t n = t->n_elements();
    for (int64_t i = 0; i < n; ++i) {
      sum += x[i];
      sum_sq += double(x[i]) * x[i];
    }
    const double mean = sum / n;
    return std::pair{mean, std::sqrt(sum_sq / n - mean * mean)};
  };
  auto [down_mean, down_std] = moments("blk.0.ffn_down.weight");  // n_in = 512
  EXPECT_NEAR(down_mean, 0.0, 0.005);
  EXPECT_NEAR(down_std, 1.0 / std::sqrt(512.0), 0.002);
  auto [q_mean, q_std] = moments("blk.1.attn_q.weight");  // n_in = 256
  EXPECT_NEAR(q_std, 1.0 / 16.0, 0.002);
  auto [norm_mean, norm_std] = moments("blk.0.attn_norm.weight");
  EXPECT_NEAR(norm_mean, 1.0, 0.03);
  EXPECT_NEAR(norm_std, 0.1, 0.03);
}

TEST(ModelGenerator, Q4KMMixAndFallbacks) {
  ModelShape shape;
  shape.n_embd = 256;
  shape.n_ff = 512;
  shape.type = "q4_k_m";
  const GgufFile file = open_bytes(model_bytes(shape));
  EXPECT_EQ(file.tensor("blk.0.attn_q.weight")->type, GgmlType::Q4_K);
  EXPECT_EQ(file.tensor("blk.0.ffn_gate.weight")->type, GgmlType::Q4_K);
  EXPECT_EQ(file.tensor("blk.0.attn_v.weight")->type, GgmlType::Q6_K);
  EXPECT_EQ(file.tensor("blk.0.ffn_down.weight")->type, GgmlType::Q6_K);
  EXPECT_EQ(file.tensor("output.weight")->type, GgmlType::Q6_K);
  EXPECT_EQ(file.tensor("token_embd.weight")->type, GgmlType::Q4_K);
  EXPECT_EQ(file.tensor("blk.0.attn_norm.weight")->type, GgmlType::F32);
  EXPECT_EQ(file.get_u32("general.file_type").value(), 15u);

  // SmolLM2-like rows of 576 do not divide into 256-blocks: llama.cpp's fallbacks apply.
  shape.n_embd = 576;
  shape.n_head = 9;
  shape.n_head_kv = 3;
  shape.n_ff = 1536;
  shape.n_layer = 1;
  shape.tied = true;
  const GgufFile smol = open_bytes(model_bytes(shape));
  EXPECT_EQ(smol.tensor("blk.0.attn_q.weight")->type, GgmlType::Q5_0);
  EXPECT_EQ(smol.tensor("blk.0.attn_v.weight")->type, GgmlType::Q8_0);
  EXPECT_EQ(smol.tensor("blk.0.ffn_down.weight")->type, GgmlType::Q6_K);  // rows of 1536
  EXPECT_EQ(smol.tensor("token_embd.weight")->type, GgmlType::Q8_0);      // tied: output's type
  EXPECT_EQ(smol.tensor("output.weight"), nullptr);
}

TEST(ModelGenerator, EveryWritableTypeLoadsAndDequantizes) {
  for (const char* type : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k"}) {
    ModelShape shape;
    shape.n_embd = 256;
    shape.n_ff = 256;
    shape.n_layer = 1;
    shape.type = type;
    const auto bytes = model_bytes(shape);
    const GgufFile file = open_bytes(bytes);
    const GgufTensorInfo* t = file.tensor("blk.0.attn_q.weight");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(type_name(t->type), ggml_type_from_name(type).has_value() ? type_name(*ggml_type_from_name(type)) : "");
    std::vector<float> row(256);
    ASSERT_TRUE(dequantize_row(t->type, t->data, row.data(), 256).ok()) << type;
    double sum_sq = 0;
    for (float x : row) sum_sq += double(x) * x;
    EXPECT_NEAR(std::sqrt(sum_sq / 256), 1.0 / 16.0, 0.02) << type;
  }
}

TEST(ModelGenerator, SpmVocabulary) {
  ModelShape shape;
  shape.vocab = 3000;
  const GgufFile file = open_bytes(model_bytes(shape));
  EXPECT_EQ(file.get_string("tokenizer.ggml.model").value(), "llama");
  const auto tokens = file.get_string_array("tokenizer.ggml.tokens").value();
  const auto scores = file.get_f32_array("tokenizer.ggml.scores").value();
  const auto types = file.get_i32_array("tokenizer.ggml.token_type").value();
  ASSERT_EQ(tokens.size(), 3000u);
  EXPECT_EQ(scores.size(), tokens.size());
  EXPECT_EQ(types.size(), tokens.size());
  EXPECT_EQ(std::set<std::string>(tokens.begin(), tokens.end()).size(), tokens.size()) << "duplicate pieces";
  EXPECT_EQ(tokens[0], "<unk>");
  EXPECT_EQ(tokens[1], "<s>");
  EXPECT_EQ(tokens[2], "</s>");
  EXPECT_EQ(tokens[3], "<0x00>");
  EXPECT_EQ(tokens[3 + 0x41], "<0x41>");
  EXPECT_EQ(types[3 + 0x41], 6);
  EXPECT_EQ(types[0], 2);
  const std::set<std::string> all(tokens.begin(), tokens.end());
  for (const char* piece : {"\xe2\x96\x81the", "\xe2\x96\x81Once", "\xe2\x96\x81upon", "\xe2\x96\x81time", "a", "Z"}) {
    EXPECT_TRUE(all.count(piece)) << piece;
  }
  // Prefix-closed: every multi-character piece minus its last character is a piece too.
  for (size_t i = 259; i < tokens.size(); ++i) {
    std::string prefix = tokens[i];
    while (!prefix.empty()) {  // drop one whole UTF-8 character
      const auto last = static_cast<unsigned char>(prefix.back());
      prefix.pop_back();
      if ((last & 0xC0) != 0x80) break;
    }
    if (!prefix.empty()) {
      EXPECT_TRUE(all.count(prefix)) << tokens[i];
    }
  }
  EXPECT_EQ(file.get_u32("tokenizer.ggml.bos_token_id").value(), 1u);
  EXPECT_EQ(file.get_u32("tokenizer.ggml.eos_token_id").value(), 2u);
  EXPECT_TRUE(file.get_bool("tokenizer.ggml.add_bos_token").value());
}

TEST(ModelGenerator, ArchitectureSpecificSpecialTokens) {
  ModelShape gemma;
  gemma.arch = "gemma3";
  const GgufFile g = open_bytes(model_bytes(gemma));
  const auto gt = g.get_string_array("tokenizer.ggml.tokens").value();
  EXPECT_EQ(gt[2], "<bos>");
  EXPECT_EQ(gt[5], "<end_of_turn>");
  EXPECT_EQ(g.get_u32("tokenizer.ggml.bos_token_id").value(), 2u);
  EXPECT_FALSE(g.get_bool("tokenizer.ggml.add_space_prefix").value());
  EXPECT_EQ(g.get_u32("gemma3.attention.sliding_window").value(), 32u);

  ModelShape phi;
  phi.arch = "phi3";
  const GgufFile p = open_bytes(model_bytes(phi));
  const auto pt = p.get_string_array("tokenizer.ggml.tokens").value();
  ASSERT_EQ(pt.size(), 512u);
  EXPECT_EQ(pt[508], "<|endoftext|>");
  EXPECT_EQ(pt[511], "<|end|>");
  EXPECT_EQ(p.get_u32("tokenizer.ggml.eos_token_id").value(), 508u);
}

TEST(ModelGenerator, BadShapesAreErrors) {
  ModelShape s;
  s.arch = "mamba";
  EXPECT_NE(tools::build_model(s).error().message.find("unsupported architecture 'mamba'"), std::string::npos);
  s = {};
  s.type = "q3_k";
  EXPECT_NE(tools::build_model(s).error().message.find("unsupported weight type 'q3_k'"), std::string::npos);
  s = {};
  s.n_head_kv = 3;
  EXPECT_NE(tools::build_model(s).error().message.find("multiple of n_head_kv"), std::string::npos);
  s = {};
  s.vocab = 100;
  EXPECT_NE(tools::build_model(s).error().message.find("too small"), std::string::npos);
  s = {};
  s.n_embd = 0;
  EXPECT_FALSE(tools::build_model(s).ok());
}

TEST(ModelGenerator, CommandLineTool) {
  const fs::path tool = fs::path(EDGENODE_BINARY_DIR) / "tests" / "tools" / "edgenode-gen-model";
  if (!fs::exists(tool)) GTEST_SKIP() << "edgenode-gen-model not built at " << tool;
  const fs::path out = fs::temp_directory_path() / ("edgenode-gen-" + std::to_string(::getpid()) + ".gguf");
  const std::string cmd = tool.string() + " --arch qwen3 --n-embd 64 --n-layer 1 --n-head 2 --head-dim 64 --vocab 300 " +
                          "--type q8_0 --tied --seed 5 --out " + out.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto file = GgufFile::open(out.string());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->get_string("general.architecture").value(), "qwen3");
  EXPECT_EQ(file->tensor("blk.0.attn_q.weight")->ne, (std::vector<int64_t>{64, 128}));
  EXPECT_EQ(file->tensor("blk.0.attn_q.weight")->type, GgmlType::Q8_0);
  fs::remove(out);
  const std::string bad = tool.string() + " --type nope --out " + out.string() + " 2>/dev/null";
  const int status = std::system(bad.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
}

}  // namespace
}  // namespace edgenode::engine

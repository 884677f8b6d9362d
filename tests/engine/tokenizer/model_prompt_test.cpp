// The prompt tokens of every model in ../shared/fixtures/models match llama.cpp's
// (reference/<model>.json, with BOS as the model's add_bos_token asks), one test per model.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer_test_support.h"

namespace edgenode::engine::testing {
namespace {

class ModelPromptTokens : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelPromptTokens, MatchLlamaCpp) {
  const std::string stem = GetParam();
  const auto reference_path = shared_fixtures() / "reference" / (stem + ".json");
  const auto model_path = shared_fixtures() / "models" / (stem + ".gguf");
  if (!std::filesystem::exists(reference_path) || !std::filesystem::exists(model_path)) {
    GTEST_SKIP() << "fixtures absent: " << reference_path << " / " << model_path;
  }
  std::string error;
  auto tokenizer = load_tokenizer(model_path, error);
  ASSERT_TRUE(tokenizer) << error;

  std::ifstream in(reference_path);
  const auto reference = nlohmann::json::parse(in);
  ASSERT_FALSE(reference.at("cases").empty());
  for (const auto& c : reference.at("cases")) {
    const std::string prompt = c.at("prompt").get<std::string>();
    const auto expected = c.at("tokens").get<std::vector<int32_t>>();
    EXPECT_EQ(tokenizer->add_bos_default(), c.at("add_bos").get<bool>()) << stem;
    const auto actual = tokenizer->encode(prompt, /*add_bos=*/true, /*parse_special=*/false);
    EXPECT_EQ(actual, expected) << stem << " prompt '" << c.at("name").get<std::string>() << "': '"
                                << printable(prompt) << "'\n  expected: " << describe(*tokenizer, expected)
                                << "\n  actual: " << describe(*tokenizer, actual);
  }
}

INSTANTIATE_TEST_SUITE_P(Model, ModelPromptTokens,
                         ::testing::Values("stories260K", "stories260K-q8_0", "tiny-llama-spm-f32",
                                           "tiny-llama-spm-q8_0", "tiny-llama-bpe-f32", "tiny-llama-bpe-q8_0",
                                           "tiny-qwen2-f32", "tiny-qwen2-q8_0", "tiny-qwen3-f32", "tiny-qwen3-q8_0",
                                           "tiny-phi3-f32", "tiny-phi3-q8_0", "tiny-gemma3-f32", "tiny-gemma3-q8_0"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace edgenode::engine::testing

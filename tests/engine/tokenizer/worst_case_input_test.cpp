// No input of up to 64 KB takes a tokenizer more than a second: long runs of one character
// class (where backtracking regexes and merge queues are slowest), random bytes, and text
// dense with added-token prefixes, with each real vocabulary.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "tokenizer_test_support.h"

namespace edgenode::engine::testing {
namespace {

constexpr size_t kInputBytes = 64 * 1024;

std::string repeated(const std::string& unit) {
  std::string text;
  while (text.size() + unit.size() <= kInputBytes) text += unit;
  return text;
}

std::vector<std::pair<std::string, std::string>> worst_cases() {
  std::mt19937 rng(1234);
  std::string random_bytes(kInputBytes, '\0');
  for (char& c : random_bytes) c = static_cast<char>(rng() & 0xFF);
  return {
      {"spaces", repeated(" ")},
      {"spaces then a letter", repeated(" ") + "x"},
      {"newlines and spaces", repeated("\n ")},
      {"one letter", repeated("a")},
      {"digits", repeated("7")},
      {"punctuation", repeated("!")},
      {"one CJK character", repeated("\xE6\x9D\xB1")},
      {"combining marks", repeated("\xCC\x81")},
      {"added-token prefixes", repeated("<|im_")},
      {"angle brackets", repeated("<")},
      {"contractions", repeated("'s")},
      {"random bytes", random_bytes},
  };
}

class WorstCaseInput : public ::testing::TestWithParam<std::string> {};

TEST_P(WorstCaseInput, EncodesIn64KBUnderASecond) {
  const auto gguf_path = shared_fixtures() / "vocab" / (GetParam() + ".gguf");
  if (!std::filesystem::exists(gguf_path)) GTEST_SKIP() << "fixture absent: " << gguf_path;
  std::string error;
  auto tokenizer = load_tokenizer(gguf_path, error);
  ASSERT_TRUE(tokenizer) << error;
  for (const auto& [name, text] : worst_cases()) {
    const auto start = std::chrono::steady_clock::now();
    const auto ids = tokenizer->encode(text, true, true);
    const std::string decoded = tokenizer->decode(ids);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 1.0) << GetParam() << ": " << name << " (" << text.size() << " bytes)";
    EXPECT_FALSE(ids.empty()) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Vocab, WorstCaseInput,
                         ::testing::Values("llama3", "qwen3", "gemma3", "llama2", "mistral", "smollm2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace edgenode::engine::testing

// One Tokenizer serves several threads at once (encode keeps its state per call and per
// thread): each thread gets exactly the single-threaded result.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "engine/tokenizer/tokenizer.h"
#include "small_vocabs.h"

namespace edgenode::engine::testing {
namespace {

void expect_same_results_from_threads(const Tokenizer& tokenizer) {
  const std::vector<std::string> texts = {"the cat sat on the mat", "abc abc 123 4567", "caf\xC3\xA9 \xE6\x9D\xB1 <tag>",
                                          std::string(5000, 'a') + " " + std::string(3000, ' ')};
  std::vector<std::vector<int32_t>> expected;
  for (const auto& text : texts) expected.push_back(tokenizer.encode(text, true, true));

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (tokenizer.encode(texts[i], true, true) != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(TokenizerConcurrency, BpeFromFourThreads) {
  auto tokenizer = Tokenizer::from_vocab(small_bpe_vocab({"a b", "ab c", "a a", "aa aa"}, "llama-bpe"));
  ASSERT_TRUE(tokenizer.ok());
  expect_same_results_from_threads(**tokenizer);
}

TEST(TokenizerConcurrency, SpmFromFourThreads) {
  auto tokenizer = Tokenizer::from_vocab(small_spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}, {"aa", -1}, {"\xE2\x96\x81" "a", -2}}));
  ASSERT_TRUE(tokenizer.ok());
  expect_same_results_from_threads(**tokenizer);
}

}  // namespace
}  // namespace edgenode::engine::testing

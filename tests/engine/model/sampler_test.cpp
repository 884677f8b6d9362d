#include "engine/model/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

namespace edgenode::engine {
namespace {

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
  Sampler sampler(SamplingParams{});
  std::mt19937_64 rng(1);
  EXPECT_EQ(sampler.sample(logits, {}, rng), 1);
}

TEST(Sampler, ArgmaxMatchesAScalarScanOnEveryLength) {
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int> value(-4, 4);  // few distinct values: many ties
  for (size_t n = 1; n < 70; ++n) {
    std::vector<float> logits(n);
    for (float& l : logits) l = static_cast<float>(value(rng));
    size_t want = 0;
    for (size_t i = 1; i < n; ++i)
      if (logits[i] > logits[want]) want = i;
    EXPECT_EQ(Sampler::argmax(logits), static_cast<int32_t>(want)) << "n=" << n;
  }
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  SamplingParams p;
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler sampler(p);
  std::mt19937_64 rng(1);
  std::vector<float> logits = {3.0f, 2.0f, -1.0f, 1.0f};
  // Token 0 is outside the last two tokens of the history, so it is not penalised.
  const std::vector<int32_t> history = {0, 2, 1, 1};
  EXPECT_EQ(sampler.sample(logits, history, rng), 0);
  EXPECT_FLOAT_EQ(logits[0], 3.0f);
  EXPECT_FLOAT_EQ(logits[1], 1.0f);   // 2 / 2, once although it appears twice
  EXPECT_FLOAT_EQ(logits[2], -1.0f);  // outside the window
  EXPECT_FLOAT_EQ(logits[3], 1.0f);
  std::vector<float> second = {1.0f, 2.0f, -1.0f, 0.5f};
  sampler.sample(second, std::vector<int32_t>{2, 1}, rng);
  EXPECT_FLOAT_EQ(second[2], -2.0f);
}

TEST(Sampler, SameSeedSameTokens) {
  SamplingParams p;
  p.temperature = 1.0f;
  std::vector<float> base(100);
  for (size_t i = 0; i < base.size(); ++i) base[i] = std::sin(static_cast<float>(i));
  auto run = [&](uint64_t seed) {
    Sampler sampler(p);
    std::mt19937_64 rng(seed);
    std::vector<int32_t> out;
    for (int i = 0; i < 20; ++i) {
      std::vector<float> logits = base;
      out.push_back(sampler.sample(logits, {}, rng));
    }
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(Sampler, DrawsFollowTheSoftmaxAtTemperature) {
  SamplingParams p;
  p.temperature = 0.5f;
  Sampler sampler(p);
  std::mt19937_64 rng(42);
  const std::vector<float> base = {0.0f, std::log(2.0f) * 0.5f, -std::numeric_limits<float>::infinity()};
  // At temperature 0.5 the weights are exp(2*logit): 1 and 2; the masked token never comes.
  std::map<int32_t, int> counts;
  const int n = 30000;
  for (int i = 0; i < n; ++i) {
    std::vector<float> logits = base;
    ++counts[sampler.sample(logits, {}, rng)];
  }
  EXPECT_EQ(counts[2], 0);
  EXPECT_NEAR(counts[1] / static_cast<double>(n), 2.0 / 3.0, 0.02);
}

TEST(Sampler, TopKOneIsGreedy) {
  SamplingParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  Sampler sampler(p);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> logits = {0.1f, 0.3f, 0.2f};
    EXPECT_EQ(sampler.sample(logits, {}, rng), 1);
  }
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingP) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_p = 0.6f;
  Sampler sampler(p);
  std::mt19937_64 rng(5);
  // Probabilities 0.5, 0.3, 0.2: the prefix {0, 1} reaches 0.8 >= 0.6; token 2 never comes.
  const std::vector<float> base = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::map<int32_t, int> counts;
  for (int i = 0; i < 5000; ++i) {
    std::vector<float> logits = base;
    ++counts[sampler.sample(logits, {}, rng)];
  }
  EXPECT_EQ(counts[2], 0);
  EXPECT_GT(counts[1], 1000);
}

TEST(Sampler, MinPDropsTokensBelowAFractionOfTheTop) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.min_p = 0.5f;
  Sampler sampler(p);
  std::mt19937_64 rng(9);
  // Relative probabilities 1, 0.6, 0.4: only the first two reach half of the top one.
  const std::vector<float> base = {0.0f, std::log(0.6f), std::log(0.4f)};
  std::map<int32_t, int> counts;
  for (int i = 0; i < 5000; ++i) {
    std::vector<float> logits = base;
    ++counts[sampler.sample(logits, {}, rng)];
  }
  EXPECT_EQ(counts[2], 0);
  EXPECT_GT(counts[1], 1000);
}

}  // namespace
}  // namespace edgenode::engine

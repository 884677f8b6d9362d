// Picks the next token from a logit vector, with llama.cpp's semantics and order:
// repetition penalty -> top-k -> top-p -> min-p -> temperature -> draw.
// Temperature 0 is greedy (the first maximum wins ties). Randomness is an argument: the
// caller owns the RNG, so a test can pin it.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/engine.h"

namespace edgenode::engine {

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : params_(params) {}

  // logits: n_vocab values, modified in place by the repetition penalty. history: the tokens
  // seen so far (prompt and generated); the last repeat_last_n of them are penalised.
  int32_t sample(std::span<float> logits, std::span<const int32_t> history, std::mt19937_64& rng);

  static int32_t argmax(std::span<const float> logits);

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };
  void apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history) const;
  void keep_top_k(int k);
  void keep_top_p(float p);
  void keep_min_p(float min_p);
  int32_t draw(float temperature, std::mt19937_64& rng);

  SamplingParams params_;
  std::vector<Candidate> candidates_;  // reused between calls: sorted by logit, descending
  std::vector<float> probs_;
};

}  // namespace edgenode::engine

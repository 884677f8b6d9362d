#include "engine/model/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace edgenode::engine {

// Greedy decoding runs this over the whole vocabulary every token: eight independent running
// maxima (no loop-carried dependency, vectorisable), then the first index holding the maximum.
int32_t Sampler::argmax(std::span<const float> logits) {
  constexpr size_t kLanes = 8;
  const size_t n = logits.size();
  if (n == 0) return 0;
  float lane[kLanes];
  for (float& l : lane) l = -std::numeric_limits<float>::infinity();
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) lane[j] = logits[i + j] > lane[j] ? logits[i + j] : lane[j];
  float best = -std::numeric_limits<float>::infinity();
  for (float l : lane) best = l > best ? l : best;
  for (; i < n; ++i) best = logits[i] > best ? logits[i] : best;
  for (size_t k = 0; k < n; ++k)
    if (logits[k] == best) return static_cast<int32_t>(k);  // the first maximum wins ties
  return 0;  // all NaN or empty of finite values: as the scalar scan, token 0
}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> history, std::mt19937_64& rng) {
  apply_repetition_penalty(logits, history);
  if (params_.temperature <= 0.0f) return argmax(logits);

  candidates_.clear();
  candidates_.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    if (logits[i] != -std::numeric_limits<float>::infinity())  // masked out (e.g. by a grammar)
      candidates_.push_back({static_cast<int32_t>(i), logits[i]});
  if (candidates_.empty()) return argmax(logits);

  const auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < candidates_.size()) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + params_.top_k, candidates_.end(), by_logit);
    candidates_.resize(params_.top_k);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  if (params_.top_p < 1.0f) keep_top_p(params_.top_p);
  if (params_.min_p > 0.0f) keep_min_p(params_.min_p);
  return draw(params_.temperature, rng);
}

// As llama.cpp: each distinct token among the last repeat_last_n is penalised once; a positive
// logit is divided by the penalty, a negative one multiplied, so both move towards "less likely".
void Sampler::apply_repetition_penalty(std::span<float> logits, std::span<const int32_t> history) const {
  if (params_.repeat_penalty == 1.0f || params_.repeat_last_n == 0) return;
  const size_t n = params_.repeat_last_n < 0 ? history.size()
                                             : std::min(history.size(), static_cast<size_t>(params_.repeat_last_n));
  std::unordered_set<int32_t> seen;
  for (int32_t id : history.subspan(history.size() - n)) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size() || !seen.insert(id).second) continue;
    float& l = logits[id];
    l = l <= 0.0f ? l * params_.repeat_penalty : l / params_.repeat_penalty;
  }
}

// Keeps the smallest prefix (in descending order) whose probability mass reaches p.
void Sampler::keep_top_p(float p) {
  const float max_logit = candidates_.front().logit;
  double sum = 0.0;
  for (const Candidate& c : candidates_) sum += std::exp(c.logit - max_logit);
  double cumulative = 0.0;
  size_t keep = candidates_.size();
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cumulative += std::exp(candidates_[i].logit - max_logit) / sum;
    if (cumulative >= p) {
      keep = i + 1;
      break;
    }
  }
  candidates_.resize(keep);
}

// Keeps tokens whose probability is at least min_p times the top token's: in logit space,
// logit >= max_logit + log(min_p).
void Sampler::keep_min_p(float min_p) {
  const float threshold = candidates_.front().logit + std::log(min_p);
  size_t keep = 1;
  while (keep < candidates_.size() && candidates_[keep].logit >= threshold) ++keep;
  candidates_.resize(keep);
}

int32_t Sampler::draw(float temperature, std::mt19937_64& rng) {
  const float max_logit = candidates_.front().logit;
  probs_.resize(candidates_.size());
  double sum = 0.0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    probs_[i] = std::exp((candidates_[i].logit - max_logit) / temperature);
    sum += probs_[i];
  }
  const double target = std::uniform_real_distribution<double>(0.0, sum)(rng);
  double cumulative = 0.0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cumulative += probs_[i];
    if (target < cumulative) return candidates_[i].id;
  }
  return candidates_.back().id;
}

}  // namespace edgenode::engine

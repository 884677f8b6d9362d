// Greedy continuations of a prompt and the reference's margins along its own path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace edgenode::engine::quant_test {

struct GreedyRun {
  std::vector<int32_t> tokens;          // generated ids
  // For each generated token: the logits it was chosen from (teacher-forced along `tokens`).
  std::vector<std::vector<float>> step_logits;
  std::string error;                    // empty when the run worked
};

GreedyRun greedy_run(const std::string& model_path, const std::vector<int32_t>& prompt, int n_tokens);

}  // namespace edgenode::engine::quant_test

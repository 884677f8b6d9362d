#include "greedy_run.h"

#include "engine/engine.h"

namespace edgenode::engine::quant_test {

GreedyRun greedy_run(const std::string& model_path, const std::vector<int32_t>& prompt, int n_tokens) {
  GreedyRun run;
  LoadOptions options;
  options.path = model_path;
  options.threads = 1;
  auto model = Model::load(options);
  if (!model) {
    run.error = model.error().message;
    return run;
  }
  GenerateRequest request;
  request.tokens = prompt;
  request.max_tokens = n_tokens;
  request.stop_at_eog = false;
  auto generated = (*model)->generate(request);
  if (!generated) {
    run.error = generated.error().message;
    return run;
  }
  run.tokens = generated->tokens;

  // One pass over the prompt and all but the last generated token gives, at the last prompt
  // position and after it, the distributions the generated tokens were drawn from.
  std::vector<int32_t> sequence = prompt;
  sequence.insert(sequence.end(), run.tokens.begin(), run.tokens.end() - (run.tokens.empty() ? 0 : 1));
  auto logits = (*model)->evaluate(sequence, 0, true);
  if (!logits) {
    run.error = logits.error().message;
    return run;
  }
  const size_t n_vocab = logits->size() / sequence.size();
  for (size_t i = 0; i < run.tokens.size(); ++i) {
    const size_t position = prompt.size() - 1 + i;
    run.step_logits.emplace_back(logits->begin() + position * n_vocab, logits->begin() + (position + 1) * n_vocab);
  }
  return run;
}

}  // namespace edgenode::engine::quant_test

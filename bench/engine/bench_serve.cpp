// Serving several generations at once: aggregate generation tokens/s when 1, 2, 4 and 8
// requests run together through Model::serve (one pass over the weights per step for all of
// them), against one at a time. Each request has its own 32-token prompt and generates 64
// tokens greedily without stopping early.
//
//   bench_serve MODEL [--threads 2] [--sequences 1,2,4,8]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/tokenizer/tokenizer.h"

namespace {

using edgenode::engine::GenerateRequest;
using edgenode::engine::GenerateResult;
using edgenode::engine::Model;
using edgenode::engine::ServeItem;

constexpr int kPromptTokens = 32;
constexpr int kGenerated = 64;

GenerateRequest request_for(int index, int n_vocab) {
  GenerateRequest r;
  for (int i = 0; i < kPromptTokens; ++i) r.tokens.push_back(1 + (index * 7919 + i * 104729) % (n_vocab - 1));
  r.max_tokens = kGenerated;
  r.stop_at_eog = false;
  return r;
}

struct Round {
  double seconds = 0;  // wall time of the whole round, prompts included
  int generated = 0;
};

Round serve_round(Model& model, int sequences, int n_vocab) {
  int handed = 0;
  Round round;
  const auto start = std::chrono::steady_clock::now();
  model.serve([&]() -> std::optional<ServeItem> {
    if (handed == sequences) return std::nullopt;
    return ServeItem{request_for(handed++, n_vocab), {}, [&](edgenode::Result<GenerateResult> r) {
                       if (r) round.generated += static_cast<int>(r->tokens.size());
                     }};
  });
  round.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return round;
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  std::stringstream list(text);
  for (std::string v; std::getline(list, v, ',');) values.push_back(std::stoi(v));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_serve MODEL [--threads 2] [--sequences 1,2,4,8]\n");
    return 2;
  }
  const std::string path = argv[1];
  int threads = 2;
  std::vector<int> counts = {1, 2, 4, 8};
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") threads = std::stoi(argv[i + 1]);
    if (flag == "--sequences") counts = parse_list(argv[i + 1]);
  }

  std::printf("model: %s, %d threads, %d-token prompts, %d generated tokens each\n\n", path.c_str(), threads,
              kPromptTokens, kGenerated);
  std::printf("| sequences at once | generated t/s, all (prompts included) | per sequence t/s | vs one at a time |\n");
  std::printf("|---|---|---|---|\n");
  double single = 0;
  for (int n : counts) {
    edgenode::engine::LoadOptions options;
    options.path = path;
    options.threads = threads;
    options.context = 256;
    options.sequences = n;
    auto model = Model::load(options);
    if (!model) {
      std::fprintf(stderr, "bench_serve: %s\n", model.error().message.c_str());
      return 1;
    }
    const int n_vocab = (*model)->tokenizer().n_vocab();
    serve_round(**model, n, n_vocab);  // warm-up
    const Round r = serve_round(**model, n, n_vocab);
    const double all = r.generated / r.seconds;
    if (single == 0) single = all;
    std::printf("| %d | %.1f | %.1f | %.2f× |\n", n, all, all / n, all / single);
  }
  return 0;
}

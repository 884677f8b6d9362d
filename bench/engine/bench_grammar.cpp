// Per-token cost of JSON-schema masking at vocabulary sizes 49k (SmolLM2) and 152k (Qwen3),
// next to the decode step of a SmolLM2-135M-shaped Q8_0 model (every weight matrix of one
// token through matvec on the thread pool) measured in the same run.
//
// Each row runs seeded generations with random logits (a random-weight model's output)
// under one schema and times GrammarMatcher::allowed() at every step.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/gguf/gguf.h"
#include "engine/grammar/grammar.h"
#include "engine/tokenizer/tokenizer.h"
#include "kernels/kernels.h"
#include "kernels/threadpool.h"

namespace {

using namespace edgenode;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Vocabulary {
  std::string name;
  std::vector<std::string> pieces;
  std::vector<int32_t> eog;
};

// A fixture vocabulary, or a synthetic one of the same size when the fixtures are absent.
Vocabulary load_vocabulary(const std::string& file, size_t synthetic_size) {
  std::filesystem::path path = std::filesystem::path(EDGENODE_SHARED_FIXTURES) / "vocab" / file;
  Vocabulary v;
  if (std::filesystem::exists(path)) {
    auto gguf = engine::GgufFile::open(path.string());
    if (gguf.ok()) {
      auto tokenizer = engine::Tokenizer::from_gguf(*gguf);
      if (tokenizer.ok()) {
        v.name = file;
        for (int32_t id = 0; id < (*tokenizer)->n_vocab(); ++id) {
          v.pieces.push_back((*tokenizer)->piece(id, false));
          if ((*tokenizer)->is_eog(id)) v.eog.push_back(id);
        }
        return v;
      }
    }
  }
  v.name = "synthetic-" + std::to_string(synthetic_size);
  std::mt19937 rng(1);
  const std::string alphabet = " etaoinshrdlucmfwypvbgkjqxz0123456789{}[]:,\".-ETAOINS";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1), len(1, 8);
  v.pieces.push_back("</s>");
  v.eog.push_back(0);
  for (int b = 0; b < 256; ++b) v.pieces.push_back(std::string(1, static_cast<char>(b)));
  while (v.pieces.size() < synthetic_size) {
    std::string p;
    for (size_t k = len(rng); k > 0; --k) p += alphabet[pick(rng)];
    v.pieces.push_back(p);
  }
  return v;
}

struct StepTimes {
  std::vector<double> all_us, string_us, structural_us;
};

StepTimes run_generations(const engine::grammar::JsonSchemaGrammar& grammar, const engine::grammar::TokenTrie& trie,
                          int generations) {
  StepTimes times;
  std::vector<uint8_t> mask;
  for (int g = 0; g < generations; ++g) {
    std::mt19937 rng(static_cast<uint32_t>(g + 1));
    std::normal_distribution<float> noise(0.f, 1.f);
    engine::grammar::GrammarMatcher matcher(grammar, trie);
    for (int step = 0; step < 400 && !matcher.is_finished(); ++step) {
      auto t0 = Clock::now();
      matcher.allowed(mask);
      double us = ms_since(t0) * 1000.0;
      times.all_us.push_back(us);
      (matcher.in_string() ? times.string_us : times.structural_us).push_back(us);
      int32_t best = -1;
      float best_logit = 0;
      for (size_t id = 0; id < mask.size(); ++id) {
        if (!mask[id]) continue;
        float logit = noise(rng);
        if (best < 0 || logit > best_logit) best = static_cast<int32_t>(id), best_logit = logit;
      }
      if (best < 0 || !matcher.accept(best).ok()) break;
    }
  }
  return times;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// One SmolLM2-135M decode step's matrix work: 30 layers of q, k, v, o, gate, up, down and the
// tied 49152-row output, Q8_0, split across the pool's threads.
double decode_step_ms(int threads) {
  const kernels::KernelTable& kt = kernels::best();
  constexpr int kEmbd = 576, kFf = 1536, kKv = 192, kLayers = 30, kVocab = 49152;
  struct Shape { int rows, cols; };
  std::vector<Shape> shapes;
  for (int l = 0; l < kLayers; ++l) {
    for (Shape s : {Shape{kEmbd, kEmbd}, Shape{kKv, kEmbd}, Shape{kKv, kEmbd}, Shape{kEmbd, kEmbd}, Shape{kFf, kEmbd},
                    Shape{kFf, kEmbd}, Shape{kEmbd, kFf}}) {
      shapes.push_back(s);
    }
  }
  shapes.push_back({kVocab, kEmbd});
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> q(-127, 127);
  std::vector<std::vector<kernels::Q8Block>> weights;
  for (const Shape& s : shapes) {
    std::vector<kernels::Q8Block> w(static_cast<size_t>(s.rows) * s.cols / kernels::kQ8BlockSize);
    for (auto& b : w) {
      b.d = kernels::fp32_to_fp16(0.01f);
      for (auto& v : b.qs) v = static_cast<int8_t>(q(rng));
    }
    weights.push_back(std::move(w));
  }
  std::vector<kernels::Q8Block> x(kFf / kernels::kQ8BlockSize);
  for (auto& b : x) {
    b.d = kernels::fp32_to_fp16(0.02f);
    for (auto& v : b.qs) v = static_cast<int8_t>(q(rng));
  }
  std::vector<float> y(kVocab);
  kernels::ThreadPool pool(threads);
  auto one_step = [&]() {
    for (size_t i = 0; i < shapes.size(); ++i) {
      const kernels::Q8Block* w = weights[i].data();
      const int nblocks = shapes[i].cols / kernels::kQ8BlockSize;
      pool.parallel_for(shapes[i].rows, [&](int begin, int end) { kt.matvec_q8(w, x.data(), y.data(), nblocks, begin, end); });
    }
  };
  one_step();  // warm up
  constexpr int kSteps = 20;
  auto t0 = Clock::now();
  for (int i = 0; i < kSteps; ++i) one_step();
  return ms_since(t0) / kSteps;
}

}  // namespace

int main() {
  const std::vector<std::pair<std::string, nlohmann::json>> schemas = {
      {"enum object", nlohmann::json::parse(R"({"type":"object","properties":{"status":{"enum":["ok","watch","alarm"]},
          "severity":{"type":"integer"}},"required":["status","severity"]})")},
      {"free strings", nlohmann::json::parse(R"({"type":"object","properties":{"summary":{"type":"string"},
          "reason":{"type":"string","maxLength":60}},"required":["summary","reason"]})")},
      {"number array", nlohmann::json::parse(R"({"type":"array","items":{"type":"number"},"minItems":3,"maxItems":12})")},
  };
  const int threads = 2;
  const double decode_ms = decode_step_ms(threads);
  std::printf("SmolLM2-135M-shaped Q8_0 decode step (%s, %d threads): %.2f ms\n\n", kernels::isa_name(kernels::best().isa),
              threads, decode_ms);
  std::printf("%-18s %-14s %9s %7s %9s %9s %9s %9s %9s %8s\n", "vocabulary", "schema", "trie ms", "steps", "mean us",
              "p50 us", "p99 us", "string us", "struct us", "% decode");
  for (const auto& [file, size] : std::vector<std::pair<std::string, size_t>>{{"smollm2.gguf", 49152}, {"qwen3.gguf", 151936}}) {
    Vocabulary vocab = load_vocabulary(file, size);
    auto t0 = Clock::now();
    engine::grammar::TokenTrie trie(vocab.pieces, vocab.eog);
    double trie_ms = ms_since(t0);
    for (const auto& [name, schema] : schemas) {
      auto grammar = engine::grammar::JsonSchemaGrammar::compile(schema);
      if (!grammar.ok()) {
        std::fprintf(stderr, "schema %s: %s\n", name.c_str(), grammar.error().message.c_str());
        return 1;
      }
      StepTimes t = run_generations(*grammar, trie, 10);
      std::printf("%-18s %-14s %9.1f %7zu %9.1f %9.1f %9.1f %9.1f %9.1f %7.2f%%\n", vocab.name.c_str(), name.c_str(),
                  trie_ms, t.all_us.size(), mean(t.all_us), percentile(t.all_us, 0.5), percentile(t.all_us, 0.99),
                  mean(t.string_us), mean(t.structural_us), 100.0 * mean(t.all_us) / 1000.0 / decode_ms);
    }
  }
  return 0;
}

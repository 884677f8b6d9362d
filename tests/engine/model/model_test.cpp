// The engine on models written by the project's own generator: loading errors, the KV cache
// (one batch == token by token), threading, generation with stop strings, serving several
// sequences at once, and every weight type the loader requantizes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/gguf/gguf.h"
#include "engine/gguf/dequantize.h"
#include "engine/gguf/gguf_writer.h"
#include "engine/model/model_info.h"
#include "engine/tokenizer/tokenizer.h"
#include "kernels/kernels.h"
#include "model_generator.h"

namespace edgenode::engine {
namespace {

namespace fs = std::filesystem;

// One directory per process (ctest runs these tests in parallel), removed at exit.
fs::path temp_dir() {
  const fs::path dir = fs::path(EDGENODE_BINARY_DIR) / "test-models" / ("engine-model-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir;
}

class RemoveTempDir : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(temp_dir(), ec);
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

fs::path generated(tools::ModelShape shape, const std::string& file) {
  const fs::path path = temp_dir() / file;
  auto ok = tools::write_model(shape, path.string());
  EXPECT_TRUE(ok.ok()) << ok.error().message;
  return path;
}

tools::ModelShape small_llama(const std::string& type) {
  tools::ModelShape s;
  s.arch = "llama";
  s.n_embd = 256;  // K-quant rows need multiples of 256
  s.n_layer = 2;
  s.n_head = 4;
  s.n_head_kv = 2;
  s.n_ff = 512;
  s.vocab = 600;
  s.ctx = 64;
  s.type = type;
  s.seed = 11;
  return s;
}

std::unique_ptr<Model> load(const fs::path& path, WeightMode mode = WeightMode::q8_0, int threads = 1,
                            int sequences = 1) {
  LoadOptions o;
  o.path = path.string();
  o.weights = mode;
  o.threads = threads;
  o.sequences = sequences;
  auto m = Model::load(o);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.ok() ? std::move(*m) : nullptr;
}

// Copies a GGUF file leaving out one metadata key, or replacing one string value.
fs::path rewrite(const fs::path& source, const std::string& key, const std::string* new_string, const std::string& file) {
  auto in = GgufFile::open(source.string());
  EXPECT_TRUE(in.ok());
  GgufWriter out;
  for (const GgufKeyValue& kv : in->metadata()) {
    if (kv.key != key)
      out.set(kv.key, kv.value);
    else if (new_string)
      out.set_string(kv.key, *new_string);
  }
  for (const GgufTensorInfo& t : in->tensors())
    EXPECT_TRUE(out.add_tensor_raw(t.name, t.type, t.ne, std::vector<uint8_t>(t.data, t.data + t.nbytes)).ok());
  const fs::path path = temp_dir() / file;
  EXPECT_TRUE(out.write(path.string()).ok());
  return path;
}

std::vector<int32_t> some_tokens(int n, int vocab) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((i * 37 + 11) % vocab);
  return t;
}

// Llama 3's rope_freqs tensor divides every RoPE frequency; linear scaling multiplies them by
// 1/factor. A rope_freqs of all 2s and a linear factor of 2 are the same rotation, exactly.
TEST(ModelRun, RopeFreqsTensorAndLinearScalingAgree) {
  tools::ModelShape shape = small_llama("f32");
  const fs::path plain = generated(shape, "llama-f32.gguf");
  auto in = GgufFile::open(plain.string());
  ASSERT_TRUE(in.ok());
  const int n_rot = 256 / 4;
  GgufWriter with_freqs, with_linear;
  for (const GgufKeyValue& kv : in->metadata()) {
    with_freqs.set(kv.key, kv.value);
    with_linear.set(kv.key, kv.value);
  }
  with_linear.set_string("llama.rope.scaling.type", "linear");
  with_linear.set_f32("llama.rope.scaling.factor", 2.0f);
  for (const GgufTensorInfo& t : in->tensors()) {
    const std::vector<uint8_t> bytes(t.data, t.data + t.nbytes);
    ASSERT_TRUE(with_freqs.add_tensor_raw(t.name, t.type, t.ne, bytes).ok());
    ASSERT_TRUE(with_linear.add_tensor_raw(t.name, t.type, t.ne, bytes).ok());
  }
  const std::vector<float> twos(n_rot / 2, 2.0f);
  ASSERT_TRUE(with_freqs.add_tensor("rope_freqs.weight", GgmlType::F32, {n_rot / 2}, twos.data()).ok());
  const fs::path freqs_path = temp_dir() / "llama-rope-freqs.gguf", linear_path = temp_dir() / "llama-linear.gguf";
  ASSERT_TRUE(with_freqs.write(freqs_path.string()).ok());
  ASSERT_TRUE(with_linear.write(linear_path.string()).ok());

  const auto tokens = some_tokens(16, 600);
  auto a = load(freqs_path, WeightMode::f32)->evaluate(tokens, 0, true);
  auto b = load(linear_path, WeightMode::f32)->evaluate(tokens, 0, true);
  auto c = load(plain, WeightMode::f32)->evaluate(tokens, 0, true);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  float ab = 0, ac = 0;
  for (size_t i = 0; i < a->size(); ++i) {
    ab = std::max(ab, std::abs((*a)[i] - (*b)[i]));
    ac = std::max(ac, std::abs((*a)[i] - (*c)[i]));
  }
  EXPECT_LT(ab, 1e-5f);
  EXPECT_GT(ac, 1e-3f) << "scaling the rotation should change the logits";
}

TEST(ModelLoad, MissingRequiredMetadataNamesTheKey) {
  const fs::path good = generated(small_llama("f32"), "llama-f32.gguf");
  const fs::path bad = rewrite(good, "llama.block_count", nullptr, "llama-no-block-count.gguf");
  LoadOptions o;
  o.path = bad.string();
  auto m = Model::load(o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::bad_input);
  EXPECT_NE(m.error().message.find("llama.block_count"), std::string::npos) << m.error().message;
}

TEST(ModelLoad, UnsupportedArchitectureIsNamed) {
  const fs::path good = generated(small_llama("f32"), "llama-f32.gguf");
  const std::string mamba = "mamba";
  const fs::path bad = rewrite(good, "general.architecture", &mamba, "mamba.gguf");
  LoadOptions o;
  o.path = bad.string();
  auto m = Model::load(o);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("unsupported architecture mamba"), std::string::npos) << m.error().message;
}

// Gemma 3 27B (62 layers) scales q by 1/sqrt(n_embd / n_head) instead of 1/sqrt(head_dim);
// the other sizes, where the two agree or not, keep head_dim.
TEST(ModelLoad, Gemma3TwentySevenBScalesQueriesByEmbeddingPerHead) {
  auto scale_dim = [](int n_layer) -> std::string {
    tools::ModelShape shape;
    shape.arch = "gemma3";
    shape.n_layer = n_layer;
    shape.head_dim = 32;  // n_embd 64 / 4 heads = 16
    shape.ctx = 64;
    auto m = load(generated(shape, "gemma3-" + std::to_string(n_layer) + ".gguf"), WeightMode::q8_0, 1);
    if (!m) return "not loaded";
    for (const auto& [name, value] : m->info().hparams)
      if (name == "attention_scale_dim") return value;
    return "head_dim";
  };
  EXPECT_EQ(scale_dim(62), "16");
  EXPECT_EQ(scale_dim(6), "head_dim");
}

TEST(ModelLoad, MissingFileIsBadInput) {
  LoadOptions o;
  o.path = (temp_dir() / "does-not-exist.gguf").string();
  auto m = Model::load(o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::bad_input);
}

TEST(ModelRun, PromptLongerThanTheContextIsRejected) {
  auto m = load(generated(small_llama("q8_0"), "llama-q8_0.gguf"));
  ASSERT_TRUE(m);
  GenerateRequest r;
  r.tokens.assign(m->context_length() + 1, 5);
  auto out = m->generate(r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::bad_input);
  EXPECT_NE(out.error().message.find("exceeds the context"), std::string::npos) << out.error().message;
  r.tokens = {1, 100000};
  auto bad_id = m->generate(r);
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.error().message.find("100000"), std::string::npos);
}

// The KV cache must make a prompt evaluated in one batch equal to the same prompt fed one
// token at a time, for every architecture (sliding window included).
class BatchVsStep : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchVsStep, SameLogits) {
  tools::ModelShape shape = small_llama("f32");
  shape.arch = GetParam();
  shape.n_embd = 128;
  shape.n_ff = 256;
  shape.head_dim = 64;
  shape.n_layer = shape.arch == "gemma3" ? 6 : 2;
  shape.sliding_window = 8;
  auto m = load(generated(shape, shape.arch + "-f32.gguf"), WeightMode::f32);
  ASSERT_TRUE(m);
  const auto tokens = some_tokens(20, shape.vocab);
  auto batch = m->evaluate(tokens, 0, true);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  const int n_vocab = static_cast<int>(batch->size() / tokens.size());
  // sgemm sums in a different order for one row than for many; gemma3's fp16 GELU table
  // turns such 1-ulp differences into ~1e-3 (the fixtures README's gemma3 tolerance).
  const float tolerance = shape.arch == "gemma3" ? 2e-3f : 1e-4f;
  for (size_t t = 0; t < tokens.size(); ++t) {
    auto step = m->evaluate({tokens[t]}, static_cast<int>(t), false);
    ASSERT_TRUE(step.ok());
    float worst = 0;
    for (int i = 0; i < n_vocab; ++i) worst = std::max(worst, std::abs((*step)[i] - (*batch)[t * n_vocab + i]));
    EXPECT_LT(worst, tolerance) << "position " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Architectures, BatchVsStep, ::testing::Values("llama", "qwen2", "qwen3", "phi3", "gemma3"));

TEST(ModelRun, ThreadCountDoesNotChangeResults) {
  const fs::path path = generated(small_llama("q8_0"), "llama-q8_0.gguf");
  auto one = load(path, WeightMode::q8_0, 1);
  auto two = load(path, WeightMode::q8_0, 2);
  ASSERT_TRUE(one && two);
  const auto tokens = some_tokens(30, 600);
  auto a = one->evaluate(tokens, 0, true);
  auto b = two->evaluate(tokens, 0, true);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// Decode steps of one token run each block as one pool job in which threads that finish
// their own weight slices take parts of the others'; however the rows fall to the threads
// (three threads on fewer cores included), every logit equals the one-thread value.
// Long enough for several attention chunks, which a decode step spreads over its threads
// and merges afterwards, and a prompt's positions compute in one go.
TEST(ModelRun, DecodeStepsEqualAcrossThreadCountsAndThePromptPath) {
  tools::ModelShape shape = small_llama("q8_0");
  shape.ctx = 3 * kernels::kAttentionChunk + 8;
  const fs::path path = generated(shape, "llama-q8_0-long.gguf");
  auto one = load(path, WeightMode::q8_0, 1);
  auto two = load(path, WeightMode::q8_0, 2);
  auto three = load(path, WeightMode::q8_0, 3);
  auto prompt = load(path, WeightMode::q8_0, 2);
  ASSERT_TRUE(one && two && three && prompt);
  const auto tokens = some_tokens(shape.ctx, 600);
  auto all = prompt->evaluate(tokens, 0, true);
  ASSERT_TRUE(all.ok()) << all.error().message;
  const size_t vocab = static_cast<size_t>(shape.vocab);
  for (size_t t = 0; t < tokens.size(); ++t) {
    auto a = one->evaluate({tokens[t]}, static_cast<int>(t), false);
    auto b = two->evaluate({tokens[t]}, static_cast<int>(t), false);
    auto c = three->evaluate({tokens[t]}, static_cast<int>(t), false);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_EQ(*a, *b) << "step " << t;
    EXPECT_EQ(*a, *c) << "step " << t;
    const std::vector<float> row(all->begin() + t * vocab, all->begin() + (t + 1) * vocab);
    EXPECT_EQ(*a, row) << "step " << t;
  }
}

// Requests that share a prefix (a pipeline's system prompt) and differ after it.
std::vector<GenerateRequest> prefixed_requests(int count, int prefix, int max_tokens) {
  std::vector<GenerateRequest> requests;
  for (int i = 0; i < count; ++i) {
    GenerateRequest r;
    r.tokens = some_tokens(prefix, 600);
    for (int j = 0; j <= i; ++j) r.tokens.push_back(100 + 7 * i + j);
    r.max_tokens = max_tokens + i;  // sequences end at different steps
    r.stop_at_eog = false;
    requests.push_back(std::move(r));
  }
  return requests;
}

// Serves the requests all at once; results in request order.
std::vector<std::optional<Result<GenerateResult>>> serve_all(Model& m, const std::vector<GenerateRequest>& requests) {
  std::vector<std::optional<Result<GenerateResult>>> results(requests.size());
  size_t handed = 0;
  m.serve([&]() -> std::optional<ServeItem> {
    if (handed == requests.size()) return std::nullopt;
    const size_t i = handed++;
    return ServeItem{requests[i], {}, [&results, i](Result<GenerateResult> r) { results[i].emplace(std::move(r)); }};
  });
  return results;
}

TEST(ModelServe, SequencesServedTogetherGenerateWhatEachGeneratesAlone) {
  const fs::path path = generated(small_llama("q8_0"), "llama-q8_0.gguf");
  const auto requests = prefixed_requests(5, 8, 10);
  auto batched = load(path, WeightMode::q8_0, 2, /*sequences=*/3);
  ASSERT_TRUE(batched);
  const auto results = serve_all(*batched, requests);
  int reused = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    auto alone = load(path, WeightMode::q8_0, 2)->generate(requests[i]);
    ASSERT_TRUE(alone.ok());
    ASSERT_TRUE(results[i].has_value()) << "request " << i << " got no outcome";
    ASSERT_TRUE(results[i]->ok()) << results[i]->error().message;
    const GenerateResult& r = **results[i];
    EXPECT_EQ(r.tokens, alone->tokens) << "request " << i;
    EXPECT_EQ(r.text, alone->text) << "request " << i;
    EXPECT_EQ(r.stop_reason, "length");
    reused += r.reused_prompt_tokens;
  }
  // Three start in empty slots; the two that take over a finished sequence's slot reuse
  // the shared prefix (at least) of its cache.
  EXPECT_GE(reused, 2 * 8);
}

TEST(ModelServe, ABadRequestFailsAloneWhileTheOthersFinish) {
  auto m = load(generated(small_llama("q8_0"), "llama-q8_0.gguf"), WeightMode::q8_0, 1, 2);
  ASSERT_TRUE(m);
  auto requests = prefixed_requests(3, 4, 6);
  requests[1].tokens = some_tokens(100, 600);  // longer than the context of 64
  requests[2].json_schema = "{not json";
  requests.push_back(prefixed_requests(1, 4, 6)[0]);
  const auto results = serve_all(*m, requests);
  ASSERT_TRUE(results[0] && results[1] && results[2] && results[3]);
  EXPECT_TRUE(results[0]->ok());
  ASSERT_FALSE(results[1]->ok());
  EXPECT_NE(results[1]->error().message.find("exceeds the context"), std::string::npos);
  ASSERT_FALSE(results[2]->ok());
  EXPECT_NE(results[2]->error().message.find("json_schema"), std::string::npos);
  ASSERT_TRUE(results[3]->ok());
  EXPECT_EQ((*results[3])->tokens, (*results[0])->tokens) << "the same request again, now from a reused prefix";
}

TEST(ModelServe, ALaterGenerationReusesTheSharedPromptPrefix) {
  const fs::path path = generated(small_llama("q8_0"), "llama-q8_0.gguf");
  auto m = load(path);
  ASSERT_TRUE(m);
  const auto requests = prefixed_requests(2, 12, 8);
  auto first = m->generate(requests[0]);
  auto second = m->generate(requests[1]);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->reused_prompt_tokens, 0);
  EXPECT_EQ(second->reused_prompt_tokens, 12) << "the shared tokens";
  auto fresh = load(path)->generate(requests[1]);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(second->tokens, fresh->tokens);
}

TEST(ModelRun, StopStringCutsTheTextAndStreamingMatches) {
  auto m = load(generated(small_llama("q8_0"), "llama-q8_0.gguf"));
  ASSERT_TRUE(m);
  GenerateRequest r;
  r.tokens = some_tokens(5, 600);
  r.max_tokens = 24;
  r.stop_at_eog = false;
  std::string streamed;
  auto full = m->generate(r, [&](std::string_view piece) {
    streamed += piece;
    return true;
  });
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->stop_reason, "length");
  EXPECT_EQ(full->tokens.size(), 24u);
  EXPECT_EQ(streamed, full->text);
  ASSERT_GT(full->text.size(), 12u);

  // A stop string taken from the middle of that (deterministic, greedy) text.
  const size_t at = full->text.size() / 2;
  r.stop = {full->text.substr(at, 3)};
  const size_t expected_end = full->text.find(r.stop[0]);
  streamed.clear();
  auto cut = m->generate(r, [&](std::string_view piece) {
    streamed += piece;
    return true;
  });
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->stop_reason, "stop");
  EXPECT_EQ(cut->text, full->text.substr(0, expected_end));
  EXPECT_EQ(streamed, cut->text);
}

// With a JSON Schema the random model's garbage becomes a valid instance, whatever the seed.
TEST(ModelRun, JsonSchemaConstrainsSampledOutput) {
  auto m = load(generated(small_llama("q8_0"), "llama-q8_0.gguf"));
  ASSERT_TRUE(m);
  const nlohmann::json schema = {
      {"type", "object"},
      {"properties",
       {{"status", {{"enum", {"ok", "watch", "alarm"}}}}, {"level", {{"type", "integer"}}}}},
      {"required", {"status", "level"}},
      {"additionalProperties", false}};
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    GenerateRequest r;
    r.tokens = some_tokens(4, 600);
    r.max_tokens = 40;
    r.sampling.temperature = 1.0f;
    r.sampling.seed = seed;
    r.json_schema = schema.dump();
    auto out = m->generate(r);
    ASSERT_TRUE(out.ok()) << out.error().message;
    ASSERT_EQ(out->stop_reason, "schema_complete") << out->text;
    const auto value = nlohmann::json::parse(out->text, nullptr, false);
    ASSERT_FALSE(value.is_discarded()) << out->text;
    EXPECT_TRUE(value["status"] == "ok" || value["status"] == "watch" || value["status"] == "alarm") << out->text;
    EXPECT_TRUE(value["level"].is_number_integer()) << out->text;
  }
  GenerateRequest bad;
  bad.tokens = some_tokens(4, 600);
  bad.json_schema = "{not json";
  auto rejected = m->generate(bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().kind, ErrorKind::bad_input);
}

// Every weight type the loader converts: the model loads, runs, and stays close to the same
// weights stored as F32 and requantized to Q8_0 (the generator draws identical values for
// one seed).
//
// Tolerance, derived: a b-bit block quantizer with scale amax/2^(b-1) leaves a uniform error
// of RMS (amax/2^(b-1))/sqrt(12) per weight; for blocks of 32 Gaussian weights amax ~ 2.5
// sigma, so the relative weight error is e_b = 2.5 / (2^(b-1) sqrt(12)): 9 % at 4 bits, 4.5 %
// at 5, 2.3 % at 6, 0.6 % at 8. Random two-layer networks amplify it about 3-4x in the
// logits, so the relative RMS logit difference must stay under 4 e_b. The Q8_0 reference
// is itself quantized (weights and activations), so 0.03 is added for both sides' 8-bit
// rounding (measured: F16 and Q8_0 files land at 0.022-0.025).
//
// Greedy: over 8 teacher-forced steps of the reference's greedy sequence, both models must
// pick the same token whenever the reference's top-1/top-2 margin exceeds 4 standard
// deviations of the difference of two logit errors (4 * sqrt(2) * sigma, sigma the measured
// RMS logit difference): a flip there would not be rounding noise.
double bits_of(const std::string& type) {
  if (type == "f16" || type == "bf16") return 16;
  if (type == "q8_0") return 8;
  if (type == "q6_k") return 6;
  if (type.rfind("q5", 0) == 0) return 5;
  return 4;  // q4_0, q4_1, q4_k, q4_k_m (mostly q4_K)
}

class WeightTypes : public ::testing::TestWithParam<std::string> {};

TEST_P(WeightTypes, LoadRunAndStayCloseToQ8Reference) {
  const std::string type = GetParam();
  auto reference = load(generated(small_llama("f32"), "llama-f32.gguf"), WeightMode::q8_0);
  auto quantized = load(generated(small_llama(type), "llama-" + type + ".gguf"));
  ASSERT_TRUE(reference && quantized);
  const auto stored = ggml_type_from_name(type == "q4_k_m" ? "q4_k" : type);
  ASSERT_TRUE(stored.has_value());
  EXPECT_NE(quantized->info().tensor_types.count(std::string(type_name(*stored))), 0u)
      << "the file should hold " << type << " tensors";
  if (type != "q8_0") {
    EXPECT_NE(quantized->info().precision_note.find("requantized"), std::string::npos);
  }

  // Prompt logits.
  const auto prompt = some_tokens(12, 600);
  auto want = reference->evaluate(prompt, 0, true);
  auto got = quantized->evaluate(prompt, 0, true);
  ASSERT_TRUE(want.ok() && got.ok());
  double sum_sq = 0, diff_sq = 0;
  for (size_t i = 0; i < want->size(); ++i) {
    sum_sq += (*want)[i] * (*want)[i];
    diff_sq += ((*got)[i] - (*want)[i]) * ((*got)[i] - (*want)[i]);
  }
  const double relative = std::sqrt(diff_sq / sum_sq);
  const double weight_error = 2.5 / (std::pow(2.0, bits_of(type) - 1) * std::sqrt(12.0));
  EXPECT_LT(relative, 4 * weight_error + 0.03) << type << " relative RMS logit difference";

  // Greedy steps, teacher-forced along the reference's choices.
  const double sigma = std::sqrt(diff_sq / want->size());
  const double decisive = 4 * std::sqrt(2.0) * sigma;
  const int n_vocab = static_cast<int>(want->size() / prompt.size());
  std::vector<float> ref_logits(want->end() - n_vocab, want->end());
  std::vector<float> our_logits(got->end() - n_vocab, got->end());
  int checked = 0;
  for (int step = 0; step < 8; ++step) {
    std::vector<float> sorted = ref_logits;
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
    const int32_t ref_top = static_cast<int32_t>(std::max_element(ref_logits.begin(), ref_logits.end()) - ref_logits.begin());
    const int32_t our_top = static_cast<int32_t>(std::max_element(our_logits.begin(), our_logits.end()) - our_logits.begin());
    if (sorted[0] - sorted[1] > decisive) {
      EXPECT_EQ(our_top, ref_top) << type << " greedy step " << step << ", margin " << sorted[0] - sorted[1];
      ++checked;
    }
    const int pos = static_cast<int>(prompt.size()) + step;
    auto next_ref = reference->evaluate({ref_top}, pos, false);
    auto next_ours = quantized->evaluate({ref_top}, pos, false);
    ASSERT_TRUE(next_ref.ok() && next_ours.ok());
    ref_logits = *next_ref;
    our_logits = *next_ours;
  }
  RecordProperty("decisive_greedy_steps", checked);
}

// The literal check: a Q4_K_M file and the same weights stored as F32 (its tensors
// dequantized) both run as Q8_0 and must agree exactly, greedy tokens included; together
// with the tolerance test above (which a wrong block layout would fail by far) this pins
// the Q4_K/Q6_K loading path.
TEST(WeightTypes, Q4KMMatchesItsF32CopyExactly) {
  const fs::path q4 = generated(small_llama("q4_k_m"), "llama-q4_k_m.gguf");
  auto in = GgufFile::open(q4.string());
  ASSERT_TRUE(in.ok());
  GgufWriter out;
  for (const GgufKeyValue& kv : in->metadata()) out.set(kv.key, kv.value);
  for (const GgufTensorInfo& t : in->tensors()) {
    std::vector<float> values(static_cast<size_t>(t.n_elements()));
    for (int64_t r = 0; r < t.n_rows(); ++r)
      ASSERT_TRUE(dequantize_row(t.type, t.data + r * t.row_bytes(), values.data() + r * t.ne[0], t.ne[0]).ok());
    ASSERT_TRUE(out.add_tensor(t.name, GgmlType::F32, t.ne, values.data()).ok());
  }
  const fs::path f32 = temp_dir() / "llama-q4_k_m-as-f32.gguf";
  ASSERT_TRUE(out.write(f32.string()).ok());

  auto a = load(q4);
  auto b = load(f32);
  ASSERT_TRUE(a && b);
  GenerateRequest r;
  r.tokens = some_tokens(10, 600);
  r.max_tokens = 8;
  r.stop_at_eog = false;
  auto ga = a->generate(r);
  auto gb = b->generate(r);
  ASSERT_TRUE(ga.ok() && gb.ok());
  EXPECT_EQ(ga->tokens.size(), 8u);
  EXPECT_EQ(ga->tokens, gb->tokens);
  auto la = a->evaluate(r.tokens, 0, true);
  auto lb = b->evaluate(r.tokens, 0, true);
  ASSERT_TRUE(la.ok() && lb.ok());
  EXPECT_EQ(*la, *lb);
}

INSTANTIATE_TEST_SUITE_P(Types, WeightTypes,
                         ::testing::Values("f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k", "q6_k",
                                           "q4_k_m"));

}  // namespace
}  // namespace edgenode::engine

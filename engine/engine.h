// The engine's public face: load a GGUF model once, then generate from prompts.
// This is what the CLI and the pipeline's infer stage use; nothing here knows about MQTT.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace edgenode::engine {

class Tokenizer;

enum class WeightMode { q8_0, f32 };

struct LoadOptions {
  std::string path;
  int threads = 0;        // 0: all cores
  int context = 0;        // 0: the model's context length
  WeightMode weights = WeightMode::q8_0;
  bool vocab_only = false;  // tokenizer and template only (no tensors needed)
  int sequences = 1;        // generations served at once, each with a KV cache of `context`
};

struct SamplingParams {
  float temperature = 0.0f;  // 0: greedy
  int top_k = 0;             // 0: off
  float top_p = 1.0f;        // 1: off
  float min_p = 0.0f;        // 0: off
  float repeat_penalty = 1.0f;
  int repeat_last_n = 64;
  uint64_t seed = 0;
};

struct ChatMessage {
  std::string role;
  std::string content;
};

struct GenerateRequest {
  std::string prompt;                  // used when tokens is empty
  std::vector<int32_t> tokens;         // pre-tokenized prompt (overrides prompt)
  bool add_bos = true;                 // as the model says, unless turned off
  bool parse_special = true;           // special-token text in the prompt becomes tokens
  int max_tokens = 64;
  SamplingParams sampling;
  std::vector<std::string> stop;       // stop strings (not included in the text)
  bool stop_at_eog = true;
  std::optional<std::string> json_schema;  // constrain output to this JSON Schema
};

struct GenerateResult {
  std::vector<int32_t> prompt_tokens;
  std::vector<int32_t> tokens;  // generated ids
  std::string text;             // generated text
  std::string stop_reason;      // "eog", "stop", "length", "schema_complete", "context", "cancelled"
  int reused_prompt_tokens = 0; // prompt prefix whose KV cache an earlier request left
  double prompt_ms = 0, generate_ms = 0;
};

// Called with each piece of text as it is produced (whole UTF-8 characters only).
// Return false to stop generation.
using PieceCallback = std::function<bool(std::string_view piece)>;

// One request for Model::serve, and where its outcome goes.
struct ServeItem {
  GenerateRequest request;
  PieceCallback on_piece;
  std::function<void(Result<GenerateResult>)> done;
};
// The next waiting request, or nothing when none is waiting right now.
using NextRequest = std::function<std::optional<ServeItem>()>;

struct ModelInfo;  // architecture, hyper-parameters, tensors: engine/model/model_info.h

class Model {
 public:
  static Result<std::unique_ptr<Model>> load(const LoadOptions& options);
  virtual ~Model() = default;

  virtual const Tokenizer& tokenizer() const = 0;
  virtual const ModelInfo& info() const = 0;
  // sha256 of the GGUF file, hex (provenance in results).
  virtual const std::string& file_sha256() const = 0;

  // Renders messages through the model's chat template (or the documented fallback).
  virtual Result<std::string> render_chat(const std::vector<ChatMessage>& messages,
                                          bool add_generation_prompt) const = 0;

  // One generation; not reentrant: callers serialize per model (the model's worker owns it).
  virtual Result<GenerateResult> generate(const GenerateRequest& request, const PieceCallback& on_piece = {}) = 0;

  // Serves requests taken from next() until none is running and next() has none: up to
  // LoadOptions::sequences at once, every decode step one pass over the weights for all of
  // them (continuous batching: a request joins as soon as a sequence finishes). A request
  // reuses the KV cache of the longest prompt prefix it shares with what a free sequence
  // last held, so a pipeline's fixed system prompt is computed once. Each outcome goes to
  // its item's done() as soon as it is known. Not reentrant, like generate().
  virtual void serve(const NextRequest& next) = 0;

  // Low-level evaluation for tools and tests (logit dumps, parity checks, benchmarks): runs
  // tokens at positions [pos, pos + size) over the KV cache of earlier positions and returns
  // the logits of the last token (n_vocab floats), or of every token when all_positions.
  virtual Result<std::vector<float>> evaluate(const std::vector<int32_t>& tokens, int pos, bool all_positions) = 0;
  // Positions the KV cache holds: a prompt plus its generation must fit.
  virtual int context_length() const = 0;
};

}  // namespace edgenode::engine

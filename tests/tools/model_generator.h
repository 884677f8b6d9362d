// Writes GGUF models with deterministic random weights in the tensor names and metadata keys
// llama.cpp uses, plus a synthetic SPM tokenizer, so tests and benchmarks have models of any
// shape and weight type without shipping files.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "engine/gguf/gguf_writer.h"

namespace edgenode::tools {

struct ModelShape {
  std::string arch = "llama";  // llama | qwen2 | qwen3 | phi3 | gemma3
  std::string name;            // general.name; empty: "<arch>-synthetic"
  int n_embd = 64;
  int n_layer = 2;
  int n_head = 4;
  int n_head_kv = 0;  // 0: n_head
  int head_dim = 0;   // 0: n_embd / n_head
  int n_ff = 0;       // 0: 4 * n_embd rounded up to a multiple of 32
  int vocab = 512;
  int ctx = 512;
  // f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k, or q4_k_m (Q4_K with Q6_K for
  // output, attn_v and ffn_down, as llama.cpp's Q4_K_M mix).
  std::string type = "f32";
  bool tied = false;          // no output.weight; logits use token_embd
  uint64_t seed = 1;
  float rope_base = 0.0f;     // 0: the architecture's usual value
  float rms_eps = 0.0f;       // 0: the architecture's usual value
  int sliding_window = 32;    // gemma3 only
};

// Builds the whole file in a writer (weights drawn in file order from one seeded stream).
Result<engine::GgufWriter> build_model(const ModelShape& shape);
Result<void> write_model(const ModelShape& shape, const std::string& path);

}  // namespace edgenode::tools

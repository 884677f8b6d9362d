// Hyper-parameters of a transformer, read from a GGUF file's `<arch>.*` metadata.
// The common keys are read here; an architecture reads its own extras (see arch/).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace edgenode::engine {

class GgufFile;

struct HParams {
  std::string arch;        // general.architecture
  int n_ctx_train = 0;     // <arch>.context_length
  int n_embd = 0;          // <arch>.embedding_length
  int n_layer = 0;         // <arch>.block_count
  int n_ff = 0;            // <arch>.feed_forward_length
  int n_head = 0;          // <arch>.attention.head_count
  int n_head_kv = 0;       // <arch>.attention.head_count_kv (default n_head)
  int head_dim = 0;        // <arch>.attention.key_length (default n_embd / n_head)
  int n_rot = 0;           // <arch>.rope.dimension_count (default head_dim): rotated dims per head
  int attention_scale_dim = 0;  // q·k is scaled by 1/sqrt(this): head_dim, unless the architecture says otherwise
  int n_vocab = 0;         // rows of token_embd
  int n_ctx = 0;           // the context this model runs with (load option, <= n_ctx_train by default)
  float rope_freq_base = 10000.0f;   // <arch>.rope.freq_base
  float rope_freq_scale = 1.0f;      // 1 / <arch>.rope.scaling.factor for linear scaling
  float rms_eps = 1e-5f;             // <arch>.attention.layer_norm_rms_epsilon
  float rope_attn_factor = 1.0f;     // <arch>.rope.scaling.attn_factor: scales the rotated dims (LongRoPE)

  // Sliding-window attention (gemma3): window size and the rope base of windowed layers.
  int sliding_window = 0;
  float rope_freq_base_swa = 10000.0f;
  // LongRoPE (phi3): the context the short factors were trained for.
  int n_ctx_orig = 0;

  int q_dim() const { return n_head * head_dim; }
  int kv_dim() const { return n_head_kv * head_dim; }

  // Reads the keys every architecture shares; a missing required key is an error naming it.
  static Result<HParams> read_common(const GgufFile& file, const std::string& arch);

  // name=value pairs for `model info`, in a stable order.
  std::vector<std::pair<std::string, std::string>> describe() const;
};

}  // namespace edgenode::engine

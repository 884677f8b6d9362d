// How an architecture configures the attention and feed-forward blocks (blocks.h).
#pragma once

#include "kernels/kernels.h"

namespace edgenode::engine {

struct AttentionOptions {
  kernels::RopeMode rope_mode = kernels::RopeMode::norm;
  float rope_freq_base = 10000.0f;
  const float* rope_freq_factors = nullptr;  // (n_rot/2) or null
  bool scale_q_before = false;  // q *= 1/sqrt(attention_scale_dim) after RoPE, attention scale 1 (phi3, gemma3)
  int window = 0;               // sliding window size, 0 for full causal attention
};

enum class FfnActivation { silu, gelu_tanh_fp16 };

}  // namespace edgenode::engine

// Pieces of the attention and feed-forward blocks that both of their paths use: the one for
// any number of tokens (blocks.cpp) and a decode step's single pool job (decode_step.cpp).
#pragma once

#include "engine/model/blocks.h"

namespace edgenode::engine {

// x += out (xb2), rows [begin, end) of token t: the epilogue of an output projection (wo, down)
// without a post-norm. ctx is the ForwardContext.
void add_residual_rows(void* ctx, int t, int begin, int end);

struct FfnActivationRows {
  const float* gate_up;  // (n, ffn_stride): gate then up
  int stride;
  float* hidden;         // (n, n_ff)
  int n_ff;
  FfnActivation activation;
};

// hidden = act(gate) * up, rows [begin, end) of token t. ctx is a FfnActivationRows.
void activate_rows(void* ctx, int t, int begin, int end);

// The scale of q·k, 1/sqrt(attention_scale_dim); applied to q itself when o.scale_q_before,
// and then attention_scale() is 1.
float query_key_scale(const HParams& hp);
float attention_scale(const HParams& hp, const AttentionOptions& o);

// q, k and v of token t once projected, for the heads [first, last) of the row's q heads
// followed by its k heads (a k head brings the v head of the same index): biases, per-head
// norms, RoPE (by the angles cos_sin, kernels::rope_angles) and the query scale, then k and v
// into the KV cache. Every step works per head, so splitting the heads between threads gives
// the same values as one call over all of them.
void finish_qkv_heads(ForwardContext& c, int layer, const AttentionWeights& w, const AttentionOptions& o, int t,
                      int first, int last, const float* cos_sin);

}  // namespace edgenode::engine

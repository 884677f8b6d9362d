// qwen2 (Qwen2, Qwen2.5): llama's blocks with biases on Q, K and V, added before RoPE,
// and NEOX RoPE (pairs i, i + n_rot/2).
#include "engine/model/arch/architecture.h"

namespace edgenode::engine {

namespace {

Result<void> read_hparams(const GgufFile&, HParams&) { return {}; }

Result<void> load_weights(WeightLoader& loader, const HParams& hp, ModelWeights& w) {
  StandardTensors parts;
  parts.qkv_bias = true;
  return load_standard_tensors(loader, hp, parts, w);
}

void forward(ForwardContext& c, std::span<const int32_t> tokens, float* logits, bool all_positions) {
  embed(c, tokens, 1.0f);
  AttentionOptions attention;
  attention.rope_mode = kernels::RopeMode::neox;
  attention.rope_freq_base = c.hp.rope_freq_base;
  for (int il = 0; il < c.hp.n_layer; ++il) {
    attention_block(c, il, c.w.layers[il].attn, attention);
    ffn_block(c, c.w.layers[il].ffn, FfnActivation::silu);
  }
  output_logits(c, logits, all_positions);
}

}  // namespace

extern const Architecture kQwen2Architecture{"qwen2", read_hparams, load_weights, forward};

}  // namespace edgenode::engine

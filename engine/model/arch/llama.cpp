// llama (Llama 2/3, SmolLM2, TinyLlama): pre-norm blocks, GQA attention with NORM RoPE
// (adjacent pairs), SwiGLU feed-forward. Llama 3 checkpoints carry a `rope_freqs` tensor
// that divides the RoPE frequencies; linear scaling comes from metadata (HParams).
#include "engine/model/arch/architecture.h"

namespace edgenode::engine {

namespace {

Result<void> read_hparams(const GgufFile&, HParams&) { return {}; }

Result<void> load_weights(WeightLoader& loader, const HParams& hp, ModelWeights& w) {
  EDGENODE_TRY(load_standard_tensors(loader, hp, {}, w));
  auto freqs = loader.optional_vector("rope_freqs.weight", hp.n_rot / 2);
  if (!freqs) return freqs.error();
  w.rope_freqs = *freqs;
  return {};
}

void forward(ForwardContext& c, std::span<const int32_t> tokens, float* logits, bool all_positions) {
  embed(c, tokens, 1.0f);
  AttentionOptions attention;
  attention.rope_mode = kernels::RopeMode::norm;
  attention.rope_freq_base = c.hp.rope_freq_base;
  attention.rope_freq_factors = c.w.rope_freqs;
  for (int il = 0; il < c.hp.n_layer; ++il) {
    attention_block(c, il, c.w.layers[il].attn, attention);
    ffn_block(c, c.w.layers[il].ffn, FfnActivation::silu);
  }
  output_logits(c, logits, all_positions);
}

}  // namespace

extern const Architecture kLlamaArchitecture{"llama", read_hparams, load_weights, forward};

}  // namespace edgenode::engine

// phi3 (Phi-3.5-mini, Phi-4-mini): fused QKV projection (q rows, then k, then v), fused
// gate+up in ffn_up (gate rows first), NEOX RoPE over rope.dimension_count dims (partial
// rotary on Phi-4-mini), q scaled by 1/sqrt(head_dim) before attention. LongRoPE models carry
// rope_factors_short/long; the long ones apply when the context exceeds the original one,
// and rope.scaling.attn_factor scales the rotated dimensions (HParams, applied where q and k
// are finished).
#include "engine/gguf/gguf.h"
#include "engine/model/arch/architecture.h"

namespace edgenode::engine {

namespace {

Result<void> read_hparams(const GgufFile& file, HParams& hp) {
  auto orig = file.get_u32_or(hp.arch + ".rope.scaling.original_context_length", hp.n_ctx_train);
  if (!orig) return orig.error();
  hp.n_ctx_orig = static_cast<int>(*orig);
  return {};
}

Result<void> load_weights(WeightLoader& loader, const HParams& hp, ModelWeights& w) {
  StandardTensors parts;
  parts.fused_qkv = true;
  parts.fused_gate_up = true;
  EDGENODE_TRY(load_standard_tensors(loader, hp, parts, w));
  const bool long_context = hp.n_ctx_orig > 0 && hp.n_ctx > hp.n_ctx_orig;
  auto factors = loader.optional_vector(long_context ? "rope_factors_long.weight" : "rope_factors_short.weight",
                                        hp.n_rot / 2);
  if (!factors) return factors.error();
  w.rope_freqs = *factors;
  return {};
}

void forward(ForwardContext& c, std::span<const int32_t> tokens, float* logits, bool all_positions) {
  embed(c, tokens, 1.0f);
  AttentionOptions attention;
  attention.rope_mode = kernels::RopeMode::neox;
  attention.rope_freq_base = c.hp.rope_freq_base;
  attention.rope_freq_factors = c.w.rope_freqs;
  attention.scale_q_before = true;
  for (int il = 0; il < c.hp.n_layer; ++il) {
    attention_block(c, il, c.w.layers[il].attn, attention);
    ffn_block(c, c.w.layers[il].ffn, FfnActivation::silu);
  }
  output_logits(c, logits, all_positions);
}

}  // namespace

extern const Architecture kPhi3Architecture{"phi3", read_hparams, load_weights, forward};

}  // namespace edgenode::engine

// gemma3: embeddings scaled by sqrt(n_embd); RMSNorm weights already hold Gemma's (1 + w);
// per-head Q/K norms before RoPE; norms after attention and after the FFN too; GEGLU with
// ggml's fp16-table GELU; q scaled by 1/sqrt(head_dim) before attention (1/sqrt(n_embd/n_head)
// for the 27B). Five of every six
// layers (il % 6 < 5) attend within a sliding window with RoPE base 10000; the sixth is
// global with rope.freq_base (the pattern llama.cpp hardcodes).
#include <cmath>

#include "engine/gguf/gguf.h"
#include "engine/model/arch/architecture.h"

namespace edgenode::engine {

namespace {

constexpr int kSlidingWindowPattern = 6;
constexpr float kSlidingWindowRopeBase = 10000.0f;
constexpr int kGemma3_27bLayers = 62;

bool is_sliding_window_layer(const HParams& hp, int il) {
  return hp.sliding_window > 0 && il % kSlidingWindowPattern < kSlidingWindowPattern - 1;
}

Result<void> read_hparams(const GgufFile& file, HParams& hp) {
  auto window = file.get_u32_or(hp.arch + ".attention.sliding_window", 0);
  if (!window) return window.error();
  hp.sliding_window = static_cast<int>(*window);
  hp.rope_freq_base_swa = kSlidingWindowRopeBase;
  // Gemma 3 27B scales its queries by 1/sqrt(n_embd / n_head) (168), not 1/sqrt(head_dim)
  // (128); llama.cpp tells the 27B by its 62 layers, and so does this.
  if (hp.n_layer == kGemma3_27bLayers) hp.attention_scale_dim = hp.n_embd / hp.n_head;
  return {};
}

Result<void> load_weights(WeightLoader& loader, const HParams& hp, ModelWeights& w) {
  StandardTensors parts;
  parts.qk_norm = true;
  parts.post_norms = true;
  return load_standard_tensors(loader, hp, parts, w);
}

void forward(ForwardContext& c, std::span<const int32_t> tokens, float* logits, bool all_positions) {
  embed(c, tokens, std::sqrt(static_cast<float>(c.hp.n_embd)));
  for (int il = 0; il < c.hp.n_layer; ++il) {
    AttentionOptions attention;
    attention.rope_mode = kernels::RopeMode::neox;
    attention.scale_q_before = true;
    if (is_sliding_window_layer(c.hp, il)) {
      attention.rope_freq_base = c.hp.rope_freq_base_swa;
      attention.window = c.hp.sliding_window;
    } else {
      attention.rope_freq_base = c.hp.rope_freq_base;
    }
    attention_block(c, il, c.w.layers[il].attn, attention);
    ffn_block(c, c.w.layers[il].ffn, FfnActivation::gelu_tanh_fp16);
  }
  output_logits(c, logits, all_positions);
}

}  // namespace

extern const Architecture kGemma3Architecture{"gemma3", read_hparams, load_weights, forward};

}  // namespace edgenode::engine

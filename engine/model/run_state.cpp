#include "engine/model/run_state.h"

#include <algorithm>
#include <new>

namespace edgenode::engine {

RunState::RunState(const HParams& hp, int n_ctx_, int max_batch_, int n_threads, int n_slots_)
    : n_ctx(n_ctx_),
      max_batch(max_batch_),
      n_slots(n_slots_),
      qkv_stride(hp.q_dim() + 2 * hp.kv_dim()),
      ffn_stride(2 * hp.n_ff),
      n_layer(hp.n_layer),
      head_dim(hp.head_dim),
      n_head_kv(hp.n_head_kv),
      group(hp.n_head / hp.n_head_kv) {
  const size_t b = static_cast<size_t>(max_batch);
  max_cols = std::max({hp.n_embd, hp.q_dim(), hp.n_ff});
  x.resize(b * hp.n_embd);
  xb.resize(b * hp.n_embd);
  xb2.resize(b * hp.n_embd);
  qkv.resize(b * qkv_stride);
  att.resize(b * hp.q_dim());
  gate_up.resize(b * ffn_stride);
  hidden.resize(b * hp.n_ff);
  xq.resize(b * ((max_cols + kernels::kQ8BlockSize - 1) / kernels::kQ8BlockSize));
  x_fp16.resize(b * max_cols);
  scores.resize(static_cast<size_t>(n_threads) * group * kernels::kAttentionChunk);
  att_scratch.resize(static_cast<size_t>(n_threads) * group * (hp.head_dim + 4));
  max_chunks = n_ctx / kernels::kAttentionChunk + 2;  // a range not starting on a chunk boundary spans one more
  att_part_values.resize(static_cast<size_t>(hp.n_head) * max_chunks * hp.head_dim);
  att_part_stats.resize(static_cast<size_t>(hp.n_head) * max_chunks * 2);
  own_row.resize(static_cast<size_t>(n_threads) * max_cols);
  own_xq.resize(static_cast<size_t>(n_threads) * (max_cols / kernels::kQ8BlockSize));
  rope_angles.resize((b + n_threads) * hp.n_rot);
  rope_keys.resize(n_threads);
  noted.reserve(2 * static_cast<size_t>(hp.n_layer));
  positions.resize(b);
  slots.resize(b);
  const size_t cache = static_cast<size_t>(n_slots) * hp.n_layer * hp.kv_dim() * n_ctx;
  key_cache = kernels::HugePageBuffer::allocate(cache * sizeof(float));
  value_cache = kernels::HugePageBuffer::allocate(cache * sizeof(float));
  if (!key_cache.data() || !value_cache.data()) throw std::bad_alloc();
}

kernels::AttentionPart RunState::attention_part(int kv_head, int chunk) {
  const size_t part = static_cast<size_t>(kv_head) * max_chunks + chunk;
  float* stats = att_part_stats.data() + part * 2 * group;
  return {att_part_values.data() + part * group * head_dim, stats, stats + group};
}

}  // namespace edgenode::engine

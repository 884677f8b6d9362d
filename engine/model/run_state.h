// Scratch memory for the forward pass and the KV cache, allocated once when the model is
// loaded: the forward pass itself allocates nothing.
#pragma once

#include <vector>

#include "engine/model/block_options.h"
#include "engine/model/hparams.h"
#include "kernels/huge_pages.h"
#include "kernels/kernels.h"

namespace edgenode::engine {

struct AttentionWeights;
struct FfnWeights;

// A decode step's block noted for the pool job that runs them all (decode_step.h): an attention
// block when attention is set, otherwise a feed-forward block.
struct NotedBlock {
  const AttentionWeights* attention;
  int layer;
  AttentionOptions options;
  const FfnWeights* ffn;
  FfnActivation activation;
};

struct RunState {
  RunState(const HParams& hp, int n_ctx, int max_batch, int n_threads, int n_slots);

  int n_ctx;       // positions the KV cache of one sequence holds
  int max_batch;   // tokens one forward call processes at most
  int n_slots;     // sequences with a KV cache of their own (served at once)
  int qkv_stride;  // q_dim + 2*kv_dim: q, k and v of one token side by side
  int ffn_stride;  // 2*n_ff: gate and up of one token side by side

  std::vector<float> x;        // (max_batch, n_embd) residual stream
  std::vector<float> xb;       // (max_batch, n_embd) normed input of a block
  std::vector<float> xb2;      // (max_batch, n_embd) output of a block
  std::vector<float> qkv;      // (max_batch, qkv_stride)
  std::vector<float> att;      // (max_batch, q_dim) attention output
  std::vector<float> gate_up;  // (max_batch, ffn_stride)
  std::vector<float> hidden;   // (max_batch, n_ff) activation(gate) * up
  std::vector<kernels::Q8Block> xq;  // (max_batch, max_cols/32) activations quantized for a matmul
  std::vector<float> x_fp16;   // (max_batch, max_cols) activations rounded to fp16 (F16 weights)
  // Attention scratch, one row per thread: scores of a KV head's query heads over a chunk
  // of positions, and a chunk's part while a whole range is merged (kernels::attention).
  std::vector<float> scores;       // (n_threads, group * kAttentionChunk)
  std::vector<float> att_scratch;  // (n_threads, group * (head_dim + 4))
  // A single token's input as each thread normalises and quantizes it for itself (a decode
  // step run as one pool job, decode_step.cpp).
  int max_cols;                          // the widest input of a matrix product
  std::vector<float> own_row;            // (n_threads, max_cols)
  std::vector<kernels::Q8Block> own_xq;  // (n_threads, max_cols/32)
  // A decode step's attention, its chunks spread over the threads: each (KV head, chunk)'s
  // part, merged afterwards by every thread that needs the whole result.
  int max_chunks;                      // chunks a range of the KV cache spans at most
  std::vector<float> att_part_values;  // (n_head_kv, max_chunks, group, head_dim)
  std::vector<float> att_part_stats;   // (n_head_kv, max_chunks, 2, group): max then sum
  kernels::AttentionPart attention_part(int kv_head, int chunk);
  // RoPE's cos and sin of each rotated pair (kernels::rope_angles): rows [0, max_batch) for
  // the tokens of a prompt, then one per thread for a decode step, kept with the position and
  // frequencies they were computed for: every layer that shares them reuses the row.
  struct RopeAnglesKey {
    int pos = -1;
    float freq_base = 0.0f;
    const float* freq_factors = nullptr;
  };
  std::vector<float> rope_angles;            // (max_batch + n_threads, n_rot)
  std::vector<RopeAnglesKey> rope_keys;      // (n_threads)
  std::vector<NotedBlock> noted;  // capacity 2 * n_layer, reserved: noting never allocates
  std::vector<int> positions;  // (max_batch) position of each row of a forward call
  std::vector<int> slots;      // (max_batch) sequence (KV-cache slot) of each row

  // KV cache, F32: (n_slots, n_layer, n_head_kv, n_ctx, head_dim) each, so one KV head's
  // positions are contiguous and heads of a group read them as a block.
  // In huge pages, as the weights: a decode step reads a few KB of every (layer, KV head)
  // region, 2 MB or more apart, and with 4 KB pages nearly each read was a TLB miss.
  kernels::HugePageBuffer key_cache;
  kernels::HugePageBuffer value_cache;
  int n_layer;
  int head_dim;
  int n_head_kv;
  int group;  // query heads per KV head

  float* keys(int slot, int layer, int kv_head) { return cache_at(key_cache, slot, layer, kv_head); }
  float* values(int slot, int layer, int kv_head) { return cache_at(value_cache, slot, layer, kv_head); }

 private:
  float* cache_at(const kernels::HugePageBuffer& cache, int slot, int layer, int kv_head) const {
    const size_t offset = ((static_cast<size_t>(slot) * n_layer + layer) * n_head_kv + kv_head) * n_ctx * head_dim;
    return reinterpret_cast<float*>(cache.data()) + offset;
  }
};

}  // namespace edgenode::engine

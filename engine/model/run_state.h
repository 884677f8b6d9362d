// Scratch memory for the forward pass and the KV cache, allocated once when the model is
// loaded: the forward pass itself allocates nothing.
#pragma once

#include <vector>

#include "engine/model/hparams.h"
#include "kernels/kernels.h"

namespace edgenode::engine {

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
  std::vector<float> scores;   // (n_threads, n_ctx) attention scores, one row per thread
  // A single token's input as each thread normalises and quantizes it for itself (a decode
  // step run as one pool job per block, blocks.cpp).
  int max_cols;                          // the widest input of a matrix product
  std::vector<float> own_row;            // (n_threads, max_cols)
  std::vector<kernels::Q8Block> own_xq;  // (n_threads, max_cols/32)
  std::vector<int> positions;  // (max_batch) position of each row of a forward call
  std::vector<int> slots;      // (max_batch) sequence (KV-cache slot) of each row

  // KV cache, F32: (n_slots, n_layer, n_head_kv, n_ctx, head_dim) each, so one KV head's
  // positions are contiguous and heads of a group read them as a block.
  std::vector<float> key_cache;
  std::vector<float> value_cache;
  int n_layer;
  int head_dim;
  int n_head_kv;

  float* keys(int slot, int layer, int kv_head) { return key_cache.data() + cache_offset(slot, layer, kv_head); }
  float* values(int slot, int layer, int kv_head) { return value_cache.data() + cache_offset(slot, layer, kv_head); }

 private:
  size_t cache_offset(int slot, int layer, int kv_head) const {
    return ((static_cast<size_t>(slot) * n_layer + layer) * n_head_kv + kv_head) * n_ctx * head_dim;
  }
};

}  // namespace edgenode::engine

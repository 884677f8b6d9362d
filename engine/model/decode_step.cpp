// A decode step of one token, all its blocks one pool job.
//
// Every thread normalises and quantizes the block's input row itself, computes its own
// slices of the packed matrices and the element-wise work on its own rows, and meets the
// others at pool.barrier() only where a phase needs every row of the one before (q, k, v
// before attention; all heads before wo; gate and up before down; all of x before the next
// block). No thread waits while another does a serial step, and the step costs one dispatch.
#include "engine/model/decode_step.h"

#include <algorithm>

#include "engine/model/block_parts.h"

namespace edgenode::engine {

using kernels::kQ8BlockSize;
using kernels::Q8Block;

namespace {

// A decode step's RoPE angles on this thread: computed by the first layer, which the others
// that share its frequencies reuse (the angles cost more than the rotations).
const float* own_rope_angles(ForwardContext& c, int thread, const AttentionOptions& o) {
  const HParams& hp = c.hp;
  RunState& s = c.s;
  float* cos_sin = s.rope_angles.data() + static_cast<size_t>(s.max_batch + thread) * hp.n_rot;
  RunState::RopeAnglesKey& key = s.rope_keys[thread];
  const int p = s.positions[0];
  if (key.pos != p || key.freq_base != o.rope_freq_base || key.freq_factors != o.rope_freq_factors) {
    kernels::rope_angles(p, hp.n_rot, o.rope_freq_base, hp.rope_freq_scale, o.rope_freq_factors, cos_sin);
    key = {p, o.rope_freq_base, o.rope_freq_factors};
  }
  return cos_sin;
}

bool runs_packed(const Matrix& m) { return !m.present() || !m.packed_slices.empty(); }

// x (cols floats), RMS-normalised with norm when it is set, quantized into this thread's scratch.
const Q8Block* own_input(ForwardContext& c, int thread, const float* x, const float* norm, int cols) {
  RunState& s = c.s;
  if (norm) {
    float* normed = s.own_row.data() + static_cast<size_t>(thread) * s.max_cols;
    kernels::rmsnorm(x, norm, normed, cols, c.hp.rms_eps);
    x = normed;
  }
  Q8Block* xq = s.own_xq.data() + static_cast<size_t>(thread) * (s.max_cols / kQ8BlockSize);
  kernels::best().quantize_row_q8(x, xq, cols);
  return xq;
}

// This thread's rows of out = w · x for one token; returns them.
RowRange own_product(const Matrix& w, const Q8Block* xq, float* out, int thread, int n_threads) {
  const RowRange r = thread_rows(w.rows, thread, n_threads);
  if (r.begin < r.end)
    kernels::best().matmul_packed_q8(w.packed_slices[thread], xq, out + r.begin, r.end - r.begin,
                                     w.cols / kQ8BlockSize, 1, 0, 0, r.end - r.begin);
  return r;
}

// A decode step's cached range [begin, end) in attention chunks: chunk i covers
// [max(begin, (first + i) * K), min(end, (first + i + 1) * K)) with K = kAttentionChunk.
struct KvChunks {
  int begin, end, first, count;
  RowRange range(int i) const {
    constexpr int K = kernels::kAttentionChunk;
    return {std::max(begin, (first + i) * K), std::min(end, (first + i + 1) * K)};
  }
};

KvChunks kv_chunks(const ForwardContext& c, int window) {
  const int p = c.s.positions[0];
  const int begin = window > 0 ? std::max(0, p - window + 1) : 0;
  const int first = begin / kernels::kAttentionChunk;
  return {begin, p + 1, first, p / kernels::kAttentionChunk - first + 1};
}

// This thread's share of a decode step's attention: the (KV head, chunk, query head) units,
// KV head by KV head and chunk by chunk, dealt in contiguous runs of about equal positions.
// A thread reads the cache of one or two KV heads, each chunk of it once (at most the chunk
// where its run starts or ends is read by two threads); a head's part is the same whichever
// thread computes it.
void attend_own_chunks(ForwardContext& c, int layer, const KvChunks& chunks, float scale, int thread, int n_threads) {
  const HParams& hp = c.hp;
  RunState& s = c.s;
  const int slot = s.slots[0], span = chunks.end - chunks.begin, group = s.group;
  const int64_t total = static_cast<int64_t>(hp.n_head_kv) * span * group;
  auto owner = [&](int64_t start) { return static_cast<int>(start * n_threads / total); };
  float* scores = s.scores.data() + static_cast<size_t>(thread) * group * kernels::kAttentionChunk;
  for (int g = 0; g < hp.n_head_kv; ++g) {
    for (int i = 0; i < chunks.count; ++i) {
      const RowRange r = chunks.range(i);
      const int rows = r.end - r.begin;
      const int64_t first_unit = (static_cast<int64_t>(g) * span + (r.begin - chunks.begin)) * group;
      int h0 = 0;
      while (h0 < group && owner(first_unit + static_cast<int64_t>(h0) * rows) < thread) ++h0;
      int h1 = h0;
      while (h1 < group && owner(first_unit + static_cast<int64_t>(h1) * rows) == thread) ++h1;
      if (h0 == h1) continue;
      const kernels::AttentionPart part = s.attention_part(g, i);
      const float* q = s.qkv.data() + static_cast<size_t>(g * group + h0) * hp.head_dim;
      kernels::attention_chunk(q, h1 - h0, s.keys(slot, layer, g), s.values(slot, layer, g), hp.head_dim, r.begin,
                               r.end, scale, scores,
                               {part.out + static_cast<size_t>(h0) * hp.head_dim, part.max + h0, part.sum + h0});
    }
  }
}

// Every query head's attention output, merged from the parts of all threads into this
// thread's scratch row: each thread needs all of it for its rows of wo, and merging it
// itself costs less than another barrier.
const float* merge_chunks(ForwardContext& c, const KvChunks& chunks, int thread) {
  RunState& s = c.s;
  const int hd = c.hp.head_dim;
  float* out = s.own_row.data() + static_cast<size_t>(thread) * s.max_cols;
  float* stats = s.att_scratch.data() + static_cast<size_t>(thread) * s.group * (hd + 4);
  for (int g = 0; g < c.hp.n_head_kv; ++g) {
    const kernels::AttentionPart acc{out + static_cast<size_t>(g) * s.group * hd, stats, stats + s.group};
    for (int i = 0; i < chunks.count; ++i) kernels::attention_merge(acc, s.attention_part(g, i), i == 0, s.group, hd);
    kernels::attention_normalize(acc, s.group, hd, acc.out);
  }
  return out;
}

// This thread's slice of m less what the product before it reads ahead itself (slices follow
// each other in decode order, and a product requests kPackedPrefetchBytes past its own): what
// the thread reads ahead while it waits at the barriers before m's product.
kernels::ThreadPool::ReadAhead rest_of_own_slice(const Matrix& m, int thread, int n_threads) {
  if (m.packed_slices.empty()) return {};
  const RowRange r = thread_rows(m.rows, thread, n_threads);
  const char* slice = reinterpret_cast<const char*>(m.packed_slices[thread]);
  const size_t bytes = kernels::best().packed_q8_bytes(r.end - r.begin, m.cols / kQ8BlockSize);
  if (bytes <= kernels::kPackedPrefetchBytes) return {};
  return {slice + kernels::kPackedPrefetchBytes, slice + bytes};
}

// Whether a thread can finish the rows of q, k and v it has just computed without waiting
// for the others: finish_qkv_heads's work goes value by value when there are no per-head
// norms, RoPE pairs are adjacent (a thread's rows start and end on panel boundaries, never
// inside a pair), and q, k and v come from matrices of their own. Measured token by token
// against finishing by heads after a barrier: at ~100 GB/s for two threads, where a barrier
// costs most, 0.5-3.3 % less time per step; at ~57 GB/s the same.
bool finishes_by_rows(const AttentionWeights& w, const AttentionOptions& o) {
  return !w.q_norm && !w.k_norm && o.rope_mode == kernels::RopeMode::norm && !w.wqkv.present();
}

// Rows r of one of a decode step's q, k or v (x, heads of head_dim values) with its bias,
// then, when rotated, RoPE and the attention factor on the rotated dimensions.
void finish_rows(const HParams& hp, float* x, const float* bias, RowRange r, const float* cos_sin) {
  if (bias)
    for (int j = r.begin; j < r.end; ++j) x[j] += bias[j];
  if (!cos_sin) return;
  kernels::rope_rotate_norm_range(x, r.begin, r.end, hp.head_dim, hp.n_rot, cos_sin);
  if (hp.rope_attn_factor != 1.0f)
    for (int j = r.begin; j < r.end; ++j)
      if (j % hp.head_dim < hp.n_rot) x[j] *= hp.rope_attn_factor;
}

// Rows r of a decode step's k or v into the layer's cache (keys or values) at its position.
void store_rows(RunState& s, int layer, const float* x, RowRange r, float* (RunState::*cache)(int, int, int)) {
  const int p = s.positions[0], hd = s.head_dim;
  for (int j = r.begin; j < r.end;) {
    const int g = j / hd, n = std::min(r.end, (g + 1) * hd) - j;
    std::copy_n(x + j, n, (s.*cache)(s.slots[0], layer, g) + static_cast<size_t>(p) * hd + j % hd);
    j += n;
  }
}

// finish_qkv_heads's work on this thread's rows rq, rk, rv (when finishes_by_rows): the same
// operations on every value, so the same bits.
void finish_own_rows(ForwardContext& c, int layer, const AttentionWeights& w, const AttentionOptions& o,
                     const float* cos_sin, RowRange rq, RowRange rk, RowRange rv) {
  const HParams& hp = c.hp;
  RunState& s = c.s;
  float* q = s.qkv.data();
  float* k = q + hp.q_dim();
  float* v = k + hp.kv_dim();
  finish_rows(hp, q, w.bq, rq, cos_sin);
  finish_rows(hp, k, w.bk, rk, cos_sin);
  finish_rows(hp, v, w.bv, rv, nullptr);
  if (o.scale_q_before) {
    const float q_scale = query_key_scale(hp);
    for (int j = rq.begin; j < rq.end; ++j) q[j] *= q_scale;
  }
  store_rows(s, layer, k, rk, &RunState::keys);
  store_rows(s, layer, v, rv, &RunState::values);
}

void run_attention_step(ForwardContext& c, const NotedBlock& block, int thread, int n_threads) {
  const AttentionWeights& w = *block.attention;
  const AttentionOptions& o = block.options;
  const HParams& hp = c.hp;
  RunState& s = c.s;
  float* qkv = s.qkv.data();
  const Q8Block* xq = own_input(c, thread, s.x.data(), w.norm, hp.n_embd);
  const float* cos_sin = own_rope_angles(c, thread, o);
  kernels::ThreadPool::ReadAhead wo = rest_of_own_slice(w.wo, thread, n_threads);
  if (finishes_by_rows(w, o)) {
    const RowRange rq = own_product(w.wq, xq, qkv, thread, n_threads);
    const RowRange rk = own_product(w.wk, xq, qkv + hp.q_dim(), thread, n_threads);
    const RowRange rv = own_product(w.wv, xq, qkv + hp.q_dim() + hp.kv_dim(), thread, n_threads);
    finish_own_rows(c, block.layer, w, o, cos_sin, rq, rk, rv);
  } else {
    if (w.wqkv.present()) {
      own_product(w.wqkv, xq, qkv, thread, n_threads);
    } else {
      own_product(w.wq, xq, qkv, thread, n_threads);
      own_product(w.wk, xq, qkv + hp.q_dim(), thread, n_threads);
      own_product(w.wv, xq, qkv + hp.q_dim() + hp.kv_dim(), thread, n_threads);
    }
    c.pool.barrier(&wo);
    // Per-head work (norms, NEOX pairs), split by heads: no thread waits for another to do
    // it alone.
    const int qk_heads = hp.n_head + hp.n_head_kv;
    finish_qkv_heads(c, block.layer, w, o, 0, thread * qk_heads / n_threads, (thread + 1) * qk_heads / n_threads,
                     cos_sin);
  }
  c.pool.barrier(&wo);
  const KvChunks chunks = kv_chunks(c, o.window);
  attend_own_chunks(c, block.layer, chunks, attention_scale(hp, o), thread, n_threads);
  c.pool.barrier(&wo);
  const Q8Block* att = own_input(c, thread, merge_chunks(c, chunks, thread), nullptr, hp.q_dim());
  const RowRange r = own_product(w.wo, att, s.xb2.data(), thread, n_threads);
  add_residual_rows(&c, 0, r.begin, r.end);
}

void run_ffn_step(ForwardContext& c, const NotedBlock& block, int thread, int n_threads) {
  const FfnWeights& w = *block.ffn;
  const HParams& hp = c.hp;
  RunState& s = c.s;
  const Q8Block* xq = own_input(c, thread, s.x.data(), w.norm, hp.n_embd);
  own_product(w.gate, xq, s.gate_up.data(), thread, n_threads);
  const RowRange r = own_product(w.up, xq, s.gate_up.data() + hp.n_ff, thread, n_threads);
  FfnActivationRows act{s.gate_up.data(), s.ffn_stride, s.hidden.data(), hp.n_ff, block.activation};
  activate_rows(&act, 0, r.begin, r.end);
  kernels::ThreadPool::ReadAhead down = rest_of_own_slice(w.down, thread, n_threads);
  c.pool.barrier(&down);
  const Q8Block* hidden = own_input(c, thread, s.hidden.data(), nullptr, hp.n_ff);
  const RowRange out = own_product(w.down, hidden, s.xb2.data(), thread, n_threads);
  add_residual_rows(&c, 0, out.begin, out.end);
}

// Every noted block in order, each starting once all threads are done with the one before
// (a block reads all of x, which the block before wrote a slice of per thread).
void run_noted_job(void* ctx, int thread, int n_threads) {
  ForwardContext& c = *static_cast<ForwardContext*>(ctx);
  for (size_t i = 0; i < c.s.noted.size(); ++i) {
    const NotedBlock& block = c.s.noted[i];
    if (i > 0) {
      const AttentionWeights* a = block.attention;
      const Matrix& first = a ? (a->wqkv.present() ? a->wqkv : a->wq) : block.ffn->gate;
      kernels::ThreadPool::ReadAhead ahead = rest_of_own_slice(first, thread, n_threads);
      c.pool.barrier(&ahead);
    }
    if (block.attention)
      run_attention_step(c, block, thread, n_threads);
    else
      run_ffn_step(c, block, thread, n_threads);
  }
}

}  // namespace

bool joins_decode_step(const ForwardContext& c, const AttentionWeights& w) {
  return c.n == 1 && !w.post_norm && runs_packed(w.wq) && runs_packed(w.wk) && runs_packed(w.wv) &&
         runs_packed(w.wqkv) && w.wo.present() && runs_packed(w.wo);
}

bool joins_decode_step(const ForwardContext& c, const FfnWeights& w) {
  return c.n == 1 && !w.post_norm && w.gate.present() && runs_packed(w.gate) && runs_packed(w.up) &&
         runs_packed(w.down);
}

// One dispatch for a decode step's blocks instead of two per layer, and a barrier between
// blocks instead of the end of one job and the start of the next: 1.2 % less time per step
// at 2 threads than a job per block.
void run_noted_blocks(ForwardContext& c) {
  if (c.s.noted.empty()) return;
  c.pool.run(run_noted_job, &c);
  c.s.noted.clear();
}

}  // namespace edgenode::engine

#include "engine/model/blocks.h"

#include <algorithm>
#include <cmath>

#include "engine/model/block_parts.h"
#include "engine/model/decode_step.h"

namespace edgenode::engine {

using kernels::kQ8BlockSize;
using kernels::Q8Block;

namespace {

// Row ranges handed to threads start on a multiple of this, so kernels that work on several
// rows at once see whole tiles and threads do not share cache lines of the output.
constexpr int kRowAlign = 16;

struct Q8ProjectionJob {
  const Projection* projections;
  int count;
  int total_rows;
  const Q8Block* xq;
  int nblocks;
  int n_tokens;
  const RowEpilogue* epilogue;  // applied by each thread to its rows, or null
};

// Packed matrices: each thread its own slice of every matrix (laid out for it at load).
// Row-major ones: the rows of all matrices of the call as one range, split evenly.
void run_q8_projection_rows(void* ctx, int thread, int n_threads) {
  const auto& job = *static_cast<const Q8ProjectionJob*>(ctx);
  const auto& k = kernels::best();
  const int per_thread = (job.total_rows + n_threads - 1) / n_threads;
  const int chunk = (per_thread + kRowAlign - 1) / kRowAlign * kRowAlign;
  const int begin = std::min(job.total_rows, thread * chunk);
  const int end = std::min(job.total_rows, begin + chunk);
  int offset = 0;  // first row of the current matrix in the combined row range
  for (int i = 0; i < job.count; ++i) {
    const Projection& p = job.projections[i];
    const int rows = p.w->rows;
    if (!p.w->packed_slices.empty()) {
      const RowRange r = thread_rows(rows, thread, n_threads);
      if (r.begin < r.end)
        k.matmul_packed_q8(p.w->packed_slices[thread], job.xq, p.out + r.begin, r.end - r.begin, job.nblocks,
                           job.n_tokens, p.ldy, 0, r.end - r.begin);
    } else {
      const int b = std::max(begin, offset) - offset, e = std::min(end, offset + rows) - offset;
      if (b < e) {
        if (job.n_tokens == 1)
          k.matvec_q8(p.w->q8, job.xq, p.out, job.nblocks, b, e);
        else
          k.matmul_q8(p.w->q8, job.xq, p.out, job.nblocks, job.n_tokens, p.ldy, b, e);
      }
    }
    offset += rows;
  }
  if (job.epilogue) {
    const RowRange r = thread_rows(job.epilogue->rows, thread, n_threads);
    if (r.begin < r.end)
      for (int t = 0; t < job.n_tokens; ++t) job.epilogue->apply(job.epilogue->ctx, t, r.begin, r.end);
  }
}

void project_f32(ForwardContext& c, const float* x, int cols, const Projection& p) {
  const float* input = x;
  if (p.w->round_input_fp16) {
    float* rounded = c.s.x_fp16.data();
    for (size_t i = 0; i < static_cast<size_t>(c.n) * cols; ++i)
      rounded[i] = kernels::fp16_to_fp32(kernels::fp32_to_fp16(x[i]));
    input = rounded;
  }
  kernels::matmul_f32(p.w->f32, input, p.out, p.w->rows, cols, c.n, p.ldy);
}

}  // namespace

namespace {

void project_with(ForwardContext& c, const float* x, int cols, std::initializer_list<Projection> projections,
                  const RowEpilogue* epilogue) {
  Projection q8[8];
  int n_q8 = 0, q8_rows = 0;
  bool epilogue_in_job = epilogue != nullptr;
  for (const Projection& p : projections) {
    epilogue_in_job = epilogue_in_job && !p.w->packed_slices.empty() && p.w->rows == epilogue->rows;
    if (p.w->runs_q8()) {
      q8[n_q8++] = p;
      q8_rows += p.w->rows;
    } else {
      project_f32(c, x, cols, p);
    }
  }
  if (n_q8 > 0) {
    const auto& k = kernels::best();
    const int nblocks = cols / kQ8BlockSize;
    Q8Block* xq = c.s.xq.data();
    for_each_token(c, [&](int t) {
      k.quantize_row_q8(x + static_cast<size_t>(t) * cols, xq + static_cast<size_t>(t) * nblocks, cols);
    });
    Q8ProjectionJob job{q8, n_q8, q8_rows, xq, nblocks, c.n, epilogue_in_job ? epilogue : nullptr};
    c.pool.run(run_q8_projection_rows, &job);
  }
  if (epilogue && !epilogue_in_job)
    for_each_token(c, [&](int t) { epilogue->apply(epilogue->ctx, t, 0, epilogue->rows); });
}

}  // namespace

void project(ForwardContext& c, const float* x, int cols, std::initializer_list<Projection> projections) {
  project_with(c, x, cols, projections, nullptr);
}

void project_then(ForwardContext& c, const float* x, int cols, std::initializer_list<Projection> projections,
                  const RowEpilogue& epilogue) {
  project_with(c, x, cols, projections, &epilogue);
}

void embed(ForwardContext& c, std::span<const int32_t> tokens, float scale) {
  const int n_embd = c.hp.n_embd;
  for_each_token(c, [&](int t) {
    float* row = c.s.x.data() + static_cast<size_t>(t) * n_embd;
    c.w.token_embd.lookup(tokens[t], row);
    if (scale != 1.0f)
      for (int i = 0; i < n_embd; ++i) row[i] *= scale;
  });
}

namespace {

void add_bias(float* x, const float* bias, int n) {
  for (int i = 0; i < n; ++i) x[i] += bias[i];
}

void norm_heads(float* x, const float* w, int n_heads, int head_dim, float eps) {
  for (int h = 0; h < n_heads; ++h) kernels::rmsnorm(x + h * head_dim, w, x + h * head_dim, head_dim, eps);
}

void scale_rotated(float* x, int n_heads, int head_dim, int n_rot, float factor) {
  for (int h = 0; h < n_heads; ++h)
    for (int i = 0; i < n_rot; ++i) x[h * head_dim + i] *= factor;
}

}  // namespace

// ---- shared with the decode step: see block_parts.h ----

void add_residual_rows(void* ctx, int t, int begin, int end) {
  const ForwardContext& c = *static_cast<ForwardContext*>(ctx);
  const size_t row = static_cast<size_t>(t) * c.hp.n_embd;
  float* x = c.s.x.data() + row;
  const float* out = c.s.xb2.data() + row;
  for (int i = begin; i < end; ++i) x[i] += out[i];
}

void activate_rows(void* ctx, int t, int begin, int end) {
  const auto& a = *static_cast<const FfnActivationRows*>(ctx);
  const float* gate = a.gate_up + static_cast<size_t>(t) * a.stride;
  const float* up = gate + a.n_ff;
  float* h = a.hidden + static_cast<size_t>(t) * a.n_ff;
  std::copy(gate + begin, gate + end, h + begin);
  if (a.activation == FfnActivation::silu)
    kernels::silu(h + begin, end - begin);
  else
    kernels::gelu_tanh_fp16_table(h + begin, end - begin);
  for (int i = begin; i < end; ++i) h[i] *= up[i];
}

float query_key_scale(const HParams& hp) { return 1.0f / std::sqrt(static_cast<float>(hp.attention_scale_dim)); }

float attention_scale(const HParams& hp, const AttentionOptions& o) {
  return o.scale_q_before ? 1.0f : query_key_scale(hp);
}

void finish_qkv_heads(ForwardContext& c, int layer, const AttentionWeights& w, const AttentionOptions& o, int t,
                      int first, int last, const float* cos_sin) {
  const HParams& hp = c.hp;
  RunState& s = c.s;
  const int q_dim = hp.q_dim(), hd = hp.head_dim;
  float* q = s.qkv.data() + static_cast<size_t>(t) * s.qkv_stride;
  float* k = q + q_dim;
  float* v = k + hp.kv_dim();
  const int q_first = std::min(first, hp.n_head), q_last = std::min(last, hp.n_head);
  const int k_first = std::max(first, hp.n_head) - hp.n_head, k_last = std::max(last, hp.n_head) - hp.n_head;
  const int n_q = q_last - q_first, n_k = k_last - k_first;
  float* q_part = q + q_first * hd;
  float* k_part = k + k_first * hd;
  float* v_part = v + k_first * hd;
  if (w.bq) add_bias(q_part, w.bq + q_first * hd, n_q * hd);
  if (w.bk) add_bias(k_part, w.bk + k_first * hd, n_k * hd);
  if (w.bv) add_bias(v_part, w.bv + k_first * hd, n_k * hd);
  if (w.q_norm) norm_heads(q_part, w.q_norm, n_q, hd, hp.rms_eps);
  if (w.k_norm) norm_heads(k_part, w.k_norm, n_k, hd, hp.rms_eps);
  const int p = s.positions[t];
  // k's heads follow q's in the row: one call rotates both.
  kernels::rope_rotate(q + first * hd, last - first, hd, hp.n_rot, cos_sin, o.rope_mode);
  if (hp.rope_attn_factor != 1.0f)  // as ggml's rope: cos and sin scaled, rotated dims only
    scale_rotated(q + first * hd, last - first, hd, hp.n_rot, hp.rope_attn_factor);
  if (o.scale_q_before) {
    const float q_scale = query_key_scale(hp);
    for (int i = 0; i < n_q * hd; ++i) q_part[i] *= q_scale;
  }
  for (int g = k_first; g < k_last; ++g) {
    std::copy_n(k + g * hd, hd, s.keys(s.slots[t], layer, g) + static_cast<size_t>(p) * hd);
    std::copy_n(v + g * hd, hd, s.values(s.slots[t], layer, g) + static_cast<size_t>(p) * hd);
  }
}

namespace {

void add_residual(ForwardContext& c, const float* post_norm) {
  const int n_embd = c.hp.n_embd;
  for_each_token(c, [&](int t) {
    float* out = c.s.xb2.data() + static_cast<size_t>(t) * n_embd;
    if (post_norm) kernels::rmsnorm(out, post_norm, out, n_embd, c.hp.rms_eps);
    float* x = c.s.x.data() + static_cast<size_t>(t) * n_embd;
    for (int i = 0; i < n_embd; ++i) x[i] += out[i];
  });
}

// x (n rows of `cols` floats) times w into xb2, then added to the residual stream x.
void project_residual(ForwardContext& c, const float* x, int cols, const Matrix& w, const float* post_norm) {
  const Projection p{&w, c.s.xb2.data(), c.hp.n_embd};
  if (post_norm) {
    project(c, x, cols, {p});
    add_residual(c, post_norm);
    return;
  }
  project_then(c, x, cols, {p}, RowEpilogue{add_residual_rows, &c, c.hp.n_embd});
}

void norm_input(ForwardContext& c, const float* norm) {
  const int n_embd = c.hp.n_embd;
  for_each_token(c, [&](int t) {
    const size_t row = static_cast<size_t>(t) * n_embd;
    kernels::rmsnorm(c.s.x.data() + row, norm, c.s.xb.data() + row, n_embd, c.hp.rms_eps);
  });
}

struct AttentionJob {
  ForwardContext* c;
  int layer;
  int window;
  float scale;
};

// Tasks are (token, kv head) pairs, dealt round-robin so the longer causal rows of late
// tokens spread over all threads. When there are too few of them to share out evenly, every
// query head is a task of its own, dealt in contiguous runs so the heads of a KV head mostly
// stay on one thread and its cache is read once.
void run_attention_tasks(void* ctx, int thread, int n_threads) {
  const auto& job = *static_cast<const AttentionJob*>(ctx);
  ForwardContext& c = *job.c;
  const HParams& hp = c.hp;
  RunState& s = c.s;
  const int group = s.group;
  float* scores = s.scores.data() + static_cast<size_t>(thread) * group * kernels::kAttentionChunk;
  float* scratch = s.att_scratch.data() + static_cast<size_t>(thread) * group * (hp.head_dim + 4);
  const int parts = c.n * hp.n_head_kv < 2 * n_threads ? group : 1;  // pieces of a KV head's group
  const int heads_per_task = group / parts;
  const int tasks = c.n * hp.n_head_kv * parts;
  const int first = parts > 1 ? static_cast<int>(static_cast<int64_t>(thread) * tasks / n_threads) : thread;
  const int last = parts > 1 ? static_cast<int>(static_cast<int64_t>(thread + 1) * tasks / n_threads) : tasks;
  for (int task = first; task < last; task += parts > 1 ? 1 : n_threads) {
    const int t = task / (hp.n_head_kv * parts), g = task / parts % hp.n_head_kv;
    const int head = g * group + task % parts * heads_per_task;  // first query head of the task
    const int p = s.positions[t], slot = s.slots[t];
    const int kv_begin = job.window > 0 ? std::max(0, p - job.window + 1) : 0;
    const float* q = s.qkv.data() + static_cast<size_t>(t) * s.qkv_stride + head * hp.head_dim;
    float* out = s.att.data() + static_cast<size_t>(t) * hp.q_dim() + head * hp.head_dim;
    kernels::attention(q, heads_per_task, s.keys(slot, job.layer, g), s.values(slot, job.layer, g), hp.head_dim,
                       kv_begin, p + 1, job.scale, scores, scratch, out);
  }
}

void finish_qkv(ForwardContext& c, int layer, const AttentionWeights& w, const AttentionOptions& o, int t) {
  const HParams& hp = c.hp;
  float* cos_sin = c.s.rope_angles.data() + static_cast<size_t>(t) * hp.n_rot;
  kernels::rope_angles(c.s.positions[t], hp.n_rot, o.rope_freq_base, hp.rope_freq_scale, o.rope_freq_factors, cos_sin);
  finish_qkv_heads(c, layer, w, o, t, 0, hp.n_head + hp.n_head_kv, cos_sin);
}

}  // namespace

void attention_block(ForwardContext& c, int layer, const AttentionWeights& w, const AttentionOptions& o) {
  if (joins_decode_step(c, w)) {
    c.s.noted.push_back({&w, layer, o, nullptr, FfnActivation::silu});
    return;
  }
  run_noted_blocks(c);
  const HParams& hp = c.hp;
  RunState& s = c.s;
  const int q_dim = hp.q_dim(), kv_dim = hp.kv_dim();

  norm_input(c, w.norm);
  float* qkv = s.qkv.data();
  if (w.wqkv.present())
    project(c, s.xb.data(), hp.n_embd, {{&w.wqkv, qkv, s.qkv_stride}});
  else
    project(c, s.xb.data(), hp.n_embd,
            {{&w.wq, qkv, s.qkv_stride}, {&w.wk, qkv + q_dim, s.qkv_stride}, {&w.wv, qkv + q_dim + kv_dim, s.qkv_stride}});

  for_each_token(c, [&](int t) { finish_qkv(c, layer, w, o, t); });

  AttentionJob job{&c, layer, o.window, attention_scale(hp, o)};
  c.pool.run(run_attention_tasks, &job);

  project_residual(c, s.att.data(), q_dim, w.wo, w.post_norm);
}

void ffn_block(ForwardContext& c, const FfnWeights& w, FfnActivation activation) {
  if (joins_decode_step(c, w)) {
    c.s.noted.push_back({nullptr, 0, {}, &w, activation});
    return;
  }
  run_noted_blocks(c);
  const HParams& hp = c.hp;
  RunState& s = c.s;
  const int n_ff = hp.n_ff;

  norm_input(c, w.norm);
  float* gate_up = s.gate_up.data();
  FfnActivationRows act{gate_up, s.ffn_stride, s.hidden.data(), n_ff, activation};
  const RowEpilogue activate{activate_rows, &act, n_ff};
  if (w.gate_up.present())
    project_then(c, s.xb.data(), hp.n_embd, {{&w.gate_up, gate_up, s.ffn_stride}}, activate);
  else
    project_then(c, s.xb.data(), hp.n_embd, {{&w.gate, gate_up, s.ffn_stride}, {&w.up, gate_up + n_ff, s.ffn_stride}},
                 activate);

  project_residual(c, s.hidden.data(), n_ff, w.down, w.post_norm);
}

void output_logits(ForwardContext& c, float* logits, bool all_positions) {
  run_noted_blocks(c);
  if (!logits) return;  // an earlier batch of a longer prompt: only the KV cache matters
  const int n_embd = c.hp.n_embd, n_vocab = c.hp.n_vocab;
  if (all_positions) {
    norm_input(c, c.w.output_norm);
    project(c, c.s.xb.data(), n_embd, {{&c.w.output, logits, n_vocab}});
    return;
  }
  ForwardContext last = c;
  last.n = 1;
  const size_t row = static_cast<size_t>(c.n - 1) * n_embd;
  kernels::rmsnorm(c.s.x.data() + row, c.w.output_norm, c.s.xb.data(), n_embd, c.hp.rms_eps);
  project(last, c.s.xb.data(), n_embd, {{&c.w.output, logits, n_vocab}});
}

}  // namespace edgenode::engine

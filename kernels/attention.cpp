// Attention of one query position over cached positions, in chunks merged in order (kernels.h).
// The dot products, exponentials and weighted sums of values run on the best ISA's table.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/kernels.h"

namespace edgenode::kernels {

void attention_chunk(const float* q, int n_q, const float* k, const float* v, int head_dim, int begin, int end,
                     float scale, float* scores, const AttentionPart& part) {
  const KernelTable& kt = best();
  const int n = end - begin;
  const size_t first = static_cast<size_t>(begin) * head_dim;
  for (int h = 0; h < n_q; ++h) {
    float* s = scores + static_cast<size_t>(h) * kAttentionChunk;
    kt.dot_rows_f32(q + static_cast<size_t>(h) * head_dim, k + first, head_dim, n, head_dim, scale, s);
    part.sum[h] = static_cast<float>(kt.exp_shift_f32(s, n, &part.max[h]));
  }
  for (int h = 0; h < n_q; ++h)
    kt.weighted_rows_f32(scores + static_cast<size_t>(h) * kAttentionChunk, v + first, head_dim, n, head_dim,
                         part.out + static_cast<size_t>(h) * head_dim);
}

void attention_merge(const AttentionPart& acc, const AttentionPart& part, bool first, int n_q, int head_dim) {
  const size_t values = static_cast<size_t>(n_q) * head_dim;
  if (first) {
    std::copy_n(part.out, values, acc.out);
    std::copy_n(part.max, n_q, acc.max);
    std::copy_n(part.sum, n_q, acc.sum);
    return;
  }
  for (int h = 0; h < n_q; ++h) {
    const float max = std::max(acc.max[h], part.max[h]);
    const float a = std::exp(acc.max[h] - max), b = std::exp(part.max[h] - max);
    acc.max[h] = max;
    acc.sum[h] = acc.sum[h] * a + part.sum[h] * b;
    float* o = acc.out + static_cast<size_t>(h) * head_dim;
    const float* p = part.out + static_cast<size_t>(h) * head_dim;
    for (int i = 0; i < head_dim; ++i) o[i] = o[i] * a + p[i] * b;
  }
}

void attention_normalize(const AttentionPart& acc, int n_q, int head_dim, float* out) {
  for (int h = 0; h < n_q; ++h) {
    const float inv = 1.0f / acc.sum[h];
    const float* o = acc.out + static_cast<size_t>(h) * head_dim;
    float* y = out + static_cast<size_t>(h) * head_dim;
    for (int i = 0; i < head_dim; ++i) y[i] = o[i] * inv;
  }
}

void attention(const float* q, int n_q, const float* k, const float* v, int head_dim, int begin, int end,
               float scale, float* scores, float* scratch, float* out) {
  // The merged result accumulates in out and the scratch's first 2*n_q floats; the rest
  // holds each later chunk's part.
  float* values = scratch + 2 * n_q;
  const AttentionPart acc{out, scratch, scratch + n_q};
  const AttentionPart part{values, values + static_cast<size_t>(n_q) * head_dim,
                           values + static_cast<size_t>(n_q) * head_dim + n_q};
  for (int from = begin; from < end;) {
    const int to = std::min(end, (from / kAttentionChunk + 1) * kAttentionChunk);
    const bool first = from == begin;
    attention_chunk(q, n_q, k, v, head_dim, from, to, scale, scores, first ? acc : part);
    if (!first) attention_merge(acc, part, false, n_q, head_dim);
    from = to;
  }
  attention_normalize(acc, n_q, head_dim, out);
}

}  // namespace edgenode::kernels

// Attention of one query position over a window of cached positions, F32 throughout.
// Query head h reads kv head h / (n_head / n_head_kv) (grouped-query attention). The dot
// products and the weighted sum of values run on the best ISA's table.
#include <cstddef>

#include "kernels/kernels.h"

namespace edgenode::kernels {

void attention(const float* q, const float* k, const float* v, float* out, float* scores, int n_head,
               int n_head_kv, int head_dim, int kv_begin, int kv_end, float scale) {
  const int group = n_head / n_head_kv;
  const size_t kv_stride = static_cast<size_t>(n_head_kv) * head_dim;
  const int n_kv = kv_end - kv_begin;
  const KernelTable& kt = best();
  for (int h = 0; h < n_head; ++h) {
    const size_t kv_offset = static_cast<size_t>(h / group) * head_dim;
    const size_t first = static_cast<size_t>(kv_begin) * kv_stride + kv_offset;
    kt.dot_rows_f32(q + static_cast<size_t>(h) * head_dim, k + first, kv_stride, n_kv, head_dim, scale, scores);
    softmax(scores, n_kv);
    kt.weighted_rows_f32(scores, v + first, kv_stride, n_kv, head_dim, out + static_cast<size_t>(h) * head_dim);
  }
}

}  // namespace edgenode::kernels

// Attention of one query position over a window of cached positions, F32 throughout.
// Query head h reads kv head h / (n_head / n_head_kv) (grouped-query attention).
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
    const float* qh = q + static_cast<size_t>(h) * head_dim;
    const size_t kv_offset = static_cast<size_t>(h / group) * head_dim;
    for (int j = 0; j < n_kv; ++j) {
      scores[j] = kt.dot_f32(qh, k + (kv_begin + j) * kv_stride + kv_offset, head_dim) * scale;
    }
    softmax(scores, n_kv);
    float* oh = out + static_cast<size_t>(h) * head_dim;
    for (int d = 0; d < head_dim; ++d) oh[d] = 0.0f;
    for (int j = 0; j < n_kv; ++j) {
      const float* vj = v + (kv_begin + j) * kv_stride + kv_offset;
      const float s = scores[j];
      for (int d = 0; d < head_dim; ++d) oh[d] += s * vj[d];
    }
  }
}

}  // namespace edgenode::kernels

// Attention against a naive double-precision implementation, with grouped-query heads and a
// window that starts after position 0.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

void check_attention(int n_head, int n_head_kv, int head_dim, int kv_begin, int kv_end) {
  std::mt19937 rng(static_cast<unsigned>(n_head * 131 + kv_begin));
  std::normal_distribution<float> dist;
  const int kv_stride = n_head_kv * head_dim;
  std::vector<float> q(n_head * head_dim), k(kv_end * kv_stride), v(kv_end * kv_stride);
  for (auto* vec : {&q, &k, &v}) {
    for (auto& x : *vec) x = dist(rng);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<float> out(n_head * head_dim), scores(kv_end - kv_begin);
  attention(q.data(), k.data(), v.data(), out.data(), scores.data(), n_head, n_head_kv, head_dim, kv_begin, kv_end,
            scale);

  for (int h = 0; h < n_head; ++h) {
    const int kvh = h / (n_head / n_head_kv);
    std::vector<double> p(kv_end - kv_begin);
    double max = -1e300, sum = 0.0;
    for (int j = kv_begin; j < kv_end; ++j) {
      double s = 0.0;
      for (int d = 0; d < head_dim; ++d) s += static_cast<double>(q[h * head_dim + d]) * k[j * kv_stride + kvh * head_dim + d];
      p[j - kv_begin] = s * scale;
      max = std::fmax(max, p[j - kv_begin]);
    }
    for (double& x : p) sum += (x = std::exp(x - max));
    for (int d = 0; d < head_dim; ++d) {
      double o = 0.0;
      for (int j = kv_begin; j < kv_end; ++j) o += p[j - kv_begin] / sum * v[j * kv_stride + kvh * head_dim + d];
      ASSERT_NEAR(out[h * head_dim + d], o, 1e-5) << "head " << h << " dim " << d;
    }
  }
}

TEST(Attention, MultiHead) { check_attention(4, 4, 16, 0, 9); }
TEST(Attention, GroupedQuery) { check_attention(9, 3, 64, 0, 33); }
TEST(Attention, SlidingWindow) { check_attention(6, 2, 32, 20, 52); }
TEST(Attention, SinglePosition) { check_attention(2, 1, 8, 5, 6); }

}  // namespace
}  // namespace edgenode::kernels

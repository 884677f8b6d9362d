// Attention against a naive double-precision implementation over ranges of one or several
// chunks, and the chunked merge giving the same bits whichever way the chunks are computed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

struct Cache {
  std::vector<float> q, k, v;
};

Cache random_cache(int n_q, int head_dim, int positions, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  Cache c{std::vector<float>(n_q * head_dim), std::vector<float>(positions * head_dim),
          std::vector<float>(positions * head_dim)};
  for (auto* vec : {&c.q, &c.k, &c.v}) {
    for (auto& x : *vec) x = dist(rng);
  }
  return c;
}

std::vector<float> attend(const Cache& c, int n_q, int head_dim, int begin, int end, float scale) {
  std::vector<float> out(n_q * head_dim), scores(n_q * kAttentionChunk), scratch(n_q * (head_dim + 4));
  attention(c.q.data(), n_q, c.k.data(), c.v.data(), head_dim, begin, end, scale, scores.data(), scratch.data(),
            out.data());
  return out;
}

void check_attention(int n_q, int head_dim, int begin, int end) {
  const Cache c = random_cache(n_q, head_dim, end, static_cast<unsigned>(n_q * 131 + begin));
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const auto out = attend(c, n_q, head_dim, begin, end, scale);
  for (int h = 0; h < n_q; ++h) {
    std::vector<double> p(end - begin);
    double max = -1e300, sum = 0.0;
    for (int j = begin; j < end; ++j) {
      double s = 0.0;
      for (int d = 0; d < head_dim; ++d) s += static_cast<double>(c.q[h * head_dim + d]) * c.k[j * head_dim + d];
      p[j - begin] = s * scale;
      max = std::fmax(max, p[j - begin]);
    }
    for (double& x : p) sum += (x = std::exp(x - max));
    for (int d = 0; d < head_dim; ++d) {
      double o = 0.0;
      for (int j = begin; j < end; ++j) o += p[j - begin] / sum * c.v[j * head_dim + d];
      ASSERT_NEAR(out[h * head_dim + d], o, 1e-5) << "head " << h << " dim " << d;
    }
  }
}

TEST(Attention, OneHead) { check_attention(1, 16, 0, 9); }
TEST(Attention, GroupOfQueryHeads) { check_attention(3, 64, 0, 33); }
TEST(Attention, SlidingWindowStartsInsideAChunk) { check_attention(2, 32, 20, 52); }
TEST(Attention, SinglePosition) { check_attention(2, 8, 5, 6); }
TEST(Attention, SeveralChunks) { check_attention(3, 64, 0, 3 * kAttentionChunk + 17); }
TEST(Attention, SeveralChunksFromInsideOne) { check_attention(4, 128, 40, 2 * kAttentionChunk + 5); }

// A decode step computes a range's chunks on several threads and merges them afterwards;
// prompt processing computes them in one call. Both must give the same bits.
TEST(Attention, ChunksComputedApartMergeToTheSameBits) {
  const int n_q = 3, hd = 64, begin = 10, end = 4 * kAttentionChunk + 3;
  const Cache c = random_cache(n_q, hd, end, 99);
  const float scale = 0.125f;
  const auto whole = attend(c, n_q, hd, begin, end, scale);

  const int first = begin / kAttentionChunk, count = (end - 1) / kAttentionChunk - first + 1;
  std::vector<float> values(count * n_q * hd), stats(count * 2 * n_q), scores(n_q * kAttentionChunk);
  auto part = [&](int i) { return AttentionPart{&values[i * n_q * hd], &stats[i * 2 * n_q], &stats[i * 2 * n_q + n_q]}; };
  for (int i = count - 1; i >= 0; --i) {  // any order: each part stands alone
    const int from = std::max(begin, (first + i) * kAttentionChunk), to = std::min(end, (first + i + 1) * kAttentionChunk);
    attention_chunk(c.q.data(), n_q, c.k.data(), c.v.data(), hd, from, to, scale, scores.data(), part(i));
  }
  std::vector<float> out(n_q * hd), acc_stats(2 * n_q);
  const AttentionPart acc{out.data(), acc_stats.data(), acc_stats.data() + n_q};
  for (int i = 0; i < count; ++i) attention_merge(acc, part(i), i == 0, n_q, hd);
  attention_normalize(acc, n_q, hd, out.data());
  ASSERT_EQ(0, std::memcmp(out.data(), whole.data(), out.size() * sizeof(float)));
}

}  // namespace
}  // namespace edgenode::kernels

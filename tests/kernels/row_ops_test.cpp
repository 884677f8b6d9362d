// Row operations against direct formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

std::vector<float> random_floats(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST(RowOps, RmsnormScalesToUnitRms) {
  const auto x = random_floats(576, 1, 3.0f);
  const auto w = random_floats(576, 2);
  std::vector<float> y(576), yw(576);
  rmsnorm(x.data(), nullptr, y.data(), 576, 1e-5f);
  rmsnorm(x.data(), w.data(), yw.data(), 576, 1e-5f);
  double ss = 0.0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const double scale = 1.0 / std::sqrt(ss / 576 + 1e-5);
  for (int i = 0; i < 576; ++i) {
    EXPECT_NEAR(y[i], x[i] * scale, 1e-5);
    EXPECT_NEAR(yw[i], x[i] * scale * w[i], 1e-5);
  }
}

TEST(RowOps, SiluAndGelu) {
  auto x = random_floats(256, 4, 4.0f);
  auto s = x, g = x;
  silu(s.data(), 256);
  gelu_tanh(g.data(), 256);
  for (int i = 0; i < 256; ++i) {
    const double v = x[i];
    EXPECT_NEAR(s[i], v / (1.0 + std::exp(-v)), 1e-5);
    EXPECT_NEAR(g[i], 0.5 * v * (1.0 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))), 1e-5);
  }
}

TEST(RowOps, GeluTableRoundsThroughFp16) {
  std::vector<float> x = {-12.0f, -10.0f, -3.3f, -0.001f, 0.0f, 0.5f, 1.234567f, 9.99f, 10.0f, 25.5f};
  auto y = x;
  gelu_tanh_fp16_table(y.data(), static_cast<int>(y.size()));
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[8], 10.0f);
  EXPECT_EQ(y[9], 25.5f);
  for (size_t i = 2; i < 8; ++i) {
    float exact = fp16_to_fp32(fp32_to_fp16(x[i]));
    gelu_tanh(&exact, 1);
    EXPECT_EQ(y[i], fp16_to_fp32(fp32_to_fp16(exact))) << x[i];
  }
}

// rope_angles and rope_rotate against the textbook formula with double-precision angles.
void check_rope(RopeMode mode, int rot_dim, const float* factors) {
  const int n_heads = 3, head_dim = 64, pos = 37;
  const float base = 10000.0f, scale = 0.5f;
  const auto x = random_floats(n_heads * head_dim, 5);
  auto y = x;
  std::vector<float> cos_sin(rot_dim);
  rope_angles(pos, rot_dim, base, scale, factors, cos_sin.data());
  rope_rotate(y.data(), n_heads, head_dim, rot_dim, cos_sin.data(), mode);
  for (int h = 0; h < n_heads; ++h) {
    const float* xh = x.data() + h * head_dim;
    const float* yh = y.data() + h * head_dim;
    for (int i = 0; i < rot_dim / 2; ++i) {
      const double theta = pos * scale * std::pow(base, -2.0 * i / rot_dim) / (factors ? factors[i] : 1.0);
      const int a = mode == RopeMode::norm ? 2 * i : i;
      const int b = mode == RopeMode::norm ? 2 * i + 1 : i + rot_dim / 2;
      EXPECT_NEAR(yh[a], xh[a] * std::cos(theta) - xh[b] * std::sin(theta), 1e-4);
      EXPECT_NEAR(yh[b], xh[a] * std::sin(theta) + xh[b] * std::cos(theta), 1e-4);
    }
    for (int d = rot_dim; d < head_dim; ++d) EXPECT_EQ(yh[d], xh[d]);
  }
}

// Any split of a row into even pieces rotates to the same bits as the whole row.
TEST(RowOps, RopeNormInPiecesGivesTheSameBits) {
  const int n_heads = 3, head_dim = 64, rot_dim = 32;
  std::vector<float> cos_sin(rot_dim);
  rope_angles(37, rot_dim, 10000.0f, 0.5f, nullptr, cos_sin.data());
  auto whole = random_floats(n_heads * head_dim, 5);
  auto pieces = whole;
  rope_rotate(whole.data(), n_heads, head_dim, rot_dim, cos_sin.data(), RopeMode::norm);
  const int cuts[] = {0, 16, 38, 96, 150, n_heads * head_dim};
  for (int i = 0; i + 1 < 6; ++i)
    rope_rotate_norm_range(pieces.data(), cuts[i], cuts[i + 1], head_dim, rot_dim, cos_sin.data());
  EXPECT_EQ(pieces, whole);
}

TEST(RowOps, RopeNorm) { check_rope(RopeMode::norm, 64, nullptr); }
TEST(RowOps, RopeNeox) { check_rope(RopeMode::neox, 64, nullptr); }
TEST(RowOps, RopePartialRotationAndFactors) {
  std::vector<float> factors(16);
  for (int i = 0; i < 16; ++i) factors[i] = 1.0f + 0.25f * i;
  check_rope(RopeMode::neox, 32, factors.data());
  check_rope(RopeMode::norm, 32, factors.data());
}

TEST(RowOps, MatmulF32MatchesNaive) {
  const int rows = 33, cols = 70, tokens = 5, ldy = 40;
  const auto w = random_floats(rows * cols, 6), x = random_floats(tokens * cols, 7);
  std::vector<float> y(tokens * ldy, -7.0f);
  matmul_f32(w.data(), x.data(), y.data(), rows, cols, tokens, ldy);
  for (int t = 0; t < tokens; ++t) {
    for (int r = 0; r < rows; ++r) {
      double s = 0.0;
      for (int c = 0; c < cols; ++c) s += static_cast<double>(w[r * cols + c]) * x[t * cols + c];
      EXPECT_NEAR(y[t * ldy + r], s, 1e-4);
    }
    for (int r = rows; r < ldy; ++r) EXPECT_EQ(y[t * ldy + r], -7.0f);  // padding untouched
  }
}

TEST(Bandwidth, MeasuresAPlausibleRate) {
  // Any machine that runs this streams between a few hundred MB/s and a few TB/s.
  const double gbs = measure_read_bandwidth_gbs(2);
  EXPECT_GT(gbs, 0.2);
  EXPECT_LT(gbs, 5000.0);
}

}  // namespace
}  // namespace edgenode::kernels

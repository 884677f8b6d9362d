// Every ISA table this CPU can run against the scalar reference on the same random inputs:
// quantization and integer block sums bit-exact, so matvec/matmul results are identical too.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

std::vector<const KernelTable*> simd_tables() {
  const KernelTable* all[8];
  const int n = available(all, 8);
  return {all + 1, all + n};  // the first is the scalar reference itself
}

std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Weights may hold any int8 (-128 included); activations come from quantize, so within ±127.
std::vector<Q8Block> random_blocks(size_t n, std::mt19937& rng, int qmin) {
  std::uniform_int_distribution<int> q(qmin, 127);
  std::uniform_real_distribution<float> d(0.001f, 0.05f);
  std::vector<Q8Block> blocks(n);
  for (auto& b : blocks) {
    b.d = fp32_to_fp16(d(rng));
    for (auto& v : b.qs) v = static_cast<int8_t>(q(rng));
  }
  return blocks;
}

TEST(IsaParity, ScalarTableIsAlwaysFirst) {
  const KernelTable* all[8];
  ASSERT_GE(available(all, 8), 1);
  EXPECT_EQ(all[0]->isa, Isa::scalar);
  EXPECT_NE(isa_name(best().isa), nullptr);
}

TEST(IsaParity, QuantizeIsBitExact) {
  std::mt19937 rng(1);
  const KernelTable* all[8];
  available(all, 8);
  for (const int n : {32, 64, 576, 1536}) {
    std::vector<float> x = random_floats(n, rng, 3.0f);
    if (n >= 128) {
      // A block of zeros (amax 0, so id 0) and one whose amax is 127, so that id = 1 and
      // every value is an exact tie: rounding must be half-to-even everywhere.
      for (int i = 0; i < 32; ++i) x[32 + i] = 0.0f;
      for (int i = 0; i < 32; ++i) x[64 + i] = static_cast<float>(i - 16) + 0.5f;
      x[64] = 127.0f;
    }
    std::vector<Q8Block> ref(n / 32), got(n / 32);
    all[0]->quantize_row_q8(x.data(), ref.data(), n);
    for (const KernelTable* t : simd_tables()) {
      t->quantize_row_q8(x.data(), got.data(), n);
      for (int b = 0; b < n / 32; ++b) {
        ASSERT_EQ(ref[b].d, got[b].d) << isa_name(t->isa) << " block " << b;
        for (int i = 0; i < 32; ++i) ASSERT_EQ(ref[b].qs[i], got[b].qs[i]) << isa_name(t->isa) << " " << b << ":" << i;
      }
    }
    if (n >= 128) {
      EXPECT_EQ(ref[2].qs[1], -14);  // -14.5 rounds to even
      EXPECT_EQ(ref[2].qs[2], -14);  // -13.5 too
      EXPECT_EQ(ref[1].d, 0);
    }
  }
}

TEST(IsaParity, QuantizeFollowsTheFormula) {
  std::mt19937 rng(2);
  std::vector<float> x = random_floats(256, rng);
  for (const KernelTable* t : simd_tables()) {
    std::vector<Q8Block> q(8);
    t->quantize_row_q8(x.data(), q.data(), 256);
    for (int b = 0; b < 8; ++b) {
      float amax = 0.0f;
      for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(x[b * 32 + i]));
      EXPECT_EQ(q[b].d, fp32_to_fp16(amax / 127.0f));
      for (int i = 0; i < 32; ++i) {
        EXPECT_EQ(q[b].qs[i], static_cast<int8_t>(std::nearbyint(x[b * 32 + i] * (127.0f / amax))));
        EXPECT_LE(std::abs(q[b].qs[i]), 127);
      }
    }
  }
}

TEST(IsaParity, DotIsBitExact) {
  std::mt19937 rng(3);
  const KernelTable* all[8];
  available(all, 8);
  for (const int nblocks : {1, 2, 3, 18, 48}) {
    const auto a = random_blocks(nblocks, rng, -128);
    const auto b = random_blocks(nblocks, rng, -127);
    const float ref = all[0]->dot_q8(a.data(), b.data(), nblocks);
    for (const KernelTable* t : simd_tables()) EXPECT_EQ(ref, t->dot_q8(a.data(), b.data(), nblocks)) << isa_name(t->isa);
  }
}

TEST(IsaParity, ExtremeQuantsAreExact) {
  // Every product at its largest magnitude: the integer sum must not saturate anywhere.
  Q8Block w{}, x{};
  w.d = x.d = fp32_to_fp16(1.0f);
  for (int i = 0; i < 32; ++i) {
    w.qs[i] = i % 2 ? -128 : 127;
    x.qs[i] = i % 3 ? 127 : -127;
  }
  int32_t expected = 0;
  for (int i = 0; i < 32; ++i) expected += w.qs[i] * x.qs[i];
  const KernelTable* all[8];
  const int n = available(all, 8);
  for (int i = 0; i < n; ++i) EXPECT_EQ(all[i]->dot_q8(&w, &x, 1), static_cast<float>(expected)) << isa_name(all[i]->isa);
}

TEST(IsaParity, MatvecIsBitExactIncludingRowTails) {
  std::mt19937 rng(4);
  const KernelTable* all[8];
  available(all, 8);
  for (const int nblocks : {1, 3, 18}) {
    const int rows = 37;
    const auto w = random_blocks(static_cast<size_t>(rows) * nblocks, rng, -128);
    const auto x = random_blocks(nblocks, rng, -127);
    for (const auto& [begin, end] : {std::pair{0, rows}, std::pair{3, 22}, std::pair{5, 6}}) {
      std::vector<float> ref(rows, -1.0f);
      all[0]->matvec_q8(w.data(), x.data(), ref.data(), nblocks, begin, end);
      for (int r = begin; r < end; ++r) {
        ASSERT_EQ(ref[r], all[0]->dot_q8(w.data() + static_cast<size_t>(r) * nblocks, x.data(), nblocks));
      }
      for (const KernelTable* t : simd_tables()) {
        std::vector<float> got(rows, -1.0f);
        t->matvec_q8(w.data(), x.data(), got.data(), nblocks, begin, end);
        for (int r = 0; r < rows; ++r) ASSERT_EQ(ref[r], got[r]) << isa_name(t->isa) << " row " << r << " nblocks " << nblocks;
      }
    }
  }
}

TEST(IsaParity, MatmulIsBitExactForTokenAndRowTails) {
  std::mt19937 rng(5);
  const KernelTable* all[8];
  available(all, 8);
  struct Shape { int rows, nblocks, tokens, begin, end; };
  for (const Shape s : {Shape{40, 3, 1, 0, 40}, Shape{40, 5, 3, 1, 38}, Shape{53, 18, 19, 2, 53},
                        Shape{64, 2, 8, 0, 64}, Shape{35, 4, 130, 0, 35},
                        Shape{48, 7, 4, 0, 48}, Shape{50, 3, 13, 1, 50}}) {
    const auto w = random_blocks(static_cast<size_t>(s.rows) * s.nblocks, rng, -128);
    const auto x = random_blocks(static_cast<size_t>(s.tokens) * s.nblocks, rng, -127);
    const int ldy = s.rows + 3;
    std::vector<float> ref(static_cast<size_t>(ldy) * s.tokens, -1.0f);
    all[0]->matmul_q8(w.data(), x.data(), ref.data(), s.nblocks, s.tokens, ldy, s.begin, s.end);
    for (const KernelTable* t : simd_tables()) {
      std::vector<float> got(ref.size(), -1.0f);
      t->matmul_q8(w.data(), x.data(), got.data(), s.nblocks, s.tokens, ldy, s.begin, s.end);
      for (size_t i = 0; i < ref.size(); ++i) {
        ASSERT_EQ(ref[i], got[i]) << isa_name(t->isa) << " token " << i / ldy << " row " << i % ldy << " rows "
                                  << s.rows << " tokens " << s.tokens;
      }
    }
  }
}

// Tables with a packed layout: the packed product of any row range equals the scalar
// row-major product bit for bit, for one token (decode) and many (prompt), with rows that
// fill no whole panel and ranges that cut panels.
TEST(IsaParity, PackedMatmulIsBitExact) {
  std::mt19937 rng(6);
  const KernelTable* all[8];
  available(all, 8);
  int packed_tables = 0;
  struct Shape { int rows, nblocks, tokens, begin, end; };
  for (const Shape s : {Shape{64, 18, 1, 0, 64}, Shape{96, 18, 1, 32, 96}, Shape{87, 3, 1, 0, 87},
                        Shape{87, 3, 1, 5, 83}, Shape{87, 2, 13, 16, 87}, Shape{40, 5, 9, 3, 38},
                        Shape{12, 4, 2, 0, 12}, Shape{48, 48, 130, 0, 48}, Shape{33, 1, 4, 17, 33}}) {
    const auto w = random_blocks(static_cast<size_t>(s.rows) * s.nblocks, rng, -128);
    const auto x = random_blocks(static_cast<size_t>(s.tokens) * s.nblocks, rng, -127);
    const int ldy = s.rows + 3;
    std::vector<float> ref(static_cast<size_t>(ldy) * s.tokens, -1.0f);
    all[0]->matmul_q8(w.data(), x.data(), ref.data(), s.nblocks, s.tokens, ldy, s.begin, s.end);
    for (const KernelTable* t : simd_tables()) {
      if (!t->pack_q8) continue;
      ++packed_tables;
      const size_t bytes = t->packed_q8_bytes(s.rows, s.nblocks);
      ASSERT_EQ(bytes, w.size() * sizeof(Q8Block));
      std::vector<uint8_t> packed(bytes);
      t->pack_q8(w.data(), s.rows, s.nblocks, packed.data());
      std::vector<float> got(ref.size(), -1.0f);
      t->matmul_packed_q8(packed.data(), x.data(), got.data(), s.rows, s.nblocks, s.tokens, ldy, s.begin, s.end);
      for (size_t i = 0; i < ref.size(); ++i) {
        ASSERT_EQ(ref[i], got[i]) << isa_name(t->isa) << " token " << i / ldy << " row " << i % ldy << " rows "
                                  << s.rows << " range " << s.begin << "-" << s.end << " tokens " << s.tokens;
      }
    }
  }
  if (packed_tables == 0) GTEST_SKIP() << "no table with a packed layout on this CPU";
}

TEST(IsaParity, DotF32AgreesWithinRounding) {
  std::mt19937 rng(6);
  const KernelTable* all[8];
  available(all, 8);
  for (const int n : {1, 7, 64, 100, 1000}) {
    const auto a = random_floats(n, rng), b = random_floats(n, rng);
    double exact = 0.0, magnitude = 0.0;
    for (int i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];
      magnitude += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    const int count = available(all, 8);
    for (int i = 0; i < count; ++i) {
      EXPECT_NEAR(all[i]->dot_f32(a.data(), b.data(), n), exact, 1e-6 * magnitude + 1e-7) << isa_name(all[i]->isa);
    }
  }
}

TEST(IsaParity, AttentionRowKernelsAgreeWithinRounding) {
  std::mt19937 rng(8);
  const KernelTable* all[8];
  const int count = available(all, 8);
  for (const int n : {8, 15, 64, 80, 128}) {
    const int rows = 37;
    const size_t stride = static_cast<size_t>(n) + 5;
    const auto q = random_floats(n, rng), m = random_floats(rows * stride, rng), w = random_floats(rows, rng);
    for (int i = 0; i < count; ++i) {
      std::vector<float> scores(rows), out(n);
      all[i]->dot_rows_f32(q.data(), m.data(), stride, rows, n, 0.125f, scores.data());
      all[i]->weighted_rows_f32(w.data(), m.data(), stride, rows, n, out.data());
      for (int r = 0; r < rows; ++r) {
        double exact = 0.0, magnitude = 0.0;
        for (int c = 0; c < n; ++c) {
          exact += static_cast<double>(q[c]) * m[r * stride + c];
          magnitude += std::fabs(static_cast<double>(q[c]) * m[r * stride + c]);
        }
        EXPECT_NEAR(scores[r], 0.125 * exact, 0.125 * (1e-6 * magnitude + 1e-7)) << isa_name(all[i]->isa);
      }
      for (int c = 0; c < n; ++c) {
        double exact = 0.0, magnitude = 0.0;
        for (int r = 0; r < rows; ++r) {
          exact += static_cast<double>(w[r]) * m[r * stride + c];
          magnitude += std::fabs(static_cast<double>(w[r]) * m[r * stride + c]);
        }
        EXPECT_NEAR(out[c], exact, 1e-6 * magnitude + 1e-7) << isa_name(all[i]->isa) << " column " << c;
      }
    }
  }
}

TEST(IsaParity, ExpShiftAndSiluFollowTheFormulas) {
  std::mt19937 rng(9);
  const KernelTable* all[8];
  const int count = available(all, 8);
  for (const int n : {1, 7, 16, 37, 200}) {
    auto x = random_floats(n, rng, 6.0f);
    if (n > 1) x[0] = -INFINITY;  // a masked position
    if (n > 5) {
      x[3] = 95.0f;    // beyond exp's float range before the max is subtracted
      x[4] = -95.0f;
    }
    for (int i = 0; i < count; ++i) {
      auto s = x, a = x;
      float shift = 0.0f;
      const double exp_sum = all[i]->exp_shift_f32(s.data(), n, &shift);
      all[i]->silu_f32(a.data() + 1, n - 1);  // x[0] may be -inf, whose silu is not a number
      double max = -INFINITY, sum = 0.0;
      for (float v : x) max = std::fmax(max, v);
      for (float v : x) sum += std::exp(v - max);
      ASSERT_EQ(shift, max) << isa_name(all[i]->isa) << " n " << n;
      ASSERT_NEAR(exp_sum, sum, 1e-6 * sum) << isa_name(all[i]->isa) << " n " << n;
      for (int j = 0; j < n; ++j) {
        const double e = std::exp(x[j] - max);
        ASSERT_NEAR(s[j], e, 1e-6 * e + 1e-12) << isa_name(all[i]->isa) << " n " << n << " at " << j;
      }
      for (int j = 1; j < n; ++j) {
        const double v = x[j] / (1.0 + std::exp(-static_cast<double>(x[j])));
        ASSERT_NEAR(a[j], v, 1e-6 * std::fabs(v) + 1e-30) << isa_name(all[i]->isa) << " x " << x[j];
      }
    }
  }
}

TEST(IsaParity, DequantizeIsExact) {
  std::mt19937 rng(7);
  const auto q = random_blocks(4, rng, -128);
  std::vector<float> y(128);
  dequantize_row_q8(q.data(), y.data(), 128);
  for (int i = 0; i < 128; ++i) EXPECT_EQ(y[i], fp16_to_fp32(q[i / 32].d) * q[i / 32].qs[i % 32]);
}

}  // namespace
}  // namespace edgenode::kernels

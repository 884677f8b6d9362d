// Every weight type: floats quantized by the project's writer, read back through the reader
// and dequantized, land within the type's error bound; hand-made blocks with known bytes
// dequantize to known values (pins the byte layout to ggml's).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/gguf/dequantize.h"
#include "engine/gguf/gguf.h"
#include "engine/gguf/gguf_writer.h"
#include "kernels/kernels.h"

namespace edgenode::engine {
namespace {

struct TypeCase {
  GgmlType type;
  // Worst-case |error| allowed, as a fraction of the largest |x| in the row. The legacy
  // symmetric formats step by amax/levels with ggml's half-step rounding (plus the clamp of
  // the most negative level for Q4_0/Q5_0, one full step); the K formats step by the
  // sub-block range over their levels, with scales rounded up to 6 or 8 bits.
  double max_error;
};

class QuantRoundTrip : public ::testing::TestWithParam<TypeCase> {};

std::vector<float> gaussian_row(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = normal(rng);
  return x;
}

TEST_P(QuantRoundTrip, WriterReaderDequantizeWithinBound) {
  const auto [type, max_error] = GetParam();
  constexpr int64_t n = 512, rows = 3;
  std::vector<float> values;
  for (int r = 0; r < rows; ++r) {
    auto row = gaussian_row(n, 17 + r);
    values.insert(values.end(), row.begin(), row.end());
  }
  GgufWriter writer;
  ASSERT_TRUE(writer.add_tensor("w", type, {n, rows}, values.data()).ok());
  const auto bytes = writer.to_bytes().value();
  auto file = GgufFile::from_memory(bytes.data(), bytes.size());
  ASSERT_TRUE(file.ok()) << file.error().message;
  const GgufTensorInfo* t = file->tensor("w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->type, type);
  EXPECT_EQ(t->nbytes, row_bytes(type, n).value() * rows);

  double worst = 0.0, sum_sq = 0.0, amax = 0.0;
  std::vector<float> out(n);
  for (int64_t r = 0; r < rows; ++r) {
    ASSERT_TRUE(dequantize_row(type, t->data + r * t->row_bytes(), out.data(), n).ok());
    for (int64_t i = 0; i < n; ++i) {
      const double x = values[r * n + i];
      const double err = std::fabs(out[i] - x);
      worst = std::max(worst, err);
      sum_sq += err * err;
      amax = std::max(amax, std::fabs(x));
    }
  }
  EXPECT_LE(worst, max_error * amax) << type_name(type);
  // The error must also be small on average, not just bounded: RMS below a third of the bound.
  EXPECT_LE(std::sqrt(sum_sq / (n * rows)), max_error * amax / 3) << type_name(type);
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, QuantRoundTrip,
    ::testing::Values(TypeCase{GgmlType::F32, 0.0}, TypeCase{GgmlType::F16, 1.0 / 2048},
                      TypeCase{GgmlType::BF16, 1.0 / 256}, TypeCase{GgmlType::Q8_0, 1.0 / 127},
                      TypeCase{GgmlType::Q4_0, 1.0 / 8}, TypeCase{GgmlType::Q4_1, 1.0 / 15},
                      TypeCase{GgmlType::Q5_0, 1.0 / 16}, TypeCase{GgmlType::Q5_1, 1.0 / 31},
                      TypeCase{GgmlType::Q4_K, 1.0 / 12}, TypeCase{GgmlType::Q5_K, 1.0 / 25},
                      TypeCase{GgmlType::Q6_K, 1.0 / 50}),
    [](const auto& info) { return std::string(type_name(info.param.type)); });

TEST(QuantRoundTrip, ConstantAndZeroBlocksAreExactOrClose) {
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                        GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    std::vector<float> zeros(256, 0.0f), out(256, 1.0f);
    std::vector<uint8_t> buf(row_bytes(type, 256).value());
    ASSERT_TRUE(quantize_row(type, zeros.data(), buf.data(), 256).ok());
    ASSERT_TRUE(dequantize_row(type, buf.data(), out.data(), 256).ok());
    for (float v : out) ASSERT_EQ(v, 0.0f) << type_name(type);
  }
}

TEST(QuantRoundTrip, RowsNotWholeBlocksAreErrors) {
  std::vector<float> x(300, 1.0f);
  std::vector<uint8_t> buf(4096);
  auto q = quantize_row(GgmlType::Q4_K, x.data(), buf.data(), 300);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message.find("q4_K"), std::string::npos);
  EXPECT_FALSE(dequantize_row(GgmlType::Q8_0, buf.data(), x.data(), 33).ok());
  auto unsupported = dequantize_row(GgmlType::IQ2_XXS, buf.data(), x.data(), 256);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.error().message.find("iq2_xxs"), std::string::npos);
  GgufWriter writer;
  EXPECT_FALSE(writer.add_tensor("w", GgmlType::Q8_0, {48, 2}, x.data()).ok());
}

// ---- Hand-made blocks: known bytes -> known values ----

template <class T>
void put(std::vector<uint8_t>& b, T x) {
  const auto* p = reinterpret_cast<const uint8_t*>(&x);
  b.insert(b.end(), p, p + sizeof x);
}

std::vector<float> dequantized(GgmlType type, const std::vector<uint8_t>& block) {
  const int64_t n = block_size(type);
  EXPECT_EQ(block.size(), block_bytes(type));
  std::vector<float> out(static_cast<size_t>(n));
  EXPECT_TRUE(dequantize_row(type, block.data(), out.data(), n).ok());
  return out;
}

TEST(QuantLayout, HalfPrecisionConversions) {
  EXPECT_EQ(kernels::fp16_to_fp32(0x3c00), 1.0f);
  EXPECT_EQ(kernels::fp16_to_fp32(0xc000), -2.0f);
  EXPECT_EQ(kernels::fp16_to_fp32(0x7bff), 65504.0f);
  EXPECT_EQ(kernels::fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(kernels::fp16_to_fp32(0x7c00)));
  EXPECT_EQ(kernels::fp32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(kernels::fp32_to_fp16(0.1f), 0x2e66);
  EXPECT_EQ(kernels::fp32_to_fp16(65520.0f), 0x7c00);                 // rounds up to inf
  EXPECT_EQ(kernels::fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even (down)
  EXPECT_EQ(kernels::fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie to even (up)
  EXPECT_EQ(kernels::fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);    // half of the smallest subnormal: even
  EXPECT_EQ(kernels::fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(kernels::bf16_to_fp32(0x3f80), 1.0f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);  // 1 + 2^-8 ties to even
  for (uint32_t h = 0; h < 0x7c00; ++h) {       // every finite half survives a round trip
    ASSERT_EQ(kernels::fp32_to_fp16(kernels::fp16_to_fp32(static_cast<uint16_t>(h))), h);
  }
}

TEST(QuantLayout, Q8_0) {
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x3800);  // d = 0.5
  for (int i = 0; i < 32; ++i) put<int8_t>(b, static_cast<int8_t>(i - 16));
  auto y = dequantized(GgmlType::Q8_0, b);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], 0.5f * (i - 16));
}

TEST(QuantLayout, Q4_0LowNibblesFirstHalf) {
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x4000);  // d = 2
  for (int j = 0; j < 16; ++j) put<uint8_t>(b, static_cast<uint8_t>((j & 0xF) | ((15 - j) << 4)));
  auto y = dequantized(GgmlType::Q4_0, b);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * (j - 8));
    EXPECT_EQ(y[j + 16], 2.0f * (15 - j - 8));
  }
}

TEST(QuantLayout, Q4_1) {
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x3c00);  // d = 1
  put<uint16_t>(b, 0xc400);  // m = -4
  for (int j = 0; j < 16; ++j) put<uint8_t>(b, static_cast<uint8_t>(j | (j << 4)));
  auto y = dequantized(GgmlType::Q4_1, b);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j - 4.0f);
    EXPECT_EQ(y[j + 16], j - 4.0f);
  }
}

TEST(QuantLayout, Q5_0HighBitsFromLittleEndianWord) {
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x3c00);         // d = 1
  put<uint32_t>(b, 0x80000001u);    // fifth bit set for element 0 and element 31
  for (int j = 0; j < 16; ++j) put<uint8_t>(b, 0x00);
  auto y = dequantized(GgmlType::Q5_0, b);
  EXPECT_EQ(y[0], 0.0f);    // 16 - 16
  EXPECT_EQ(y[1], -16.0f);  // 0 - 16
  EXPECT_EQ(y[16], -16.0f);
  EXPECT_EQ(y[31], 0.0f);
}

TEST(QuantLayout, Q5_1) {
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x3800);  // d = 0.5
  put<uint16_t>(b, 0x3c00);  // m = 1
  put<uint32_t>(b, 0x00010000u);  // fifth bit of element 16
  for (int j = 0; j < 16; ++j) put<uint8_t>(b, 0x3F);  // low nibble 15, high nibble 3
  auto y = dequantized(GgmlType::Q5_1, b);
  EXPECT_EQ(y[0], 0.5f * 15 + 1);
  EXPECT_EQ(y[16], 0.5f * (3 + 16) + 1);
  EXPECT_EQ(y[17], 0.5f * 3 + 1);
}

// Packs Q4_K/Q5_K sub-block scales and mins the way ggml stores them.
void pack_scales(const int sc[8], const int mn[8], uint8_t out[12]) {
  std::memset(out, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      out[j] = static_cast<uint8_t>(sc[j]);
      out[j + 4] = static_cast<uint8_t>(mn[j]);
    } else {
      out[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((mn[j] & 0xF) << 4));
      out[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      out[j] |= static_cast<uint8_t>((mn[j] >> 4) << 6);
    }
  }
}

TEST(QuantLayout, Q4_K) {
  const int sc[8] = {1, 2, 3, 4, 63, 40, 17, 33};
  const int mn[8] = {0, 1, 2, 3, 50, 63, 16, 5};
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x3c00);  // d = 1
  put<uint16_t>(b, 0x3800);  // dmin = 0.5
  uint8_t scales[12];
  pack_scales(sc, mn, scales);
  b.insert(b.end(), scales, scales + 12);
  // Group g's 32 bytes: low nibble = l % 16 for sub-block 2g, high nibble = 15 - l % 16 for 2g+1.
  for (int g = 0; g < 4; ++g)
    for (int l = 0; l < 32; ++l) put<uint8_t>(b, static_cast<uint8_t>((l % 16) | ((15 - l % 16) << 4)));
  auto y = dequantized(GgmlType::Q4_K, b);
  for (int s = 0; s < 8; ++s) {
    for (int l = 0; l < 32; ++l) {
      const int q = s % 2 == 0 ? l % 16 : 15 - l % 16;
      ASSERT_EQ(y[32 * s + l], 1.0f * sc[s] * q - 0.5f * mn[s]) << "sub-block " << s << " element " << l;
    }
  }
}

TEST(QuantLayout, Q5_K) {
  const int sc[8] = {5, 6, 7, 8, 9, 10, 11, 12};
  const int mn[8] = {1, 1, 1, 1, 2, 2, 2, 2};
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x3c00);  // d = 1
  put<uint16_t>(b, 0x3c00);  // dmin = 1
  uint8_t scales[12];
  pack_scales(sc, mn, scales);
  b.insert(b.end(), scales, scales + 12);
  for (int l = 0; l < 32; ++l) put<uint8_t>(b, static_cast<uint8_t>(l % 2 == 0 ? 0x55 : 0xAA));  // qh
  for (int l = 0; l < 128; ++l) put<uint8_t>(b, 0x21);  // low nibble 1, high nibble 2
  auto y = dequantized(GgmlType::Q5_K, b);
  for (int s = 0; s < 8; ++s) {
    for (int l = 0; l < 32; ++l) {
      const int low = s % 2 == 0 ? 1 : 2;
      // qh bit s of byte l: 0x55 has the even bits, 0xAA the odd ones.
      const int high = ((l % 2 == 0 ? 0x55 : 0xAA) >> s) & 1;
      ASSERT_EQ(y[32 * s + l], 1.0f * sc[s] * (low + 16 * high) - mn[s]) << "sub-block " << s << " element " << l;
    }
  }
}

TEST(QuantLayout, Q6_K) {
  std::vector<uint8_t> b;
  // Element e in half h at position p = e % 128: quadrant k = p / 32, l = p % 32.
  // Set every quant to q = 32 + k + 4*h - 2 (so values stay small and distinct per quadrant).
  uint8_t ql[128] = {}, qh[64] = {};
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 32; ++l) {
      int q[4];
      for (int k = 0; k < 4; ++k) q[k] = 32 + k + 4 * h - 2;
      ql[64 * h + l] = static_cast<uint8_t>((q[0] & 0xF) | ((q[2] & 0xF) << 4));
      ql[64 * h + l + 32] = static_cast<uint8_t>((q[1] & 0xF) | ((q[3] & 0xF) << 4));
      qh[32 * h + l] = static_cast<uint8_t>((q[0] >> 4) | ((q[1] >> 4) << 2) | ((q[2] >> 4) << 4) | ((q[3] >> 4) << 6));
    }
  }
  b.insert(b.end(), ql, ql + 128);
  b.insert(b.end(), qh, qh + 64);
  for (int s = 0; s < 16; ++s) put<int8_t>(b, static_cast<int8_t>(s % 2 == 0 ? s + 1 : -(s + 1)));
  put<uint16_t>(b, 0x3800);  // d = 0.5
  auto y = dequantized(GgmlType::Q6_K, b);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, k = (e % 128) / 32;
    const int s = e / 16;
    const int scale = s % 2 == 0 ? s + 1 : -(s + 1);
    ASSERT_EQ(y[e], 0.5f * scale * (k + 4 * h - 2)) << "element " << e;
  }
}

TEST(QuantLayout, F16AndBF16Rows) {
  std::vector<uint8_t> b;
  put<uint16_t>(b, 0x3c00);
  put<uint16_t>(b, 0xbc00);
  std::vector<float> y(2);
  ASSERT_TRUE(dequantize_row(GgmlType::F16, b.data(), y.data(), 2).ok());
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -1.0f);
  std::vector<uint8_t> c;
  put<uint16_t>(c, 0x4040);  // 3.0 in bf16
  put<uint16_t>(c, 0xc0a0);  // -5.0
  ASSERT_TRUE(dequantize_row(GgmlType::BF16, c.data(), y.data(), 2).ok());
  EXPECT_EQ(y[0], 3.0f);
  EXPECT_EQ(y[1], -5.0f);
}

TEST(QuantLayout, Q8_0QuantizerMatchesGgmlReference) {
  // d = amax/127 stored as fp16, q = roundf(x / d) with the unrounded d.
  std::vector<float> x(32);
  float amax = 0.0f;
  for (int i = 0; i < 32; ++i) {
    x[i] = 0.05f * static_cast<float>(i) - 1.27f;
    amax = std::max(amax, std::fabs(x[i]));
  }
  std::vector<uint8_t> buf(34);
  ASSERT_TRUE(quantize_row(GgmlType::Q8_0, x.data(), buf.data(), 32).ok());
  uint16_t d;
  std::memcpy(&d, buf.data(), 2);
  const float scale = amax / 127.0f;
  EXPECT_EQ(d, kernels::fp32_to_fp16(scale));
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(static_cast<int8_t>(buf[2 + i]), static_cast<int8_t>(std::lround(x[i] * (1.0f / scale))));
  }
}

}  // namespace
}  // namespace edgenode::engine

// Half-precision conversions: every one of the 65536 values round-trips, and both directions
// agree bit for bit with the F16C instructions (when the CPU has them).
#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <random>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

__attribute__((target("f16c"))) float hw_to_float(uint16_t h) { return _cvtsh_ss(h); }
__attribute__((target("f16c"))) uint16_t hw_to_half(float f) { return _cvtss_sh(f, 0); }

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    const bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    if (nan) {
      EXPECT_TRUE(std::isnan(f));
      EXPECT_EQ(fp32_to_fp16(f), h | 0x200) << h;  // quietened, payload kept
    } else {
      ASSERT_EQ(fp32_to_fp16(f), h) << h;
    }
  }
}

TEST(Fp16, KnownValues) {
  EXPECT_EQ(fp16_to_fp32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_fp32(0x7bff), 65504.0f);
  EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);  // the tie rounds to even: infinity
  EXPECT_EQ(fp32_to_fp16(-INFINITY), 0xfc00);
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);  // tie between 0 and the smallest subnormal
  EXPECT_EQ(fp32_to_fp16(0x1.8p-24f), 0x0002);  // 1.5 subnormal ulps: tie to even
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3c00);  // tie to even stays at 1
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1.8p-10f), 0x3c02);
  EXPECT_EQ(bf16_to_fp32(0x3f80), 1.0f);
}

TEST(Fp16, MatchesF16cBitForBit) {
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "this CPU has no F16C";
  for (uint32_t h = 0; h < 65536; ++h) {
    ASSERT_EQ(bits(fp16_to_fp32(static_cast<uint16_t>(h))), bits(hw_to_float(static_cast<uint16_t>(h)))) << h;
  }
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> any;
  for (int i = 0; i < 2000000; ++i) {
    // Random bit patterns, biased toward the half range so subnormals and ties are common.
    uint32_t u = any(rng);
    if (i % 2) u = (u & 0x807fffff) | ((100 + (u >> 23) % 50) << 23);
    if (i % 7 == 0) u &= 0xffffe000u | 0x1000u;  // exact ties
    const float f = from_bits(u);
    ASSERT_EQ(fp32_to_fp16(f), hw_to_half(f)) << std::hex << u;
  }
}

}  // namespace
}  // namespace edgenode::kernels

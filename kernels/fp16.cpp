// IEEE half and bfloat16 conversions in plain integer code, bit-identical to F16C
// (vcvtph2ps / vcvtps2ph with round-to-nearest-even), so results never depend on the ISA.
#include <cstring>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace

float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in float.
    return bits_float(sign | float_bits(static_cast<float>(mantissa) * 0x1p-24f));
  }
  if (exponent == 31) {
    // Infinity, or a NaN that comes out quiet, as vcvtph2ps returns it.
    return bits_float(sign | 0x7f800000u | (mantissa ? 0x400000u : 0u) | (mantissa << 13));
  }
  return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t fp32_to_fp16(float f) {
  uint32_t u = float_bits(f);
  const uint32_t sign = (u >> 16) & 0x8000;
  u &= 0x7fffffff;
  if (u > 0x7f800000) {
    // NaN: F16C keeps the top payload bits and sets the quiet bit.
    return static_cast<uint16_t>(sign | 0x7e00 | ((u >> 13) & 0x3ff));
  }
  if (u >= 0x47800000) return static_cast<uint16_t>(sign | 0x7c00);  // >= 65536 (or inf): inf
  if (u < 0x38800000) {
    // Below the smallest normal half: adding 0.5 shifts the value so that the float adder's
    // own round-to-nearest-even lands on the subnormal half's mantissa.
    const uint32_t magic = 126u << 23;  // 0.5f
    const uint32_t rounded = float_bits(bits_float(u) + bits_float(magic)) - magic;
    return static_cast<uint16_t>(sign | rounded);
  }
  // Normal: rebias the exponent and round the dropped 13 bits to nearest even; a carry out of
  // the mantissa correctly bumps the exponent (up to inf for values in [65520, 65536)).
  const uint32_t mantissa_odd = (u >> 13) & 1;
  u += (static_cast<uint32_t>(15 - 127) << 23) + 0xfff + mantissa_odd;
  return static_cast<uint16_t>(sign | (u >> 13));
}

float bf16_to_fp32(uint16_t h) { return bits_float(static_cast<uint32_t>(h) << 16); }

}  // namespace edgenode::kernels

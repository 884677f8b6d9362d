// The Q8_0 arithmetic every ISA reproduces exactly. A block's integer dot product is exact
// in int32; the float result accumulates block by block as acc = fma(d_w * d_x, sum, acc),
// so a SIMD kernel that vectorises across rows or tokens (never across blocks of one dot)
// gives bit-identical results to this reference.
#pragma once

#include <cmath>

#include "kernels/kernels.h"

namespace edgenode::kernels::q8 {

inline int32_t block_dot(const Q8Block& a, const Q8Block& b) {
  int32_t sum = 0;
  for (int i = 0; i < kQ8BlockSize; ++i) sum += static_cast<int32_t>(a.qs[i]) * b.qs[i];
  return sum;
}

inline float accumulate(float acc, const Q8Block& a, const Q8Block& b, int32_t sum) {
  const float d = fp16_to_fp32(a.d) * fp16_to_fp32(b.d);
  return std::fma(d, static_cast<float>(sum), acc);
}

}  // namespace edgenode::kernels::q8

// f32 -> block formats, for the writer. The legacy formats follow ggml's
// quantize_row_*_ref rules (so a file matches what llama.cpp's tools would write); the
// K formats pick per-sub-block scales and mins directly (no iterative search): scales are
// rounded up when packed, so the quantization grid always covers the sub-block.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/gguf/block_layouts.h"
#include "engine/gguf/dequantize.h"
#include "kernels/kernels.h"

namespace edgenode::engine {
namespace {

using namespace blocks;

// The element with the largest magnitude, sign kept (ggml's legacy formats scale by it).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void quantize_q4_0(const float* x, Q4_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = kernels::fp32_to_fp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int hi = std::min(15, static_cast<int>(x[j + kQK / 2] * id + 8.5f));
      y[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void quantize_q4_1(const float* x, Q4_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float min = *std::min_element(x, x + kQK), max = *std::max_element(x, x + kQK);
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = kernels::fp32_to_fp16(d);
    y[i].m = kernels::fp32_to_fp16(min);
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = std::min(15, static_cast<int>((x[j] - min) * id + 0.5f));
      const int hi = std::min(15, static_cast<int>((x[j + kQK / 2] - min) * id + 0.5f));
      y[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

// Packs 32 five-bit values: low nibbles in qs (element j and j+16 share byte j), fifth bits
// in the little-endian u32 qh at bit j.
void pack_q5(const int* q, uint8_t qs[16], uint8_t qh[4]) {
  uint32_t high = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + kQK / 2] & 0xF) << 4));
    high |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    high |= static_cast<uint32_t>((q[j + kQK / 2] >> 4) & 1) << (j + kQK / 2);
  }
  for (int b = 0; b < 4; ++b) qh[b] = static_cast<uint8_t>(high >> (8 * b));
}

void quantize_q5_0(const float* x, Q5_0* y, int64_t nb) {
  int q[kQK];
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = kernels::fp32_to_fp16(d);
    for (int j = 0; j < kQK; ++j) q[j] = std::min(31, static_cast<int>(x[j] * id + 16.5f));
    pack_q5(q, y[i].qs, y[i].qh);
  }
}

void quantize_q5_1(const float* x, Q5_1* y, int64_t nb) {
  int q[kQK];
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    const float min = *std::min_element(x, x + kQK), max = *std::max_element(x, x + kQK);
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = kernels::fp32_to_fp16(d);
    y[i].m = kernels::fp32_to_fp16(min);
    for (int j = 0; j < kQK; ++j) q[j] = std::min(31, static_cast<int>((x[j] - min) * id + 0.5f));
    pack_q5(q, y[i].qs, y[i].qh);
  }
}

void quantize_q8_0(const float* x, Q8_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = kernels::fp32_to_fp16(d);
    for (int j = 0; j < kQK; ++j) y[i].qs[j] = static_cast<int8_t>(std::lround(x[j] * id));
  }
}

// Smallest integer level in [0, max_level] with level * unit >= value (value >= 0).
int level_at_least(float value, float unit, int max_level) {
  if (unit <= 0.0f) return 0;
  return std::clamp(static_cast<int>(std::ceil(value / unit)), 0, max_level);
}

// One Q4_K/Q5_K super-block: 8 sub-blocks of 32 with x = d*ls*q - dmin*lm, q in
// [0, max_q]. Fills L with the quants and packs d, dmin and the 6-bit scales.
void quantize_k_asymmetric(const float* x, int max_q, uint16_t& d_out, uint16_t& dmin_out,
                           uint8_t scales[12], uint8_t* L) {
  float mins[8], tops[8];
  float max_min = 0.0f;
  for (int s = 0; s < 8; ++s) {
    const float* xs = x + 32 * s;
    // Mins are stored as positive offsets and only for negative values, as in ggml.
    mins[s] = std::max(0.0f, -*std::min_element(xs, xs + 32));
    tops[s] = *std::max_element(xs, xs + 32);
    max_min = std::max(max_min, mins[s]);
  }
  dmin_out = kernels::fp32_to_fp16(max_min / 63.0f);
  const float dmin = kernels::fp16_to_fp32(dmin_out);
  int lm[8], ls[8];
  float steps[8], max_step = 0.0f;
  for (int s = 0; s < 8; ++s) {
    lm[s] = level_at_least(mins[s], dmin, 63);
    steps[s] = std::max(0.0f, tops[s] + dmin * lm[s]) / static_cast<float>(max_q);
    max_step = std::max(max_step, steps[s]);
  }
  d_out = kernels::fp32_to_fp16(max_step / 63.0f);
  const float d = kernels::fp16_to_fp32(d_out);
  for (int s = 0; s < 8; ++s) ls[s] = level_at_least(steps[s], d, 63);

  std::memset(scales, 0, 12);
  for (int s = 0; s < 8; ++s) {
    if (s < 4) {
      scales[s] = static_cast<uint8_t>(ls[s]);
      scales[s + 4] = static_cast<uint8_t>(lm[s]);
    } else {
      scales[s + 4] = static_cast<uint8_t>((ls[s] & 0xF) | ((lm[s] & 0xF) << 4));
      scales[s - 4] |= static_cast<uint8_t>((ls[s] >> 4) << 6);
      scales[s] |= static_cast<uint8_t>((lm[s] >> 4) << 6);
    }
  }
  for (int s = 0; s < 8; ++s) {
    const float step = d * static_cast<float>(ls[s]);
    const float offset = dmin * static_cast<float>(lm[s]);
    for (int l = 0; l < 32; ++l) {
      const int q = step > 0.0f ? static_cast<int>(std::lround((x[32 * s + l] + offset) / step)) : 0;
      L[32 * s + l] = static_cast<uint8_t>(std::clamp(q, 0, max_q));
    }
  }
}

void quantize_q4_k(const float* x, Q4_K* y, int64_t nb) {
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    quantize_k_asymmetric(x, 15, y[i].d, y[i].dmin, y[i].scales, L);
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) {
        y[i].qs[32 * g + l] = static_cast<uint8_t>(L[64 * g + l] | (L[64 * g + 32 + l] << 4));
      }
    }
  }
}

void quantize_q5_k(const float* x, Q5_K* y, int64_t nb) {
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    quantize_k_asymmetric(x, 31, y[i].d, y[i].dmin, y[i].scales, L);
    std::memset(y[i].qh, 0, sizeof y[i].qh);
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t lo = L[64 * g + l], hi = L[64 * g + 32 + l];
        y[i].qs[32 * g + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        y[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * g)) | ((hi >> 4) << (2 * g + 1)));
      }
    }
  }
}

// Q6_K: 16 symmetric sub-blocks of 16 with int8 scales; q in [-32, 31] stored as q + 32.
void quantize_q6_k(const float* x, Q6_K* y, int64_t nb) {
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    float steps[16], max_step = 0.0f;
    for (int s = 0; s < 16; ++s) {
      float amax = 0.0f;
      for (int l = 0; l < 16; ++l) amax = std::max(amax, std::fabs(x[16 * s + l]));
      steps[s] = amax / 31.0f;
      max_step = std::max(max_step, steps[s]);
    }
    y[i].d = kernels::fp32_to_fp16(max_step / 127.0f);
    const float d = kernels::fp16_to_fp32(y[i].d);
    for (int s = 0; s < 16; ++s) {
      const int sc = level_at_least(steps[s], d, 127);
      y[i].scales[s] = static_cast<int8_t>(sc);
      const float step = d * static_cast<float>(sc);
      for (int l = 0; l < 16; ++l) {
        const int q = step > 0.0f ? static_cast<int>(std::lround(x[16 * s + l] / step)) : 0;
        L[16 * s + l] = static_cast<uint8_t>(std::clamp(q, -32, 31) + 32);
      }
    }
    for (int half = 0; half < 2; ++half) {
      const uint8_t* Lh = L + 128 * half;
      for (int l = 0; l < 32; ++l) {
        const int q1 = Lh[l], q2 = Lh[l + 32], q3 = Lh[l + 64], q4 = Lh[l + 96];
        y[i].ql[64 * half + l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        y[i].ql[64 * half + l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        y[i].qh[32 * half + l] =
            static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

}  // namespace

bool can_quantize(GgmlType type) { return can_dequantize(type); }

Result<void> quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  if (!can_quantize(type)) {
    return bad_input("cannot write tensor type " + std::string(type_name(type)));
  }
  const int64_t bs = block_size(type);
  if (n < 0 || n % bs != 0) {
    return bad_input("quantize: " + std::to_string(n) + " elements is not a whole number of " +
                     std::string(type_name(type)) + " blocks");
  }
  const int64_t nb = n / bs;
  auto* bytes = static_cast<uint8_t*>(dst);
  switch (type) {
    case GgmlType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); break;
    case GgmlType::F16:
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == GgmlType::F16 ? kernels::fp32_to_fp16(src[i]) : f32_to_bf16(src[i]);
        std::memcpy(bytes + 2 * i, &h, sizeof h);
      }
      break;
    case GgmlType::Q4_0: quantize_q4_0(src, static_cast<Q4_0*>(dst), nb); break;
    case GgmlType::Q4_1: quantize_q4_1(src, static_cast<Q4_1*>(dst), nb); break;
    case GgmlType::Q5_0: quantize_q5_0(src, static_cast<Q5_0*>(dst), nb); break;
    case GgmlType::Q5_1: quantize_q5_1(src, static_cast<Q5_1*>(dst), nb); break;
    case GgmlType::Q8_0: quantize_q8_0(src, static_cast<Q8_0*>(dst), nb); break;
    case GgmlType::Q4_K: quantize_q4_k(src, static_cast<Q4_K*>(dst), nb); break;
    case GgmlType::Q5_K: quantize_q5_k(src, static_cast<Q5_K*>(dst), nb); break;
    case GgmlType::Q6_K: quantize_q6_k(src, static_cast<Q6_K*>(dst), nb); break;
    default: break;  // excluded by can_quantize above
  }
  return {};
}

}  // namespace edgenode::engine

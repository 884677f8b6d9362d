// Block formats -> f32, following ggml's dequantize_row_* element order exactly.
#include <cstring>
#include <string>

#include "engine/gguf/block_layouts.h"
#include "engine/gguf/dequantize.h"
#include "kernels/kernels.h"

namespace edgenode::engine {
namespace {

using namespace blocks;

void dequantize_q4_0(const Q4_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = kernels::fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>((x[i].qs[j] & 0xF) - 8) * d;
      y[j + kQK / 2] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const Q4_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = kernels::fp16_to_fp32(x[i].d), m = kernels::fp16_to_fp32(x[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>(x[i].qs[j] & 0xF) * d + m;
      y[j + kQK / 2] = static_cast<float>(x[i].qs[j] >> 4) * d + m;
    }
  }
}

// Fifth bits of Q5 blocks: bit j of the little-endian u32 qh belongs to element j.
uint32_t high_bits(const uint8_t qh[4]) {
  return static_cast<uint32_t>(qh[0]) | static_cast<uint32_t>(qh[1]) << 8 |
         static_cast<uint32_t>(qh[2]) << 16 | static_cast<uint32_t>(qh[3]) << 24;
}

void dequantize_q5_0(const Q5_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = kernels::fp16_to_fp32(x[i].d);
    const uint32_t qh = high_bits(x[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = (x[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
      const int hi = (x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = static_cast<float>(lo - 16) * d;
      y[j + kQK / 2] = static_cast<float>(hi - 16) * d;
    }
  }
}

void dequantize_q5_1(const Q5_1* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = kernels::fp16_to_fp32(x[i].d), m = kernels::fp16_to_fp32(x[i].m);
    const uint32_t qh = high_bits(x[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int lo = (x[i].qs[j] & 0xF) | (((qh >> j) & 1) << 4);
      const int hi = (x[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
      y[j] = static_cast<float>(lo) * d + m;
      y[j + kQK / 2] = static_cast<float>(hi) * d + m;
    }
  }
}

void dequantize_q8_0(const Q8_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = kernels::fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

// Q4_K: 4 groups of 64 elements; each group's 32 bytes hold sub-block 2g in the low
// nibbles and sub-block 2g+1 in the high nibbles. x = d*scale*q - dmin*min.
void dequantize_q4_k(const Q4_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = kernels::fp16_to_fp32(x[i].d), dmin = kernels::fp16_to_fp32(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int sub = 0; sub < 8; sub += 2, q += 32) {
      uint8_t sc, m;
      unpack_scale_min_k4(sub, x[i].scales, sc, m);
      const float d1 = d * sc, m1 = dmin * m;
      unpack_scale_min_k4(sub + 1, x[i].scales, sc, m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

// Q5_K: as Q4_K plus a fifth bit; group g takes bits 2g and 2g+1 of each qh byte.
void dequantize_q5_k(const Q5_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = kernels::fp16_to_fp32(x[i].d), dmin = kernels::fp16_to_fp32(x[i].dmin);
    const uint8_t* ql = x[i].qs;
    const uint8_t* qh = x[i].qh;
    for (int sub = 0; sub < 8; sub += 2, ql += 32) {
      uint8_t sc, m;
      unpack_scale_min_k4(sub, x[i].scales, sc, m);
      const float d1 = d * sc, m1 = dmin * m;
      unpack_scale_min_k4(sub + 1, x[i].scales, sc, m);
      const float d2 = d * sc, m2 = dmin * m;
      const int bit_lo = sub, bit_hi = sub + 1;
      for (int l = 0; l < 32; ++l) {
        *y++ = d1 * static_cast<float>((ql[l] & 0xF) + (((qh[l] >> bit_lo) & 1) << 4)) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        *y++ = d2 * static_cast<float>((ql[l] >> 4) + (((qh[l] >> bit_hi) & 1) << 4)) - m2;
      }
    }
  }
}

// Q6_K: two halves of 128; in each, element l, l+32, l+64, l+96 share ql[l] / ql[l+32]
// nibbles and the four 2-bit fields of qh[l]. x = d * scale * (q - 32).
void dequantize_q6_k(const Q6_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = kernels::fp16_to_fp32(x[i].d);
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    const int8_t* sc = x[i].scales;
    for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * static_cast<float>(sc[is + 0] * q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2] * q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4] * q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6] * q4);
      }
    }
  }
}

Result<int64_t> block_count(GgmlType type, int64_t n, const char* what) {
  const int64_t bs = block_size(type);
  if (n < 0 || bs == 0 || n % bs != 0) {
    return bad_input(std::string(what) + ": " + std::to_string(n) + " elements is not a whole number of " +
                     std::string(type_name(type)) + " blocks");
  }
  return n / bs;
}

}  // namespace

bool can_dequantize(GgmlType type) {
  auto traits = ggml_type_traits(type);
  return traits && traits->dequantizable;
}

Result<void> dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  if (!can_dequantize(type)) {
    return bad_input("cannot convert tensor type " + std::string(type_name(type)) + " to f32");
  }
  auto nb = block_count(type, n, "dequantize");
  if (!nb) return nb.error();
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (type) {
    case GgmlType::F32: std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float)); break;
    case GgmlType::F16:
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, sizeof h);
        dst[i] = type == GgmlType::F16 ? kernels::fp16_to_fp32(h) : kernels::bf16_to_fp32(h);
      }
      break;
    case GgmlType::Q4_0: dequantize_q4_0(static_cast<const Q4_0*>(src), dst, *nb); break;
    case GgmlType::Q4_1: dequantize_q4_1(static_cast<const Q4_1*>(src), dst, *nb); break;
    case GgmlType::Q5_0: dequantize_q5_0(static_cast<const Q5_0*>(src), dst, *nb); break;
    case GgmlType::Q5_1: dequantize_q5_1(static_cast<const Q5_1*>(src), dst, *nb); break;
    case GgmlType::Q8_0: dequantize_q8_0(static_cast<const Q8_0*>(src), dst, *nb); break;
    case GgmlType::Q4_K: dequantize_q4_k(static_cast<const Q4_K*>(src), dst, *nb); break;
    case GgmlType::Q5_K: dequantize_q5_k(static_cast<const Q5_K*>(src), dst, *nb); break;
    case GgmlType::Q6_K: dequantize_q6_k(static_cast<const Q6_K*>(src), dst, *nb); break;
    default: break;  // excluded by can_dequantize above
  }
  return {};
}

}  // namespace edgenode::engine

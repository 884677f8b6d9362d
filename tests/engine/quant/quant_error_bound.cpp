#include "quant_error_bound.h"

#include <algorithm>
#include <cmath>

namespace edgenode::engine::quant_test {
namespace {

// fp16 keeps 11 significant bits: rounding a normal value moves it by at most 2^-11 of itself.
constexpr double kF16Rel = 1.0 / 2048.0;
// bf16 keeps 8 significant bits.
constexpr double kBf16Rel = 1.0 / 256.0;
// Float arithmetic in the writer (a product with 1/d, a sum with the offset) adds a few ulps.
constexpr double kArithmeticRel = 1.0 / 4096.0;

double signed_absmax(const float* x, int n) {
  double amax = 0, max = 0;
  for (int j = 0; j < n; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

// Q4_0 / Q5_0: d = max/-half (max the value of largest magnitude), q = round(x/d) + half kept
// <= 2*half-1. Rounding costs d/2; x/d >= half-0.5 (the side opposite the max) is clamped to
// half-1, which costs up to one step. Storing d as fp16 moves each of the |q-half| <= half
// steps by 2^-11 of d.
void symmetric_legacy(const float* x, int64_t n, int half, float* out) {
  for (int64_t b = 0; b < n; b += 32) {
    const double d = signed_absmax(x + b, 32) / -half;
    for (int j = 0; j < 32; ++j) {
      const double r = d != 0 ? x[b + j] / d : 0;
      const double steps = std::max(0.5, r - (half - 1)) + half * kF16Rel + kArithmeticRel;
      out[b + j] = static_cast<float>(std::fabs(d) * steps);
    }
  }
}

// Q4_1 / Q5_1: d = (max-min)/levels, m = min, q = round((x-min)/d): d/2 from rounding, the
// fp16 roundings of d (times q <= levels) and of m.
void offset_legacy(const float* x, int64_t n, int levels, float* out) {
  for (int64_t b = 0; b < n; b += 32) {
    const double lo = *std::min_element(x + b, x + b + 32), hi = *std::max_element(x + b, x + b + 32);
    const double d = (hi - lo) / levels;
    const double bound = d * (0.5 + levels * kF16Rel + kArithmeticRel) + std::fabs(lo) * kF16Rel;
    std::fill(out + b, out + b + 32, static_cast<float>(bound));
  }
}

// Q8_0: d = amax/127, q = round(x/d): d/2, plus |q| <= 127 times the fp16 rounding of d.
void q8_0(const float* x, int64_t n, float* out) {
  for (int64_t b = 0; b < n; b += 32) {
    double amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, static_cast<double>(std::fabs(x[b + j])));
    const double d = amax / 127;
    std::fill(out + b, out + b + 32, static_cast<float>(d * (0.5 + 127 * kF16Rel + kArithmeticRel)));
  }
}

// Q4_K / Q5_K super-blocks of 8 x 32: x = d*ls*q - dmin*lm, q in [0, max_q]. The writer
// rounds the 6-bit levels up (lm*dmin >= -min, ls*d >= (max + lm*dmin)/max_q), so no value
// is clamped and the error is half a step, step = ls*d <= (max + min_offset + dmin)/max_q + d
// with dmin <= max_offset/63 and d <= max_step/63 (both fp16, so up to 2^-11 larger).
void asymmetric_k(const float* x, int64_t n, int max_q, float* out) {
  for (int64_t b = 0; b < n; b += 256) {
    double offsets[8], tops[8], max_offset = 0;
    for (int s = 0; s < 8; ++s) {
      const float* xs = x + b + 32 * s;
      offsets[s] = std::max(0.0, -static_cast<double>(*std::min_element(xs, xs + 32)));
      tops[s] = *std::max_element(xs, xs + 32);
      max_offset = std::max(max_offset, offsets[s]);
    }
    const double dmin = max_offset / 63 * (1 + kF16Rel);
    double steps[8], max_step = 0;
    for (int s = 0; s < 8; ++s) {
      steps[s] = std::max(0.0, tops[s] + offsets[s] + dmin) / max_q;
      max_step = std::max(max_step, steps[s]);
    }
    const double d = max_step / 63 * (1 + kF16Rel);
    for (int s = 0; s < 8; ++s) {
      const double range = tops[s] + offsets[s];
      const double bound = (steps[s] + d) / 2 + range * kArithmeticRel;
      std::fill(out + b + 32 * s, out + b + 32 * (s + 1), static_cast<float>(bound));
    }
  }
}

// Q6_K super-blocks of 16 x 16: x = d*sc*q, q in [-32, 31]. sc is rounded up so that
// sc*d >= amax/31: no value is clamped; half a step, step <= amax/31 + d, d <= max_step/127.
void q6_k(const float* x, int64_t n, float* out) {
  for (int64_t b = 0; b < n; b += 256) {
    double amax[16], max_step = 0;
    for (int s = 0; s < 16; ++s) {
      amax[s] = 0;
      for (int l = 0; l < 16; ++l) amax[s] = std::max(amax[s], static_cast<double>(std::fabs(x[b + 16 * s + l])));
      max_step = std::max(max_step, amax[s] / 31);
    }
    const double d = max_step / 127 * (1 + kF16Rel);
    for (int s = 0; s < 16; ++s) {
      const double bound = (amax[s] / 31 + d) / 2 + amax[s] * kArithmeticRel;
      std::fill(out + b + 16 * s, out + b + 16 * (s + 1), static_cast<float>(bound));
    }
  }
}

}  // namespace

std::vector<float> error_bounds(GgmlType type, const float* x, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n), 0.0f);
  switch (type) {
    case GgmlType::F16:
      // Half an ulp, or half the subnormal spacing 2^-24 near zero.
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::fabs(x[i]) * kF16Rel + 0x1p-25);
      break;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::fabs(x[i]) * kBf16Rel);
      break;
    case GgmlType::Q4_0: symmetric_legacy(x, n, 8, out.data()); break;
    case GgmlType::Q5_0: symmetric_legacy(x, n, 16, out.data()); break;
    case GgmlType::Q4_1: offset_legacy(x, n, 15, out.data()); break;
    case GgmlType::Q5_1: offset_legacy(x, n, 31, out.data()); break;
    case GgmlType::Q8_0: q8_0(x, n, out.data()); break;
    case GgmlType::Q4_K: asymmetric_k(x, n, 15, out.data()); break;
    case GgmlType::Q5_K: asymmetric_k(x, n, 31, out.data()); break;
    case GgmlType::Q6_K: q6_k(x, n, out.data()); break;
    default: break;  // F32: exact
  }
  return out;
}

}  // namespace edgenode::engine::quant_test

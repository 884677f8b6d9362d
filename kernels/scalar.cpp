// The scalar reference table: plain loops that define what every ISA must compute.
#include <cmath>

#include "kernels/q8_reference.h"
#include "kernels/tables.h"

namespace edgenode::kernels {
namespace {

void quantize_row_q8(const float* x, Q8Block* y, int n) {
  for (int b = 0; b < n / kQ8BlockSize; ++b) {
    const float* xb = x + b * kQ8BlockSize;
    float amax = 0.0f;
    for (int i = 0; i < kQ8BlockSize; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    y[b].d = fp32_to_fp16(amax / 127.0f);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    // nearbyint rounds half to even in the default rounding mode, as _mm256_round_ps does.
    for (int i = 0; i < kQ8BlockSize; ++i) y[b].qs[i] = static_cast<int8_t>(std::nearbyint(xb[i] * id));
  }
}

float dot_q8(const Q8Block* a, const Q8Block* b, int nblocks) {
  float acc = 0.0f;
  for (int i = 0; i < nblocks; ++i) acc = q8::accumulate(acc, a[i], b[i], q8::block_dot(a[i], b[i]));
  return acc;
}

void matvec_q8(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int row_begin, int row_end) {
  for (int r = row_begin; r < row_end; ++r) y[r] = dot_q8(w + static_cast<size_t>(r) * nblocks, x, nblocks);
}

void matmul_q8(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int n_tokens, int ldy, int row_begin,
               int row_end) {
  for (int t = 0; t < n_tokens; ++t) {
    matvec_q8(w, x + static_cast<size_t>(t) * nblocks, y + static_cast<size_t>(t) * ldy, nblocks, row_begin,
              row_end);
  }
}

float dot_f32(const float* a, const float* b, int n) {
  float acc = 0.0f;
  for (int i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

void dot_rows_f32(const float* q, const float* k, size_t stride, int n_rows, int n, float scale, float* scores) {
  for (int r = 0; r < n_rows; ++r) scores[r] = dot_f32(q, k + r * stride, n) * scale;
}

void weighted_rows_f32(const float* w, const float* v, size_t stride, int n_rows, int n, float* out) {
  for (int i = 0; i < n; ++i) out[i] = 0.0f;
  for (int r = 0; r < n_rows; ++r) {
    for (int i = 0; i < n; ++i) out[i] += w[r] * v[r * stride + i];
  }
}

// As ggml's soft_max before its normalisation: subtract the maximum, exponentiate, sum in double.
double exp_shift_f32(float* x, int n, float* max_out) {
  float max = -INFINITY;
  for (int i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  *max_out = max;
  return sum;
}

void silu_f32(float* x, int n) {
  for (int i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

}  // namespace

const KernelTable kScalarTable{Isa::scalar,  quantize_row_q8, dot_q8,      matvec_q8, matmul_q8, dot_f32,
                               dot_rows_f32, weighted_rows_f32, exp_shift_f32, silu_f32,
                               nullptr,      nullptr,           nullptr};

}  // namespace edgenode::kernels

// Row operations in plain C++, following ggml-cpu's formulas (double sums where ggml uses
// ggml_float) so F32 models agree with llama.cpp to rounding noise. They cost little next to
// the matrix products.
#include <cblas.h>

#include <cmath>

#include "kernels/kernels.h"

namespace edgenode::kernels {

void rmsnorm(const float* x, const float* w, float* y, int n, float eps) {
  // Eight partial sums rather than one chain of dependent double additions (the norm runs
  // on one thread between matrix products). The order differs from ggml's single sum only
  // within double precision, far below what reaches the float mean.
  constexpr int kLanes = 8;
  double partial[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) partial[j] += static_cast<double>(x[i + j] * x[i + j]);
  double sum = 0.0;
  for (double p : partial) sum += p;
  for (; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  if (w) {
    for (int i = 0; i < n; ++i) y[i] = (x[i] * scale) * w[i];
  } else {
    for (int i = 0; i < n; ++i) y[i] = x[i] * scale;
  }
}

void silu(float* x, int n) { best().silu_f32(x, n); }

void matmul_f32(const float* w, const float* x, float* y, int rows, int cols, int n_tokens, int ldy) {
  // Y[n_tokens][rows] = X[n_tokens][cols] · W[rows][cols]^T
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_tokens, rows, cols, 1.0f, x, cols, w, cols, 0.0f, y,
              ldy);
}

void dequantize_row_q8(const Q8Block* x, float* y, int n) {
  for (int b = 0; b < n / kQ8BlockSize; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    for (int i = 0; i < kQ8BlockSize; ++i) y[b * kQ8BlockSize + i] = d * x[b].qs[i];
  }
}

}  // namespace edgenode::kernels

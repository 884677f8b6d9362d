// GELU with the tanh approximation: exact in f32, and the way ggml-cpu evaluates it
// (input rounded to fp16, looked up in a 65536-entry fp16 table), which Gemma parity needs.
#include <cmath>
#include <vector>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

constexpr float kGeluCoefA = 0.044715f;
constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;

float gelu_tanh_one(float x) { return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kGeluCoefA * x * x))); }

// Built on first use; a function-local static is initialised exactly once, thread-safely.
const std::vector<uint16_t>& gelu_fp16_table() {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(65536);
    for (uint32_t i = 0; i < t.size(); ++i) t[i] = fp32_to_fp16(gelu_tanh_one(fp16_to_fp32(static_cast<uint16_t>(i))));
    return t;
  }();
  return table;
}

}  // namespace

void gelu_tanh(float* x, int n) {
  for (int i = 0; i < n; ++i) x[i] = gelu_tanh_one(x[i]);
}

void gelu_tanh_fp16_table(float* x, int n) {
  const std::vector<uint16_t>& table = gelu_fp16_table();
  for (int i = 0; i < n; ++i) {
    if (x[i] <= -10.0f) {
      x[i] = 0.0f;
    } else if (x[i] < 10.0f) {
      x[i] = fp16_to_fp32(table[fp32_to_fp16(x[i])]);
    }
  }
}

}  // namespace edgenode::kernels

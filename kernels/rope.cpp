// Rotary position embedding as ggml's rope_yarn without the YaRN extension: the angle of pair
// i is pos * freq_scale * base^(-2i/rot_dim) / freq_factor_i, with base^(-2i/rot_dim) built by
// repeated float multiplication exactly as ggml's rope cache does.
#include <cmath>

#include "kernels/kernels.h"

namespace edgenode::kernels {
namespace {

// NORM rotates adjacent pairs; NEOX rotates element i with element i + rot_dim/2.
inline void rotate_pair(float* head, int i0, int rot_dim, float cos_theta, float sin_theta, RopeMode mode) {
  const int first = mode == RopeMode::norm ? i0 : i0 / 2;
  const int second = mode == RopeMode::norm ? i0 + 1 : i0 / 2 + rot_dim / 2;
  const float x0 = head[first];
  const float x1 = head[second];
  head[first] = x0 * cos_theta - x1 * sin_theta;
  head[second] = x0 * sin_theta + x1 * cos_theta;
}

}  // namespace

void rope_angles(int pos, int rot_dim, float freq_base, float freq_scale, const float* freq_factors, float* cos_sin) {
  const float theta_scale = std::pow(freq_base, -2.0f / static_cast<float>(rot_dim));
  float theta_base = static_cast<float>(pos);
  for (int i0 = 0; i0 < rot_dim; i0 += 2) {
    const float factor = freq_factors ? freq_factors[i0 / 2] : 1.0f;
    const float theta = freq_scale * (theta_base / factor);
    cos_sin[i0] = std::cos(theta);
    cos_sin[i0 + 1] = std::sin(theta);
    theta_base *= theta_scale;
  }
}

void rope_rotate(float* x, int n_heads, int head_dim, int rot_dim, const float* cos_sin, RopeMode mode) {
  for (int i0 = 0; i0 < rot_dim; i0 += 2)
    for (int h = 0; h < n_heads; ++h)
      rotate_pair(x + static_cast<size_t>(h) * head_dim, i0, rot_dim, cos_sin[i0], cos_sin[i0 + 1], mode);
}

void rope_rotate_norm_range(float* x, int begin, int end, int head_dim, int rot_dim, const float* cos_sin) {
  for (int j = begin; j < end; j += 2) {
    const int i0 = j % head_dim;
    if (i0 < rot_dim) rotate_pair(x + (j - i0), i0, rot_dim, cos_sin[i0], cos_sin[i0 + 1], RopeMode::norm);
  }
}

}  // namespace edgenode::kernels

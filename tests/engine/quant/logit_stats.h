// Small statistics over logit vectors (n_positions x n_vocab, row-major) for the comparisons.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace edgenode::engine::quant_test {

inline double rms(const float* v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(v[i]) * v[i];
  return n ? std::sqrt(s / static_cast<double>(n)) : 0;
}

inline double rms_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return a.empty() ? 0 : std::sqrt(s / static_cast<double>(a.size()));
}

inline double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// Index of the largest value (the first one on ties, as greedy sampling picks).
inline size_t argmax(const float* v, size_t n) { return static_cast<size_t>(std::max_element(v, v + n) - v); }

// Largest value minus the second largest.
inline double top_margin(const float* v, size_t n) {
  const size_t best = argmax(v, n);
  double second = -INFINITY;
  for (size_t i = 0; i < n; ++i)
    if (i != best) second = std::max(second, static_cast<double>(v[i]));
  return v[best] - second;
}

}  // namespace edgenode::engine::quant_test

#include "weight_error.h"

#include <cmath>

#include "engine/gguf/dequantize.h"
#include "quant_error_bound.h"

namespace edgenode::engine::quant_test {

Result<std::vector<TensorError>> compare_with_f32(const GgufFile& f32, const GgufFile& stored) {
  std::vector<TensorError> out;
  for (const GgufTensorInfo& t : stored.tensors()) {
    const GgufTensorInfo* ref = f32.tensor(t.name);
    if (!ref || ref->type != GgmlType::F32 || ref->ne != t.ne)
      return bad_input("tensor " + t.name + " has no F32 counterpart of the same shape");
    const int64_t n = t.n_elements();
    const auto* original = reinterpret_cast<const float*>(ref->data);
    std::vector<float> values(static_cast<size_t>(n));
    EDGENODE_TRY(dequantize_row(t.type, t.data, values.data(), n));
    const std::vector<float> bounds = error_bounds(t.type, original, n);

    TensorError e{t.name, t.type, t.ne.size() == 2};
    double err2 = 0, ref2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double err = std::fabs(static_cast<double>(values[i]) - original[i]);
      err2 += err * err;
      ref2 += static_cast<double>(original[i]) * original[i];
      if (err > bounds[i]) ++e.over_bound;
      if (bounds[i] > 0) e.max_bound_ratio = std::max(e.max_bound_ratio, err / bounds[i]);
    }
    e.relative_rms = ref2 > 0 ? std::sqrt(err2 / ref2) : 0;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace edgenode::engine::quant_test

#include "logit_tolerance.h"

#include <cmath>

#include "engine/gguf/gguf.h"
#include "quant_models.h"
#include "weight_error.h"

namespace edgenode::engine::quant_test {

double weight_relative_error(const tools::ModelShape& stored) {
  tools::ModelShape f32_shape = stored;
  f32_shape.type = "f32";
  auto f32 = GgufFile::open(quant_test_model(f32_shape));
  auto file = GgufFile::open(quant_test_model(stored));
  if (!f32 || !file) return NAN;
  auto errors = compare_with_f32(*f32, *file);
  if (!errors) return NAN;
  double sum = 0;
  int n = 0;
  for (const TensorError& e : *errors) {
    if (!e.matrix) continue;
    sum += e.relative_rms * e.relative_rms;
    ++n;
  }
  return n ? std::sqrt(sum / n) : NAN;
}

LogitTolerance logit_tolerance(const tools::ModelShape& stored) {
  tools::ModelShape q8 = stored;
  q8.type = "q8_0";
  const double e_type = weight_relative_error(stored);
  const double e_q8 = weight_relative_error(q8);
  const double e = std::sqrt(e_type * e_type + 2 * e_q8 * e_q8);
  const double rho = std::sqrt(7.0 * stored.n_layer + 1.0) * e;
  return {rho, 1.5 * rho, 6 * 1.5 * rho};
}

}  // namespace edgenode::engine::quant_test

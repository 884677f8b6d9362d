// Compares every tensor of a file against the same tensor in the F32 file it was made from.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "engine/gguf/gguf.h"

namespace edgenode::engine::quant_test {

struct TensorError {
  std::string name;
  GgmlType type = GgmlType::F32;
  bool matrix = false;         // 2-D weight (norms are 1-D)
  double max_bound_ratio = 0;  // max |stored - original| / bound (see quant_error_bound.h)
  int64_t over_bound = 0;      // values whose error exceeds their bound
  double relative_rms = 0;     // ||stored - original|| / ||original||
};

Result<std::vector<TensorError>> compare_with_f32(const GgufFile& f32, const GgufFile& stored);

}  // namespace edgenode::engine::quant_test

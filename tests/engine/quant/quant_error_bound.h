// How far a value stored by the project's writer (engine/gguf/quantize.cpp) in each weight
// type may be from the float it was made from. Each bound is derived from the writer's
// algorithm and computed from the original floats alone, so a wrong block layout, bit order
// or scale in the dequantizer shows up as a value outside it.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/gguf/ggml_type.h"

namespace edgenode::engine::quant_test {

// bounds[i] for x[i], i < n; n is a multiple of the type's block size.
std::vector<float> error_bounds(GgmlType type, const float* x, int64_t n);

}  // namespace edgenode::engine::quant_test

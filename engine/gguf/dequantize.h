// Conversion between ggml's block formats and f32, with the exact block layouts of ggml.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "engine/gguf/ggml_type.h"

namespace edgenode::engine {

// True for the types dequantize_row handles: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q4_K, Q5_K, Q6_K.
bool can_dequantize(GgmlType type);
// src holds n elements of `type` (n a multiple of the block size) -> dst[n] f32.
Result<void> dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

// True for the types quantize_row writes (the same set as can_dequantize).
bool can_quantize(GgmlType type);
// src[n] f32 -> dst, n elements of `type` (n a multiple of the block size; dst holds
// row_bytes(type, n) bytes). Reference-style (round to nearest, per-block scales).
Result<void> quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

// f32 -> bfloat16, round to nearest even (NaN stays NaN). The other half-precision
// conversions are the kernels' (kernels/kernels.h).
uint16_t f32_to_bf16(float f);

}  // namespace edgenode::engine

// Internal: the byte layouts of ggml's quantized blocks (ggml-common.h). Blocks are read
// and written through these structs; halves are fp16 bit patterns.
#pragma once

#include <cstdint>

namespace edgenode::engine::blocks {

constexpr int kQK = 32;    // elements per block of the legacy formats
constexpr int kQK_K = 256; // elements per super-block of the K formats

#pragma pack(push, 1)
struct Q4_0 { uint16_t d; uint8_t qs[kQK / 2]; };                       // x = (q - 8) * d
struct Q4_1 { uint16_t d, m; uint8_t qs[kQK / 2]; };                    // x = q * d + m
struct Q5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[kQK / 2]; };        // x = (q - 16) * d
struct Q5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[kQK / 2]; };     // x = q * d + m
struct Q8_0 { uint16_t d; int8_t qs[kQK]; };                            // x = q * d
// 8 sub-blocks of 32, each with a 6-bit scale and min packed into `scales`.
struct Q4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[kQK_K / 2]; };
struct Q5_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[kQK_K / 8]; uint8_t qs[kQK_K / 2]; };
// 16 sub-blocks of 16, each with an int8 scale; 6-bit quants split into 4 low and 2 high bits.
struct Q6_K { uint8_t ql[kQK_K / 2]; uint8_t qh[kQK_K / 4]; int8_t scales[kQK_K / 16]; uint16_t d; };
#pragma pack(pop)

static_assert(sizeof(Q4_0) == 18 && sizeof(Q4_1) == 20 && sizeof(Q5_0) == 22 && sizeof(Q5_1) == 24);
static_assert(sizeof(Q8_0) == 34 && sizeof(Q4_K) == 144 && sizeof(Q5_K) == 176 && sizeof(Q6_K) == 210);

// Sub-block j's 6-bit scale and min from the 12 packed bytes of Q4_K/Q5_K: the first four
// pairs sit in the low 6 bits of bytes 0-7; the last four take 4 bits from bytes 8-11 and
// their top 2 bits from the spare high bits of bytes 0-7.
inline void unpack_scale_min_k4(int j, const uint8_t* q, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace edgenode::engine::blocks

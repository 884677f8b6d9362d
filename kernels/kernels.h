// The math the engine runs on, behind one dispatch table chosen at start-up from cpuid.
// Kernels know nothing about models: they take pointers, counts and strides.
//
// Layout conventions (as ggml's): a weight matrix W[rows][cols] is stored row-major;
// y = W·x means y[r] = sum_c W[r][c] * x[c]. A Q8_0 row of `cols` values is
// cols/32 Q8Blocks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgenode::kernels {

constexpr int kQ8BlockSize = 32;
constexpr int kQ8PanelRows = 16;  // rows a packed product advances at once (see KernelTable)

// One Q8_0 block: 32 int8 values times one fp16 scale. Byte-compatible with GGUF's Q8_0.
struct Q8Block {
  uint16_t d;  // fp16 scale
  int8_t qs[kQ8BlockSize];
};
static_assert(sizeof(Q8Block) == 34);

float fp16_to_fp32(uint16_t h);
uint16_t fp32_to_fp16(float f);  // round to nearest even, as F16C / ggml
float bf16_to_fp32(uint16_t h);

enum class Isa { scalar, avx2, avx512_vnni };
const char* isa_name(Isa isa);

// One table per ISA; every entry has the same meaning in each.
struct KernelTable {
  Isa isa;
  // x[n] -> y[n/32]; d = amax/127 stored as fp16, q = round_half_even(x * 127/amax). n % 32 == 0.
  void (*quantize_row_q8)(const float* x, Q8Block* y, int n);
  // sum over blocks of fp16(d_a)*fp16(d_b)*int_dot(a.qs, b.qs)
  float (*dot_q8)(const Q8Block* a, const Q8Block* b, int nblocks);
  // y[r] = dot_q8(W row r, x) for r in [row_begin, row_end); W rows are nblocks long.
  void (*matvec_q8)(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int row_begin, int row_end);
  // Several activation rows at once: y[t][r] = dot_q8(W row r, x row t), t < n_tokens.
  // x rows are nblocks long and contiguous; y rows have stride ldy floats.
  void (*matmul_q8)(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int n_tokens, int ldy,
                    int row_begin, int row_end);
  float (*dot_f32)(const float* a, const float* b, int n);
  // Attention's two halves over rows r < n_rows of a matrix with row stride `stride` floats:
  // scores[r] = dot(q, k row r) * scale, and out[i] = sum over r of w[r] * v[r][i], i < n.
  void (*dot_rows_f32)(const float* q, const float* k, size_t stride, int n_rows, int n, float scale, float* scores);
  void (*weighted_rows_f32)(const float* w, const float* v, size_t stride, int n_rows, int n, float* out);
  // softmax() and silu() below; the SIMD versions evaluate exp with a polynomial (within
  // 2 ulp of expf), as ggml-cpu does, because libm's expf dominates them otherwise.
  void (*softmax_f32)(float* x, int n);
  void (*silu_f32)(float* x, int n);

  // Q8_0 matrices repacked once at load into a layout private to this table, for products
  // that advance kQ8PanelRows rows per instruction instead of one row per reduction: the
  // kernel then streams the weights at memory speed with a fraction of the instructions.
  // Null in tables without such a layout (they run the row-major matvec/matmul above).
  // pack_q8 writes packed_q8_bytes(rows, nblocks) bytes (the size of the Q8Block rows, so
  // the bytes a product reads are unchanged). matmul_packed_q8 computes exactly what
  // matmul_q8 computes on the unpacked matrix, bit for bit, for any row range. A single
  // token's product prefetches up to 16 KB past the packed rows it reads, wherever they end:
  // a caller gains by placing the bytes it reads next there.
  size_t (*packed_q8_bytes)(int rows, int nblocks);
  void (*pack_q8)(const Q8Block* w, int rows, int nblocks, uint8_t* out);
  void (*matmul_packed_q8)(const uint8_t* packed, const Q8Block* x, float* y, int rows, int nblocks, int n_tokens,
                           int ldy, int row_begin, int row_end);
};

// The best table for this CPU (filled once, on first use).
const KernelTable& best();
// Every table this CPU can run, scalar first; tests compare each with the scalar one.
int available(const KernelTable** out, int max);

// Element-wise and row operations (scalar reference; auto-vectorised, cheap next to matmuls).
void rmsnorm(const float* x, const float* w, float* y, int n, float eps);  // w may be null
void softmax(float* x, int n);  // best().softmax_f32
void silu(float* x, int n);     // best().silu_f32: x / (1 + exp(-x))
void gelu_tanh(float* x, int n);          // exact f32 tanh approximation
void gelu_tanh_fp16_table(float* x, int n);  // as ggml-cpu: fp16-rounded input, fp16 table
enum class RopeMode { norm, neox };  // norm: adjacent pairs (2i,2i+1); neox: (i, i+rot_dim/2)
// Rotates the first rot_dim values of each of n_heads heads of x[n_heads][head_dim] at position pos.
// freq_factors (rot_dim/2 entries, may be null) divide the frequencies (LongRoPE / Llama-3 scaling).
void rope(float* x, int n_heads, int head_dim, int rot_dim, int pos, float freq_base, float freq_scale,
          const float* freq_factors, RopeMode mode);

// F32 weights (the --weights f32 path) through OpenBLAS sgemm:
// y[t][r] = sum_c w[r][c] * x[t][c] for t < n_tokens, r < rows; y rows have stride ldy.
void matmul_f32(const float* w, const float* x, float* y, int rows, int cols, int n_tokens, int ldy);

// Causal attention of one query position over cached keys/values at positions [kv_begin, kv_end).
// q: [n_head][head_dim]; k, v: [position][n_head_kv][head_dim] (row stride n_head_kv*head_dim,
// position 0 at the pointer); query head h reads kv head h / (n_head / n_head_kv).
// out: [n_head][head_dim]; scores: scratch of kv_end - kv_begin floats. F32 throughout.
void attention(const float* q, const float* k, const float* v, float* out, float* scores, int n_head,
               int n_head_kv, int head_dim, int kv_begin, int kv_end, float scale);

// Measured memory read bandwidth of this machine in GB/s (streams a buffer much larger than
// the caches with n_threads threads); used to state how close generation is to its bound.
double measure_read_bandwidth_gbs(int n_threads);

// Q8_0 to float, exact.
void dequantize_row_q8(const Q8Block* x, float* y, int n);

}  // namespace edgenode::kernels

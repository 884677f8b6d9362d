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
constexpr size_t kPackedPrefetchBytes = 16384;  // how far a single token's packed product reads ahead

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
  // The numerator of a softmax, as ggml's soft_max before it normalises: x[i] = exp(x[i] - max),
  // max the largest x; stores max and returns the sum of the results, added in double.
  // This and silu_f32 (silu() below): the SIMD versions evaluate exp with a polynomial (within
  // 2 ulp of expf), as ggml-cpu does, because libm's expf dominates them otherwise.
  double (*exp_shift_f32)(float* x, int n, float* max);
  void (*silu_f32)(float* x, int n);

  // Q8_0 matrices repacked once at load into a layout private to this table, for products
  // that advance kQ8PanelRows rows per instruction instead of one row per reduction: the
  // kernel then streams the weights at memory speed with a fraction of the instructions.
  // Null in tables without such a layout (they run the row-major matvec/matmul above).
  // pack_q8 writes packed_q8_bytes(rows, nblocks) bytes (the size of the Q8Block rows, so
  // the bytes a product reads are unchanged). matmul_packed_q8 computes exactly what
  // matmul_q8 computes on the unpacked matrix, bit for bit, for any row range. A single
  // token's product prefetches up to kPackedPrefetchBytes past the packed rows it reads,
  // wherever they end: a caller gains by placing the bytes it reads next there.
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
void silu(float* x, int n);     // best().silu_f32: x / (1 + exp(-x))
void gelu_tanh(float* x, int n);          // exact f32 tanh approximation
void gelu_tanh_fp16_table(float* x, int n);  // as ggml-cpu: fp16-rounded input, fp16 table
enum class RopeMode { norm, neox };  // norm: adjacent pairs (2i,2i+1); neox: (i, i+rot_dim/2)
// Rotary position embedding in two steps, so that a decode step, whose layers share one
// position, computes the angles once: rope_angles writes the cos and sin of each rotated pair
// at position pos (cos_sin[i0], cos_sin[i0 + 1] for the pair starting at i0 < rot_dim;
// freq_factors, rot_dim/2 entries or null, divide the frequencies (LongRoPE / Llama-3
// scaling)), and rope_rotate rotates the first rot_dim values of each head of
// x[n_heads][head_dim] by them.
void rope_angles(int pos, int rot_dim, float freq_base, float freq_scale, const float* freq_factors, float* cos_sin);
void rope_rotate(float* x, int n_heads, int head_dim, int rot_dim, const float* cos_sin, RopeMode mode);
// NORM mode's pairs are adjacent, so a row of heads x[..][head_dim] can also be rotated in
// pieces: the values [begin, end), begin and end even. The same bits as rope_rotate.
void rope_rotate_norm_range(float* x, int begin, int end, int head_dim, int rot_dim, const float* cos_sin);

// F32 weights (the --weights f32 path) through OpenBLAS sgemm:
// y[t][r] = sum_c w[r][c] * x[t][c] for t < n_tokens, r < rows; y rows have stride ldy.
void matmul_f32(const float* w, const float* x, float* y, int rows, int cols, int n_tokens, int ldy);

// Attention of one query position for n_q query heads that share a KV head, F32 throughout.
// q: [n_q][head_dim]; k, v: the KV head's cached rows of head_dim floats, position 0 at the
// pointer; positions [begin, end) are attended.
//
// Positions go in chunks of kAttentionChunk, aligned to its multiples; each chunk's softmax is
// taken on its own and the chunks are merged in position order (as flash-decoding does), so a
// range gives the same bits whether one call covers it or its chunks are computed apart (on
// several threads) and merged afterwards.
constexpr int kAttentionChunk = 64;

// One chunk's result for n_q heads before normalisation: out[h] = sum over positions r of
// e^(s_r - max[h]) v_r, with sum[h] = sum of e^(s_r - max[h]).
struct AttentionPart {
  float* out;  // [n_q][head_dim]
  float* max;  // [n_q]
  float* sum;  // [n_q]
};

// The part of positions [begin, end), which lie in one chunk. scores: scratch of
// n_q * kAttentionChunk floats.
void attention_chunk(const float* q, int n_q, const float* k, const float* v, int head_dim, int begin, int end,
                     float scale, float* scores, const AttentionPart& part);
// Merges the next chunk's part into acc (acc := part for the first), then, after the last,
// attention_normalize writes acc's normalised result to out ([n_q][head_dim], may be acc.out).
void attention_merge(const AttentionPart& acc, const AttentionPart& part, bool first, int n_q, int head_dim);
void attention_normalize(const AttentionPart& acc, int n_q, int head_dim, float* out);
// The whole range in one call: every chunk, merged. out: [n_q][head_dim]; scores as above;
// scratch: n_q * (head_dim + 4) floats.
void attention(const float* q, int n_q, const float* k, const float* v, int head_dim, int begin, int end,
               float scale, float* scores, float* scratch, float* out);

// Measured memory read bandwidth of this machine in GB/s (streams a buffer much larger than
// the caches with n_threads threads); used to state how close generation is to its bound.
double measure_read_bandwidth_gbs(int n_threads);

// Q8_0 to float, exact.
void dequantize_row_q8(const Q8Block* x, float* y, int n);

}  // namespace edgenode::kernels

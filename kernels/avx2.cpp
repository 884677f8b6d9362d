// AVX2 + FMA + F16C kernels. Integer block sums use the sign trick (maddubs of |w| and
// x·sign(w), exact for activations in [-127, 127]); float accumulation follows
// q8_reference.h, so results equal the scalar table bit for bit.
#include <immintrin.h>

#include <cmath>

#include "kernels/tables.h"

namespace edgenode::kernels {
namespace {

inline __m256i load_qs(const Q8Block& b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)); }

inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

// Eight int32 partial sums of one block's 32 products.
inline __m256i block_products(__m256i w, __m256i x) {
  const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

inline int32_t hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 1, 1, 1)));
  return _mm_cvtsi128_si32(s);
}

void quantize_row_q8(const float* x, Q8Block* y, int n) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (int b = 0; b < n / kQ8BlockSize; ++b) {
    const float* xb = x + b * kQ8BlockSize;
    __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
    __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign_bit, v0), _mm256_andnot_ps(sign_bit, v1)),
                             _mm256_max_ps(_mm256_andnot_ps(sign_bit, v2), _mm256_andnot_ps(sign_bit, v3)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    y[b].d = _cvtss_sh(amax / 127.0f, 0);
    const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), kRound));
    const __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), kRound));
    const __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), kRound));
    const __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), kRound));
    // The packs work per 128-bit lane; the final permute restores element order.
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    const __m256i ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[b].qs), ordered);
  }
}

float dot_q8(const Q8Block* a, const Q8Block* b, int nblocks) {
  float acc = 0.0f;
  for (int i = 0; i < nblocks; ++i) {
    const int32_t sum = hsum_i32(block_products(load_qs(a[i]), load_qs(b[i])));
    acc = std::fma(half_to_float(a[i].d) * half_to_float(b[i].d), static_cast<float>(sum), acc);
  }
  return acc;
}

// matvec streams weights from memory: while four rows are summed, the rows kPrefetchDistance
// bytes further on are requested, one step's worth of bytes per step, so they arrive in time.
// Measured: the hardware prefetcher alone does not keep up with four interleaved short row
// streams (about half the bandwidth on a loaded Zen machine).
constexpr size_t kPrefetchDistance = 8192;

inline void prefetch_ahead(const char* p, size_t bytes) {
  for (size_t i = 0; i < bytes; i += 64) _mm_prefetch(p + i, _MM_HINT_T0);
}

// Dot products of four consecutive weight rows with one activation row; returns the four
// results in lane order. The x block is loaded once and used for all four rows.
inline __m128 dot_4rows(const Q8Block* w, size_t row_stride, const Q8Block* x, int nblocks, const char* prefetch) {
  const Q8Block* w0 = w;
  const Q8Block* w1 = w + row_stride;
  const Q8Block* w2 = w + 2 * row_stride;
  const Q8Block* w3 = w + 3 * row_stride;
  __m128 acc = _mm_setzero_ps();
  for (int b = 0; b < nblocks; ++b) {
    if (prefetch) prefetch_ahead(prefetch + b * 4 * sizeof(Q8Block), 4 * sizeof(Q8Block));
    const __m256i xv = load_qs(x[b]);
    const __m256i p0 = block_products(load_qs(w0[b]), xv);
    const __m256i p1 = block_products(load_qs(w1[b]), xv);
    const __m256i p2 = block_products(load_qs(w2[b]), xv);
    const __m256i p3 = block_products(load_qs(w3[b]), xv);
    // hadd tree: each 128-bit lane ends as [row0, row1, row2, row3] partial sums.
    const __m256i u = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
    const __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
    const __m128 dw = _mm_cvtph_ps(_mm_setr_epi16(static_cast<short>(w0[b].d), static_cast<short>(w1[b].d),
                                                  static_cast<short>(w2[b].d), static_cast<short>(w3[b].d), 0, 0,
                                                  0, 0));
    const __m128 d = _mm_mul_ps(dw, _mm_set1_ps(half_to_float(x[b].d)));
    acc = _mm_fmadd_ps(d, _mm_cvtepi32_ps(sums), acc);
  }
  return acc;
}

// Rows in groups of four; each group's weights stay in L1 while every token passes over
// them, and the first pass prefetches the weights further on (the only pass when n_tokens is 1).
void matmul_q8(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int n_tokens, int ldy, int row_begin,
               int row_end) {
  const size_t stride = static_cast<size_t>(nblocks);
  const size_t group_bytes = 4 * stride * sizeof(Q8Block);
  const char* range_end = reinterpret_cast<const char*>(w + row_end * stride);
  int r = row_begin;
  for (; r + 4 <= row_end; r += 4) {
    const char* group = reinterpret_cast<const char*>(w + r * stride);
    const char* ahead = group + kPrefetchDistance + group_bytes <= range_end ? group + kPrefetchDistance : nullptr;
    for (int t = 0; t < n_tokens; ++t) {
      _mm_storeu_ps(y + static_cast<size_t>(t) * ldy + r,
                    dot_4rows(w + r * stride, stride, x + t * stride, nblocks, t == 0 ? ahead : nullptr));
    }
  }
  for (; r < row_end; ++r) {
    for (int t = 0; t < n_tokens; ++t) y[static_cast<size_t>(t) * ldy + r] = dot_q8(w + r * stride, x + t * stride, nblocks);
  }
}

void matvec_q8(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int row_begin, int row_end) {
  matmul_q8(w, x, y, nblocks, 1, 0, row_begin, row_end);
}

float dot_f32(const float* a, const float* b, int n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  const __m256 s8 = _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  float sum = _mm_cvtss_f32(s);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void dot_rows_f32(const float* q, const float* k, size_t stride, int n_rows, int n, float scale, float* scores) {
  for (int r = 0; r < n_rows; ++r) scores[r] = dot_f32(q, k + r * stride, n) * scale;
}

// Columns in chunks of 32 (then 8, then 1) whose sums stay in registers across all rows.
void weighted_rows_f32(const float* w, const float* v, size_t stride, int n_rows, int n, float* out) {
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int r = 0; r < n_rows; ++r) {
      const __m256 wr = _mm256_set1_ps(w[r]);
      const float* vr = v + r * stride + i;
      a0 = _mm256_fmadd_ps(wr, _mm256_loadu_ps(vr), a0);
      a1 = _mm256_fmadd_ps(wr, _mm256_loadu_ps(vr + 8), a1);
      a2 = _mm256_fmadd_ps(wr, _mm256_loadu_ps(vr + 16), a2);
      a3 = _mm256_fmadd_ps(wr, _mm256_loadu_ps(vr + 24), a3);
    }
    _mm256_storeu_ps(out + i, a0);
    _mm256_storeu_ps(out + i + 8, a1);
    _mm256_storeu_ps(out + i + 16, a2);
    _mm256_storeu_ps(out + i + 24, a3);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 a = _mm256_setzero_ps();
    for (int r = 0; r < n_rows; ++r) a = _mm256_fmadd_ps(_mm256_set1_ps(w[r]), _mm256_loadu_ps(v + r * stride + i), a);
    _mm256_storeu_ps(out + i, a);
  }
  for (; i < n; ++i) {
    float a = 0.0f;
    for (int r = 0; r < n_rows; ++r) a = std::fma(w[r], v[r * stride + i], a);
    out[i] = a;
  }
}

// e^x: x = n·ln2 + r with |r| <= ln2/2 (ln2 split in two so n·ln2 is exact enough), e^r by
// its degree-6 Taylor polynomial (relative error below 2e-7), times 2^n built in the exponent
// bits. x is clamped to [-87.3, 88.7], where 2^n stays a normal float (the low end gives
// about 1e-38 instead of a denormal or 0; the top gives inf). NaN stays NaN.
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.7f), _mm256_max_ps(_mm256_set1_ps(-87.3f), x));
  constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), kNearest);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i two_n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(two_n));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// As ggml's soft_max before its normalisation: subtract the maximum, exponentiate, sum in double.
double exp_shift_f32(float* x, int n, float* max_out) {
  int i = 0;
  __m256 m8 = _mm256_set1_ps(-INFINITY);
  for (; i + 8 <= n; i += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(x + i));
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  float max = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
  for (; i < n; ++i) max = std::fmax(max, x[i]);
  const __m256 max8 = _mm256_set1_ps(max);
  double sum = 0.0;
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), max8));
    _mm256_storeu_ps(x + i, e);
    sum += hsum(e);
  }
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  *max_out = max;
  return sum;
}

void silu_f32(float* x, int n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), v));
    _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
  }
  for (; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

}  // namespace

const KernelTable kAvx2Table{Isa::avx2,     quantize_row_q8,   dot_q8,      matvec_q8, matmul_q8, dot_f32,
                             dot_rows_f32, weighted_rows_f32, exp_shift_f32, silu_f32,
                             nullptr,      nullptr,           nullptr};

}  // namespace edgenode::kernels

// AVX-512 VNNI kernels. vpdpbusd multiplies unsigned by signed bytes, so weights enter as
// w ^ 0x80 = w + 128 (unsigned) and each accumulator starts at -128·sum(x), which makes the
// block sums exact for every int8 input. Float accumulation follows q8_reference.h
// (vectorised across rows and tokens, never across the blocks of one dot), so results equal
// the scalar table bit for bit.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/tables.h"

// GCC 12's AVX-512 headers build "undefined" registers by self-initialisation, which its own
// -Wuninitialized then reports at every inlined extract/insert (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace edgenode::kernels {
namespace {

inline __m256i load_qs(const Q8Block& b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)); }

// The quants of blocks b and b+1 of one row, side by side in one register.
inline __m512i load_qs_pair(const Q8Block* row, int b) {
  return _mm512_inserti64x4(_mm512_zextsi256_si512(load_qs(row[b])), load_qs(row[b + 1]), 1);
}

inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i unsigned_weights(__m256i w) { return _mm256_xor_si256(w, _mm256_set1_epi8(-128)); }
inline __m512i unsigned_weights(__m512i w) { return _mm512_xor_si512(w, _mm512_set1_epi8(-128)); }

// Per 32-bit lane: -128 · (sum of the four x bytes in that lane).
inline __m256i minus_bias(__m256i x) {
  return _mm256_sub_epi32(_mm256_setzero_si256(),
                          _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(-128), x));
}
inline __m512i minus_bias(__m512i x) {
  return _mm512_sub_epi32(_mm512_setzero_si512(),
                          _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(-128), x));
}

inline int32_t block_sum(const Q8Block& w, const Q8Block& x) {
  const __m256i xv = load_qs(x);
  const __m256i lanes = _mm256_dpbusd_epi32(minus_bias(xv), unsigned_weights(load_qs(w)), xv);
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(lanes), _mm256_extracti128_si256(lanes, 1));
  s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 1, 1, 1)));
  return _mm_cvtsi128_si32(s);
}

// Lane j of the result sums the 32-bit lanes of 128-bit lane j of a, b, c, d: [a_j, b_j, c_j, d_j].
inline __m512i transpose_sum(__m512i a, __m512i b, __m512i c, __m512i d) {
  const __m512i ab = _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b));
  const __m512i cd = _mm512_add_epi32(_mm512_unpacklo_epi32(c, d), _mm512_unpackhi_epi32(c, d));
  return _mm512_add_epi32(_mm512_unpacklo_epi64(ab, cd), _mm512_unpackhi_epi64(ab, cd));
}
inline __m256i transpose_sum(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_add_epi32(_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
  const __m256i cd = _mm256_add_epi32(_mm256_unpacklo_epi32(c, d), _mm256_unpackhi_epi32(c, d));
  return _mm256_add_epi32(_mm256_unpacklo_epi64(ab, cd), _mm256_unpackhi_epi64(ab, cd));
}

void quantize_row_q8(const float* x, Q8Block* y, int n) {
  for (int b = 0; b < n / kQ8BlockSize; ++b) {
    const float* xb = x + b * kQ8BlockSize;
    const __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
    const __m512 m16 = _mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1));
    const __m256 m8 = _mm256_max_ps(_mm512_castps512_ps256(m16), _mm512_extractf32x8_ps(m16, 1));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    const float amax = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
    y[b].d = _cvtss_sh(amax / 127.0f, 0);
    const __m512 id = _mm512_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
    constexpr int kRound = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __m512i i0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v0, id), kRound);
    const __m512i i1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v1, id), kRound);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y[b].qs), _mm512_cvtsepi32_epi8(i0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y[b].qs + 16), _mm512_cvtsepi32_epi8(i1));
  }
}

float dot_q8(const Q8Block* a, const Q8Block* b, int nblocks) {
  float acc = 0.0f;
  for (int i = 0; i < nblocks; ++i) {
    acc = std::fma(half_to_float(a[i].d) * half_to_float(b[i].d), static_cast<float>(block_sum(a[i], b[i])), acc);
  }
  return acc;
}

inline __m128 row_scales(const Q8Block* w0, const Q8Block* w1, const Q8Block* w2, const Q8Block* w3, int b) {
  return _mm_cvtph_ps(_mm_setr_epi16(static_cast<short>(w0[b].d), static_cast<short>(w1[b].d),
                                     static_cast<short>(w2[b].d), static_cast<short>(w3[b].d), 0, 0, 0, 0));
}

// matvec streams weights from memory: while four rows are summed, the rows kPrefetchDistance
// bytes further on are requested, one step's worth of bytes per step, so they arrive in time.
// Measured: the hardware prefetcher alone does not keep up with four interleaved short row
// streams (about half the bandwidth on a loaded Zen machine).
constexpr size_t kPrefetchDistance = 8192;

inline void prefetch_ahead(const char* p, size_t bytes) {
  for (size_t i = 0; i < bytes; i += 64) _mm_prefetch(p + i, _MM_HINT_T0);
}

// Dot products of four consecutive weight rows with one activation row, two blocks per step;
// returns the four results in lane order.
inline __m128 dot_4rows(const Q8Block* w, size_t row_stride, const Q8Block* x, int nblocks, const char* prefetch) {
  const Q8Block* w0 = w;
  const Q8Block* w1 = w + row_stride;
  const Q8Block* w2 = w + 2 * row_stride;
  const Q8Block* w3 = w + 3 * row_stride;
  __m128 acc = _mm_setzero_ps();
  int b = 0;
  for (; b + 2 <= nblocks; b += 2) {
    if (prefetch) prefetch_ahead(prefetch + b * 4 * sizeof(Q8Block), 2 * 4 * sizeof(Q8Block));
    const __m512i xv = load_qs_pair(x, b);
    const __m512i bias = minus_bias(xv);
    const __m512i p0 = _mm512_dpbusd_epi32(bias, unsigned_weights(load_qs_pair(w0, b)), xv);
    const __m512i p1 = _mm512_dpbusd_epi32(bias, unsigned_weights(load_qs_pair(w1, b)), xv);
    const __m512i p2 = _mm512_dpbusd_epi32(bias, unsigned_weights(load_qs_pair(w2, b)), xv);
    const __m512i p3 = _mm512_dpbusd_epi32(bias, unsigned_weights(load_qs_pair(w3, b)), xv);
    // 128-bit lanes 0,1 hold block b and lanes 2,3 block b+1: pair them up and add.
    const __m512i lanes = transpose_sum(p0, p1, p2, p3);
    const __m512i u = _mm512_shuffle_i32x4(lanes, lanes, _MM_SHUFFLE(3, 1, 2, 0));
    const __m256i sums = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
    const __m128 d0 = _mm_mul_ps(row_scales(w0, w1, w2, w3, b), _mm_set1_ps(half_to_float(x[b].d)));
    const __m128 d1 = _mm_mul_ps(row_scales(w0, w1, w2, w3, b + 1), _mm_set1_ps(half_to_float(x[b + 1].d)));
    acc = _mm_fmadd_ps(d0, _mm_cvtepi32_ps(_mm256_castsi256_si128(sums)), acc);
    acc = _mm_fmadd_ps(d1, _mm_cvtepi32_ps(_mm256_extracti128_si256(sums, 1)), acc);
  }
  if (b < nblocks) {
    const __m256i xv = load_qs(x[b]);
    const __m256i bias = minus_bias(xv);
    const __m256i u = transpose_sum(_mm256_dpbusd_epi32(bias, unsigned_weights(load_qs(w0[b])), xv),
                                    _mm256_dpbusd_epi32(bias, unsigned_weights(load_qs(w1[b])), xv),
                                    _mm256_dpbusd_epi32(bias, unsigned_weights(load_qs(w2[b])), xv),
                                    _mm256_dpbusd_epi32(bias, unsigned_weights(load_qs(w3[b])), xv));
    const __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
    const __m128 d = _mm_mul_ps(row_scales(w0, w1, w2, w3, b), _mm_set1_ps(half_to_float(x[b].d)));
    acc = _mm_fmadd_ps(d, _mm_cvtepi32_ps(sums), acc);
  }
  return acc;
}

// ---- panels: 16 rows interleaved so one vpdpbusd advances all of them ----

constexpr int kPanelRows = kQ8PanelRows;
constexpr int kTokenTile = 8;
// Below this many tokens the repacking of row-major weights, done per call, costs more than
// it saves: on the SmolLM2-135M shape (576 columns) a decode step of 4 sequences spent 80 % of
// its time in repack() with a threshold of 4, and took half the cycles per token with rows of
// four. Packed weights (matmul_packed_q8) are repacked once at load and use panels for every
// token count.
constexpr int kMinTokensForPanels = 32;

// A panel of 16 rows and nblocks blocks: first the quants, per block eight 64-byte vectors of
// 16 lanes, lane r of vector k holding bytes 4k..4k+3 of row r as unsigned w + 128 (so one
// vpdpbusd against a broadcast of 4 activation bytes advances all 16 rows and no horizontal
// sums are needed); then the 16 fp16 row scales of every block. 544 bytes per block, as
// many as the 16 Q8Blocks it replaces.
constexpr size_t kPanelQuantBytes = 8 * 64;                      // per block
constexpr size_t kPanelScaleBytes = kPanelRows * sizeof(uint16_t);  // per block
constexpr size_t kPanelBlockBytes = kPanelQuantBytes + kPanelScaleBytes;
static_assert(kPanelBlockBytes == kPanelRows * sizeof(Q8Block));

struct PanelView {
  const uint8_t* quants;    // [nblocks][8][64]
  const uint16_t* scales;   // [nblocks][16]
};

inline PanelView panel_at(const uint8_t* panel, int nblocks) {
  return {panel, reinterpret_cast<const uint16_t*>(panel + static_cast<size_t>(nblocks) * kPanelQuantBytes)};
}

// Transposes 16 rows into one panel: an 8x8 dword transpose run on rows 0-7 in the low
// halves and rows 8-15 in the high halves of eight registers at once.
void repack(const Q8Block* w, size_t row_stride, int nblocks, uint8_t* quants, uint16_t* scales) {
  const __m512i flip = _mm512_set1_epi8(-128);
  // Qword indices picking 128-bit lanes [a.j, b.j, a.j+2, b.j+2] out of two registers a, b.
  const __m512i pick_low = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i pick_high = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  for (int b = 0; b < nblocks; ++b) {
    __m512i r[8];
    for (int i = 0; i < 8; ++i) {
      r[i] = _mm512_inserti64x4(_mm512_zextsi256_si512(load_qs(w[i * row_stride + b])),
                                load_qs(w[(i + 8) * row_stride + b]), 1);
    }
    __m512i t[8], s[8];
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; ++h) {  // rows 0-3 (h = 0) and rows 4-7 (h = 1) of each half
      s[4 * h + 0] = _mm512_unpacklo_epi64(t[4 * h], t[4 * h + 2]);      // dwords 0 | 4
      s[4 * h + 1] = _mm512_unpackhi_epi64(t[4 * h], t[4 * h + 2]);      // dwords 1 | 5
      s[4 * h + 2] = _mm512_unpacklo_epi64(t[4 * h + 1], t[4 * h + 3]);  // dwords 2 | 6
      s[4 * h + 3] = _mm512_unpackhi_epi64(t[4 * h + 1], t[4 * h + 3]);  // dwords 3 | 7
    }
    uint8_t* q = quants + static_cast<size_t>(b) * kPanelQuantBytes;
    for (int k = 0; k < 4; ++k) {
      _mm512_storeu_si512(q + 64 * k, _mm512_xor_si512(_mm512_permutex2var_epi64(s[k], pick_low, s[4 + k]), flip));
      _mm512_storeu_si512(q + 64 * (k + 4),
                          _mm512_xor_si512(_mm512_permutex2var_epi64(s[k], pick_high, s[4 + k]), flip));
    }
    for (int i = 0; i < kPanelRows; ++i) scales[static_cast<size_t>(b) * kPanelRows + i] = w[i * row_stride + b].d;
  }
}

// Per activation block: -128 · sum of its quants, and its scale as float.
struct TokenBlocks {
  std::vector<int32_t> minus_bias;
  std::vector<float> scale;
};

// Scratch grows to the largest shape seen and is then reused: no allocation per call.
const TokenBlocks& prepare_tokens(const Q8Block* x, int count) {
  thread_local TokenBlocks tb;
  if (tb.scale.size() < static_cast<size_t>(count)) {
    tb.minus_bias.resize(count);
    tb.scale.resize(count);
  }
  for (int i = 0; i < count; ++i) {
    int32_t sum = 0;
    for (int j = 0; j < kQ8BlockSize; ++j) sum += x[i].qs[j];
    tb.minus_bias[i] = -128 * sum;
    tb.scale[i] = half_to_float(x[i].d);
  }
  return tb;
}

inline __m512i broadcast_quad(const int8_t* qs, int k) {
  int32_t four;
  std::memcpy(&four, qs + 4 * k, 4);
  return _mm512_set1_epi32(four);
}

inline __m512i panel_vector(const PanelView& p, int b, int k) {
  return _mm512_loadu_si512(p.quants + static_cast<size_t>(b) * kPanelQuantBytes + 64 * k);
}

inline __m512 panel_scales(const PanelView& p, int b) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.scales + static_cast<size_t>(b) * kPanelRows)));
}

// Requests the 544 bytes of one panel block: nine lines cover them wherever they start;
// unrolled, as the loop's own instructions were half of the single-token kernel's.
inline void prefetch_panel_block(const uint8_t* at) {
#pragma GCC unroll 9
  for (size_t i = 0; i < kPanelBlockBytes; i += 64) _mm_prefetch(reinterpret_cast<const char*>(at + i), _MM_HINT_T0);
}

// y[t][0..15] for kTokens consecutive tokens; x, minus_bias and scale start at the first token.
// With `ahead`, the block at ahead + b * kPanelBlockBytes is requested as block b is summed.
template <int kTokens>
void panel_tile(const PanelView& p, const Q8Block* x, const int32_t* minus_bias, const float* scale, float* y, int ldy,
                int nblocks, const uint8_t* ahead = nullptr) {
  // The token loops are unrolled so acc[] lives in registers: left as loops (GCC 12 with 2
  // tokens), each block stored and reloaded every accumulator, and a decode step of two
  // sequences ran no faster than two steps of one.
  __m512 acc[kTokens];
#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) acc[t] = _mm512_setzero_ps();
  for (int b = 0; b < nblocks; ++b) {
    if (ahead) prefetch_panel_block(ahead + static_cast<size_t>(b) * kPanelBlockBytes);
    const __m512i w0 = panel_vector(p, b, 0), w1 = panel_vector(p, b, 1), w2 = panel_vector(p, b, 2),
                  w3 = panel_vector(p, b, 3), w4 = panel_vector(p, b, 4), w5 = panel_vector(p, b, 5),
                  w6 = panel_vector(p, b, 6), w7 = panel_vector(p, b, 7);
    const __m512 dw = panel_scales(p, b);
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) {
      const size_t i = static_cast<size_t>(t) * nblocks + b;
      const int8_t* xq = x[i].qs;
      __m512i s = _mm512_set1_epi32(minus_bias[i]);
      s = _mm512_dpbusd_epi32(s, w0, broadcast_quad(xq, 0));
      s = _mm512_dpbusd_epi32(s, w1, broadcast_quad(xq, 1));
      s = _mm512_dpbusd_epi32(s, w2, broadcast_quad(xq, 2));
      s = _mm512_dpbusd_epi32(s, w3, broadcast_quad(xq, 3));
      s = _mm512_dpbusd_epi32(s, w4, broadcast_quad(xq, 4));
      s = _mm512_dpbusd_epi32(s, w5, broadcast_quad(xq, 5));
      s = _mm512_dpbusd_epi32(s, w6, broadcast_quad(xq, 6));
      s = _mm512_dpbusd_epi32(s, w7, broadcast_quad(xq, 7));
      const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(scale[i]));
      acc[t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) _mm512_storeu_ps(y + static_cast<size_t>(t) * ldy, acc[t]);
}

// Packed weights take fewer instructions per byte than row-major ones, so they run further
// ahead of the loads: 16 KB beat 4, 8 and 32 KB (1 thread, perf stat, -3 to -4 % cycles
// per decode step against 8 KB).
constexpr size_t kPanelPrefetchDistance = kPackedPrefetchBytes;

// One token against a panel streamed from memory: the eight products of a block split into
// two independent chains (integer sums, exact in any order), and the bytes
// kPanelPrefetchDistance further on requested block by block. The prefetch runs on past the
// end of the caller's rows (prefetches never fault): the engine lays out what a thread reads
// next right after them, so the next matrix is on its way while the thread waits for the others.
void panel_matvec(const PanelView& p, const Q8Block* x, const int32_t* minus_bias, const float* scale, float* y,
                  int nblocks, const uint8_t* panel_start) {
  __m512 acc = _mm512_setzero_ps();
  for (int b = 0; b < nblocks; ++b) {
    prefetch_panel_block(panel_start + static_cast<size_t>(b) * kPanelBlockBytes + kPanelPrefetchDistance);
    const int8_t* xq = x[b].qs;
    __m512i s0 = _mm512_set1_epi32(minus_bias[b]);
    __m512i s1 = _mm512_setzero_si512();
    s0 = _mm512_dpbusd_epi32(s0, panel_vector(p, b, 0), broadcast_quad(xq, 0));
    s1 = _mm512_dpbusd_epi32(s1, panel_vector(p, b, 1), broadcast_quad(xq, 1));
    s0 = _mm512_dpbusd_epi32(s0, panel_vector(p, b, 2), broadcast_quad(xq, 2));
    s1 = _mm512_dpbusd_epi32(s1, panel_vector(p, b, 3), broadcast_quad(xq, 3));
    s0 = _mm512_dpbusd_epi32(s0, panel_vector(p, b, 4), broadcast_quad(xq, 4));
    s1 = _mm512_dpbusd_epi32(s1, panel_vector(p, b, 5), broadcast_quad(xq, 5));
    s0 = _mm512_dpbusd_epi32(s0, panel_vector(p, b, 6), broadcast_quad(xq, 6));
    s1 = _mm512_dpbusd_epi32(s1, panel_vector(p, b, 7), broadcast_quad(xq, 7));
    const __m512 d = _mm512_mul_ps(panel_scales(p, b), _mm512_set1_ps(scale[b]));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), acc);
  }
  _mm512_storeu_ps(y, acc);
}

// All tokens against one panel, writing y[t][0..15] (row stride ldy), in tiles of 8, 4, 2
// and 1 tokens. The first tile streams the panel from memory and prefetches the bytes
// kPanelPrefetchDistance further on, as panel_matvec does for one token: a decode step of a
// few sequences is as bound by memory as one of a single sequence. The later tiles find the
// panel in cache. panel_start is null for a panel repacked into scratch: nothing to prefetch.
void panel_all_tokens(const PanelView& p, const Q8Block* x, const TokenBlocks& tb, float* y, int ldy, int nblocks,
                      int n_tokens, const uint8_t* panel_start) {
  const size_t stride = static_cast<size_t>(nblocks);
  const uint8_t* ahead = panel_start ? panel_start + kPanelPrefetchDistance : nullptr;
  int t = 0;
  auto tiles = [&]<int kTokens>() {
    for (; t + kTokens <= n_tokens; t += kTokens) {
      panel_tile<kTokens>(p, x + t * stride, &tb.minus_bias[t * stride], &tb.scale[t * stride],
                          y + static_cast<size_t>(t) * ldy, ldy, nblocks, t == 0 ? ahead : nullptr);
    }
  };
  tiles.template operator()<kTokenTile>();
  tiles.template operator()<kTokenTile / 2>();
  tiles.template operator()<kTokenTile / 4>();
  tiles.template operator()<1>();
}

// Rows in groups of four; each group's weights stay in L1 while every token passes over
// them, and the first pass prefetches the weights further on (the only pass when n_tokens is 1).
void matmul_rows4(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int n_tokens, int ldy, int row_begin,
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

void matmul_q8(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int n_tokens, int ldy, int row_begin,
               int row_end) {
  if (n_tokens < kMinTokensForPanels || row_end - row_begin < kPanelRows) {
    matmul_rows4(w, x, y, nblocks, n_tokens, ldy, row_begin, row_end);
    return;
  }
  // One panel of scratch, grown to the largest shape seen and then reused.
  thread_local std::vector<uint8_t> panel;
  const size_t stride = static_cast<size_t>(nblocks);
  if (panel.size() < stride * kPanelBlockBytes) panel.resize(stride * kPanelBlockBytes);
  const TokenBlocks& tb = prepare_tokens(x, static_cast<int>(stride * n_tokens));
  const PanelView view = panel_at(panel.data(), nblocks);

  int r = row_begin;
  for (; r + kPanelRows <= row_end; r += kPanelRows) {
    repack(w + r * stride, stride, nblocks, panel.data(), const_cast<uint16_t*>(view.scales));
    panel_all_tokens(view, x, tb, y + r, ldy, nblocks, n_tokens, nullptr);
  }
  matmul_rows4(w, x, y, nblocks, n_tokens, ldy, r, row_end);
}

void matvec_q8(const Q8Block* w, const Q8Block* x, float* y, int nblocks, int row_begin, int row_end) {
  matmul_rows4(w, x, y, nblocks, 1, 0, row_begin, row_end);
}

// ---- packed matrices: full panels, then the rows that do not fill one as Q8Block rows ----

size_t packed_q8_bytes(int rows, int nblocks) { return static_cast<size_t>(rows) * nblocks * sizeof(Q8Block); }

void pack_q8(const Q8Block* w, int rows, int nblocks, uint8_t* out) {
  const size_t stride = static_cast<size_t>(nblocks);
  const int panels = rows / kPanelRows;
  for (int p = 0; p < panels; ++p) {
    uint8_t* panel = out + static_cast<size_t>(p) * stride * kPanelBlockBytes;
    repack(w + static_cast<size_t>(p) * kPanelRows * stride, stride, nblocks, panel,
           reinterpret_cast<uint16_t*>(panel + stride * kPanelQuantBytes));
  }
  const size_t panel_bytes = static_cast<size_t>(panels) * stride * kPanelBlockBytes;
  std::memcpy(out + panel_bytes, w + static_cast<size_t>(panels) * kPanelRows * stride,
              static_cast<size_t>(rows - panels * kPanelRows) * stride * sizeof(Q8Block));
}

void matmul_packed_q8(const uint8_t* packed, const Q8Block* x, float* y, int rows, int nblocks, int n_tokens, int ldy,
                      int row_begin, int row_end) {
  const size_t stride = static_cast<size_t>(nblocks);
  const size_t panel_bytes = stride * kPanelBlockBytes;
  const int panel_rows = rows / kPanelRows * kPanelRows;
  const TokenBlocks& tb = prepare_tokens(x, static_cast<int>(stride * n_tokens));

  int r = row_begin;
  while (r < std::min(row_end, panel_rows)) {
    const int first = r / kPanelRows * kPanelRows;
    const uint8_t* panel = packed + static_cast<size_t>(first / kPanelRows) * panel_bytes;
    const PanelView view = panel_at(panel, nblocks);
    const int end = std::min(row_end, first + kPanelRows);
    if (r == first && end == first + kPanelRows) {
      if (n_tokens == 1)
        panel_matvec(view, x, tb.minus_bias.data(), tb.scale.data(), y + r, nblocks, panel);
      else
        panel_all_tokens(view, x, tb, y + r, ldy, nblocks, n_tokens, panel);
    } else {
      // A range that cuts a panel: the whole panel into scratch, the rows asked for copied out.
      float part[kPanelRows];
      for (int t = 0; t < n_tokens; ++t) {
        panel_tile<1>(view, x + t * stride, &tb.minus_bias[t * stride], &tb.scale[t * stride], part, 0, nblocks);
        std::copy(part + (r - first), part + (end - first), y + static_cast<size_t>(t) * ldy + r);
      }
    }
    r = end;
  }
  if (row_end > panel_rows) {
    const auto* tail = reinterpret_cast<const Q8Block*>(packed + static_cast<size_t>(panel_rows / kPanelRows) * panel_bytes);
    matmul_rows4(tail, x, y + panel_rows, nblocks, n_tokens, ldy, std::max(row_begin, panel_rows) - panel_rows,
                 row_end - panel_rows);
  }
}

float dot_f32(const float* a, const float* b, int n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i + 16 <= n; i += 16) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  const __m512 s16 = _mm512_add_ps(acc0, acc1);
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(s16), _mm512_extractf32x8_ps(s16, 1));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  float sum = _mm_cvtss_f32(_mm_add_ss(s4, _mm_movehdup_ps(s4)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Four rows at a time when n is a multiple of 16, so their horizontal sums share one
// transpose instead of four separate reductions.
void dot_rows_f32(const float* q, const float* k, size_t stride, int n_rows, int n, float scale, float* scores) {
  int r = 0;
  if (n % 16 == 0) {
    for (; r + 4 <= n_rows; r += 4) {
      const float* k0 = k + r * stride;
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int c = 0; c < n; c += 16) {
        const __m512 qv = _mm512_loadu_ps(q + c);
        a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + c), a0);
        a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + stride + c), a1);
        a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + 2 * stride + c), a2);
        a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + 3 * stride + c), a3);
      }
      // Per 128-bit lane: [a0, a1, a2, a3] partial sums; then the four lanes are added.
      const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
      const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(a2, a3), _mm512_unpackhi_ps(a2, a3));
      const __m512d abd = _mm512_castps_pd(ab), cdd = _mm512_castps_pd(cd);
      const __m512 u = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(abd, cdd)),
                                     _mm512_castpd_ps(_mm512_unpackhi_pd(abd, cdd)));
      const __m256 half = _mm256_add_ps(_mm512_castps512_ps256(u), _mm512_extractf32x8_ps(u, 1));
      const __m128 sums = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
      _mm_storeu_ps(scores + r, _mm_mul_ps(sums, _mm_set1_ps(scale)));
    }
  }
  for (; r < n_rows; ++r) scores[r] = dot_f32(q, k + r * stride, n) * scale;
}

// Columns in chunks of 64 (then 16, then 1) whose sums stay in registers across all rows.
void weighted_rows_f32(const float* w, const float* v, size_t stride, int n_rows, int n, float* out) {
  int i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int r = 0; r < n_rows; ++r) {
      const __m512 wr = _mm512_set1_ps(w[r]);
      const float* vr = v + r * stride + i;
      a0 = _mm512_fmadd_ps(wr, _mm512_loadu_ps(vr), a0);
      a1 = _mm512_fmadd_ps(wr, _mm512_loadu_ps(vr + 16), a1);
      a2 = _mm512_fmadd_ps(wr, _mm512_loadu_ps(vr + 32), a2);
      a3 = _mm512_fmadd_ps(wr, _mm512_loadu_ps(vr + 48), a3);
    }
    _mm512_storeu_ps(out + i, a0);
    _mm512_storeu_ps(out + i + 16, a1);
    _mm512_storeu_ps(out + i + 32, a2);
    _mm512_storeu_ps(out + i + 48, a3);
  }
  for (; i + 16 <= n; i += 16) {
    __m512 a = _mm512_setzero_ps();
    for (int r = 0; r < n_rows; ++r) a = _mm512_fmadd_ps(_mm512_set1_ps(w[r]), _mm512_loadu_ps(v + r * stride + i), a);
    _mm512_storeu_ps(out + i, a);
  }
  for (; i < n; ++i) {
    float a = 0.0f;
    for (int r = 0; r < n_rows; ++r) a = std::fma(w[r], v[r * stride + i], a);
    out[i] = a;
  }
}

// e^x: x = n·ln2 + r with |r| <= ln2/2 (ln2 split in two so n·ln2 is exact enough), e^r by
// its degree-6 Taylor polynomial (relative error below 2e-7), times 2^n by vscalefps, which
// overflows to inf and underflows to 0 correctly. NaN stays NaN.
inline __m512 exp_ps(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);  // e^-104 is 0 in float; keeps -inf out of n
  constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), kNearest);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

inline float hsum(__m512 v) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s4, _mm_movehdup_ps(s4)));
}

// As ggml's soft_max before its normalisation: subtract the maximum, exponentiate, sum in double.
double exp_shift_f32(float* x, int n, float* max_out) {
  int i = 0;
  __m512 m16 = _mm512_set1_ps(-INFINITY);
  for (; i + 16 <= n; i += 16) m16 = _mm512_max_ps(m16, _mm512_loadu_ps(x + i));
  float max = _mm512_reduce_max_ps(m16);
  for (; i < n; ++i) max = std::fmax(max, x[i]);
  const __m512 max16 = _mm512_set1_ps(max);
  double sum = 0.0;
  i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), max16));
    _mm512_storeu_ps(x + i, e);
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
  const __m512 one = _mm512_set1_ps(1.0f);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), v));
    _mm512_storeu_ps(x + i, _mm512_div_ps(v, _mm512_add_ps(one, e)));
  }
  for (; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

}  // namespace

const KernelTable kAvx512VnniTable{Isa::avx512_vnni, quantize_row_q8,   dot_q8,      matvec_q8, matmul_q8, dot_f32,
                                   dot_rows_f32,      weighted_rows_f32, exp_shift_f32, silu_f32,
                                   packed_q8_bytes,   pack_q8,           matmul_packed_q8};

}  // namespace edgenode::kernels

// Measures how fast this machine streams memory into the cores: the bound that token
// generation (which reads every weight once per token) is judged against.
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "kernels/huge_pages.h"
#include "kernels/kernels.h"
#include "kernels/threadpool.h"

namespace edgenode::kernels {
namespace {

constexpr size_t kBufferBytes = size_t{256} << 20;  // far beyond any last-level cache
constexpr int kRuns = 8;
constexpr size_t kPrefetchDistance = 16384;  // the decode kernel's (avx512_vnni.cpp)

#if defined(__x86_64__)
// Sums the buffer as 64-byte lines with 256-bit loads; four independent accumulators keep
// several loads in flight. With kPrefetch, lines 16 KB ahead are requested by software, as
// the decode kernel does, so the bound is never weaker than the technique it judges (a
// prefetch past the end of the buffer is harmless: prefetches never fault).
// The sum is returned so the loads cannot be optimised away.
template <bool kPrefetch>
__attribute__((target("avx2"))) uint64_t stream_avx2(const uint8_t* p, size_t bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < bytes; i += 128) {
    if (kPrefetch) {
      _mm_prefetch(reinterpret_cast<const char*>(p + i + kPrefetchDistance), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(p + i + kPrefetchDistance + 64), _MM_HINT_T0);
    }
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
#endif

uint64_t stream_plain(const uint8_t* p, size_t bytes) {
  const auto* q = reinterpret_cast<const uint64_t*>(p);
  uint64_t s0 = 0, s1 = 0;
  for (size_t i = 0; i < bytes / 8; i += 2) {
    s0 += q[i];
    s1 += q[i + 1];
  }
  return s0 + s1;
}

uint64_t stream(const uint8_t* p, size_t bytes, bool prefetch) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return prefetch ? stream_avx2<true>(p, bytes) : stream_avx2<false>(p, bytes);
#endif
  return stream_plain(p, bytes);
}

}  // namespace

double measure_read_bandwidth_gbs(int n_threads) {
  n_threads = std::max(1, n_threads);
  // The same huge pages the weights live in: the bound is never weaker than the engine's setup.
  const HugePageBuffer memory = HugePageBuffer::allocate(kBufferBytes);
  uint8_t* buffer = memory.data();
  if (!buffer) return 0.0;
  std::memset(buffer, 1, kBufferBytes);  // touch every page so the runs measure reads only
  // The threads start once, outside the timed runs; each run streams one slice per index.
  ThreadPool pool(n_threads);
  struct Slices {
    const uint8_t* buffer;
    size_t slice;  // a multiple of 128 bytes, the stride of one loop iteration
    std::vector<uint64_t> sums;
    bool prefetch;
  } slices{buffer, kBufferBytes / n_threads / 128 * 128, std::vector<uint64_t>(n_threads), false};
  double best_gbs = 0.0;
  for (int run = 0; run < kRuns; ++run) {
    slices.prefetch = run % 2 == 1;  // runs alternate plain and prefetched streaming
    const auto start = std::chrono::steady_clock::now();
    pool.run([](void* p, int i, int) {
      auto* s = static_cast<Slices*>(p);
      s->sums[i] = stream(s->buffer + i * s->slice, s->slice, s->prefetch);
    }, &slices);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best_gbs = std::max(best_gbs, static_cast<double>(slices.slice) * n_threads / seconds / 1e9);
  }
  volatile uint64_t keep = 0;
  for (uint64_t s : slices.sums) keep = keep + s;
  return best_gbs;
}

}  // namespace edgenode::kernels

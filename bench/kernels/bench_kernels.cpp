// Kernel micro-benchmarks at SmolLM2-135M shapes, per ISA. matvec reports the GB/s of weights
// it streams (compare with the measured read bandwidth printed first); matmul reports GFLOP/s
// for a 128-token prompt. "token" runs every matrix of one generated token of a
// SmolLM2-135M-shaped Q8_0 model (about 144 MB, far beyond the caches) through the thread pool.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/threadpool.h"

namespace edgenode::kernels {
namespace {

std::vector<Q8Block> random_blocks(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> q(-127, 127);
  std::vector<Q8Block> blocks(n);
  for (auto& b : blocks) {
    b.d = fp32_to_fp16(0.01f);
    for (auto& v : b.qs) v = static_cast<int8_t>(q(rng));
  }
  return blocks;
}

const KernelTable* table_for(Isa isa) {
  const KernelTable* all[8];
  const int n = available(all, 8);
  for (int i = 0; i < n; ++i) {
    if (all[i]->isa == isa) return all[i];
  }
  return nullptr;
}

// Runs one matrix-vector product split by rows over the pool, in chunks of whole 16-row groups.
struct Matvec {
  const KernelTable* kt;
  const Q8Block* w;
  const Q8Block* x;
  float* y;
  int nblocks, rows;
  static void job(void* p, int i, int nt) {
    const auto* m = static_cast<const Matvec*>(p);
    const int groups = (m->rows + 15) / 16;
    const int begin = groups * i / nt * 16, end = std::min(m->rows, groups * (i + 1) / nt * 16);
    if (begin < end) m->kt->matvec_q8(m->w, m->x, m->y, m->nblocks, begin, end);
  }
};

void matvec(benchmark::State& state, Isa isa, int rows, int cols) {
  const KernelTable* kt = table_for(isa);
  if (!kt) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  const int nblocks = cols / kQ8BlockSize;
  const auto w = random_blocks(static_cast<size_t>(rows) * nblocks, 1);
  const auto x = random_blocks(nblocks, 2);
  std::vector<float> y(rows);
  ThreadPool pool(threads);
  Matvec m{kt, w.data(), x.data(), y.data(), nblocks, rows};
  for (auto _ : state) {
    pool.run(Matvec::job, &m);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * rows * nblocks * sizeof(Q8Block));
}

void matmul(benchmark::State& state, Isa isa, int rows, int cols) {
  const KernelTable* kt = table_for(isa);
  if (!kt) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  constexpr int kTokens = 128;
  const int threads = static_cast<int>(state.range(0));
  const int nblocks = cols / kQ8BlockSize;
  const auto w = random_blocks(static_cast<size_t>(rows) * nblocks, 3);
  const auto x = random_blocks(static_cast<size_t>(kTokens) * nblocks, 4);
  std::vector<float> y(static_cast<size_t>(kTokens) * rows);
  ThreadPool pool(threads);
  struct Ctx {
    const KernelTable* kt;
    const Q8Block *w, *x;
    float* y;
    int nblocks, rows;
  } c{kt, w.data(), x.data(), y.data(), nblocks, rows};
  for (auto _ : state) {
    pool.run([](void* p, int i, int nt) {
      auto* c = static_cast<Ctx*>(p);
      const int groups = (c->rows + 15) / 16;
      const int begin = groups * i / nt * 16, end = std::min(c->rows, groups * (i + 1) / nt * 16);
      if (begin < end) c->kt->matmul_q8(c->w, c->x, c->y, c->nblocks, kTokens, c->rows, begin, end);
    }, &c);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * cols * kTokens * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
}

void quantize(benchmark::State& state, Isa isa) {
  const KernelTable* kt = table_for(isa);
  if (!kt) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  constexpr int n = 1536;
  std::vector<float> x(n);
  std::mt19937 rng(5);
  std::normal_distribution<float> dist;
  for (auto& v : x) v = dist(rng);
  std::vector<Q8Block> q(n / kQ8BlockSize);
  for (auto _ : state) {
    kt->quantize_row_q8(x.data(), q.data(), n);
    benchmark::DoNotOptimize(q.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

// Every weight matrix of one SmolLM2-135M generation step (30 layers of q, k, v, o, gate, up,
// down, then the tied 49152-row output), each its own buffer, each one pool run.
void token(benchmark::State& state) {
  const KernelTable& kt = best();
  const int threads = static_cast<int>(state.range(0));
  constexpr int kEmbd = 576, kFf = 1536, kKv = 192, kLayers = 30, kVocab = 49152;
  struct Shape { int rows, cols; };
  std::vector<Shape> shapes;
  for (int l = 0; l < kLayers; ++l) {
    for (const Shape s : {Shape{kEmbd, kEmbd}, Shape{kKv, kEmbd}, Shape{kKv, kEmbd}, Shape{kEmbd, kEmbd},
                          Shape{kFf, kEmbd}, Shape{kFf, kEmbd}, Shape{kEmbd, kFf}}) {
      shapes.push_back(s);
    }
  }
  shapes.push_back({kVocab, kEmbd});
  std::vector<std::vector<Q8Block>> weights;
  size_t bytes = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    weights.push_back(random_blocks(static_cast<size_t>(shapes[i].rows) * shapes[i].cols / kQ8BlockSize, 10 + i));
    bytes += weights.back().size() * sizeof(Q8Block);
  }
  const auto x = random_blocks(kFf / kQ8BlockSize, 6);
  std::vector<float> y(kVocab);
  ThreadPool pool(threads);
  for (auto _ : state) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      Matvec m{&kt, weights[i].data(), x.data(), y.data(), shapes[i].cols / kQ8BlockSize, shapes[i].rows};
      pool.run(Matvec::job, &m);
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void register_all() {
  const KernelTable* all[8];
  const int n = available(all, 8);
  const struct { int rows, cols; } shapes[] = {{576, 576}, {1536, 576}, {576, 1536}, {49152, 576}};
  for (int i = 0; i < n; ++i) {
    const Isa isa = all[i]->isa;
    const std::string name = isa_name(isa);
    for (const auto s : shapes) {
      const std::string shape = std::to_string(s.rows) + "x" + std::to_string(s.cols);
      benchmark::RegisterBenchmark(("matvec_q8/" + name + "/" + shape).c_str(), matvec, isa, s.rows, s.cols)
          ->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime();
      if (isa == Isa::scalar) continue;  // the reference is far too slow to be worth timing at 128 tokens
      benchmark::RegisterBenchmark(("matmul_q8_128tok/" + name + "/" + shape).c_str(), matmul, isa, s.rows, s.cols)
          ->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime();
    }
    benchmark::RegisterBenchmark(("quantize_q8/" + name).c_str(), quantize, isa);
  }
  benchmark::RegisterBenchmark("token_smollm2_135m_q8", token)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime();
}

}  // namespace
}  // namespace edgenode::kernels

int main(int argc, char** argv) {
  using namespace edgenode::kernels;
  benchmark::Initialize(&argc, argv);
  for (const int threads : {1, 2}) {
    const double gbs = measure_read_bandwidth_gbs(threads);
    std::printf("measured read bandwidth, %d thread%s: %.1f GB/s\n", threads, threads > 1 ? "s" : "", gbs);
    benchmark::AddCustomContext("read_bandwidth_gbs_" + std::to_string(threads) + "t", std::to_string(gbs));
  }
  std::printf("best kernels: %s\n", isa_name(best().isa));
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

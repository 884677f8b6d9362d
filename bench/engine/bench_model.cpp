// Generation and prompt speed on a SmolLM2-135M-shaped Q8_0 model (n_embd 576, 30 layers,
// 9 heads, 3 KV heads, n_ff 1536, vocab 49152, tied embeddings) written by the project's
// generator, at 1 and 2 threads, against the memory-bandwidth bound. When a llama.cpp build
// exists (LLAMA_BENCH, default /tmp/llama.cpp-build/bin/llama-bench), its llama-bench runs on
// the same file and the ratio is printed.
//
//   bench_model [--threads 1,2] [-r 3]
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Runs a shell command and returns its stdout, or nullopt-like empty with ok=false.
bool run(const std::string& command, std::string& out) {
  out.clear();
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return false;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// llama-bench's average tokens/s for the pp and tg tests of one thread count.
bool llama_bench(const std::string& bin, const fs::path& model, int threads, int reps, double& pp, double& tg) {
  std::string out;
  const std::string cmd = bin + " -m " + model.string() + " -t " + std::to_string(threads) +
                          " -p 128 -n 64 -r " + std::to_string(reps) + " -o json 2>/dev/null";
  if (!run(cmd, out)) return false;
  const json results = json::parse(out, nullptr, false);
  if (!results.is_array()) return false;
  for (const json& r : results) {
    if (r.value("n_prompt", 0) > 0) pp = r.value("avg_ts", 0.0);
    if (r.value("n_gen", 0) > 0) tg = r.value("avg_ts", 0.0);
  }
  return pp > 0 && tg > 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts = {1, 2};
  int reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") {
      thread_counts.clear();
      std::stringstream list(argv[i + 1]);
      for (std::string t; std::getline(list, t, ',');) thread_counts.push_back(std::stoi(t));
    } else if (flag == "-r") {
      reps = std::stoi(argv[i + 1]);
    }
  }

  const fs::path model = fs::path(EDGENODE_BINARY_DIR) / "bench-models" / "smollm2-135m-shaped-q8_0.gguf";
  if (!fs::exists(model)) {
    fs::create_directories(model.parent_path());
    std::string out;
    const std::string gen = std::string(EDGENODE_GEN_MODEL) +
                            " --arch llama --n-embd 576 --n-layer 30 --n-head 9 --n-head-kv 3 --n-ff 1536"
                            " --vocab 49152 --ctx 2048 --type q8_0 --tied --seed 1 --out " + model.string();
    if (!run(gen, out)) {
      std::fprintf(stderr, "bench_model: could not write %s\n", model.c_str());
      return 1;
    }
  }

  const char* env_llama = std::getenv("LLAMA_BENCH");
  const std::string llama = env_llama ? env_llama : "/tmp/llama.cpp-build/bin/llama-bench";
  const bool have_llama = fs::exists(llama);

  std::printf("model: %s (SmolLM2-135M shape, Q8_0, tied)\n\n", model.c_str());
  std::printf("| threads | pp128 t/s | tg64 t/s | read GB/s | tg bound t/s | tg / bound |%s\n",
              have_llama ? " llama.cpp pp128 | llama.cpp tg64 | pp ratio | tg ratio |" : "");
  std::printf("|---|---|---|---|---|---|%s\n", have_llama ? "---|---|---|---|" : "");
  for (int t : thread_counts) {
    std::string out;
    const std::string cmd = std::string(EDGENODE_BIN) + " model bench " + model.string() + " -p 128 -n 64 -t " +
                            std::to_string(t) + " -r " + std::to_string(reps) + " --json 2>/dev/null";
    if (!run(cmd, out)) {
      std::fprintf(stderr, "bench_model: edgenode model bench failed at %d threads\n", t);
      return 1;
    }
    const json r = json::parse(out);
    const double pp = r["pp_tps"], tg = r["tg_tps"], bw = r["bandwidth_gbs"], bound = r["tg_bound_tps"];
    const double fraction = r["tg_roofline_fraction"];
    std::printf("| %d | %.1f | %.1f | %.2f | %.1f | %.0f %% |", t, pp, tg, bw, bound, 100.0 * fraction);
    double lpp = 0, ltg = 0;
    if (have_llama && llama_bench(llama, model, t, reps, lpp, ltg))
      std::printf(" %.1f | %.1f | %.2f | %.2f |", lpp, ltg, pp / lpp, tg / ltg);
    else if (have_llama)
      std::printf(" - | - | - | - |");
    std::printf("\n");
  }
  if (!have_llama) std::printf("\n(no llama.cpp build at %s: set LLAMA_BENCH to compare)\n", llama.c_str());
  return 0;
}

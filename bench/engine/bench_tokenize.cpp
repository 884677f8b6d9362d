// Tokenization throughput: a ~1 MB mixed English / code / multilingual text, made by repeating
// the strings of the fixture tokenizer corpus, encoded with each vocabulary; prints MB/s.
// With --llama-tokenize PATH (llama.cpp's llama-tokenize tool, built outside this repository)
// it also times llama.cpp on the same vocabulary and text and prints the ratio.
//
//   bench_tokenize [--fixtures DIR] [--mb 1] [--runs 5] [--llama-tokenize PATH] [vocab...]
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

namespace fs = std::filesystem;
using edgenode::engine::GgufFile;
using edgenode::engine::Tokenizer;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The corpus strings of tokenize/<vocab>.json (the same 58 for every vocabulary), repeated
// until the text reaches `bytes`; special-token spellings are left out (they are not text).
std::string build_text(const fs::path& fixtures, size_t bytes) {
  std::ifstream in(fixtures / "tokenize" / "llama3.json");
  const auto corpus = nlohmann::json::parse(in);
  std::vector<std::string> strings;
  for (const auto& c : corpus.at("cases")) {
    const std::string text = c.at("text").get<std::string>();
    if (text.find("<|") == std::string::npos && text.find("<s>") == std::string::npos &&
        text.find("<start_of_turn>") == std::string::npos && text.find("<unk>") == std::string::npos) {
      strings.push_back(text);
    }
  }
  std::string text;
  while (text.size() < bytes) {
    for (const std::string& s : strings) {
      text += s;
      text += '\n';
    }
  }
  return text;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Wall time of llama-tokenize on the file with the settings our side uses (no BOS, no special
// parsing, no escape processing), output discarded; < 0 on failure.
double time_llama_tokenize(const std::string& tool, const fs::path& gguf, const fs::path& file) {
  std::fflush(nullptr);  // or the child would write our buffered table a second time
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    execl(tool.c_str(), tool.c_str(), "-m", gguf.c_str(), "-f", file.c_str(), "--ids", "--log-disable", "--no-bos",
          "--no-parse-special", "--no-escape", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  fs::path fixtures = EDGENODE_SHARED_FIXTURES;
  double megabytes = 1.0;
  int runs = 5;
  std::string llama_tokenize;
  std::vector<std::string> vocabs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--fixtures" && i + 1 < argc) {
      fixtures = argv[++i];
    } else if (arg == "--mb" && i + 1 < argc) {
      megabytes = std::atof(argv[++i]);
    } else if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--llama-tokenize" && i + 1 < argc) {
      llama_tokenize = argv[++i];
    } else if (!arg.empty() && arg[0] != '-') {
      vocabs.push_back(arg);
    } else {
      std::fprintf(stderr, "usage: %s [--fixtures DIR] [--mb N] [--runs N] [--llama-tokenize PATH] [vocab...]\n", argv[0]);
      return 2;
    }
  }
  if (vocabs.empty()) vocabs = {"llama3", "qwen3"};
  if (!fs::exists(fixtures / "tokenize" / "llama3.json")) {
    std::fprintf(stderr, "fixtures not found in %s (use --fixtures DIR)\n", fixtures.c_str());
    return 2;
  }

  const std::string text = build_text(fixtures, static_cast<size_t>(megabytes * 1e6));
  const fs::path text_file = fs::temp_directory_path() / ("bench_tokenize_" + std::to_string(getpid()) + ".txt");
  const fs::path empty_file = fs::temp_directory_path() / ("bench_tokenize_" + std::to_string(getpid()) + ".empty");
  if (!llama_tokenize.empty()) {
    std::ofstream(text_file, std::ios::binary) << text;
    std::ofstream(empty_file, std::ios::binary) << "x";
  }

  std::printf("text: %.2f MB mixed English/code/multilingual, median of %d runs, 1 thread\n\n", text.size() / 1e6, runs);
  std::printf("%-8s %-16s %9s %10s %10s", "vocab", "kind", "tokens", "ms", "MB/s");
  if (!llama_tokenize.empty()) std::printf(" %14s %8s", "llama.cpp MB/s", "ratio");
  std::printf("\n");

  int exit_code = 0;
  for (const std::string& name : vocabs) {
    const fs::path gguf = fixtures / "vocab" / (name + ".gguf");
    auto file = GgufFile::open(gguf.string());
    if (!file) {
      std::fprintf(stderr, "%s\n", file.error().message.c_str());
      exit_code = 2;
      continue;
    }
    auto tokenizer = Tokenizer::from_gguf(*file);
    if (!tokenizer) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), tokenizer.error().message.c_str());
      exit_code = 2;
      continue;
    }
    std::vector<double> times;
    size_t n_tokens = 0;
    for (int r = 0; r < runs + 1; ++r) {  // the first run warms caches and is not counted
      const auto start = std::chrono::steady_clock::now();
      n_tokens = (*tokenizer)->encode(text, false, false).size();
      if (r > 0) times.push_back(seconds_since(start));
    }
    const double t = median(times);
    const double mbps = text.size() / 1e6 / t;
    std::printf("%-8s %-16s %9zu %10.1f %10.2f", name.c_str(), (*tokenizer)->kind().c_str(), n_tokens, t * 1e3, mbps);
    if (!llama_tokenize.empty()) {
      // llama-tokenize also loads the vocabulary: subtract the time of a one-byte text.
      std::vector<double> peer;
      for (int r = 0; r < runs; ++r) {
        const double full = time_llama_tokenize(llama_tokenize, gguf, text_file);
        const double load = time_llama_tokenize(llama_tokenize, gguf, empty_file);
        if (full > 0 && load > 0) peer.push_back(std::max(full - load, 1e-6));
      }
      if (peer.empty()) {
        std::printf(" %14s %8s", "failed", "-");
      } else {
        const double peer_mbps = text.size() / 1e6 / median(peer);
        std::printf(" %14.2f %7.2fx", peer_mbps, mbps / peer_mbps);
      }
    }
    std::printf("\n");
  }
  if (!llama_tokenize.empty()) {
    fs::remove(text_file);
    fs::remove(empty_file);
  }
  return exit_code;
}

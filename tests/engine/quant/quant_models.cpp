#include "quant_models.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

namespace edgenode::engine::quant_test {
namespace fs = std::filesystem;

tools::ModelShape quant_test_shape(const std::string& type, uint64_t seed) {
  tools::ModelShape shape;
  shape.arch = "llama";
  shape.n_embd = 256;
  shape.n_layer = 2;
  shape.n_head = 4;
  shape.n_head_kv = 2;
  shape.n_ff = 512;
  shape.vocab = 512;
  shape.ctx = 128;
  shape.type = type;
  shape.seed = seed;
  return shape;
}

namespace {

// Removes the directory when the test process exits.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("edgenode-quant-test-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

const std::string& quant_test_model(const tools::ModelShape& shape) {
  static TempDir dir;
  static std::mutex mutex;
  static std::map<std::string, std::string> written;  // file stem -> path
  const std::string stem = shape.arch + "-" + std::to_string(shape.n_embd) + "x" + std::to_string(shape.n_layer) +
                           (shape.tied ? "-tied-" : "-") + shape.type + "-" + std::to_string(shape.seed);
  std::lock_guard lock(mutex);
  auto it = written.find(stem);
  if (it != written.end()) return it->second;
  const std::string path = (dir.path / (stem + ".gguf")).string();
  auto ok = tools::write_model(shape, path);
  if (!ok) throw std::runtime_error("cannot write the test model " + stem + ": " + ok.error().message);
  return written.emplace(stem, path).first->second;
}

}  // namespace edgenode::engine::quant_test

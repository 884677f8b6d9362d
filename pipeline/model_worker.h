// A loaded model and the one thread that runs it. The model is not reentrant, so every
// pipeline that infers with it hands its request to this worker and waits. Requests are
// served in arrival order, up to the model's `sequences` at once in one batch
// (engine::Model::serve): pipelines running in parallel, and the messages of different
// topics that one infer pipeline runs at once (see Runner), share each pass over the weights.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "engine/engine.h"

namespace edgenode::pipeline {

struct ModelWorkerStats {
  double load_ms = 0;
  uint64_t file_bytes = 0;
  uint64_t requests = 0;
  uint64_t tokens_in = 0;
  uint64_t tokens_out = 0;
  double generate_ms = 0;  // wall time spent generating, for tokens/s
  // Batching as it happened: the most requests the model held at once, and how many
  // requests joined while another was being generated (so shared its decode steps).
  uint64_t max_batch = 0;
  uint64_t batched_requests = 0;
};

class ModelWorker {
 public:
  // `sequences`: the generations `model` was loaded to serve at once (LoadOptions::sequences).
  ModelWorker(std::string name, std::unique_ptr<engine::Model> model, int sequences, double load_ms,
              uint64_t file_bytes);
  ~ModelWorker();
  ModelWorker(const ModelWorker&) = delete;
  ModelWorker& operator=(const ModelWorker&) = delete;

  const std::string& name() const { return name_; }
  const std::string& file_sha256() const { return model_->file_sha256(); }
  int sequences() const { return sequences_; }
  // Thread-safe: rendering reads the model's template only.
  Result<std::string> render_chat(const std::vector<engine::ChatMessage>& messages) const;
  // Runs on the worker thread; blocks the caller until the generation is done.
  Result<engine::GenerateResult> generate(const engine::GenerateRequest& request);
  ModelWorkerStats stats() const;

 private:
  void loop();

  std::string name_;
  std::unique_ptr<engine::Model> model_;
  int sequences_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<engine::ServeItem> waiting_;
  bool stopping_ = false;
  ModelWorkerStats stats_;
  uint64_t in_model_ = 0;  // requests handed to the model and not yet done
  std::thread thread_;
};

}  // namespace edgenode::pipeline

#include "pipeline/model_worker.h"

#include <algorithm>
#include <future>

namespace edgenode::pipeline {

ModelWorker::ModelWorker(std::string name, std::unique_ptr<engine::Model> model, int sequences, double load_ms,
                         uint64_t file_bytes)
    : name_(std::move(name)), model_(std::move(model)), sequences_(sequences < 1 ? 1 : sequences) {
  stats_.load_ms = load_ms;
  stats_.file_bytes = file_bytes;
  thread_ = std::thread([this] { loop(); });
}

ModelWorker::~ModelWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<std::string> ModelWorker::render_chat(const std::vector<engine::ChatMessage>& messages) const {
  return model_->render_chat(messages, /*add_generation_prompt=*/true);
}

Result<engine::GenerateResult> ModelWorker::generate(const engine::GenerateRequest& request) {
  std::promise<Result<engine::GenerateResult>> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return unavailable("model '" + name_ + "' is shutting down");
    waiting_.push_back({request, {}, [this, &done](Result<engine::GenerateResult> result) {
                          {
                            std::lock_guard stats_lock(mutex_);
                            in_model_ -= 1;
                            if (result) {
                              stats_.requests += 1;
                              stats_.tokens_in += result->prompt_tokens.size();
                              stats_.tokens_out += result->tokens.size();
                              stats_.generate_ms += result->prompt_ms + result->generate_ms;
                            }
                          }
                          done.set_value(std::move(result));
                        }});
  }
  wake_.notify_one();
  return future.get();
}

ModelWorkerStats ModelWorker::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void ModelWorker::loop() {
  const engine::NextRequest next = [this]() -> std::optional<engine::ServeItem> {
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) return std::nullopt;
    engine::ServeItem item = std::move(waiting_.front());
    waiting_.pop_front();
    // serve() asks for a request only when it has a free sequence, so what it holds now
    // runs in the same decode steps.
    in_model_ += 1;
    stats_.max_batch = std::max<uint64_t>(stats_.max_batch, in_model_);
    if (in_model_ > 1) stats_.batched_requests += 1;
    return item;
  };
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // stopping, and every queued request has been served
    lock.unlock();
    model_->serve(next);
    lock.lock();
  }
}

}  // namespace edgenode::pipeline

// The Model facade over a GGUF transformer: owns the mapped file, the tokenizer, the
// weights, the KV cache and scratch (allocated once), and the thread pool.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/gguf/gguf.h"
#include "engine/grammar/grammar.h"
#include "engine/model/arch/architecture.h"
#include "engine/model/model_info.h"
#include "engine/model/run_state.h"
#include "engine/model/weights.h"
#include "engine/tokenizer/tokenizer.h"
#include "kernels/threadpool.h"

namespace edgenode::engine {

class TransformerModel final : public Model {
 public:
  static Result<std::unique_ptr<TransformerModel>> open(const LoadOptions& options);

  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  const ModelInfo& info() const override { return info_; }
  const std::string& file_sha256() const override;
  Result<std::string> render_chat(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const override;
  Result<GenerateResult> generate(const GenerateRequest& request, const PieceCallback& on_piece) override;
  void serve(const NextRequest& next) override;
  Result<std::vector<float>> evaluate(const std::vector<int32_t>& tokens, int pos, bool all_positions) override;
  int context_length() const override { return hp_.n_ctx; }

 private:
  explicit TransformerModel(GgufFile file) : file_(std::move(file)) {}
  Result<void> load_weights(const LoadOptions& options, const Architecture& arch);
  void describe(const LoadOptions& options, const WeightLoader* loader);

  // Checks ids and room in the context before anything runs.
  Result<void> check_tokens(std::span<const int32_t> tokens, int pos) const;
  // Runs tokens from pos of the sequence in `slot`, in batches of at most max_batch; logits
  // of the last token, or of every token (tokens.size() * n_vocab floats) when all_positions.
  void forward(std::span<const int32_t> tokens, int pos, int slot, float* logits, bool all_positions);
  // One decode step of several sequences: row i is tokens[i] at positions[i] of slots[i];
  // logits of every row.
  void forward_step(std::span<const int32_t> tokens, std::span<const int> positions, std::span<const int> slots,
                    float* logits);

  // A request being served (engine/model/generation.cpp).
  struct Sequence;
  Result<std::unique_ptr<Sequence>> start(ServeItem& item, std::vector<bool>& slot_busy);
  bool advance(Sequence& seq);  // samples the next token; false once the sequence is over
  void finish(Sequence& seq);

  // The vocabulary as constrained decoding sees it, built on the first request with a schema.
  const grammar::TokenTrie& token_trie();

  GgufFile file_;  // mapped for the model's lifetime: weights may point into it
  std::unique_ptr<Tokenizer> tokenizer_;
  ModelInfo info_;
  // Hashed on first use, which may come from several threads at once (the status
  // publisher, infer stages on the runner's threads).
  mutable std::once_flag sha256_once_;
  mutable std::string sha256_;
  HParams hp_;
  const Architecture* arch_ = nullptr;
  ModelWeights weights_;
  std::deque<std::vector<uint8_t>> converted_weights_;
  std::unique_ptr<kernels::ThreadPool> pool_;
  std::unique_ptr<RunState> state_;
  std::vector<std::vector<int32_t>> slot_tokens_;  // the tokens each sequence slot's KV cache holds
  std::vector<float> logits_;       // (n_slots, n_vocab): each slot's prompt logits
  std::vector<float> step_logits_;  // (n_slots, n_vocab): one decode step's rows, in batch order
  std::unique_ptr<grammar::TokenTrie> token_trie_;
  std::vector<uint8_t> grammar_mask_;  // (n_vocab) tokens the grammar allows next
};

}  // namespace edgenode::engine

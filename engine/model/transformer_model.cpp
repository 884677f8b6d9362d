#include "engine/model/transformer_model.h"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/model/sha256.h"

namespace edgenode::engine {

namespace {

// Without an explicit context a model runs with its trained one, capped so that a model
// trained for 128k positions does not reserve gigabytes of KV cache by default.
constexpr int kDefaultContextCap = 4096;
constexpr int kMaxBatch = 512;
constexpr int kMaxSequences = 64;

}  // namespace

Result<std::unique_ptr<Model>> Model::load(const LoadOptions& options) {
  auto model = TransformerModel::open(options);
  if (!model) return model.error();
  return std::unique_ptr<Model>(std::move(*model));
}

Result<std::unique_ptr<TransformerModel>> TransformerModel::open(const LoadOptions& options) {
  auto file = GgufFile::open(options.path);
  if (!file) return file.error();
  std::unique_ptr<TransformerModel> model(new TransformerModel(std::move(*file)));
  const GgufFile& f = model->file_;

  auto tokenizer = Tokenizer::from_gguf(f);
  if (!tokenizer) return tokenizer.error();
  model->tokenizer_ = std::move(*tokenizer);

  auto arch_name = f.get_string("general.architecture");
  if (!arch_name) return arch_name.error();
  model->hp_.arch = *arch_name;

  const bool vocab_only = options.vocab_only || f.tensors().empty();
  if (!vocab_only) {
    const Architecture* arch = find_architecture(*arch_name);
    if (!arch)
      return bad_input("unsupported architecture " + *arch_name + " (supported: " + supported_architectures() + ")");
    EDGENODE_TRY(model->load_weights(options, *arch));
  } else {
    model->describe(options, nullptr);
  }
  return model;
}

Result<void> TransformerModel::load_weights(const LoadOptions& options, const Architecture& arch) {
  auto hp = HParams::read_common(file_, hp_.arch);
  if (!hp) return hp.error();
  hp_ = *hp;
  EDGENODE_TRY(arch.read_hparams(file_, hp_));
  const GgufTensorInfo* embd = file_.tensor("token_embd.weight");
  if (!embd) return bad_input("missing tensor token_embd.weight");
  if (embd->ne.size() != 2 || embd->ne[1] > (1 << 24)) return bad_input("tensor token_embd.weight has a bad shape");
  hp_.n_vocab = static_cast<int>(embd->ne[1]);
  if (hp_.n_vocab < tokenizer_->n_vocab())
    return bad_input("token_embd.weight has " + std::to_string(hp_.n_vocab) + " rows but the vocabulary has " +
                     std::to_string(tokenizer_->n_vocab()) + " tokens");
  if (options.context < 0) return bad_input("context must be positive");
  hp_.n_ctx = options.context > 0 ? options.context : std::min(hp_.n_ctx_train, kDefaultContextCap);

  // The pool's size is settled before the weights are laid out: each thread gets its rows apart.
  const int threads = options.threads > 0 ? options.threads
                                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  WeightLoader loader(file_, options.weights, threads);
  EDGENODE_TRY(arch.load_weights(loader, hp_, weights_));
  converted_weights_ = loader.take_storage();
  arch_ = &arch;
  if (loader.requantized_count() > 0) {
    std::string types;
    for (const std::string& t : loader.source_types_converted()) types += (types.empty() ? "" : ",") + t;
    spdlog::info("model=requantized path={} matrices={} from={} to=q8_0", options.path, loader.requantized_count(),
                 types);
  }

  pool_ = std::make_unique<kernels::ThreadPool>(threads);
  if (options.sequences < 1 || options.sequences > kMaxSequences)
    return bad_input("sequences must be between 1 and " + std::to_string(kMaxSequences));
  const int slots = options.sequences;
  state_ = std::make_unique<RunState>(hp_, hp_.n_ctx, std::min(kMaxBatch, hp_.n_ctx), threads, slots);
  slot_tokens_.assign(slots, {});
  logits_.resize(static_cast<size_t>(slots) * hp_.n_vocab);
  step_logits_.resize(static_cast<size_t>(slots) * hp_.n_vocab);
  describe(options, &loader);
  return {};
}

void TransformerModel::describe(const LoadOptions& options, const WeightLoader* loader) {
  info_.path = options.path;
  info_.architecture = hp_.arch;
  auto name = file_.get_string_or("general.name", "");
  info_.name = name ? *name : "";
  info_.file_size = file_.file_size();
  info_.gguf_version = file_.version();
  info_.vocab_only = loader == nullptr;
  info_.tensor_count = file_.tensors().size();
  for (const GgufTensorInfo& t : file_.tensors()) ++info_.tensor_types[std::string(type_name(t.type))];
  info_.tokenizer_kind = tokenizer_->kind();
  info_.vocab_size = tokenizer_->n_vocab();
  info_.has_chat_template = !tokenizer_->chat_template().empty();
  if (!loader) return;
  info_.hparams = hp_.describe();
  info_.context_length = hp_.n_ctx;
  info_.weights = options.weights == WeightMode::f32 ? "f32" : "q8_0";
  info_.weight_bytes_per_token = weights_.matrix_bytes();
  info_.threads = pool_->size();
  std::string note;
  if (loader->requantized_count() > 0) {
    std::string types;
    for (const std::string& t : loader->source_types_converted()) types += (types.empty() ? "" : ", ") + t;
    note = std::to_string(loader->requantized_count()) + " matrices requantized to q8_0 from " + types +
           " (precision differs from the stored weights)";
  }
  if (loader->kept_f32_count() > 0)
    note += (note.empty() ? "" : "; ") + std::to_string(loader->kept_f32_count()) +
            " matrices run as f32 (rows not divisible into 32-blocks)";
  info_.precision_note = note;
}

const std::string& TransformerModel::file_sha256() const {
  std::call_once(sha256_once_, [this] { sha256_ = sha256_file_hex(info_.path); });
  return sha256_;
}

Result<void> TransformerModel::check_tokens(std::span<const int32_t> tokens, int pos) const {
  if (!arch_) return bad_input("model " + info_.path + " has no weights (vocab-only file)");
  if (tokens.empty()) return bad_input("no tokens to evaluate");
  if (pos < 0 || static_cast<int64_t>(pos) + static_cast<int64_t>(tokens.size()) > hp_.n_ctx)
    return bad_input("prompt of " + std::to_string(pos + tokens.size()) + " tokens exceeds the context of " +
                     std::to_string(hp_.n_ctx));
  for (int32_t id : tokens)
    if (id < 0 || id >= hp_.n_vocab)
      return bad_input("token id " + std::to_string(id) + " out of range (vocabulary of " + std::to_string(hp_.n_vocab) +
                       ")");
  return {};
}

void TransformerModel::forward(std::span<const int32_t> tokens, int pos, int slot, float* logits, bool all_positions) {
  const int max_batch = state_->max_batch;
  for (size_t done = 0; done < tokens.size();) {
    const int n = static_cast<int>(std::min<size_t>(max_batch, tokens.size() - done));
    const bool last_batch = done + n == tokens.size();
    for (int t = 0; t < n; ++t) {
      state_->positions[t] = pos + static_cast<int>(done) + t;
      state_->slots[t] = slot;
    }
    ForwardContext c{hp_, weights_, *state_, *pool_, n};
    float* out = all_positions ? logits + done * hp_.n_vocab : (last_batch ? logits : nullptr);
    arch_->forward(c, tokens.subspan(done, n), out, all_positions);
    done += n;
  }
}

void TransformerModel::forward_step(std::span<const int32_t> tokens, std::span<const int> positions,
                                    std::span<const int> slots, float* logits) {
  const int n = static_cast<int>(tokens.size());
  std::copy(positions.begin(), positions.end(), state_->positions.begin());
  std::copy(slots.begin(), slots.end(), state_->slots.begin());
  ForwardContext c{hp_, weights_, *state_, *pool_, n};
  arch_->forward(c, tokens, logits, /*all_positions=*/true);
}

Result<std::vector<float>> TransformerModel::evaluate(const std::vector<int32_t>& tokens, int pos, bool all_positions) {
  EDGENODE_TRY(check_tokens(tokens, pos));
  std::vector<float> logits(static_cast<size_t>(all_positions ? tokens.size() : 1) * hp_.n_vocab);
  forward(tokens, pos, 0, logits.data(), all_positions);
  slot_tokens_[0].clear();  // its cache now holds what the caller fed, not a known prompt
  return logits;
}

}  // namespace edgenode::engine

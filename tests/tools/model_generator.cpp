#include "model_generator.h"

#include <cmath>
#include <optional>
#include <vector>

#include "engine/gguf/ggml_type.h"
#include "normal_rng.h"
#include "synthetic_vocab.h"

namespace edgenode::tools {
namespace {

using engine::GgmlType;

enum class TensorKind { matrix, norm, bias };

struct TensorSpec {
  std::string name;
  std::vector<int64_t> ne;
  TensorKind kind;
};

struct ArchDefaults {
  float rope_base;
  float rms_eps;
  SpecialTokenStyle tokens;
};

std::optional<ArchDefaults> arch_defaults(const std::string& arch) {
  if (arch == "llama") return ArchDefaults{10000.0f, 1e-5f, SpecialTokenStyle::llama};
  if (arch == "qwen2") return ArchDefaults{1e6f, 1e-6f, SpecialTokenStyle::llama};
  if (arch == "qwen3") return ArchDefaults{1e6f, 1e-6f, SpecialTokenStyle::llama};
  if (arch == "phi3") return ArchDefaults{10000.0f, 1e-5f, SpecialTokenStyle::phi3};
  if (arch == "gemma3") return ArchDefaults{1e6f, 1e-6f, SpecialTokenStyle::gemma3};
  return std::nullopt;
}

// Shape with the defaults filled in.
struct Dims {
  int64_t embd, layers, heads, heads_kv, head_dim, ff, vocab;
  int64_t q_dim() const { return heads * head_dim; }
  int64_t kv_dim() const { return heads_kv * head_dim; }
};

std::vector<TensorSpec> tensor_list(const std::string& arch, const Dims& d, bool tied) {
  std::vector<TensorSpec> t;
  auto matrix = [&](std::string name, int64_t n_in, int64_t n_out) {
    t.push_back({std::move(name), {n_in, n_out}, TensorKind::matrix});
  };
  auto vector = [&](std::string name, int64_t n, TensorKind kind) { t.push_back({std::move(name), {n}, kind}); };

  matrix("token_embd.weight", d.embd, d.vocab);
  for (int64_t l = 0; l < d.layers; ++l) {
    const std::string blk = "blk." + std::to_string(l) + ".";
    vector(blk + "attn_norm.weight", d.embd, TensorKind::norm);
    if (arch == "phi3") {
      matrix(blk + "attn_qkv.weight", d.embd, d.q_dim() + 2 * d.kv_dim());
      matrix(blk + "attn_output.weight", d.q_dim(), d.embd);
      vector(blk + "ffn_norm.weight", d.embd, TensorKind::norm);
      matrix(blk + "ffn_up.weight", d.embd, 2 * d.ff);  // gate rows, then up rows
      matrix(blk + "ffn_down.weight", d.ff, d.embd);
      continue;
    }
    matrix(blk + "attn_q.weight", d.embd, d.q_dim());
    matrix(blk + "attn_k.weight", d.embd, d.kv_dim());
    matrix(blk + "attn_v.weight", d.embd, d.kv_dim());
    if (arch == "qwen2") {
      vector(blk + "attn_q.bias", d.q_dim(), TensorKind::bias);
      vector(blk + "attn_k.bias", d.kv_dim(), TensorKind::bias);
      vector(blk + "attn_v.bias", d.kv_dim(), TensorKind::bias);
    }
    if (arch == "qwen3" || arch == "gemma3") {
      vector(blk + "attn_q_norm.weight", d.head_dim, TensorKind::norm);
      vector(blk + "attn_k_norm.weight", d.head_dim, TensorKind::norm);
    }
    matrix(blk + "attn_output.weight", d.q_dim(), d.embd);
    if (arch == "gemma3") vector(blk + "post_attention_norm.weight", d.embd, TensorKind::norm);
    vector(blk + "ffn_norm.weight", d.embd, TensorKind::norm);
    matrix(blk + "ffn_gate.weight", d.embd, d.ff);
    matrix(blk + "ffn_up.weight", d.embd, d.ff);
    matrix(blk + "ffn_down.weight", d.ff, d.embd);
    if (arch == "gemma3") vector(blk + "post_ffw_norm.weight", d.embd, TensorKind::norm);
  }
  vector("output_norm.weight", d.embd, TensorKind::norm);
  if (!tied) matrix("output.weight", d.embd, d.vocab);
  return t;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A row that does not divide into the chosen type's blocks falls back the way llama.cpp's
// quantizer does: K types to a legacy type of similar precision, then to F16.
GgmlType fit_row(GgmlType type, int64_t ne0) {
  if (ne0 % engine::block_size(type) == 0) return type;
  switch (type) {
    case GgmlType::Q4_K: return fit_row(GgmlType::Q5_0, ne0);
    case GgmlType::Q5_K: return fit_row(GgmlType::Q5_1, ne0);
    case GgmlType::Q6_K: return fit_row(GgmlType::Q8_0, ne0);
    default: return GgmlType::F16;
  }
}

struct TypePlan {
  GgmlType base;
  bool k_m_mix;  // q4_k_m
  uint32_t file_type;

  GgmlType for_tensor(const TensorSpec& t, bool tied) const {
    if (t.kind != TensorKind::matrix) return GgmlType::F32;
    GgmlType type = base;
    if (k_m_mix) {
      const bool sensitive = t.name == "output.weight" || ends_with(t.name, "attn_v.weight") ||
                             ends_with(t.name, "ffn_down.weight") || (tied && t.name == "token_embd.weight");
      if (sensitive) type = GgmlType::Q6_K;
    }
    return fit_row(type, t.ne[0]);
  }
};

std::optional<TypePlan> type_plan(const std::string& name) {
  // general.file_type numbers are llama.cpp's LLAMA_FTYPE_MOSTLY_* values.
  if (name == "q4_k_m") return TypePlan{GgmlType::Q4_K, true, 15};
  struct Entry { const char* name; GgmlType type; uint32_t file_type; };
  static const Entry kEntries[] = {
      {"f32", GgmlType::F32, 0},   {"f16", GgmlType::F16, 1},   {"bf16", GgmlType::BF16, 32},
      {"q8_0", GgmlType::Q8_0, 7}, {"q4_0", GgmlType::Q4_0, 2}, {"q4_1", GgmlType::Q4_1, 3},
      {"q5_0", GgmlType::Q5_0, 8}, {"q5_1", GgmlType::Q5_1, 9}, {"q4_k", GgmlType::Q4_K, 14},
      {"q5_k", GgmlType::Q5_K, 16}, {"q6_k", GgmlType::Q6_K, 18},
  };
  for (const auto& e : kEntries) {
    if (name == e.name) return TypePlan{e.type, false, e.file_type};
  }
  return std::nullopt;
}

void set_tokenizer(engine::GgufWriter& w, const SyntheticVocab& v) {
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string("tokenizer.ggml.pre", "default");
  w.set_string_array("tokenizer.ggml.tokens", v.tokens);
  w.set_f32_array("tokenizer.ggml.scores", v.scores);
  w.set_i32_array("tokenizer.ggml.token_type", v.token_types);
  w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(v.bos_id));
  w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(v.eos_id));
  w.set_u32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(v.unknown_id));
  if (v.padding_id >= 0) w.set_u32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(v.padding_id));
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_bool("tokenizer.ggml.add_eos_token", false);
  if (!v.add_space_prefix) w.set_bool("tokenizer.ggml.add_space_prefix", false);
}

Result<Dims> check_shape(const ModelShape& s) {
  auto positive = [](int x) { return x > 0; };
  if (!positive(s.n_embd) || !positive(s.n_layer) || !positive(s.n_head) || s.n_head_kv < 0 || s.head_dim < 0 ||
      s.n_ff < 0 || !positive(s.ctx)) {
    return bad_input("model shape: dimensions must be positive");
  }
  Dims d{};
  d.embd = s.n_embd;
  d.layers = s.n_layer;
  d.heads = s.n_head;
  d.heads_kv = s.n_head_kv ? s.n_head_kv : s.n_head;
  if (d.heads % d.heads_kv != 0) return bad_input("model shape: n_head must be a multiple of n_head_kv");
  if (!s.head_dim && d.embd % d.heads != 0) return bad_input("model shape: n_embd must be a multiple of n_head");
  d.head_dim = s.head_dim ? s.head_dim : d.embd / d.heads;
  if (d.head_dim % 2 != 0) return bad_input("model shape: head_dim must be even (RoPE rotates pairs)");
  d.ff = s.n_ff ? s.n_ff : (4 * d.embd + 31) / 32 * 32;
  d.vocab = s.vocab;
  return d;
}

}  // namespace

Result<engine::GgufWriter> build_model(const ModelShape& shape) {
  auto defaults = arch_defaults(shape.arch);
  if (!defaults) return bad_input("unsupported architecture '" + shape.arch + "' (llama, qwen2, qwen3, phi3, gemma3)");
  auto plan = type_plan(shape.type);
  if (!plan) return bad_input("unsupported weight type '" + shape.type + "'");
  auto dims = check_shape(shape);
  if (!dims) return dims.error();
  const Dims& d = *dims;
  if (shape.vocab < min_vocab_size(defaults->tokens)) {
    return bad_input("vocab " + std::to_string(shape.vocab) + " is too small: at least " +
                     std::to_string(min_vocab_size(defaults->tokens)) + " for the special and byte tokens");
  }

  engine::GgufWriter w;
  const std::string& a = shape.arch;
  w.set_string("general.architecture", a);
  w.set_string("general.name", shape.name.empty() ? a + "-synthetic" : shape.name);
  w.set_u32("general.file_type", plan->file_type);
  w.set_u32("general.quantization_version", 2);
  w.set_u32(a + ".vocab_size", static_cast<uint32_t>(d.vocab));
  w.set_u32(a + ".context_length", static_cast<uint32_t>(shape.ctx));
  w.set_u32(a + ".embedding_length", static_cast<uint32_t>(d.embd));
  w.set_u32(a + ".block_count", static_cast<uint32_t>(d.layers));
  w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(d.ff));
  w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(d.heads));
  w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(d.heads_kv));
  if (a == "qwen3" || a == "gemma3" || d.head_dim * d.heads != d.embd) {
    w.set_u32(a + ".attention.key_length", static_cast<uint32_t>(d.head_dim));
    w.set_u32(a + ".attention.value_length", static_cast<uint32_t>(d.head_dim));
  }
  w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(d.head_dim));
  w.set_f32(a + ".rope.freq_base", shape.rope_base > 0 ? shape.rope_base : defaults->rope_base);
  w.set_f32(a + ".attention.layer_norm_rms_epsilon", shape.rms_eps > 0 ? shape.rms_eps : defaults->rms_eps);
  if (a == "gemma3") w.set_u32(a + ".attention.sliding_window", static_cast<uint32_t>(shape.sliding_window));
  set_tokenizer(w, make_synthetic_vocab(shape.vocab, defaults->tokens));

  NormalRng rng(shape.seed);
  std::vector<float> values;
  for (const auto& t : tensor_list(a, d, shape.tied)) {
    int64_t n = 1;
    for (int64_t e : t.ne) n *= e;
    values.resize(static_cast<size_t>(n));
    // Matrices N(0, 1/sqrt(n_in)); norms 1 + 0.1 N(0,1); biases 0.2 N(0,1).
    const double scale = t.kind == TensorKind::matrix ? 1.0 / std::sqrt(static_cast<double>(t.ne[0]))
                         : t.kind == TensorKind::norm ? 0.1 : 0.2;
    const double offset = t.kind == TensorKind::norm ? 1.0 : 0.0;
    for (auto& x : values) x = static_cast<float>(offset + scale * rng.next_normal());
    EDGENODE_TRY(w.add_tensor(t.name, plan->for_tensor(t, shape.tied), t.ne, values.data()));
  }
  return w;
}

Result<void> write_model(const ModelShape& shape, const std::string& path) {
  auto writer = build_model(shape);
  if (!writer) return writer.error();
  return writer->write(path);
}

}  // namespace edgenode::tools

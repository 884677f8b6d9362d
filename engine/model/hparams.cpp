#include "engine/model/hparams.h"

#include <cmath>
#include <sstream>

#include "engine/gguf/gguf.h"

namespace edgenode::engine {

namespace {

// A positive integer that must be present.
Result<int> required_int(const GgufFile& file, const std::string& key) {
  if (!file.has(key)) return bad_input("missing required metadata " + key);
  auto value = file.get_u32(key);
  if (!value) return value.error();
  if (*value == 0 || *value > (1u << 24)) return bad_input("metadata " + key + " out of range: " + std::to_string(*value));
  return static_cast<int>(*value);
}

Result<int> optional_int(const GgufFile& file, const std::string& key, int fallback) {
  if (!file.has(key)) return fallback;
  return required_int(file, key);
}

std::string format_float(float v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

Result<HParams> HParams::read_common(const GgufFile& file, const std::string& arch) {
  HParams hp;
  hp.arch = arch;
  const std::string p = arch + ".";
#define EDGENODE_READ(field, expr)   \
  {                                  \
    auto v = (expr);                 \
    if (!v) return v.error();        \
    hp.field = *v;                   \
  }
  EDGENODE_READ(n_ctx_train, required_int(file, p + "context_length"));
  EDGENODE_READ(n_embd, required_int(file, p + "embedding_length"));
  EDGENODE_READ(n_layer, required_int(file, p + "block_count"));
  EDGENODE_READ(n_ff, required_int(file, p + "feed_forward_length"));
  EDGENODE_READ(n_head, required_int(file, p + "attention.head_count"));
  EDGENODE_READ(n_head_kv, optional_int(file, p + "attention.head_count_kv", hp.n_head));
  EDGENODE_READ(head_dim, optional_int(file, p + "attention.key_length", hp.n_embd / hp.n_head));
  EDGENODE_READ(n_rot, optional_int(file, p + "rope.dimension_count", hp.head_dim));
  hp.attention_scale_dim = hp.head_dim;
  EDGENODE_READ(rope_freq_base, file.get_f32_or(p + "rope.freq_base", 10000.0f));
  EDGENODE_READ(rms_eps, file.get_f32_or(p + "attention.layer_norm_rms_epsilon", 1e-5f));
  EDGENODE_READ(rope_attn_factor, file.get_f32_or(p + "rope.scaling.attn_factor", 1.0f));
#undef EDGENODE_READ

  auto scaling_type = file.get_string_or(p + "rope.scaling.type", "none");
  if (!scaling_type) return scaling_type.error();
  if (*scaling_type != "none" && *scaling_type != "linear" && *scaling_type != "longrope")
    return bad_input("unsupported rope scaling type " + *scaling_type + " (" + p + "rope.scaling.type)");
  if (*scaling_type == "linear") {
    auto factor = file.get_f32_or(p + "rope.scaling.factor", 1.0f);
    if (!factor) return factor.error();
    if (!(*factor > 0.0f)) return bad_input("metadata " + p + "rope.scaling.factor must be positive");
    hp.rope_freq_scale = 1.0f / *factor;
  }

  if (hp.n_head_kv > hp.n_head || hp.n_head % hp.n_head_kv != 0)
    return bad_input("attention.head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                     std::to_string(hp.n_head_kv));
  if (hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0)
    return bad_input("rope.dimension_count " + std::to_string(hp.n_rot) + " does not fit head dimension " +
                     std::to_string(hp.head_dim));
  if (!(hp.rms_eps > 0.0f) || !std::isfinite(hp.rope_freq_base) || hp.rope_freq_base <= 0.0f ||
      !(hp.rope_attn_factor > 0.0f) || !std::isfinite(hp.rope_attn_factor))
    return bad_input("metadata " + p + "rope.freq_base, rope.scaling.attn_factor or layer_norm_rms_epsilon out of range");
  return hp;
}

std::vector<std::pair<std::string, std::string>> HParams::describe() const {
  std::vector<std::pair<std::string, std::string>> out = {
      {"context_length", std::to_string(n_ctx_train)},
      {"embedding_length", std::to_string(n_embd)},
      {"block_count", std::to_string(n_layer)},
      {"feed_forward_length", std::to_string(n_ff)},
      {"head_count", std::to_string(n_head)},
      {"head_count_kv", std::to_string(n_head_kv)},
      {"head_dim", std::to_string(head_dim)},
      {"rope_dimension_count", std::to_string(n_rot)},
      {"rope_freq_base", format_float(rope_freq_base)},
      {"rms_eps", format_float(rms_eps)},
      {"vocab_size", std::to_string(n_vocab)},
  };
  if (attention_scale_dim != head_dim) out.emplace_back("attention_scale_dim", std::to_string(attention_scale_dim));
  if (rope_freq_scale != 1.0f) out.emplace_back("rope_freq_scale", format_float(rope_freq_scale));
  if (rope_attn_factor != 1.0f) out.emplace_back("rope_attn_factor", format_float(rope_attn_factor));
  if (sliding_window > 0) {
    out.emplace_back("sliding_window", std::to_string(sliding_window));
    out.emplace_back("rope_freq_base_swa", format_float(rope_freq_base_swa));
  }
  if (n_ctx_orig > 0) out.emplace_back("rope_original_context_length", std::to_string(n_ctx_orig));
  return out;
}

}  // namespace edgenode::engine

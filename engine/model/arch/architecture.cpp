#include "engine/model/arch/architecture.h"

namespace edgenode::engine {

extern const Architecture kLlamaArchitecture;
extern const Architecture kQwen2Architecture;
extern const Architecture kQwen3Architecture;
extern const Architecture kPhi3Architecture;
extern const Architecture kGemma3Architecture;

namespace {
const Architecture* const kArchitectures[] = {&kLlamaArchitecture, &kQwen2Architecture, &kQwen3Architecture,
                                              &kPhi3Architecture, &kGemma3Architecture};
}

const Architecture* find_architecture(std::string_view name) {
  for (const Architecture* a : kArchitectures)
    if (a->name == name) return a;
  return nullptr;
}

std::string supported_architectures() {
  std::string out;
  for (const Architecture* a : kArchitectures) out += (out.empty() ? "" : ", ") + std::string(a->name);
  return out;
}

Result<void> load_standard_tensors(WeightLoader& loader, const HParams& hp, const StandardTensors& parts,
                                   ModelWeights& w) {
  const int n_embd = hp.n_embd, q_dim = hp.q_dim(), kv_dim = hp.kv_dim(), n_ff = hp.n_ff, hd = hp.head_dim;
#define EDGENODE_LOAD(target, expr) \
  {                                 \
    auto r = (expr);                \
    if (!r) return r.error();       \
    target = *r;                    \
  }
  EDGENODE_LOAD(w.token_embd, loader.embedding("token_embd.weight", n_embd));
  EDGENODE_LOAD(w.output_norm, loader.vector("output_norm.weight", n_embd));
  EDGENODE_LOAD(w.output, loader.optional_matrix("output.weight", hp.n_vocab, n_embd));
  if (!w.output.present()) EDGENODE_LOAD(w.output, loader.matrix("token_embd.weight", hp.n_vocab, n_embd));

  w.layers.resize(hp.n_layer);
  for (int il = 0; il < hp.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    AttentionWeights& a = w.layers[il].attn;
    FfnWeights& f = w.layers[il].ffn;
    EDGENODE_LOAD(a.norm, loader.vector(p + "attn_norm.weight", n_embd));
    if (parts.fused_qkv) {
      EDGENODE_LOAD(a.wqkv, loader.matrix(p + "attn_qkv.weight", q_dim + 2 * kv_dim, n_embd));
    } else {
      EDGENODE_LOAD(a.wq, loader.matrix(p + "attn_q.weight", q_dim, n_embd));
      EDGENODE_LOAD(a.wk, loader.matrix(p + "attn_k.weight", kv_dim, n_embd));
      EDGENODE_LOAD(a.wv, loader.matrix(p + "attn_v.weight", kv_dim, n_embd));
    }
    if (parts.qkv_bias) {
      EDGENODE_LOAD(a.bq, loader.vector(p + "attn_q.bias", q_dim));
      EDGENODE_LOAD(a.bk, loader.vector(p + "attn_k.bias", kv_dim));
      EDGENODE_LOAD(a.bv, loader.vector(p + "attn_v.bias", kv_dim));
    }
    if (parts.qk_norm) {
      EDGENODE_LOAD(a.q_norm, loader.vector(p + "attn_q_norm.weight", hd));
      EDGENODE_LOAD(a.k_norm, loader.vector(p + "attn_k_norm.weight", hd));
    }
    EDGENODE_LOAD(a.wo, loader.matrix(p + "attn_output.weight", n_embd, q_dim));
    EDGENODE_LOAD(f.norm, loader.vector(p + "ffn_norm.weight", n_embd));
    if (parts.fused_gate_up) {
      EDGENODE_LOAD(f.gate_up, loader.matrix(p + "ffn_up.weight", 2 * n_ff, n_embd));
    } else {
      EDGENODE_LOAD(f.gate, loader.matrix(p + "ffn_gate.weight", n_ff, n_embd));
      EDGENODE_LOAD(f.up, loader.matrix(p + "ffn_up.weight", n_ff, n_embd));
    }
    EDGENODE_LOAD(f.down, loader.matrix(p + "ffn_down.weight", n_embd, n_ff));
    if (parts.post_norms) {
      EDGENODE_LOAD(a.post_norm, loader.vector(p + "post_attention_norm.weight", n_embd));
      EDGENODE_LOAD(f.post_norm, loader.vector(p + "post_ffw_norm.weight", n_embd));
    }
  }
#undef EDGENODE_LOAD
  // Every architecture's matrices are all loaded here: lay them out for the decode step.
  return loader.place_q8_matrices(w);
}

}  // namespace edgenode::engine

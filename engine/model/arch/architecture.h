// An architecture is one file under arch/ that says how to read its hyper-parameters,
// which tensors it loads into the shared weight structs, and how its forward pass composes
// the shared blocks. Adding one means adding a file and a line in architecture.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/model/blocks.h"
#include "engine/model/hparams.h"
#include "engine/model/weights.h"

namespace edgenode::engine {

class GgufFile;

struct Architecture {
  std::string_view name;
  // Reads what this architecture adds to the common hyper-parameters (already in hp).
  Result<void> (*read_hparams)(const GgufFile& file, HParams& hp);
  // Fills w from the file's tensors (shapes checked against hp).
  Result<void> (*load_weights)(WeightLoader& loader, const HParams& hp, ModelWeights& w);
  // tokens (c.n rows, placed by c.s.positions and c.s.slots) -> logits of the last row, or of
  // every row when all_positions.
  void (*forward)(ForwardContext& c, std::span<const int32_t> tokens, float* logits, bool all_positions);
};

// nullptr when the name is not a supported architecture.
const Architecture* find_architecture(std::string_view name);
std::string supported_architectures();  // "llama, qwen2, ..." for error messages

// Tensors every architecture names the same way, loaded into w: token_embd, output_norm,
// output (token_embd when absent: tied) and, per layer, the norms and matrices in `parts`.
struct StandardTensors {
  bool qkv_bias = false;     // attn_{q,k,v}.bias
  bool qk_norm = false;      // attn_{q,k}_norm
  bool fused_qkv = false;    // attn_qkv instead of attn_q/k/v
  bool fused_gate_up = false;  // ffn_up holds gate and up; no ffn_gate
  bool post_norms = false;   // post_attention_norm, post_ffw_norm
};
Result<void> load_standard_tensors(WeightLoader& loader, const HParams& hp, const StandardTensors& parts,
                                   ModelWeights& w);

}  // namespace edgenode::engine

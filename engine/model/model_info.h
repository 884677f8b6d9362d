// What `edgenode model info` shows about a loaded model: architecture, hyper-parameters,
// tensors, file, tokenizer, and how the weights run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace edgenode::engine {

struct ModelInfo {
  std::string path;
  std::string architecture;           // general.architecture
  std::string name;                   // general.name ("" when absent)
  uint64_t file_size = 0;
  uint32_t gguf_version = 0;
  bool vocab_only = false;            // no weights loaded: tokenizer and template only
  std::vector<std::pair<std::string, std::string>> hparams;  // name -> value, architecture-specific
  size_t tensor_count = 0;
  std::map<std::string, int> tensor_types;  // type name -> number of tensors of that type
  std::string tokenizer_kind;         // "spm", "bpe:<pre>"
  int32_t vocab_size = 0;
  bool has_chat_template = false;
  int context_length = 0;             // the context this instance runs with
  std::string weights;                // "q8_0" or "f32": how matrices run
  uint64_t weight_bytes_per_token = 0;  // matrix bytes one decode step reads
  int threads = 0;
  // Set when some weights do not run in their stored type (requantized to Q8_0, or kept F32).
  std::string precision_note;
};

}  // namespace edgenode::engine

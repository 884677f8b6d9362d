// The weights of a transformer, read-only after load. Matrices run as Q8_0 (the file's Q8_0
// values, or F32/F16/K-quants requantized at load), copied into huge pages in decode order
// (packed for the kernel table where it has a packed layout, each thread's rows apart: see
// Matrix::packed_slices); or as F32 (--weights f32, and rows that do not divide into
// 32-blocks). Norm weights and biases are F32 vectors.
//
// Shapes are written (rows, cols): y = W·x with W[rows][cols], as ggml stores [ne0=cols, ne1=rows].
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "engine/gguf/gguf.h"
#include "kernels/huge_pages.h"
#include "kernels/kernels.h"

namespace edgenode::engine {

// The rows [begin, end) of a matrix that thread `thread` of `n_threads` computes: whole
// panels of kernels::kQ8PanelRows (the last may be partial), spread as evenly as they go, so
// every thread reads the same bytes of every matrix to within a panel.
struct RowRange {
  int begin;
  int end;
};
RowRange thread_rows(int rows, int thread, int n_threads);

struct Matrix {
  int rows = 0;
  int cols = 0;
  const kernels::Q8Block* q8 = nullptr;  // rows * cols/32 blocks, when the matrix runs as Q8_0
  // Or the same in the kernel table's packed layout, one slice per thread of the pool: slice t
  // holds rows thread_rows(rows, t, n_threads), packed on their own.
  std::vector<const uint8_t*> packed_slices;
  const float* f32 = nullptr;            // rows * cols floats, otherwise
  // ggml multiplies F16 weights with activations rounded to fp16; a matrix stored as F16
  // that runs as F32 does the same so it reproduces llama.cpp's numbers.
  bool round_input_fp16 = false;

  bool present() const { return rows > 0; }
  bool runs_q8() const { return q8 || !packed_slices.empty(); }
  uint64_t bytes() const;  // bytes read from memory by one product with a vector
};

// The embedding table as stored in the file: a lookup dequantizes one row exactly.
struct Embedding {
  const GgufTensorInfo* tensor = nullptr;  // (n_vocab, n_embd)
  void lookup(int32_t id, float* out) const;
};

struct AttentionWeights {
  const float* norm = nullptr;        // (n_embd) pre-attention RMSNorm
  Matrix wq;                          // (n_head*head_dim, n_embd)
  Matrix wk;                          // (n_head_kv*head_dim, n_embd)
  Matrix wv;                          // (n_head_kv*head_dim, n_embd)
  Matrix wqkv;                        // (n_head*head_dim + 2*n_head_kv*head_dim, n_embd), fused (phi3)
  const float* bq = nullptr;          // (n_head*head_dim) biases (qwen2)
  const float* bk = nullptr;          // (n_head_kv*head_dim)
  const float* bv = nullptr;          // (n_head_kv*head_dim)
  const float* q_norm = nullptr;      // (head_dim) per-head RMSNorm (qwen3, gemma3)
  const float* k_norm = nullptr;      // (head_dim)
  Matrix wo;                          // (n_embd, n_head*head_dim)
  const float* post_norm = nullptr;   // (n_embd) applied to the attention output (gemma3)
};

struct FfnWeights {
  const float* norm = nullptr;        // (n_embd) pre-FFN RMSNorm
  Matrix gate;                        // (n_ff, n_embd)
  Matrix up;                          // (n_ff, n_embd)
  Matrix gate_up;                     // (2*n_ff, n_embd): gate rows then up rows, fused (phi3)
  Matrix down;                        // (n_embd, n_ff)
  const float* post_norm = nullptr;   // (n_embd) applied to the FFN output (gemma3)
};

struct LayerWeights {
  AttentionWeights attn;
  FfnWeights ffn;
};

struct ModelWeights {
  Embedding token_embd;               // (n_vocab, n_embd)
  std::vector<LayerWeights> layers;   // n_layer
  const float* output_norm = nullptr; // (n_embd)
  Matrix output;                      // (n_vocab, n_embd); token_embd when tied
  const float* rope_freqs = nullptr;  // (n_rot/2) frequency divisors (Llama 3), may be null

  uint64_t matrix_bytes() const;      // bytes of all matrices: what one decode step reads

  // The Q8_0 matrices, in the order a decode step reads them, in huge pages (see
  // WeightLoader::place_q8_matrices).
  kernels::HugePageBuffer q8_memory;
};

// Turns GGUF tensors into Matrix/vector views, converting where needed and owning the
// converted copies. Keeps count of what it converted for the log and `model info`.
class WeightLoader {
 public:
  // n_threads: the pool that will run the model, whose threads each get their rows of every
  // packed matrix laid out apart (place_q8_matrices).
  WeightLoader(const GgufFile& file, WeightMode mode, int n_threads)
      : file_(file), mode_(mode), n_threads_(n_threads < 1 ? 1 : n_threads) {}

  // Required tensors: a missing one is an error naming it; the shape is checked.
  Result<Matrix> matrix(const std::string& name, int rows, int cols);
  Result<const float*> vector(const std::string& name, int n);
  // Optional tensors: absent is fine (returns an empty matrix / null).
  Result<Matrix> optional_matrix(const std::string& name, int rows, int cols);
  Result<const float*> optional_vector(const std::string& name, int n);
  Result<Embedding> embedding(const std::string& name, int cols);

  // Copies every Q8_0 matrix of w into w.q8_memory, one after another in the order a decode
  // step reads them, and points the matrices there: each token then streams one contiguous
  // range of huge pages instead of 4 KB pages of the file mapping scattered in file order.
  // Where the kernel table has a packed layout the copies are packed, and thread by thread:
  // first thread 0's rows of every matrix in decode order, then thread 1's, and so on
  // (Matrix::packed_slices). Each thread's part of a token is then one stream, and the
  // kernel's prefetch, which runs on past the rows of a call, fetches that thread's next
  // matrix while it waits for the others at the end of this one.
  // Call once all matrices are loaded; the loader's own requantized copies are released.
  Result<void> place_q8_matrices(ModelWeights& w);

  int requantized_count() const { return requantized_; }
  int kept_f32_count() const { return kept_f32_; }
  std::vector<std::string> source_types_converted() const;

  // The buffers this loader converted into: the model keeps them alive.
  std::deque<std::vector<uint8_t>> take_storage() { return std::move(storage_); }

 private:
  Result<const GgufTensorInfo*> find(const std::string& name, int rows, int cols, bool required) const;
  Result<std::vector<float>> to_f32(const GgufTensorInfo& t) const;
  uint8_t* allocate(size_t bytes);

  const GgufFile& file_;
  WeightMode mode_;
  int n_threads_;
  std::deque<std::vector<uint8_t>> storage_;
  std::deque<std::vector<kernels::Q8Block>> requantized_storage_;  // until place_q8_matrices
  int requantized_ = 0;
  int kept_f32_ = 0;
  std::vector<std::string> converted_types_;
};

}  // namespace edgenode::engine

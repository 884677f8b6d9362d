#include "engine/model/weights.h"

#include <algorithm>
#include <cstring>

#include "engine/gguf/dequantize.h"

namespace edgenode::engine {

using kernels::kQ8BlockSize;
using kernels::Q8Block;

RowRange thread_rows(int rows, int thread, int n_threads) {
  const int panels = (rows + kernels::kQ8PanelRows - 1) / kernels::kQ8PanelRows;
  const int first = static_cast<int>(static_cast<int64_t>(panels) * thread / n_threads);
  const int last = static_cast<int>(static_cast<int64_t>(panels) * (thread + 1) / n_threads);
  return {std::min(rows, first * kernels::kQ8PanelRows), std::min(rows, last * kernels::kQ8PanelRows)};
}

uint64_t Matrix::bytes() const {
  if (runs_q8()) return static_cast<uint64_t>(rows) * (cols / kQ8BlockSize) * sizeof(Q8Block);
  return static_cast<uint64_t>(rows) * cols * sizeof(float);
}

void Embedding::lookup(int32_t id, float* out) const {
  const int64_t cols = tensor->ne[0];
  // The id was range-checked against n_vocab by the caller; the row is in the mapped file.
  (void)dequantize_row(tensor->type, tensor->data + static_cast<uint64_t>(id) * tensor->row_bytes(), out, cols);
}

uint64_t ModelWeights::matrix_bytes() const {
  uint64_t total = output.bytes();
  for (const LayerWeights& l : layers)
    for (const Matrix* m : {&l.attn.wq, &l.attn.wk, &l.attn.wv, &l.attn.wqkv, &l.attn.wo, &l.ffn.gate, &l.ffn.up,
                            &l.ffn.gate_up, &l.ffn.down})
      if (m->present()) total += m->bytes();
  return total;
}

uint8_t* WeightLoader::allocate(size_t bytes) {
  storage_.emplace_back(bytes);
  return storage_.back().data();
}

Result<const GgufTensorInfo*> WeightLoader::find(const std::string& name, int rows, int cols, bool required) const {
  const GgufTensorInfo* t = file_.tensor(name);
  if (!t) {
    if (required) return bad_input("missing tensor " + name);
    return static_cast<const GgufTensorInfo*>(nullptr);
  }
  const int64_t want_rows = rows;
  const bool shape_ok = !t->ne.empty() && t->ne[0] == cols && t->n_rows() == want_rows;
  if (!shape_ok) {
    std::string got;
    for (int64_t d : t->ne) got += (got.empty() ? "" : ",") + std::to_string(d);
    return bad_input("tensor " + name + " has shape [" + got + "], expected [" + std::to_string(cols) +
                     (rows > 1 ? "," + std::to_string(rows) : "") + "]");
  }
  if (!can_dequantize(t->type))
    return bad_input("tensor " + name + " has unsupported type " + std::string(type_name(t->type)));
  return t;
}

Result<std::vector<float>> WeightLoader::to_f32(const GgufTensorInfo& t) const {
  std::vector<float> out(static_cast<size_t>(t.n_elements()));
  const int64_t cols = t.ne[0];
  const uint64_t row_bytes = t.row_bytes();
  for (int64_t r = 0; r < t.n_rows(); ++r) {
    auto ok = dequantize_row(t.type, t.data + r * row_bytes, out.data() + r * cols, cols);
    if (!ok) return Error{"tensor " + t.name + ": " + ok.error().message, ok.error().kind};
  }
  return out;
}

Result<Matrix> WeightLoader::matrix(const std::string& name, int rows, int cols) {
  auto found = find(name, rows, cols, true);
  if (!found) return found.error();
  const GgufTensorInfo& t = **found;
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  const bool runs_q8 = mode_ == WeightMode::q8_0 && cols % kQ8BlockSize == 0;
  if (runs_q8 && t.type == GgmlType::Q8_0) {
    m.q8 = reinterpret_cast<const Q8Block*>(t.data);  // as stored: no copy
    return m;
  }
  if (!runs_q8 && mode_ == WeightMode::q8_0) ++kept_f32_;
  if (!runs_q8 && t.type == GgmlType::F32) {
    m.f32 = reinterpret_cast<const float*>(t.data);
    return m;
  }
  auto values = to_f32(t);
  if (!values) return values.error();
  if (std::find(converted_types_.begin(), converted_types_.end(), type_name(t.type)) == converted_types_.end())
    converted_types_.emplace_back(type_name(t.type));
  if (runs_q8) {
    const int nblocks = cols / kQ8BlockSize;
    Q8Block* blocks = requantized_storage_.emplace_back(static_cast<size_t>(rows) * nblocks).data();
    const auto& k = kernels::best();
    for (int r = 0; r < rows; ++r) k.quantize_row_q8(values->data() + static_cast<size_t>(r) * cols, blocks + static_cast<size_t>(r) * nblocks, cols);
    m.q8 = blocks;
    ++requantized_;
    return m;
  }
  auto* floats = reinterpret_cast<float*>(allocate(values->size() * sizeof(float)));
  std::memcpy(floats, values->data(), values->size() * sizeof(float));
  m.f32 = floats;
  m.round_input_fp16 = t.type == GgmlType::F16;
  return m;
}

Result<Matrix> WeightLoader::optional_matrix(const std::string& name, int rows, int cols) {
  if (!file_.tensor(name)) return Matrix{};
  return matrix(name, rows, cols);
}

Result<const float*> WeightLoader::vector(const std::string& name, int n) {
  auto found = find(name, 1, n, true);
  if (!found) return found.error();
  const GgufTensorInfo& t = **found;
  if (t.type == GgmlType::F32) return reinterpret_cast<const float*>(t.data);
  auto values = to_f32(t);
  if (!values) return values.error();
  auto* floats = reinterpret_cast<float*>(allocate(values->size() * sizeof(float)));
  std::memcpy(floats, values->data(), values->size() * sizeof(float));
  return static_cast<const float*>(floats);
}

Result<void> WeightLoader::place_q8_matrices(ModelWeights& w) {
  std::vector<Matrix*> order;
  for (LayerWeights& l : w.layers)
    for (Matrix* m : {&l.attn.wq, &l.attn.wk, &l.attn.wv, &l.attn.wqkv, &l.attn.wo, &l.ffn.gate, &l.ffn.up,
                      &l.ffn.gate_up, &l.ffn.down})
      order.push_back(m);
  order.push_back(&w.output);
  std::erase_if(order, [](const Matrix* m) { return !m->present() || !m->q8; });
  if (order.empty()) return {};

  const kernels::KernelTable& k = kernels::best();
  const bool packed = k.pack_q8 != nullptr;
  const int slices = packed ? n_threads_ : 1;
  auto slice_bytes = [&](const Matrix& m, int t) -> uint64_t {
    const int nblocks = m.cols / kQ8BlockSize;
    if (!packed) return m.bytes();
    const RowRange r = thread_rows(m.rows, t, n_threads_);
    return k.packed_q8_bytes(r.end - r.begin, nblocks);
  };
  // Each slice starts on a cache line, so no line holds the end of one and the start of the next.
  constexpr size_t kLine = 64;
  auto padded = [](uint64_t bytes) { return (bytes + kLine - 1) / kLine * kLine; };
  uint64_t total = 0;
  for (int t = 0; t < slices; ++t)
    for (const Matrix* m : order) total += padded(slice_bytes(*m, t));
  w.q8_memory = kernels::HugePageBuffer::allocate(total);
  if (!w.q8_memory.data()) return internal_error("cannot allocate " + std::to_string(total) + " bytes for the weights");

  // Matrices point at their copies from here on; the sources stay alive until the end.
  std::vector<const Q8Block*> sources;
  for (Matrix* m : order) {
    sources.push_back(m->q8);
    if (packed) m->q8 = nullptr;
  }
  uint8_t* at = w.q8_memory.data();
  for (int t = 0; t < slices; ++t) {
    for (size_t i = 0; i < order.size(); ++i) {
      Matrix& m = *order[i];
      const int nblocks = m.cols / kQ8BlockSize;
      if (packed) {
        const RowRange r = thread_rows(m.rows, t, n_threads_);
        k.pack_q8(sources[i] + static_cast<size_t>(r.begin) * nblocks, r.end - r.begin, nblocks, at);
        m.packed_slices.push_back(at);
      } else {
        std::memcpy(at, sources[i], m.bytes());
        m.q8 = reinterpret_cast<const Q8Block*>(at);
      }
      at += padded(slice_bytes(m, t));
    }
  }
  // Matrices used as stored: their file pages are no longer needed.
  for (size_t i = 0; i < order.size(); ++i)
    file_.release_pages(reinterpret_cast<const uint8_t*>(sources[i]), order[i]->bytes());
  requantized_storage_.clear();
  return {};
}

Result<const float*> WeightLoader::optional_vector(const std::string& name, int n) {
  if (!file_.tensor(name)) return static_cast<const float*>(nullptr);
  return vector(name, n);
}

Result<Embedding> WeightLoader::embedding(const std::string& name, int cols) {
  const GgufTensorInfo* t = file_.tensor(name);
  if (!t) return bad_input("missing tensor " + name);
  auto found = find(name, static_cast<int>(t->n_rows()), cols, true);
  if (!found) return found.error();
  return Embedding{*found};
}

std::vector<std::string> WeightLoader::source_types_converted() const { return converted_types_; }

}  // namespace edgenode::engine

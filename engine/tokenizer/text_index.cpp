#include "engine/tokenizer/text_index.h"

#include <functional>

namespace edgenode::engine {

void TextIndex::reserve(size_t n) {
  size_t capacity = 16;
  while (capacity < n * 2) capacity *= 2;
  if (capacity <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{});
  size_ = 0;
  for (const Slot& slot : old) {
    if (slot.id >= 0) insert(slot.id);
  }
}

void TextIndex::grow() { reserve(slots_.size() < 16 ? 8 : slots_.size()); }

void TextIndex::insert(int32_t id) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::string_view text = (*texts_)[id];
  const uint64_t hash = std::hash<std::string_view>{}(text);
  const auto tag = static_cast<uint32_t>(hash >> 32);
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.id < 0) {
      slot = {tag, id};
      ++size_;
      return;
    }
    if (slot.tag == tag && (*texts_)[slot.id] == text) return;
  }
}

int32_t TextIndex::find(std::string_view text) const {
  if (slots_.empty()) return -1;
  const uint64_t hash = std::hash<std::string_view>{}(text);
  const auto tag = static_cast<uint32_t>(hash >> 32);
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id < 0) return -1;
    if (slot.tag == tag && (*texts_)[slot.id] == text) return slot.id;
  }
}

}  // namespace edgenode::engine

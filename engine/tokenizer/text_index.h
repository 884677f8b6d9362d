// Finds the id of a string among strings kept elsewhere (a vocabulary, by id). Open addressing
// over a power-of-two table of (hash tag, id) slots: a lookup reads one slot, mostly in one
// cache line, and compares only candidates whose tag matches. Built once, then read-only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgenode::engine {

class TextIndex {
 public:
  // `texts` must outlive the index and not change.
  explicit TextIndex(const std::vector<std::string>* texts = nullptr) : texts_(texts) {}

  void reserve(size_t n);
  // Adds id under texts[id]; an id whose text is already present is ignored (the first wins).
  void insert(int32_t id);
  int32_t find(std::string_view text) const;  // -1 when absent

 private:
  struct Slot {
    uint32_t tag = 0;
    int32_t id = -1;
  };
  void grow();

  const std::vector<std::string>* texts_;
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace edgenode::engine

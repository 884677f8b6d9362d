// Memory that is streamed end to end many times (weights, the bandwidth probe's buffer) in
// 2 MB-aligned anonymous pages the kernel is asked to back with transparent huge pages.
// With 4 KB pages, streaming 140 MB per token crosses a page, and risks a TLB miss, every
// 4 KB; with 2 MB pages one TLB entry covers 512 times as much. Where THP is disabled the
// memory is still valid, just backed by small pages.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgenode::kernels {

class HugePageBuffer {
 public:
  HugePageBuffer() = default;
  // Null data() when the memory cannot be mapped.
  static HugePageBuffer allocate(size_t bytes);

  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  ~HugePageBuffer();

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* map_ = nullptr;  // the whole mapping, alignment slack included
  size_t map_bytes_ = 0;
  uint8_t* data_ = nullptr;  // 2 MB-aligned start inside the mapping
  size_t size_ = 0;
};

}  // namespace edgenode::kernels

#include "kernels/huge_pages.h"

#include <sys/mman.h>

#include <utility>

namespace edgenode::kernels {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

HugePageBuffer HugePageBuffer::allocate(size_t bytes) {
  HugePageBuffer b;
  if (bytes == 0) return b;
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  // One huge page of slack so the start can be moved to a 2 MB boundary: the kernel only
  // backs whole aligned 2 MB ranges with huge pages.
  const size_t map_bytes = rounded + kHugePage;
  void* map = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return b;
  const auto start = reinterpret_cast<uintptr_t>(map);
  auto* aligned = reinterpret_cast<uint8_t*>((start + kHugePage - 1) / kHugePage * kHugePage);
  // Before the first touch, so the pages are huge from the start rather than collapsed later.
  // Failure (THP compiled out) leaves ordinary pages: nothing to handle.
  (void)::madvise(aligned, rounded, MADV_HUGEPAGE);
  b.map_ = map;
  b.map_bytes_ = map_bytes;
  b.data_ = aligned;
  b.size_ = bytes;
  return b;
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept { *this = std::move(other); }

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this == &other) return *this;
  if (map_) ::munmap(map_, map_bytes_);
  map_ = std::exchange(other.map_, nullptr);
  map_bytes_ = std::exchange(other.map_bytes_, 0);
  data_ = std::exchange(other.data_, nullptr);
  size_ = std::exchange(other.size_, 0);
  return *this;
}

HugePageBuffer::~HugePageBuffer() {
  if (map_) ::munmap(map_, map_bytes_);
}

}  // namespace edgenode::kernels

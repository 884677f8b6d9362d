// Internal: fills a GgufFile from its byte range (declared a friend of GgufFile).
#pragma once

#include "base/result.h"
#include "engine/gguf/gguf.h"

namespace edgenode::engine {

class GgufParser {
 public:
  // file.bytes_ and file.size_ are set; fills everything else or returns why it cannot.
  static Result<void> parse(GgufFile& file);
};

}  // namespace edgenode::engine

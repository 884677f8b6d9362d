// Durations ("500ms", "10s", "2m", "1h") and sizes ("512B", "64KiB", "1MB") as written in
// configs. Errors say what was expected.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace edgenode::pipeline {

// Milliseconds. A unit is required: a bare number is ambiguous.
Result<int64_t> parse_duration_ms(std::string_view text);
// Bytes. A bare integer is bytes; KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024.
Result<int64_t> parse_size_bytes(std::string_view text);

}  // namespace edgenode::pipeline

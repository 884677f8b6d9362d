// Helpers shared by the tokenizer tests: loading a tokenizer from a fixture GGUF and
// printing token ids with their pieces when a comparison fails.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace edgenode::engine::testing {

inline std::filesystem::path shared_fixtures() { return EDGENODE_SHARED_FIXTURES; }

// Null (with the reason in `error`) when the file cannot be loaded.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& gguf, std::string& error);

// The text with control characters and non-ASCII bytes escaped, for failure messages.
std::string printable(const std::string& text);

// "[id 'piece', id 'piece', ...]"
std::string describe(const Tokenizer& tokenizer, const std::vector<int32_t>& ids);

}  // namespace edgenode::engine::testing

// Unicode Normalization Form C, as the Hugging Face "NFC" normalizer applies it before
// pre-tokenization (Qwen's tokenizers): "e" + U+0301 becomes "é". The composition data is
// ICU's; nothing here knows Unicode tables.
#pragma once

#include <string>
#include <string_view>

namespace edgenode::engine {

// Writes the NFC form of text to out and returns true, or returns false (out untouched) when
// text is already in NFC, the common case. Invalid UTF-8 bytes are copied unchanged.
bool to_nfc(std::string_view text, std::string& out);

}  // namespace edgenode::engine

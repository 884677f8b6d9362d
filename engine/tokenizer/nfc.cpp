#include "engine/tokenizer/nfc.h"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>

namespace edgenode::engine {

bool to_nfc(std::string_view text, std::string& out) {
  UErrorCode status = U_ZERO_ERROR;
  // ICU owns the instance; it is built once per process and safe to share across threads.
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return false;
  const icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  if (nfc->isNormalizedUTF8(piece, status) || U_FAILURE(status)) return false;
  std::string normalized;
  normalized.reserve(text.size());
  icu::StringByteSink<std::string> sink(&normalized);
  status = U_ZERO_ERROR;
  nfc->normalizeUTF8(0, piece, sink, nullptr, status);
  if (U_FAILURE(status)) return false;
  out = std::move(normalized);
  return true;
}

}  // namespace edgenode::engine

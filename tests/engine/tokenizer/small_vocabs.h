// Small vocabularies built in memory, so the algorithms can be tested on cases small enough
// to work out by hand.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace edgenode::engine::testing {

// SPM: <unk>=0 (unknown), <s>=1 and </s>=2 (control), <0x00>..<0xFF>=3..258 (byte), then the
// given pieces (spaces written as U+2581) with their scores, then <tag>=user-defined.
Vocab small_spm_vocab(const std::vector<std::pair<std::string, float>>& pieces, bool add_space_prefix = true);

// Byte-level BPE: the 256 byte tokens in byte order (id = byte value), then the result of each
// merge ("left right", written in the byte-level alphabet) in merge order, then
// <|bos|> (control, BOS) and <tag> (user-defined).
Vocab small_bpe_vocab(const std::vector<std::string>& merges, const std::string& pre = "gpt2");

// Ids by text in a vocabulary (-1 when absent).
int32_t id_of(const Vocab& vocab, const std::string& text);

}  // namespace edgenode::engine::testing

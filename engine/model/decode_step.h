// A decode step of one token whose blocks all qualify runs them as one pool job (blocks.h):
// attention_block and ffn_block note a block that joins it, and the noted blocks run when
// output_logits() or a block that cannot join comes.
#pragma once

#include "engine/model/blocks.h"

namespace edgenode::engine {

// One token, every matrix packed for the pool's threads, no post-norm; for the feed-forward
// block, gate and up as matrices of their own.
bool joins_decode_step(const ForwardContext& c, const AttentionWeights& w);
bool joins_decode_step(const ForwardContext& c, const FfnWeights& w);

// Runs the blocks noted so far, if any, as one pool job, and forgets them.
void run_noted_blocks(ForwardContext& c);

}  // namespace edgenode::engine

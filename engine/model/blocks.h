// The building blocks every architecture's forward pass is made of: embedding, matrix
// products split across the thread pool, the attention block and the feed-forward block,
// each configured by a small options struct. An architecture file composes them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

#include "engine/model/block_options.h"
#include "engine/model/hparams.h"
#include "engine/model/run_state.h"
#include "engine/model/weights.h"
#include "kernels/kernels.h"
#include "kernels/threadpool.h"

namespace edgenode::engine {

// Everything one forward call works with: n rows, row t the token at position
// s.positions[t] of the sequence whose KV cache is slot s.slots[t]. A prompt is rows of one
// sequence at consecutive positions; a decode step of several sequences is one row each.
struct ForwardContext {
  const HParams& hp;
  const ModelWeights& w;
  RunState& s;
  kernels::ThreadPool& pool;
  int n = 0;
};

// One matrix product of a shared input: out[t][0..rows) with row stride ldy.
struct Projection {
  const Matrix* w;
  float* out;
  int ldy;
};

// x (n rows of `cols` floats) times every matrix in the list (all with `cols` columns).
// Q8_0 matrices quantize x once and split their rows over the pool; F32 ones use sgemm.
void project(ForwardContext& c, const float* x, int cols, std::initializer_list<Projection> projections);

// Element-wise work on the outputs of a project() call: apply(ctx, t, begin, end) for the
// rows [begin, end) of token t, over rows [0, rows) in all.
struct RowEpilogue {
  void (*apply)(void* ctx, int token, int begin, int end);
  void* ctx;
  int rows;
};

// project(), then the epilogue. When every matrix is packed and has epilogue.rows rows, each
// thread applies it to the rows it has just computed, in the same pool job: no serial step
// on one thread while the others wait, and no second dispatch. Otherwise it runs afterwards.
void project_then(ForwardContext& c, const float* x, int cols, std::initializer_list<Projection> projections,
                  const RowEpilogue& epilogue);

// Runs body(t) for every token t < c.n, on the pool when there are enough tokens to pay for it.
template <class F>
void for_each_token(ForwardContext& c, F&& body) {
  if (c.n < 4) {
    for (int t = 0; t < c.n; ++t) body(t);
    return;
  }
  c.pool.parallel_for(c.n, [&](int begin, int end) {
    for (int t = begin; t < end; ++t) body(t);
  });
}

// x[t] = token_embd[tokens[t]] * scale.
void embed(ForwardContext& c, std::span<const int32_t> tokens, float scale);

// x += [post_norm](wo · attention(rope(q), rope(k), v)) with q, k, v from norm(x).
//
// A single token (a decode step) whose matrices are all packed and that has no post-norm is
// only noted here, and so is ffn_block's when its gate and up are separate matrices: the noted
// blocks run together as one pool job, their phases separated by pool barriers, when
// output_logits() is called or a block that cannot join them comes. So between these calls
// an architecture must leave the run state to them.
void attention_block(ForwardContext& c, int layer, const AttentionWeights& w, const AttentionOptions& o);

// x += [post_norm](down · (act(gate · norm(x)) * (up · norm(x)))).
void ffn_block(ForwardContext& c, const FfnWeights& w, FfnActivation activation);

// Final norm and output matrix: logits of the last token (all_positions false) into
// logits[n_vocab], or of every token into logits[n][n_vocab]; nothing when logits is null.
void output_logits(ForwardContext& c, float* logits, bool all_positions);

}  // namespace edgenode::engine

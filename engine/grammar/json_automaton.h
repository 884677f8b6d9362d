// A pushdown automaton over bytes that accepts exactly the JSON texts a SchemaGraph allows,
// written compactly: no whitespace except one optional space after ':' and ','. Strings are
// valid UTF-8 with JSON escapes; numbers have at most 15 integer and 15 fraction digits, so
// a model cannot run on forever inside one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/grammar/schema_graph.h"

namespace edgenode::engine::grammar {

// One level of the automaton's stack: the value (or key) being matched and where in it.
struct Frame {
  uint8_t kind = 0;
  uint8_t phase = 0;
  uint8_t space_used = 0;   // the optional space after ':' or ',' was taken
  uint8_t utf8_left = 0;    // continuation bytes still due, or hex digits seen in \uXXXX
  uint8_t next_lo = 0x80;   // allowed range of the next UTF-8 continuation byte
  uint8_t next_hi = 0xBF;
  int32_t spec = 0;         // schema node, or object/array/string spec index
  uint32_t count = 0;       // characters, items, digits or literal offset
  int32_t key = -1;         // object: index of the property whose value is being matched
  uint64_t mask = 0;        // object: properties seen; literal: candidates still alive
  const std::vector<std::string>* literals = nullptr;
};

constexpr int kMaxStackDepth = 32;

struct AutomatonState {
  std::array<Frame, kMaxStackDepth> frames;
  int depth = 0;            // 0 once the root value is finished
  bool finished = false;
  int32_t last_result = -1; // a finished literal's candidate index, read by its parent
};

class JsonAutomaton {
 public:
  explicit JsonAutomaton(const SchemaGraph& graph) : graph_(graph) {}

  AutomatonState initial() const;
  // Consumes one byte; false means the byte is not allowed here (the state is then spoiled).
  bool feed(AutomatonState& s, uint8_t byte) const;
  // The root value is complete: generation may stop here.
  bool can_end(const AutomatonState& s) const;
  // Inside a string, between characters, with no escape pending: returns true and the
  // number of characters that may still be added (UINT32_MAX when unbounded).
  bool plain_string_room(const AutomatonState& s, uint32_t& room) const;

  static void copy(AutomatonState& dst, const AutomatonState& src) {
    dst.depth = src.depth;
    dst.finished = src.finished;
    dst.last_result = src.last_result;
    for (int i = 0; i < src.depth; ++i) dst.frames[static_cast<size_t>(i)] = src.frames[static_cast<size_t>(i)];
  }

 private:
  enum class Step { consumed, reject, retry, pop_retry, consumed_pop };

  Step step(AutomatonState& s, Frame& f, uint8_t b) const;
  Step step_value_start(AutomatonState& s, Frame& f, uint8_t b) const;
  Step step_object(AutomatonState& s, Frame& f, uint8_t b) const;
  Step step_array(AutomatonState& s, Frame& f, uint8_t b) const;
  Step step_string(Frame& f, uint8_t b) const;
  Step step_number(Frame& f, uint8_t b) const;
  Step step_literal(AutomatonState& s, Frame& f, uint8_t b) const;
  bool push(AutomatonState& s, Frame f) const;
  void child_done(AutomatonState& s) const;
  bool frame_complete(const Frame& f) const;

  const SchemaGraph& graph_;
};

}  // namespace edgenode::engine::grammar

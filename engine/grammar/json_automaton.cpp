#include "engine/grammar/json_automaton.h"

namespace edgenode::engine::grammar {
namespace {

enum Kind : uint8_t { kValueStart, kObject, kArray, kString, kNumber, kLiteral };

enum ObjectPhase : uint8_t { kObjOpen, kObjAfterOpen, kObjKey, kObjAfterKey, kObjAfterColon, kObjValue, kObjAfterValue, kObjAfterComma };
enum ArrayPhase : uint8_t { kArrOpen, kArrAfterOpen, kArrItem, kArrAfterItem, kArrAfterComma };
enum StringPhase : uint8_t { kStrOpen, kStrContent, kStrUtf8, kStrEscape, kStrHex };
enum NumberPhase : uint8_t { kNumStart, kNumMinus, kNumZero, kNumInt, kNumDot, kNumFrac, kNumExp, kNumExpSign, kNumExpDigits };

constexpr uint32_t kMaxIntDigits = 15;
constexpr uint32_t kMaxFracDigits = 15;
constexpr uint32_t kMaxExpDigits = 2;

bool is_digit(uint8_t b) { return b >= '0' && b <= '9'; }
bool is_hex(uint8_t b) { return is_digit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F'); }

// For a UTF-8 lead byte: how many continuation bytes follow and the range of the first one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
bool utf8_lead(uint8_t b, uint8_t& left, uint8_t& lo, uint8_t& hi) {
  lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) return left = 1, true;
  if (b == 0xE0) return left = 2, lo = 0xA0, true;
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return left = 2, true;
  if (b == 0xED) return left = 2, hi = 0x9F, true;
  if (b == 0xF0) return left = 3, lo = 0x90, true;
  if (b >= 0xF1 && b <= 0xF3) return left = 3, true;
  if (b == 0xF4) return left = 3, hi = 0x8F, true;
  return false;
}

uint64_t all_candidates(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

}  // namespace

AutomatonState JsonAutomaton::initial() const {
  AutomatonState s;
  Frame root;
  root.kind = kValueStart;
  root.spec = 0;
  s.frames[0] = root;
  s.depth = 1;
  return s;
}

bool JsonAutomaton::push(AutomatonState& s, Frame f) const {
  if (s.depth >= kMaxStackDepth) return false;
  s.frames[static_cast<size_t>(s.depth++)] = f;
  return true;
}

bool JsonAutomaton::feed(AutomatonState& s, uint8_t b) const {
  while (true) {
    if (s.depth == 0) return false;  // the root value is finished
    Frame& f = s.frames[static_cast<size_t>(s.depth - 1)];
    switch (step(s, f, b)) {
      case Step::consumed: return true;
      case Step::reject: return false;
      case Step::retry: continue;
      case Step::pop_retry:
        --s.depth;
        child_done(s);
        continue;
      case Step::consumed_pop:
        --s.depth;
        child_done(s);
        return true;
    }
  }
}

void JsonAutomaton::child_done(AutomatonState& s) const {
  if (s.depth == 0) {
    s.finished = true;
    return;
  }
  Frame& parent = s.frames[static_cast<size_t>(s.depth - 1)];
  if (parent.kind == kObject) {
    if (parent.phase == kObjKey) {
      parent.key = s.last_result;  // -1 for free-form keys
      parent.phase = kObjAfterKey;
    } else {
      if (parent.key >= 0) parent.mask |= uint64_t{1} << parent.key;
      parent.phase = kObjAfterValue;
    }
  } else if (parent.kind == kArray) {
    ++parent.count;
    parent.phase = kArrAfterItem;
  }
}

JsonAutomaton::Step JsonAutomaton::step(AutomatonState& s, Frame& f, uint8_t b) const {
  switch (f.kind) {
    case kValueStart: return step_value_start(s, f, b);
    case kObject: return step_object(s, f, b);
    case kArray: return step_array(s, f, b);
    case kString: return step_string(f, b);
    case kNumber: return step_number(f, b);
    case kLiteral: return step_literal(s, f, b);
  }
  return Step::reject;
}

// The first byte of a value picks its shape; the frame turns into that shape and the byte
// is fed again.
JsonAutomaton::Step JsonAutomaton::step_value_start(AutomatonState&, Frame& f, uint8_t b) const {
  const SchemaNode& node = graph_.nodes[static_cast<size_t>(f.spec)];
  Frame next;
  if (b == '{' && node.object != kNoSpec) {
    next.kind = kObject, next.spec = node.object;
  } else if (b == '[' && node.array != kNoSpec) {
    next.kind = kArray, next.spec = node.array;
  } else if (b == '"' && node.string != kNoSpec) {
    next.kind = kString, next.spec = node.string;
  } else if ((b == '-' || is_digit(b)) && node.number) {
    next.kind = kNumber, next.spec = node.integer_only ? 1 : 0;
  } else if (!node.literals.empty()) {
    next.kind = kLiteral;
    next.literals = &node.literals;
    next.mask = all_candidates(node.literals.size());
  } else {
    return Step::reject;
  }
  f = next;
  return Step::retry;
}

JsonAutomaton::Step JsonAutomaton::step_object(AutomatonState& s, Frame& f, uint8_t b) const {
  const ObjectSpec& spec = graph_.objects[static_cast<size_t>(f.spec)];
  const bool declared = !spec.keys.empty();
  const uint64_t all_keys = all_candidates(spec.keys.size());
  auto start_key = [&]() -> Step {
    Frame key;
    if (declared) {
      key.kind = kLiteral;
      key.literals = &spec.keys;
      key.mask = all_keys & ~f.mask;
    } else {
      key.kind = kString;
      key.spec = -1;  // unconstrained string
    }
    f.phase = kObjKey;
    s.last_result = -1;
    return push(s, key) ? Step::retry : Step::reject;
  };
  auto start_value = [&]() -> Step {
    Frame value;
    value.kind = kValueStart;
    value.spec = f.key >= 0 ? spec.key_nodes[static_cast<size_t>(f.key)] : spec.free_value_node;
    f.phase = kObjValue;
    return push(s, value) ? Step::retry : Step::reject;
  };
  const bool required_done = (f.mask & spec.required_mask) == spec.required_mask;
  const bool more_keys = declared ? (f.mask != all_keys) : spec.free_value_node != kNoSpec;

  switch (f.phase) {
    case kObjOpen:
      if (b != '{') return Step::reject;
      f.phase = kObjAfterOpen;
      return Step::consumed;
    case kObjAfterOpen:
      if (b == '}' && required_done) return Step::consumed_pop;
      if (b == '"' && more_keys) return start_key();
      return Step::reject;
    case kObjAfterKey:
      if (b != ':') return Step::reject;
      f.phase = kObjAfterColon;
      f.space_used = 0;
      return Step::consumed;
    case kObjAfterColon:
      if (b == ' ' && !f.space_used) {
        f.space_used = 1;
        return Step::consumed;
      }
      return start_value();
    case kObjAfterValue:
      if (b == '}' && required_done) return Step::consumed_pop;
      if (b == ',' && more_keys) {
        f.phase = kObjAfterComma;
        f.space_used = 0;
        return Step::consumed;
      }
      return Step::reject;
    case kObjAfterComma:
      if (b == ' ' && !f.space_used) {
        f.space_used = 1;
        return Step::consumed;
      }
      if (b == '"') return start_key();
      return Step::reject;
    default: return Step::reject;  // kObjKey/kObjValue: a child frame is on top
  }
}

JsonAutomaton::Step JsonAutomaton::step_array(AutomatonState& s, Frame& f, uint8_t b) const {
  const ArraySpec& spec = graph_.arrays[static_cast<size_t>(f.spec)];
  auto start_item = [&]() -> Step {
    Frame item;
    item.kind = kValueStart;
    item.spec = spec.item_node;
    f.phase = kArrItem;
    return push(s, item) ? Step::retry : Step::reject;
  };
  switch (f.phase) {
    case kArrOpen:
      if (b != '[') return Step::reject;
      f.phase = kArrAfterOpen;
      return Step::consumed;
    case kArrAfterOpen:
      if (b == ']' && spec.min_items == 0) return Step::consumed_pop;
      if (spec.max_items == 0 || b == ']') return Step::reject;
      return start_item();
    case kArrAfterItem:
      if (b == ']' && f.count >= spec.min_items) return Step::consumed_pop;
      if (b == ',' && f.count < spec.max_items) {
        f.phase = kArrAfterComma;
        f.space_used = 0;
        return Step::consumed;
      }
      return Step::reject;
    case kArrAfterComma:
      if (b == ' ' && !f.space_used) {
        f.space_used = 1;
        return Step::consumed;
      }
      return start_item();
    default: return Step::reject;
  }
}

JsonAutomaton::Step JsonAutomaton::step_string(Frame& f, uint8_t b) const {
  const StringSpec unbounded;
  const StringSpec& spec = f.spec >= 0 ? graph_.strings[static_cast<size_t>(f.spec)] : unbounded;
  switch (f.phase) {
    case kStrOpen:
      if (b != '"') return Step::reject;
      f.phase = kStrContent;
      return Step::consumed;
    case kStrContent:
      if (b == '"') return f.count >= spec.min_length ? Step::consumed_pop : Step::reject;
      if (b < 0x20 || f.count >= spec.max_length) return Step::reject;
      if (b == '\\') {
        ++f.count;
        f.phase = kStrEscape;
        return Step::consumed;
      }
      if (b < 0x80) {
        ++f.count;
        return Step::consumed;
      }
      if (!utf8_lead(b, f.utf8_left, f.next_lo, f.next_hi)) return Step::reject;
      ++f.count;
      f.phase = kStrUtf8;
      return Step::consumed;
    case kStrUtf8:
      if (b < f.next_lo || b > f.next_hi) return Step::reject;
      f.next_lo = 0x80, f.next_hi = 0xBF;
      if (--f.utf8_left == 0) f.phase = kStrContent;
      return Step::consumed;
    case kStrEscape:
      if (b == 'u') {
        f.phase = kStrHex;
        f.utf8_left = 0;
        return Step::consumed;
      }
      if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r' || b == 't') {
        f.phase = kStrContent;
        return Step::consumed;
      }
      return Step::reject;
    case kStrHex:
      if (!is_hex(b)) return Step::reject;
      // \uD800-\uDFFF (surrogates) would need a pair; they are not generated.
      if (f.utf8_left == 0) f.next_hi = (b == 'd' || b == 'D') ? 1 : 0;
      if (f.utf8_left == 1 && f.next_hi == 1 && !(b >= '0' && b <= '7')) return Step::reject;
      if (++f.utf8_left == 4) {
        f.phase = kStrContent;
        f.next_hi = 0xBF;
      }
      return Step::consumed;
    default: return Step::reject;
  }
}

JsonAutomaton::Step JsonAutomaton::step_number(Frame& f, uint8_t b) const {
  const bool integer_only = f.spec == 1;
  const Step end = frame_complete(f) ? Step::pop_retry : Step::reject;
  switch (f.phase) {
    case kNumStart:
      if (b == '-') return f.phase = kNumMinus, Step::consumed;
      [[fallthrough]];
    case kNumMinus:
      if (b == '0') return f.phase = kNumZero, Step::consumed;
      if (is_digit(b)) return f.phase = kNumInt, f.count = 1, Step::consumed;
      return Step::reject;
    case kNumZero:
    case kNumInt:
      if (is_digit(b) && f.phase == kNumInt && f.count < kMaxIntDigits) return ++f.count, Step::consumed;
      if (!integer_only && b == '.') return f.phase = kNumDot, f.count = 0, Step::consumed;
      if (!integer_only && (b == 'e' || b == 'E')) return f.phase = kNumExp, f.count = 0, Step::consumed;
      return end;
    case kNumDot:
      if (is_digit(b)) return f.phase = kNumFrac, f.count = 1, Step::consumed;
      return Step::reject;
    case kNumFrac:
      if (is_digit(b) && f.count < kMaxFracDigits) return ++f.count, Step::consumed;
      if (b == 'e' || b == 'E') return f.phase = kNumExp, f.count = 0, Step::consumed;
      return end;
    case kNumExp:
      if (b == '+' || b == '-') return f.phase = kNumExpSign, Step::consumed;
      [[fallthrough]];
    case kNumExpSign:
      if (is_digit(b)) return f.phase = kNumExpDigits, f.count = 1, Step::consumed;
      return Step::reject;
    case kNumExpDigits:
      if (is_digit(b) && f.count < kMaxExpDigits) return ++f.count, Step::consumed;
      return end;
    default: return Step::reject;
  }
}

JsonAutomaton::Step JsonAutomaton::step_literal(AutomatonState& s, Frame& f, uint8_t b) const {
  const std::vector<std::string>& lits = *f.literals;
  uint64_t alive = 0;
  int32_t complete = -1;
  for (uint64_t m = f.mask; m; m &= m - 1) {
    int i = __builtin_ctzll(m);
    const std::string& lit = lits[static_cast<size_t>(i)];
    if (lit.size() == f.count) complete = i;
    if (lit.size() > f.count && static_cast<uint8_t>(lit[f.count]) == b) alive |= uint64_t{1} << i;
  }
  if (alive == 0) {
    if (complete < 0) return Step::reject;
    s.last_result = complete;
    return Step::pop_retry;
  }
  f.mask = alive;
  ++f.count;
  // Finished when the only survivors are complete and none can grow any longer.
  int32_t done = -1;
  bool can_grow = false;
  for (uint64_t m = alive; m; m &= m - 1) {
    int i = __builtin_ctzll(m);
    if (lits[static_cast<size_t>(i)].size() == f.count) {
      done = i;
    } else {
      can_grow = true;
    }
  }
  if (done >= 0 && !can_grow) {
    s.last_result = done;
    return Step::consumed_pop;
  }
  return Step::consumed;
}

bool JsonAutomaton::frame_complete(const Frame& f) const {
  if (f.kind == kNumber) {
    return f.phase == kNumZero || f.phase == kNumInt || f.phase == kNumFrac || f.phase == kNumExpDigits;
  }
  if (f.kind == kLiteral) {
    for (uint64_t m = f.mask; m; m &= m - 1) {
      if ((*f.literals)[static_cast<size_t>(__builtin_ctzll(m))].size() == f.count) return true;
    }
  }
  return false;
}

bool JsonAutomaton::can_end(const AutomatonState& s) const {
  if (s.depth == 0) return s.finished;
  return s.depth == 1 && frame_complete(s.frames[0]);
}

bool JsonAutomaton::plain_string_room(const AutomatonState& s, uint32_t& room) const {
  if (s.depth == 0) return false;
  const Frame& f = s.frames[static_cast<size_t>(s.depth - 1)];
  if (f.kind != kString || f.phase != kStrContent) return false;
  uint32_t max = f.spec >= 0 ? graph_.strings[static_cast<size_t>(f.spec)].max_length : UINT32_MAX;
  room = max == UINT32_MAX ? UINT32_MAX : max - f.count;
  return true;
}

}  // namespace edgenode::engine::grammar

#include "bus/topic.h"

#include "bus/codec.h"

namespace edgenode::bus {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

Result<void> validate_common(std::string_view what, std::string_view text) {
  if (text.empty()) return bad_input(std::string(what) + " is empty");
  if (text.size() > kMaxTopicBytes)
    return bad_input(std::string(what) + " is longer than " + std::to_string(kMaxTopicBytes) + " bytes");
  if (text.find('\0') != std::string_view::npos) return bad_input(std::string(what) + " contains a NUL character");
  if (!is_valid_utf8(text)) return bad_input(std::string(what) + " is not valid UTF-8");
  return {};
}

// Splits off the next '/'-separated level; `rest` becomes what follows the separator,
// `done` is set once the last level has been returned.
std::string_view next_level(std::string_view& rest, bool& done) {
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) {
    done = true;
    return rest;
  }
  std::string_view level = rest.substr(0, slash);
  rest.remove_prefix(slash + 1);
  return level;
}

Result<void> validate_filter_levels(std::string_view filter) {
  EDGENODE_TRY(validate_common("topic filter '" + std::string(filter) + "'", filter));
  std::string_view rest = filter;
  bool done = false;
  while (!done) {
    std::string_view level = next_level(rest, done);
    if (level == "#") {
      if (!done) return bad_input("topic filter '" + std::string(filter) + "': '#' must be the last level");
    } else if (level != "+" && level.find_first_of("+#") != std::string_view::npos) {
      return bad_input("topic filter '" + std::string(filter) + "': a wildcard must occupy a whole level");
    }
  }
  return {};
}

}  // namespace

Result<void> validate_topic_name(std::string_view topic) {
  EDGENODE_TRY(validate_common("topic '" + std::string(topic) + "'", topic));
  if (topic.find_first_of("+#") != std::string_view::npos)
    return bad_input("topic '" + std::string(topic) + "' contains a wildcard");
  return {};
}

Result<TopicFilter> parse_topic_filter(std::string_view subscription) {
  if (!subscription.starts_with(kSharePrefix)) {
    EDGENODE_TRY(validate_filter_levels(subscription));
    return TopicFilter{"", std::string(subscription)};
  }
  std::string_view rest = subscription.substr(kSharePrefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos)
    return bad_input("shared subscription '" + std::string(subscription) + "' has no topic filter after the group");
  std::string_view group = rest.substr(0, slash);
  if (group.empty() || group.find_first_of("+#") != std::string_view::npos)
    return bad_input("shared subscription '" + std::string(subscription) +
                     "': the group name must be non-empty without '+' or '#'");
  std::string_view filter = rest.substr(slash + 1);
  EDGENODE_TRY(validate_filter_levels(filter));
  return TopicFilter{std::string(group), std::string(filter)};
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() && (filter.front() == '+' || filter.front() == '#'))
    return false;
  bool filter_done = false, topic_done = false;
  while (!filter_done) {
    std::string_view f = next_level(filter, filter_done);
    if (f == "#") return true;  // the rest, including none ("a/#" matches "a")
    if (topic_done) return false;
    std::string_view t = next_level(topic, topic_done);
    if (f != "+" && f != t) return false;
  }
  return topic_done;
}

std::string_view topic_filter_literal_prefix(std::string_view filter) {
  auto wildcard = filter.find_first_of("+#");
  if (wildcard == std::string_view::npos) return filter;
  std::string_view prefix = filter.substr(0, wildcard);
  if (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  return prefix;
}

}  // namespace edgenode::bus

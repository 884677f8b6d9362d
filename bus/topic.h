// MQTT topic names and filters exactly per MQTT 3.1.1 / 5.0 (section 4.7, 4.8.2):
// '+' matches one whole level, '#' the rest (including the parent level) and must be
// the last level, topics starting with '$' are not matched by a filter whose first
// level is a wildcard, and "$share/<group>/<filter>" names a shared subscription.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace edgenode::bus {

constexpr std::size_t kMaxTopicBytes = 65535;

// A topic a message is published to: 1..65535 bytes of UTF-8, no wildcards, no U+0000.
Result<void> validate_topic_name(std::string_view topic);

// A subscription filter, after removing any "$share/<group>/" prefix.
struct TopicFilter {
  std::string share_group;  // "" unless a shared subscription
  std::string filter;       // what topics are matched against
};

// Validates a subscription filter (plain or "$share/<group>/<filter>") and splits it.
Result<TopicFilter> parse_topic_filter(std::string_view subscription);

// True when topic matches filter; both are assumed valid (the filter without any
// $share prefix). Allocates nothing.
bool topic_matches(std::string_view filter, std::string_view topic);

// The longest literal prefix every matching topic starts with (a filter that starts
// with a wildcard has none): "a/b/+/c" → "a/b", "a/#" → "a", "a/b" → "a/b". Used for
// prefix subscriptions (ZeroMQ SUB) that are then refined with topic_matches.
std::string_view topic_filter_literal_prefix(std::string_view filter);

}  // namespace edgenode::bus

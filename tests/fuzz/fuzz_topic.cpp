// libFuzzer target for MQTT topic validation and matching. The first byte splits the
// rest into a subscription filter and a topic. Beyond not crashing, the matcher must
// keep the spec's invariants: a valid topic name is a filter that matches itself, '#'
// matches every topic not starting with '$', and every match starts with the filter's
// literal prefix.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bus/topic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t split = rest.empty() ? 0 : data[0] % (rest.size() + 1);
  const std::string_view subscription = rest.substr(0, split);
  const std::string_view topic = rest.substr(split);

  auto filter = edgenode::bus::parse_topic_filter(subscription);
  const bool topic_valid = edgenode::bus::validate_topic_name(topic).ok();
  if (topic_valid) {
    if (!edgenode::bus::parse_topic_filter(topic).ok() && !topic.starts_with("$share/")) __builtin_trap();
    if (!edgenode::bus::topic_matches(topic, topic)) __builtin_trap();
    if (edgenode::bus::topic_matches("#", topic) == topic.starts_with('$')) __builtin_trap();
  }
  if (filter.ok() && topic_valid && edgenode::bus::topic_matches(filter->filter, topic)) {
    if (!topic.starts_with(edgenode::bus::topic_filter_literal_prefix(filter->filter))) __builtin_trap();
  }
  return 0;
}

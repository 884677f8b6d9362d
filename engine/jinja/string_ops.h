// Python str operations shared by filters (x|trim) and methods (x.strip()). Case mapping
// covers ASCII letters only; other characters pass through unchanged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/value.h"

namespace edgenode::engine::jinja {

// strip/lstrip/rstrip: `chars` none or undefined means whitespace.
std::string strip_chars(std::string_view s, const Value& chars, bool left, bool right);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
std::string to_title(std::string_view s);
std::string capitalize(std::string_view s);
// str.replace(old, new, count); count < 0 replaces all.
std::string replace_all(std::string_view s, std::string_view from, std::string_view to, int64_t count);
// str.split(sep=None, maxsplit=-1).
std::vector<std::string> split(std::string_view s, const Value& sep, int64_t maxsplit);
// startswith/endswith with a string or a tuple of strings.
bool affix_matches(std::string_view s, const Value& affix, bool at_start);
// Python %-formatting for %s %d %i %f %x %%, with optional width/precision.
std::string percent_format(std::string_view format, const std::vector<Value>& args);
std::string html_escape(std::string_view s);

}  // namespace edgenode::engine::jinja

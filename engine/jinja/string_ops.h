// String operations shared by filters (x|trim) and methods (x.strip()), with the semantics
// of the reference renderer where it differs from Python. Case mapping is the C library's
// Unicode simple case mapping (one character to one character).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/value.h"

namespace edgenode::engine::jinja {

// strip/lstrip/rstrip. Without `chars`, or with `chars` made only of whitespace, all
// whitespace goes (JavaScript's trim, as the reference renderer does even for .strip('\n'));
// other `chars` strip exactly those characters, as Python does.
std::string strip_chars(std::string_view s, const Value& chars, bool left, bool right);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
// As the reference renderer: the first ASCII word character after a non-word character is
// upper-cased; nothing is lower-cased.
std::string title_case(std::string_view s);
// The first character upper-cased, the rest unchanged (as the reference renderer).
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

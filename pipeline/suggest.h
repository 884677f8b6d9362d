// "Did you mean" for misspelt names: the closest candidate by edit distance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgenode::pipeline {

size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, or "" when none is close enough to be a likely typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "" — ready to append to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace edgenode::pipeline

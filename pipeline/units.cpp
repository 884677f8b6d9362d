#include "pipeline/units.h"

#include <charconv>
#include <cmath>
#include <string>

namespace edgenode::pipeline {
namespace {

struct Unit {
  std::string_view suffix;
  double factor;
};

// Splits "12.5ms" into 12.5 and "ms"; fails when there is no leading number.
bool split_number(std::string_view text, double& number, std::string_view& suffix) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc() || !std::isfinite(number) || number < 0) return false;
  suffix = std::string_view(ptr, static_cast<size_t>(end - ptr));
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  return true;
}

Result<int64_t> scaled(std::string_view text, const Unit* units, size_t n_units, bool bare_allowed,
                       const char* what, const char* expected) {
  double number = 0;
  std::string_view suffix;
  if (!split_number(text, number, suffix)) {
    return bad_input("invalid " + std::string(what) + " '" + std::string(text) + "': expected " + expected);
  }
  if (suffix.empty()) {
    if (bare_allowed) return static_cast<int64_t>(number);
    return bad_input(std::string(what) + " '" + std::string(text) + "' needs a unit: " + expected);
  }
  for (size_t i = 0; i < n_units; ++i) {
    if (units[i].suffix == suffix) {
      const double value = number * units[i].factor;
      if (value > 9.0e18) return bad_input(std::string(what) + " '" + std::string(text) + "' is too large");
      return static_cast<int64_t>(std::llround(value));
    }
  }
  return bad_input("unknown unit '" + std::string(suffix) + "' in " + what + " '" + std::string(text) +
                   "': expected " + expected);
}

}  // namespace

Result<int64_t> parse_duration_ms(std::string_view text) {
  static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  return scaled(text, kUnits, std::size(kUnits), false, "duration", "a number with ms, s, m, h or d (e.g. 500ms, 10s)");
}

Result<int64_t> parse_size_bytes(std::string_view text) {
  static constexpr Unit kUnits[] = {{"B", 1},          {"KB", 1e3},        {"MB", 1e6},
                                    {"GB", 1e9},       {"KiB", 1024.0},    {"MiB", 1048576.0},
                                    {"GiB", 1073741824.0}};
  return scaled(text, kUnits, std::size(kUnits), true, "size", "bytes, or a number with B, KB, MB, GB, KiB, MiB or GiB");
}

}  // namespace edgenode::pipeline

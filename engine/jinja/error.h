// Errors inside the Jinja engine travel as exceptions and become Result errors at the
// Template boundary. An error first raised without a position is given the line:col of
// the innermost template node that was being evaluated.
#pragma once

#include <stdexcept>
#include <string>

namespace edgenode::engine::jinja {

class TemplateError : public std::runtime_error {
 public:
  explicit TemplateError(const std::string& message, bool located = false)
      : std::runtime_error(message), located_(located) {}
  bool located() const { return located_; }

 private:
  bool located_;
};

[[noreturn]] inline void fail(const std::string& message) { throw TemplateError(message); }

}  // namespace edgenode::engine::jinja

// Config problems collected while loading, so a technician sees every one at once as
// `file:line:col: message`. Positions are 1-based; line 0 means "the file as a whole".
#pragma once

#include <string>
#include <vector>

namespace edgenode::pipeline {

struct SourcePos {
  int line = 0;
  int column = 0;
};

enum class Severity { error, warning };

struct Diagnostic {
  SourcePos pos;
  std::string message;
  Severity severity = Severity::error;
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file = {}) : file_(std::move(file)) {}

  void error(SourcePos pos, std::string message);
  void warning(SourcePos pos, std::string message);

  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  const std::string& file() const { return file_; }

  // "file:line:col" of a diagnostic.
  std::string where(const Diagnostic& d) const;
  // One line per diagnostic: "file:line:col: message" or "file:line:col: warning: message".
  std::string format(const Diagnostic& d) const;
  // Every diagnostic, errors first in source order, one per line.
  std::string format_all() const;

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

}  // namespace edgenode::pipeline

#include "pipeline/diagnostics.h"

#include <algorithm>

namespace edgenode::pipeline {

void Diagnostics::error(SourcePos pos, std::string message) {
  items_.push_back({pos, std::move(message), Severity::error});
}

void Diagnostics::warning(SourcePos pos, std::string message) {
  items_.push_back({pos, std::move(message), Severity::warning});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  return static_cast<size_t>(std::count_if(items_.begin(), items_.end(),
                                           [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::string Diagnostics::where(const Diagnostic& d) const {
  return file_ + ':' + std::to_string(d.pos.line) + ':' + std::to_string(d.pos.column);
}

std::string Diagnostics::format(const Diagnostic& d) const {
  std::string out = where(d) + ": ";
  if (d.severity == Severity::warning) out += "warning: ";
  out += d.message;
  return out;
}

std::string Diagnostics::format_all() const {
  std::vector<const Diagnostic*> sorted;
  for (const auto& d : items_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    if (a->severity != b->severity) return a->severity == Severity::error;
    if (a->pos.line != b->pos.line) return a->pos.line < b->pos.line;
    return a->pos.column < b->pos.column;
  });
  std::string out;
  for (const auto* d : sorted) out += format(*d) + '\n';
  return out;
}

}  // namespace edgenode::pipeline

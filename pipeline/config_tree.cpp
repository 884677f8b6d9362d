#include "pipeline/config_tree.h"

namespace edgenode::pipeline {

SourcePos ConfigTree::pos(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = positions.find(p);
    if (it != positions.end()) return it->second;
    const auto slash = p.rfind('/');
    if (slash == std::string::npos || p.empty()) return {1, 1};
    p.erase(slash);
  }
}

SourcePos ConfigTree::pos_in_value(const std::string& pointer, int offset) const {
  SourcePos p = pos(pointer);
  auto q = quoted.find(pointer);
  p.column += offset + ((q != quoted.end() && q->second) ? 1 : 0);
  return p;
}

}  // namespace edgenode::pipeline

#include "pipeline/field_path.h"

namespace edgenode::pipeline {

using nlohmann::json;

const json* find_field(const json& root, const std::string& path) {
  const json* at = &root;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
}

void set_field(json& root, const std::string& path, json value) {
  json* at = &root;
  size_t start = 0;
  while (true) {
    if (!at->is_object()) *at = json::object();
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      (*at)[key] = std::move(value);
      return;
    }
    at = &(*at)[key];
    start = dot + 1;
  }
}

void remove_field(json& root, const std::string& path) {
  json* at = &root;
  size_t start = 0;
  while (at->is_object()) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) {
      at->erase(key);
      return;
    }
    auto it = at->find(key);
    if (it == at->end()) return;
    at = &*it;
    start = dot + 1;
  }
}

}  // namespace edgenode::pipeline

#include "pipeline/spec.h"

namespace edgenode::pipeline {

const FieldSpec* ObjectSpec::find(const std::string& field_name) const {
  for (const auto& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

std::vector<std::string> ObjectSpec::names() const {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    out.push_back(f.name);
    if (f.secret) out.push_back(f.name + "_file");
  }
  return out;
}

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::string: return "string";
    case FieldType::integer: return "integer";
    case FieldType::number: return "number";
    case FieldType::boolean: return "boolean";
    case FieldType::duration: return "duration";
    case FieldType::size: return "size";
    case FieldType::expression: return "expression";
    case FieldType::template_: return "template";
    case FieldType::string_list: return "list of strings";
    case FieldType::object: return "object";
    case FieldType::object_list: return "list of objects";
    case FieldType::object_map: return "map of objects";
    case FieldType::mapping: return "mapping";
    case FieldType::any: return "any";
  }
  return "?";
}

}  // namespace edgenode::pipeline

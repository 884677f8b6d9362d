#include "pipeline/spec_reader.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bus/codec.h"
#include "pipeline/suggest.h"
#include "pipeline/units.h"

namespace edgenode::pipeline {

using nlohmann::json;

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<std::string> substitute_env(const std::string& text, const EnvLookup& env, int& error_offset) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += '$';
      continue;
    }
    const size_t close = text.find('}', i + 2);
    error_offset = static_cast<int>(i);
    if (close == std::string::npos) return bad_input("unterminated '${' in '" + text + "'");
    const std::string inner = text.substr(i + 2, close - i - 2);
    const size_t dash = inner.find(":-");
    const std::string name = inner.substr(0, dash);
    if (name.empty()) return bad_input("empty variable name in '${" + inner + "}'");
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return bad_input("invalid variable name '" + name + "'");
      }
    }
    auto value = env(name);
    if (value && !value->empty()) {
      out += *value;
    } else if (dash != std::string::npos) {
      out += inner.substr(dash + 2);
    } else if (value) {
      out += *value;  // set but empty, and no default: empty is what the user asked for
    } else {
      return bad_input("environment variable '" + name + "' is not set (use ${" + name + ":-default} for a default)");
    }
    i = close;
  }
  return out;
}

SourcePos position_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return {1, 1};
  return {mark.line + 1, mark.column + 1};
}

std::string json_pointer_escape(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

namespace {

bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    default: return "'" + node.Scalar() + "'";
  }
}

std::optional<int64_t> parse_integer(const std::string& text) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

// 2 rather than 2.0 in messages about limits.
std::string format_limit(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return json(v).dump();
}

std::optional<bool> parse_boolean(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "False" || text == "FALSE" || text == "no" || text == "off") return false;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> SpecReader::scalar_text(const YAML::Node& node, const std::string& pointer,
                                                   ConfigTree& tree) {
  int offset = 0;
  auto expanded = substitute_env(node.Scalar(), env_, offset);
  if (!expanded) {
    diags_.error(tree.pos_in_value(pointer, offset), expanded.error().message);
    return std::nullopt;
  }
  // A \u escape or an environment variable can still bring bytes JSON cannot hold.
  if (!bus::is_valid_utf8(*expanded)) {
    diags_.error(position_of(node), "value is not valid UTF-8");
    return std::nullopt;
  }
  return std::move(expanded).value();
}

std::optional<std::string> SpecReader::read_secret_file(const YAML::Node& node, const std::string& pointer,
                                                        ConfigTree& tree) {
  if (!node.IsScalar()) {
    diags_.error(position_of(node), "expected a file path, got " + describe(node));
    return std::nullopt;
  }
  auto path = scalar_text(node, pointer, tree);
  if (!path) return std::nullopt;
  std::ifstream in(*path, std::ios::binary);
  if (!in) {
    diags_.error(position_of(node), "cannot read secret file '" + *path + "'");
    return std::nullopt;
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

void SpecReader::read(const YAML::Node& node, const ObjectSpec& spec, const std::string& pointer, ConfigTree& tree) {
  json value = read_object(node, spec, pointer, tree);
  if (pointer.empty()) {
    tree.values = std::move(value);
  } else {
    tree.values[json::json_pointer(pointer)] = std::move(value);
  }
}

json SpecReader::read_object(const YAML::Node& node, const ObjectSpec& spec, const std::string& pointer,
                             ConfigTree& tree) {
  tree.positions[pointer] = position_of(node);
  json out = json::object();
  if (node.IsNull()) {
    // An empty mapping: fall through so required fields are reported and defaults filled.
  } else if (!node.IsMap()) {
    diags_.error(position_of(node), "expected " + spec.name + " to be a mapping, got " + describe(node));
    return out;
  }

  // Unknown keys first, each with the closest known name.
  std::vector<std::string> present;
  if (node.IsMap()) {
    for (const auto& item : node) {
      const std::string key = item.first.Scalar();
      const bool known = spec.find(key) != nullptr ||
                         (key.size() > 5 && key.ends_with("_file") &&
                          spec.find(key.substr(0, key.size() - 5)) != nullptr &&
                          spec.find(key.substr(0, key.size() - 5))->secret);
      if (!known) {
        diags_.error(position_of(item.first),
                     "unknown key '" + key + "' in " + spec.name + did_you_mean(key, spec.names()));
        continue;
      }
      present.push_back(key);
    }
  }

  // An item whose only key was unknown has been reported already.
  const size_t written = node.IsMap() ? node.size() : 0;
  if (spec.exactly_one && (present.size() > 1 || written == 0)) {
    std::string choices;
    for (const auto& f : spec.fields) choices += (choices.empty() ? "" : ", ") + f.name;
    diags_.error(position_of(node), spec.name + " needs exactly one of: " + choices);
  }
  if (spec.at_most_one && present.size() > 1) {
    diags_.error(position_of(node), spec.name + " takes only one of: " + present[0] + ", " + present[1]);
  }

  for (const auto& field : spec.fields) {
    const std::string child = pointer + "/" + json_pointer_escape(field.name);
    YAML::Node value = node.IsMap() ? node[field.name] : YAML::Node();
    YAML::Node file_value = (node.IsMap() && field.secret) ? node[field.name + "_file"] : YAML::Node();
    const bool has_file = node.IsMap() && field.secret && file_value.IsDefined() && !file_value.IsNull();
    if (value.IsDefined() && !value.IsNull()) {
      if (has_file) {
        diags_.error(position_of(file_value), "give either " + field.name + " or " + field.name + "_file, not both");
      }
      json v = read_field(value, field, child, tree);
      if (!v.is_null()) out[field.name] = std::move(v);
    } else if (has_file) {
      tree.positions[child] = position_of(file_value);
      if (auto secret = read_secret_file(file_value, child, tree)) out[field.name] = std::move(*secret);
    } else if (field.required && !spec.exactly_one) {
      const SourcePos where = value.IsDefined() ? position_of(value) : position_of(node);
      diags_.error(where, "missing required field '" + field.name + "' in " + spec.name);
    } else if (!field.default_value.is_null()) {
      if (field.object != nullptr && field.type == FieldType::object && field.default_value.is_object()) {
        out[field.name] = read_object(YAML::Node(YAML::NodeType::Null), *field.object, child, tree);
        tree.positions[child] = position_of(node);
      } else {
        out[field.name] = field.default_value;
      }
    }
  }
  return out;
}

json SpecReader::read_field(const YAML::Node& node, const FieldSpec& field, const std::string& pointer,
                            ConfigTree& tree) {
  tree.positions[pointer] = position_of(node);
  tree.quoted[pointer] = is_quoted(node);
  switch (field.type) {
    case FieldType::object:
      return read_object(node, *field.object, pointer, tree);
    case FieldType::object_list: {
      if (!node.IsSequence()) {
        diags_.error(position_of(node), "expected '" + field.name + "' to be a list, got " + describe(node));
        return nullptr;
      }
      json out = json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        out.push_back(read_object(node[i], *field.object, pointer + "/" + std::to_string(i), tree));
      }
      return out;
    }
    case FieldType::object_map: {
      if (!node.IsMap()) {
        diags_.error(position_of(node), "expected '" + field.name + "' to be a mapping of names, got " + describe(node));
        return nullptr;
      }
      json out = json::object();
      for (const auto& item : node) {
        const std::string key = item.first.Scalar();
        out[key] = read_object(item.second, *field.object, pointer + "/" + json_pointer_escape(key), tree);
        tree.positions[pointer + "/" + json_pointer_escape(key)] = position_of(item.first);
      }
      return out;
    }
    case FieldType::string_list: {
      if (!node.IsSequence()) {
        diags_.error(position_of(node), "expected '" + field.name + "' to be a list of strings, e.g. [\"a/b\"], got " +
                                            describe(node));
        return nullptr;
      }
      json out = json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        const std::string child = pointer + "/" + std::to_string(i);
        tree.positions[child] = position_of(node[i]);
        tree.quoted[child] = is_quoted(node[i]);
        if (!node[i].IsScalar()) {
          diags_.error(position_of(node[i]), "expected a string in '" + field.name + "', got " + describe(node[i]));
          continue;
        }
        if (auto text = scalar_text(node[i], child, tree)) out.push_back(std::move(*text));
      }
      return out;
    }
    case FieldType::mapping:
      if (!node.IsMap()) {
        diags_.error(position_of(node), "expected '" + field.name + "' to be a mapping, got " + describe(node));
        return nullptr;
      }
      return read_free_form(node, pointer, tree);
    case FieldType::any:
      return read_free_form(node, pointer, tree);
    default:
      return read_scalar(node, field, pointer, tree);
  }
}

json SpecReader::read_scalar(const YAML::Node& node, const FieldSpec& field, const std::string& pointer,
                             ConfigTree& tree) {
  if (!node.IsScalar()) {
    diags_.error(position_of(node), "expected '" + field.name + "' to be " +
                                        (field.type == FieldType::integer || field.type == FieldType::number
                                             ? std::string("a number")
                                             : std::string("a ") + field_type_name(field.type)) +
                                        ", got " + describe(node));
    return nullptr;
  }
  auto text_or = scalar_text(node, pointer, tree);
  if (!text_or) return nullptr;
  const std::string& text = *text_or;
  const SourcePos where = position_of(node);
  json value;
  switch (field.type) {
    case FieldType::integer: {
      auto v = parse_integer(text);
      if (!v) {
        diags_.error(where, "expected '" + field.name + "' to be an integer, got '" + text + "'");
        return nullptr;
      }
      value = *v;
      break;
    }
    case FieldType::number: {
      auto v = parse_number(text);
      if (!v) {
        diags_.error(where, "expected '" + field.name + "' to be a number, got '" + text + "'");
        return nullptr;
      }
      value = *v;
      break;
    }
    case FieldType::boolean: {
      auto v = parse_boolean(text);
      if (!v) {
        diags_.error(where, "expected '" + field.name + "' to be true or false, got '" + text + "'");
        return nullptr;
      }
      return *v;
    }
    case FieldType::duration: {
      auto v = parse_duration_ms(text);
      if (!v) {
        diags_.error(where, field.name + ": " + v.error().message);
        return nullptr;
      }
      value = *v;
      break;
    }
    case FieldType::size: {
      auto v = parse_size_bytes(text);
      if (!v) {
        diags_.error(where, field.name + ": " + v.error().message);
        return nullptr;
      }
      value = *v;
      break;
    }
    default:
      if (!field.enum_values.empty()) {
        bool allowed = false;
        for (const auto& e : field.enum_values) allowed = allowed || e == text;
        if (!allowed) {
          std::string choices;
          for (const auto& e : field.enum_values) choices += (choices.empty() ? "" : ", ") + e;
          diags_.error(where, "invalid " + field.name + " '" + text + "': expected one of " + choices +
                                  did_you_mean(text, field.enum_values));
          return nullptr;
        }
      }
      return text;
  }
  const double number = value.get<double>();
  if (field.minimum && number < *field.minimum) {
    diags_.error(where, field.name + " must be at least " + format_limit(*field.minimum) + ", got '" + text + "'");
    return nullptr;
  }
  if (field.maximum && number > *field.maximum) {
    diags_.error(where, field.name + " must be at most " + format_limit(*field.maximum) + ", got '" + text + "'");
    return nullptr;
  }
  return value;
}

json SpecReader::read_free_form(const YAML::Node& node, const std::string& pointer, ConfigTree& tree) {
  tree.positions[pointer] = position_of(node);
  tree.quoted[pointer] = is_quoted(node);
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) {
        const std::string key = item.first.Scalar();
        out[key] = read_free_form(item.second, pointer + "/" + json_pointer_escape(key), tree);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (size_t i = 0; i < node.size(); ++i) out.push_back(read_free_form(node[i], pointer + "/" + std::to_string(i), tree));
      return out;
    }
    case YAML::NodeType::Scalar: {
      auto text_or = scalar_text(node, pointer, tree);
      if (!text_or) return nullptr;
      const std::string& text = *text_or;
      if (is_quoted(node)) return text;
      if (text == "null" || text == "~") return nullptr;
      if (auto b = parse_boolean(text); b && (text == "true" || text == "false")) return *b;
      if (auto i = parse_integer(text)) return *i;
      if (auto d = parse_number(text)) return *d;
      return text;
    }
    default:
      return nullptr;
  }
}

}  // namespace edgenode::pipeline

// The built-in vocabulary of the engine: filters (x|name), tests (x is name), methods of
// strings, lists and dicts (x.name()), and global functions (range, namespace, ...).
#pragma once

#include <string>

#include "engine/jinja/value.h"

namespace edgenode::engine::jinja {

class Interpreter;

// Throws TemplateError for an unknown filter or arguments it cannot take.
Value apply_filter(Interpreter& in, const std::string& name, const Value& operand, CallArgs& args);
// Throws TemplateError for an unknown test.
bool apply_test(Interpreter& in, const std::string& name, const Value& operand, CallArgs& args);
// The bound method `name` of `target`, or undefined when it has none.
Value method_of(const Value& target, const std::string& name);
// Adds range, namespace, dict, raise_exception and strftime_now.
void add_globals(Object& globals);

}  // namespace edgenode::engine::jinja

// Global functions every template sees.
#include <ctime>

#include "engine/jinja/builtins.h"
#include "engine/jinja/error.h"
#include "engine/jinja/interpreter.h"

namespace edgenode::engine::jinja {
namespace {

Value range(Interpreter& in, CallArgs& args) {
  for (const Value& a : args.positional) {
    if (!a.is_int()) fail("range() takes integers, got " + a.type_name());
  }
  int64_t start = 0, stop = 0, step = 1;
  switch (args.positional.size()) {
    case 1: stop = args.positional[0].as_int(); break;
    case 2: start = args.positional[0].as_int(), stop = args.positional[1].as_int(); break;
    case 3:
      start = args.positional[0].as_int(), stop = args.positional[1].as_int(), step = args.positional[2].as_int();
      break;
    default: fail("range() takes 1 to 3 arguments");
  }
  if (step == 0) fail("range() step must not be zero");
  Array out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    in.count_iteration();
    out.emplace_back(i);
  }
  return Value(std::move(out));
}

Value make_namespace(Interpreter&, CallArgs& args) {
  Object ns;
  ns.is_namespace = true;
  for (const Value& a : args.positional) {
    if (!a.is_object()) fail("namespace() takes a mapping or keyword arguments");
    for (const auto& [key, value] : a.as_object().entries()) ns.set(key, value);
  }
  for (auto& [key, value] : args.keyword) ns.set(key, value);
  return Value(std::move(ns));
}

Value make_dict(Interpreter&, CallArgs& args) {
  Object d;
  for (auto& [key, value] : args.keyword) d.set(key, value);
  return Value(std::move(d));
}

Value raise_exception(Interpreter&, CallArgs& args) {
  Value message = args.get(0, "message");
  fail("template raised an exception: " + message.str());
}

// The current date, as chat templates of Llama 3.x print it when no date_string is given.
Value strftime_now(Interpreter&, CallArgs& args) {
  Value format = args.get(0, "format");
  if (!format.is_string()) fail("strftime_now() takes a format string");
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[256];
  size_t n = std::strftime(buf, sizeof buf, format.as_string().c_str(), &local);
  return Value(std::string(buf, n));
}

}  // namespace

void add_globals(Object& globals) {
  globals.set("range", Value::function("range", range));
  globals.set("namespace", Value::function("namespace", make_namespace));
  globals.set("dict", Value::function("dict", make_dict));
  globals.set("raise_exception", Value::function("raise_exception", raise_exception));
  globals.set("strftime_now", Value::function("strftime_now", strftime_now));
}

}  // namespace edgenode::engine::jinja

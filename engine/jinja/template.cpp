#include "engine/jinja/template.h"

#include "engine/jinja/ast.h"
#include "engine/jinja/error.h"
#include "engine/jinja/interpreter.h"
#include "engine/jinja/lexer.h"
#include "engine/jinja/parser.h"

namespace edgenode::engine::jinja {

// Nesting of blocks and expressions a template may have; deeper is a compile error.
constexpr int kMaxParseDepth = 256;

struct Template::Program {
  Body body;
  Limits limits;
};

Template::Template(std::unique_ptr<Program> program) : program_(std::move(program)) {}
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::compile(std::string_view source, Limits limits, Whitespace whitespace) {
  try {
    auto program = std::make_unique<Program>();
    program->body = parse_template(tokenize_template(source, whitespace), kMaxParseDepth);
    program->limits = limits;
    return Template(std::move(program));
  } catch (const TemplateError& e) {
    return bad_input(std::string("template syntax error at ") + e.what());
  }
}

namespace {

template <class Json>
Result<std::string> render_body(const Body& body, const Limits& limits, const Json& context) {
  if (!context.is_object()) return bad_input("template context must be a JSON object");
  try {
    Value root = Value::from_json(context);
    Interpreter interpreter(limits, root);
    std::string out;
    interpreter.render(body, out);
    return out;
  } catch (const TemplateError& e) {
    return bad_input(std::string(e.located() ? "template error at " : "template error: ") + e.what());
  } catch (const std::bad_alloc&) {
    return bad_input("template error: out of memory");
  }
}

}  // namespace

Result<std::string> Template::render(const nlohmann::json& context) const { return render_body(program_->body, program_->limits, context); }
Result<std::string> Template::render(const nlohmann::ordered_json& context) const {
  return render_body(program_->body, program_->limits, context);
}

}  // namespace edgenode::engine::jinja

// `edgenode schema [--markdown]`: the config's JSON Schema (for editors), or the Markdown
// field reference that is committed as docs/config.md.
#include <cstdio>

#include "node/command.h"
#include "pipeline/config.h"
#include "pipeline/schema.h"

namespace edgenode::node {
namespace {

void add_schema_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("schema", "Print the config's JSON Schema (draft-07)");
  static bool markdown = false;
  cmd->add_flag("--markdown", markdown, "Print the Markdown field reference instead");
  cmd->callback([&exit_code] {
    const auto& spec = pipeline::config_spec();
    const std::string text = markdown ? pipeline::markdown_reference(spec) : pipeline::json_schema(spec).dump(2) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
    exit_code = kExitOk;
  });
}

const CommandRegistrar reg{add_schema_command};

}  // namespace
}  // namespace edgenode::node

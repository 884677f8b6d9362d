// `edgenode archive list|get ARCHIVE`: what the node's raw archive (node.archive.path)
// holds. A dead-letter names a payload by its SHA-256; `get` gives back its bytes.
// The file is opened read-only, so these work while the node runs.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "bus/raw_archive.h"
#include "node/command.h"
#include "pipeline/units.h"

namespace edgenode::node {
namespace {

struct ListOptions {
  std::string path, pipeline, sha256, since;
  size_t limit = 20;
  bool json = false;
};

struct GetOptions {
  std::string path, sha256, out;
};

std::string utc_text(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", text, static_cast<int>(unix_ms % 1000));
  return out;
}

int fail(const std::string& message) { return report_error(bad_input(message)); }

// A hash as the archive stores it (lower-case hex), or empty when `text` is not 8 to 64 hex digits.
std::string normalized_sha256(const std::string& text) {
  if (text.size() < 8 || text.size() > 64) return {};
  std::string out;
  for (const char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

int list(const ListOptions& o) {
  bus::ArchiveQuery query{.pipeline = o.pipeline, .sha256 = normalized_sha256(o.sha256), .limit = o.limit};
  if (!o.sha256.empty() && query.sha256.empty())
    return fail("--sha256 '" + o.sha256 + "': expected 8 to 64 hex digits");
  if (!o.since.empty()) {
    auto age = pipeline::parse_duration_ms(o.since);
    if (!age) return fail("--since: " + age.error().message);
    using namespace std::chrono;
    query.since_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() - *age;
  }
  auto entries = bus::read_archive(o.path, query);
  if (!entries) return report_error(entries.error());
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *entries) {
      out.push_back({{"id", e.id}, {"received_at", e.received_at_ms}, {"pipeline", e.pipeline}, {"bus", e.bus},
                     {"topic", e.topic}, {"size", e.size}, {"payload_sha256", e.sha256}, {"stage", e.stage},
                     {"reason", e.reason}});
    }
    std::printf("%s\n", nlohmann::json{{"entries", out}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  for (const auto& e : *entries) {
    std::string line = utc_text(e.received_at_ms) + "  " + e.pipeline + "  " + e.topic + "  " + std::to_string(e.size) +
                       " B  " + e.sha256.substr(0, 16);
    if (!e.stage.empty()) line += "  " + e.stage + ": " + e.reason;
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

int get(const GetOptions& o) {
  const std::string sha256 = normalized_sha256(o.sha256);
  if (sha256.empty()) return fail("SHA256 '" + o.sha256 + "': expected 8 to 64 hex digits");
  auto entries = bus::read_archive(o.path, {.sha256 = sha256, .limit = 2, .with_payload = true});
  if (!entries) return report_error(entries.error());
  if (entries->empty()) return fail("no payload with sha256 " + o.sha256 + " in " + o.path);
  // Several entries may hold the same bytes (a repeated message); a prefix must name one payload.
  if (entries->size() > 1 && (*entries)[0].sha256 != (*entries)[1].sha256)
    return fail("sha256 prefix " + o.sha256 + " matches several payloads; give more digits");
  const std::string& payload = (*entries)[0].payload;
  if (o.out.empty()) {
    std::fwrite(payload.data(), 1, payload.size(), stdout);
    return kExitOk;
  }
  std::ofstream file(o.out, std::ios::binary);
  if (!file.write(payload.data(), static_cast<std::streamsize>(payload.size())))
    return fail("cannot write " + o.out);
  return kExitOk;
}

void add_archive_commands(CLI::App& app, int& exit_code) {
  auto* archive = app.add_subcommand("archive", "Look into the node's raw archive (node.archive.path)");
  archive->require_subcommand(1);

  static ListOptions list_options;
  auto* list_cmd = archive->add_subcommand("list", "List archived inputs, newest first");
  list_cmd->add_option("ARCHIVE", list_options.path, "The archive file")->required();
  list_cmd->add_option("--pipeline", list_options.pipeline, "Only this pipeline's");
  list_cmd->add_option("--sha256", list_options.sha256, "Only payloads with this SHA-256 (8 or more leading hex digits)");
  list_cmd->add_option("--since", list_options.since, "Only those received within this long (e.g. 1h, 2d)");
  list_cmd->add_option("--limit", list_options.limit, "At most this many")->capture_default_str();
  list_cmd->add_flag("--json", list_options.json, "One JSON object: {\"entries\":[...]}");
  list_cmd->callback([&exit_code] { exit_code = list(list_options); });

  static GetOptions get_options;
  auto* get_cmd = archive->add_subcommand("get", "Write an archived payload's bytes, as received");
  get_cmd->add_option("ARCHIVE", get_options.path, "The archive file")->required();
  get_cmd->add_option("SHA256", get_options.sha256, "The payload's SHA-256, as in a dead-letter (or 8+ leading digits)")
      ->required();
  get_cmd->add_option("--out", get_options.out, "Write to this file instead of stdout");
  get_cmd->callback([&exit_code] { exit_code = get(get_options); });
}

const CommandRegistrar reg{add_archive_commands};

}  // namespace
}  // namespace edgenode::node

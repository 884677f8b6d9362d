// The raw archive through the real `edgenode run` and `edgenode archive`: a malformed
// reading is dead-lettered with only its hash on the bus, and a technician gets its exact
// bytes back from the node's disk.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "node_site.h"
#include "support/mosquitto_broker.h"
#include "support/temp_dir.h"

namespace edgenode::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CliRun run_cli(const std::vector<std::string>& args, const fs::path& log) {
  NodeProcess cli(args, log.string());
  CliRun run;
  run.exit_code = cli.wait_exit(seconds(20));
  run.output = cli.log();
  return run;
}

TEST(NodeArchive, ADeadLetteredPayloadComesBackByItsHash) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  const std::string archive = (dir / "archive.db").string();
  MqttProbe probe(MqttProbe::default_options((*broker)->url()), {"out/#", "edgenode/arch/#"});
  const auto config = write_relay_config(dir, "arch", (*broker)->url(), "", "archive: {path: " + archive + "}");
  NodeProcess node({"run", config}, (dir / "node.log").string());
  ASSERT_TRUE(wait_online(probe, "arch").has_value()) << node.log();

  const std::string malformed("{\"seq\": 1, \"rms\": \xff\x00 oops", 23);
  probe.publish("in/dev3", malformed, 1);
  probe.publish("in/dev3", R"({"seq": 2})", 1);
  const auto deadletter = probe.wait_for(on_topic("edgenode/arch/deadletter/relay"), seconds(20));
  ASSERT_TRUE(deadletter.has_value()) << node.log();
  ASSERT_TRUE(probe.wait_for(on_topic("out/dev3"), seconds(20)).has_value()) << node.log();
  const json record = json::parse(deadletter->payload);
  EXPECT_FALSE(record.contains("payload"));  // the bus gets the hash, never the bytes
  const std::string sha256 = record.at("payload_sha256").get<std::string>();

  // The archive is written in the background: the entry appears within moments.
  CliRun got;
  const auto until = std::chrono::steady_clock::now() + seconds(20);
  do {
    got = run_cli({"archive", "get", archive, sha256.substr(0, 12), "--out", (dir / "payload.bin").string()},
                  dir / "get.log");
    if (got.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the writer's next batch
  } while (std::chrono::steady_clock::now() < until);
  ASSERT_EQ(got.exit_code, 0) << got.output;
  std::ifstream in(dir / "payload.bin", std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(bytes, malformed);

  const CliRun listed = run_cli({"archive", "list", archive, "--json"}, dir / "list.log");
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  const json entries = json::parse(listed.output).at("entries");
  ASSERT_EQ(entries.size(), 1u) << listed.output;  // the valid reading is not kept (archive: deadletters)
  EXPECT_EQ(entries[0]["payload_sha256"], sha256);
  EXPECT_EQ(entries[0]["stage"], "decode");
  EXPECT_EQ(entries[0]["topic"], "in/dev3");
  EXPECT_EQ(entries[0]["size"], malformed.size());

  const auto telemetry = probe.wait_for(
      [](const bus::Message& m) {
        if (m.topic != "edgenode/arch/telemetry") return false;
        const json t = json::parse(m.payload, nullptr, false);
        return t.contains("archive") && t["archive"].value("kept", 0) == 1;
      },
      seconds(20));
  ASSERT_TRUE(telemetry.has_value()) << node.log();
  EXPECT_EQ(json::parse(telemetry->payload)["archive"]["entries"], 1);
  EXPECT_EQ(node.stop(SIGTERM, seconds(10)), 0) << node.log();
  EXPECT_EQ(node.log().find("oops"), std::string::npos) << "raw bytes never reach the log";
}

TEST(NodeArchive, CliErrorsAreOneLineAndExitCode2) {
  TempDir temp;
  const fs::path& dir = temp.path;
  const CliRun absent = run_cli({"archive", "list", (dir / "absent.db").string()}, dir / "a.log");
  EXPECT_EQ(absent.exit_code, 2);
  EXPECT_NE(absent.output.find("absent.db"), std::string::npos) << absent.output;
  const CliRun bad_hash = run_cli({"archive", "get", (dir / "absent.db").string(), "xyz"}, dir / "b.log");
  EXPECT_EQ(bad_hash.exit_code, 2);
  EXPECT_NE(bad_hash.output.find("expected 8 to 64 hex digits"), std::string::npos) << bad_hash.output;
}

}  // namespace
}  // namespace edgenode::testing

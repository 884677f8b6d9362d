// A reload (SIGHUP) hands over from the running config to the new one without the node
// going `offline` on its retained status, without losing an input published meanwhile,
// and without loading a model again whose config and file did not change.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "node_site.h"
#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

// The node config a test writes and then edits before each reload.
struct SiteConfig {
  explicit SiteConfig(std::string broker_url) : url(std::move(broker_url)) {}
  std::string url;
  std::string topic_prefix = "edgenode/handover";
  std::string output = "out";  // results go to <output>/<device>
  std::string journal;         // empty: none
  std::string http_listen;     // empty: no HTTP endpoint
  std::string models;          // entries under `models:`, one per line, or empty
};

void write_config(const std::string& path, const SiteConfig& c) {
  std::ostringstream y;
  y << "node:\n  id: handover\n  topic_prefix: " << c.topic_prefix << "\n"
    << "  bus: {mqtt: {url: \"" << c.url << "\", client_id: handover-node, session: persistent}}\n"
    << "  telemetry: {interval: 200ms}\n";
  if (!c.journal.empty()) y << "  journal: " << c.journal << "\n";
  if (!c.http_listen.empty()) y << "  http: {listen: \"" << c.http_listen << "\"}\n";
  if (!c.models.empty()) y << "models:\n" << c.models;
  y << "pipelines:\n"
       "  - name: relay\n"
       "    input: {topics: [\"in/+\"], qos: 1, format: json}\n"
       "    post: [{set: {field: seq, expr: \"payload.seq\"}}]\n"
       "    output: {topic: \"" << c.output << "/{{ topic_levels[1] }}\", qos: 1}\n";
  std::ofstream(path) << y.str();
}

MqttProbe::Match status_is(const std::string& topic, const std::string& status) {
  return [topic, status](const bus::Message& m) {
    return m.topic == topic && m.payload.find("\"" + status + "\"") != std::string::npos;
  };
}

// The payloads a probe received on `topic`, one a line, for a failure's message.
std::string payloads_on(MqttProbe& probe, const std::string& topic) {
  std::string out;
  for (const auto& m : probe.messages()) {
    if (m.topic == topic) out += m.payload + "\n";
  }
  return out;
}

size_t count_matching(const std::vector<bus::Message>& messages, const MqttProbe::Match& match) {
  size_t n = 0;
  for (const auto& m : messages) n += match(m) ? 1 : 0;
  return n;
}

// A second client beside the test's MqttProbe, watching the status topics.
MqttProbe status_watcher(const std::string& url, const std::string& filter) {
  bus::MqttOptions options = MqttProbe::default_options(url);
  options.client_id = "status-" + std::to_string(::getpid());
  return MqttProbe(options, {filter}, 1);
}

// Inputs go on being published, paced, from before the SIGHUP until after the new config
// runs; every one must come out, from the old config or the new.
void reload_under_load(bool journal) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  const std::string path = (dir / "node.yaml").string();
  SiteConfig config((*broker)->url());
  if (journal) config.journal = (dir / "journal.db").string();
  write_config(path, config);

  const std::string status_topic = config.topic_prefix + "/status";
  MqttProbe status = status_watcher((*broker)->url(), status_topic);
  MqttProbe probe(MqttProbe::default_options((*broker)->url()), {"out/#", "moved/#"}, 1);
  NodeProcess node({"run", path}, (dir / "node.log").string());
  ASSERT_TRUE(status.wait_for(status_is(status_topic, "online"), seconds(20)).has_value()) << node.log();

  config.output = "moved";
  write_config(path, config);
  constexpr int kBeforeReload = 50, kAfterReload = 50, kMostInputs = 4000;
  int published = 0, after_reload = 0;
  while (after_reload < kAfterReload && published < kMostInputs) {
    ++published;
    probe.publish("in/d" + std::to_string(published % 3), json{{"seq", published}}.dump(), 1);
    if (published == kBeforeReload) node.signal(SIGHUP);
    if (after_reload > 0 || (published > kBeforeReload && node.log().find("reload_done") != std::string::npos))
      ++after_reload;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a steady stream of readings
  }
  ASSERT_GT(after_reload, 0) << "the reload never finished\n" << node.log();

  std::set<int> seen;
  const bool all_out = probe.wait_until(
      [&](const std::vector<bus::Message>& messages) {
        seen.clear();
        for (const auto& m : messages) seen.insert(json::parse(m.payload).at("seq").get<int>());
        return static_cast<int>(seen.size()) == published;
      },
      seconds(30));
  EXPECT_TRUE(all_out) << seen.size() << " of " << published << " inputs came out\n" << node.log();
  EXPECT_GT(count_matching(probe.messages(), [](const bus::Message& m) { return m.topic.rfind("moved/", 0) == 0; }), 0u)
      << "the new config never ran\n" << node.log();

  // The status said `online` again after the swap and never anything else.
  EXPECT_TRUE(status.wait_until([&](const std::vector<bus::Message>& messages) {
    return count_matching(messages, status_is(status_topic, "online")) >= 2;
  })) << node.log();
  EXPECT_EQ(count_matching(status.messages(), status_is(status_topic, "offline")), 0u)
      << payloads_on(status, status_topic) << node.log();

  // A real stop still says `offline`, so the probe above would have seen one.
  EXPECT_EQ(node.stop(SIGTERM, seconds(20)), 0) << node.log();
  EXPECT_TRUE(status.wait_for(status_is(status_topic, "offline")).has_value()) << node.log();
}

TEST(NodeReloadHandover, StatusStaysOnlineAndNoInputIsLost) { reload_under_load(false); }

TEST(NodeReloadHandover, StatusStaysOnlineAndNoInputIsLostWithAJournal) { reload_under_load(true); }

// A port something else already listens on, held until the object goes away.
class TakenPort {
 public:
  TakenPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }
  ~TakenPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(NodeReloadHandover, AnUnchangedModelStaysLoadedThroughReloadsAndFailedOnes) {
  const fs::path model = shipped_model();
  if (!fs::exists(model)) GTEST_SKIP() << "the project's model " << model << " is absent";
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  const std::string path = (dir / "node.yaml").string();
  const std::string triage = "  triage: {path: \"" + model.string() + "\", threads: 1, context: 64}\n";
  SiteConfig config((*broker)->url());
  config.models = triage;
  write_config(path, config);

  const std::string status_topic = config.topic_prefix + "/status";
  MqttProbe status = status_watcher((*broker)->url(), status_topic);
  MqttProbe probe((*broker)->url(), {"out/#", "moved/#"});
  NodeProcess node({"run", path}, (dir / "node.log").string());
  ASSERT_TRUE(status.wait_for(status_is(status_topic, "online"), seconds(20)).has_value()) << node.log();

  config.output = "moved";
  write_config(path, config);
  node.signal(SIGHUP);
  ASSERT_TRUE(log_shows(node, "reload_done")) << node.log();
  EXPECT_EQ(occurrences(node.log(), "model_loaded name=triage"), 1u) << node.log();
  EXPECT_EQ(occurrences(node.log(), "model_kept name=triage"), 1u) << node.log();

  // A model that cannot load is found before the running node is touched.
  config.output = "never";
  config.models = triage + "  ghost: {path: \"" + (dir / "missing.gguf").string() + "\"}\n";
  write_config(path, config);
  node.signal(SIGHUP);
  ASSERT_TRUE(log_shows(node, "reload_failed")) << node.log();
  EXPECT_NE(node.log().find("the running config stays"), std::string::npos) << node.log();
  EXPECT_EQ(occurrences(node.log(), "node_started"), 2u) << node.log();

  // A config that fails to start (its HTTP port is taken) gives way to the previous one,
  // which runs again with the model it had.
  TakenPort taken;
  config.models = triage;
  config.http_listen = "127.0.0.1:" + std::to_string(taken.port());
  write_config(path, config);
  node.signal(SIGHUP);
  ASSERT_TRUE(log_shows(node, "restarting with the previous config")) << node.log();
  ASSERT_TRUE(log_shows(node, "node_started", 3)) << node.log();
  EXPECT_EQ(occurrences(node.log(), "model_loaded name=triage"), 1u) << node.log();
  probe.publish("in/d1", R"({"seq": 1})", 1);
  EXPECT_TRUE(probe.wait_for(on_topic("moved/d1"), seconds(20)).has_value()) << "the previous config runs\n"
                                                                             << node.log();

  // A changed model config is loaded again.
  config.output = "moved";
  config.http_listen.clear();
  config.models = "  triage: {path: \"" + model.string() + "\", threads: 1, context: 128}\n";
  write_config(path, config);
  node.signal(SIGHUP);
  ASSERT_TRUE(log_shows(node, "reload_done", 2)) << node.log();
  EXPECT_EQ(occurrences(node.log(), "model_loaded name=triage"), 2u) << node.log();

  EXPECT_EQ(count_matching(status.messages(), status_is(status_topic, "offline")), 0u)
      << payloads_on(status, status_topic) << node.log();
  EXPECT_EQ(node.stop(SIGTERM, seconds(20)), 0) << node.log();
}

TEST(NodeReloadHandover, WhenNeitherConfigCanStartTheNodeSaysOfflineAndExits) {
  const fs::path model = shipped_model();
  if (!fs::exists(model)) GTEST_SKIP() << "the project's model " << model << " is absent";
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  fs::copy_file(model, dir / "first.gguf");
  fs::copy_file(model, dir / "second.gguf");
  const std::string path = (dir / "node.yaml").string();
  SiteConfig config((*broker)->url());
  config.models = "  triage: {path: \"" + (dir / "first.gguf").string() + "\", threads: 1, context: 64}\n";
  write_config(path, config);
  const std::string status_topic = config.topic_prefix + "/status";
  MqttProbe status = status_watcher((*broker)->url(), status_topic);
  NodeProcess node({"run", path}, (dir / "node.log").string());
  ASSERT_TRUE(status.wait_for(status_is(status_topic, "online"), seconds(20)).has_value()) << node.log();

  // The new config cannot start (its HTTP port is taken) and the previous one cannot start
  // again either: its model file is gone.
  TakenPort taken;
  fs::remove(dir / "first.gguf");
  config.models = "  triage: {path: \"" + (dir / "second.gguf").string() + "\", threads: 1, context: 64}\n";
  config.http_listen = "127.0.0.1:" + std::to_string(taken.port());
  write_config(path, config);
  node.signal(SIGHUP);
  EXPECT_EQ(node.wait_exit(seconds(30)), 1) << node.log();
  const auto offline = status.wait_for(status_is(status_topic, "offline"), seconds(20));
  ASSERT_TRUE(offline.has_value()) << "the node is gone, its status must say so\n" << node.log();
  EXPECT_EQ(json::parse(offline->payload).value("node", ""), "handover") << offline->payload;
}

TEST(NodeReloadHandover, AConfigWithoutABusIsRefusedAndTheRunningOneStays) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  const std::string path = (dir / "node.yaml").string();
  SiteConfig config((*broker)->url());
  write_config(path, config);
  const std::string status_topic = config.topic_prefix + "/status";
  MqttProbe status = status_watcher((*broker)->url(), status_topic);
  MqttProbe probe((*broker)->url(), {"out/#"});
  NodeProcess node({"run", path}, (dir / "node.log").string());
  ASSERT_TRUE(status.wait_for(status_is(status_topic, "online"), seconds(20)).has_value()) << node.log();

  std::ofstream(path) << "node:\n  id: handover\npipelines: []\n";  // `edgenode check` passes it
  node.signal(SIGHUP);
  ASSERT_TRUE(log_shows(node, "reload_refused")) << node.log();
  EXPECT_NE(node.log().find("declares no bus"), std::string::npos) << node.log();
  probe.publish("in/d1", R"({"seq": 1})", 1);
  EXPECT_TRUE(probe.wait_for(on_topic("out/d1"), seconds(20)).has_value()) << "the running config goes on\n"
                                                                           << node.log();
  EXPECT_EQ(count_matching(status.messages(), status_is(status_topic, "offline")), 0u)
      << payloads_on(status, status_topic) << node.log();
  EXPECT_EQ(node.stop(SIGTERM, seconds(20)), 0) << node.log();
}

TEST(NodeReloadHandover, AMovedStatusTopicSaysOfflineWhereItWas) {
  auto broker = MosquittoBroker::start();
  ASSERT_TRUE(broker.ok()) << broker.error().message;
  const fs::path dir = (*broker)->dir();
  const std::string path = (dir / "node.yaml").string();
  SiteConfig config((*broker)->url());
  config.topic_prefix = "site/a";
  write_config(path, config);
  MqttProbe status = status_watcher((*broker)->url(), "site/+/status");
  NodeProcess node({"run", path}, (dir / "node.log").string());
  ASSERT_TRUE(status.wait_for(status_is("site/a/status", "online"), seconds(20)).has_value()) << node.log();

  config.topic_prefix = "site/b";
  write_config(path, config);
  node.signal(SIGHUP);
  EXPECT_TRUE(status.wait_for(status_is("site/b/status", "online"), seconds(20)).has_value()) << node.log();
  EXPECT_TRUE(status.wait_for(status_is("site/a/status", "offline"), seconds(20)).has_value())
      << "the old status topic must not say online for a node that left it\n" << node.log();

  EXPECT_EQ(node.stop(SIGTERM, seconds(20)), 0) << node.log();
  EXPECT_TRUE(status.wait_for(status_is("site/b/status", "offline")).has_value()) << node.log();
}

}  // namespace
}  // namespace edgenode::testing

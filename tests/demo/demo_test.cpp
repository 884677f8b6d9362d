// Runs `scripts/demo.sh` headless (broker, node with configs/demo.yaml, sensor simulator,
// view) for a bounded time and checks what a newcomer would see: results for every machine,
// injected faults triaged "alarm", and nothing left running afterwards.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kMachines = {"press-01", "pump-02", "fan-03", "mill-04"};
constexpr int kDemoSeconds = 25;

struct DemoRun {
  int exit_status = -1;
  std::vector<std::string> lines;
  fs::path state_dir;
};

DemoRun run_demo() {
  DemoRun run;
  run.state_dir = fs::temp_directory_path() / ("edgenode-demo-test-" + std::to_string(::getpid()));
  fs::remove_all(run.state_dir);
  fs::create_directories(run.state_dir);
  std::string machines;
  for (const auto& m : kMachines) machines += (machines.empty() ? "" : ",") + m;
  // A fresh broker of its own (no MQTT_URL), faster readings and more faults than the
  // interactive demo so a short run sees several.
  std::string command = "env -u MQTT_URL DEMO_SECONDS=" + std::to_string(kDemoSeconds) +
                        " DEMO_RATE=2 DEMO_FAULT_PROBABILITY=0.06 DEMO_MACHINES=" + machines +
                        " DEMO_STATE_DIR='" + run.state_dir.string() + "' '" + EDGENODE_SOURCE_DIR +
                        "/scripts/demo.sh' '" + EDGENODE_BINARY_DIR + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  std::string pending;
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
    pending += buf;
    if (!pending.empty() && pending.back() == '\n') {
      pending.pop_back();
      run.lines.push_back(pending);
      pending.clear();
    }
  }
  int status = ::pclose(pipe);
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string field(const std::string& line, const std::string& key) {
  std::smatch m;
  std::regex quoted(" " + key + "=\"([^\"]*)\"");
  if (std::regex_search(line, m, quoted)) return m[1];
  std::regex bare(" " + key + "=([^ ]*)");
  if (std::regex_search(line, m, bare)) return m[1];
  return "";
}

bool is_running(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/sbin/mosquitto")) return;
    run_ = new DemoRun(run_demo());
  }
  static void TearDownTestSuite() {
    if (run_ != nullptr) fs::remove_all(run_->state_dir);
    delete run_;
    run_ = nullptr;
  }
  void SetUp() override {
    if (run_ == nullptr) GTEST_SKIP() << "mosquitto is not installed (/usr/sbin/mosquitto)";
  }
  static std::string transcript() {
    std::ostringstream out;
    for (const auto& line : run_->lines) out << line << "\n";
    return out.str();
  }
  static inline DemoRun* run_ = nullptr;
};

TEST_F(DemoTest, ScriptStopsCleanlyAfterTheHeadlessRun) {
  EXPECT_EQ(run_->exit_status, 0) << transcript();
}

TEST_F(DemoTest, EveryMachineGetsVerdicts) {
  std::map<std::string, int> results;
  for (const auto& line : run_->lines) {
    auto status = field(line, "status");
    if (status.empty()) continue;
    EXPECT_TRUE(status == "ok" || status == "watch" || status == "alarm") << line;
    ++results[field(line, "machine")];
  }
  for (const auto& machine : kMachines) EXPECT_GE(results[machine], 5) << machine << "\n" << transcript();
}

TEST_F(DemoTest, InjectedFaultsAreTriagedAlarm) {
  int faults = 0;
  for (const auto& line : run_->lines) {
    if (field(line, "injected_fault").empty() || field(line, "status").empty()) continue;
    ++faults;
    EXPECT_EQ(field(line, "status"), "alarm") << line;
  }
  EXPECT_GE(faults, 3) << "too few injected faults reached the view\n" << transcript();
}

TEST_F(DemoTest, NothingIsLeftRunning) {
  std::ifstream pids(run_->state_dir / "pids.txt");
  ASSERT_TRUE(pids) << "demo.sh did not record the processes it started";
  std::set<std::string> started;
  pid_t pid;
  std::string name;
  while (pids >> pid >> name) {
    started.insert(name);
    EXPECT_FALSE(is_running(pid)) << name << " (pid " << pid << ") is still running";
  }
  for (const char* expected : {"mosquitto", "edgenode", "sensor-sim", "demo-view"})
    EXPECT_TRUE(started.count(expected)) << expected << " was not started";
}

}  // namespace

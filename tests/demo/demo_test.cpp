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

std::string transcript(const DemoRun& run) {
  std::ostringstream out;
  for (const auto& line : run.lines) out << line << "\n";
  return out.str();
}

void expect_verdicts_for_every_machine(const DemoRun& run) {
  std::map<std::string, int> results;
  for (const auto& line : run.lines) {
    auto status = field(line, "status");
    if (status.empty()) continue;
    EXPECT_TRUE(status == "ok" || status == "watch" || status == "alarm") << line;
    ++results[field(line, "machine")];
  }
  for (const auto& machine : kMachines) EXPECT_GE(results[machine], 5) << machine << "\n" << transcript(run);
}

void expect_injected_faults_triaged_alarm(const DemoRun& run) {
  int faults = 0;
  for (const auto& line : run.lines) {
    if (field(line, "injected_fault").empty() || field(line, "status").empty()) continue;
    ++faults;
    EXPECT_EQ(field(line, "status"), "alarm") << line;
  }
  EXPECT_GE(faults, 3) << "too few injected faults reached the view\n" << transcript(run);
}

void expect_nothing_left_running(const DemoRun& run) {
  std::ifstream pids(run.state_dir / "pids.txt");
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

// One test, one demo run: the run takes half a minute, so its checks share it.
TEST(Demo, HeadlessRunTriagesEveryMachineAndStopsCleanly) {
  if (!fs::exists("/usr/sbin/mosquitto")) GTEST_SKIP() << "mosquitto is not installed (/usr/sbin/mosquitto)";
  DemoRun run = run_demo();
  EXPECT_EQ(run.exit_status, 0) << transcript(run);
  {
    SCOPED_TRACE("results arrive for every machine");
    expect_verdicts_for_every_machine(run);
  }
  {
    SCOPED_TRACE("injected faults are triaged alarm");
    expect_injected_faults_triaged_alarm(run);
  }
  {
    SCOPED_TRACE("no process is left behind");
    expect_nothing_left_running(run);
  }
  fs::remove_all(run.state_dir);
}

}  // namespace

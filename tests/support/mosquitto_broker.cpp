#include "support/mosquitto_broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace edgenode::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kStopTimeout = std::chrono::seconds(5);

Result<void> write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return internal_error("cannot write " + path.string());
  return {};
}

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Spawns argv with stdout and stderr appended to log_file.
Result<pid_t> spawn(const std::vector<std::string>& argv, const fs::path& log_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return internal_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// Waits for pid to exit, up to timeout; true when it did.
bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || r < 0) return true;
    if (Clock::now() >= deadline) return false;
    ::poll(nullptr, 0, 5);
  }
}

}  // namespace

Result<int> free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return internal_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return internal_error(std::string("cannot bind a loopback port: ") + std::strerror(errno));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<void> run_program(const std::vector<std::string>& argv, const fs::path& log_file) {
  auto pid = spawn(argv, log_file);
  if (!pid) return pid.error();
  int status = 0;
  if (::waitpid(*pid, &status, 0) != *pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return internal_error(argv[0] + " failed; see " + log_file.string());
  return {};
}

MosquittoBroker::MosquittoBroker(MosquittoBrokerOptions options, fs::path dir, int port)
    : options_(std::move(options)), dir_(std::move(dir)), port_(port) {
  if (options_.require_client_cert) options_.tls = true;
}

Result<std::unique_ptr<MosquittoBroker>> MosquittoBroker::start(MosquittoBrokerOptions options) {
  std::string pattern = (fs::temp_directory_path() / "edgenode-mosquitto-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return internal_error(std::string("mkdtemp: ") + std::strerror(errno));
  auto port = free_loopback_port();
  if (!port) return port.error();
  std::unique_ptr<MosquittoBroker> broker(new MosquittoBroker(std::move(options), pattern, *port));
  EDGENODE_TRY(broker->write_config());
  EDGENODE_TRY(broker->launch());
  return broker;
}

MosquittoBroker::~MosquittoBroker() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string MosquittoBroker::url() const {
  return std::string(options_.tls ? "mqtts" : "mqtt") + "://127.0.0.1:" + std::to_string(port_);
}

Result<void> MosquittoBroker::write_config() {
  const fs::path tool_log = dir_ / "setup.log";
  std::ostringstream conf;
  conf << "listener " << port_ << " 127.0.0.1\n";
  // As root, mosquitto would otherwise drop to the "mosquitto" user, who cannot read
  // the temp dir.
  if (::geteuid() == 0) conf << "user root\n";
  conf << "log_dest stdout\nlog_type error\nlog_type warning\nlog_type notice\n";
  conf << "max_inflight_messages 0\nmax_queued_messages 100000\n";

  if (options_.users.empty()) {
    conf << "allow_anonymous true\n";
  } else {
    conf << "allow_anonymous false\n";
    const fs::path passwords = dir_ / "passwords";
    EDGENODE_TRY(write_file(passwords, ""));
    for (const auto& [user, password] : options_.users)
      EDGENODE_TRY(run_program({"mosquitto_passwd", "-b", passwords.string(), user, password}, tool_log));
    conf << "password_file " << passwords.string() << "\n";
  }

  if (options_.tls) {
    auto in_dir = [&](const char* name) { return (dir_ / name).string(); };
    auto new_key_and_request = [&](const char* key, const char* csr, const char* cn) {
      return run_program({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", in_dir(key),
                          "-out", in_dir(csr), "-subj", std::string("/CN=") + cn},
                         tool_log);
    };
    auto sign = [&](const char* csr, const char* crt, const char* ext) {
      return run_program({"openssl", "x509", "-req", "-in", in_dir(csr), "-CA", in_dir("ca.crt"),
                          "-CAkey", in_dir("ca.key"), "-CAcreateserial", "-days", "2", "-out",
                          in_dir(crt), "-extfile", in_dir(ext)},
                         tool_log);
    };
    auto self_signed = [&](const char* key, const char* crt, const char* cn) {
      return run_program({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-keyout",
                          in_dir(key), "-out", in_dir(crt), "-subj", std::string("/CN=") + cn},
                         tool_log);
    };
    EDGENODE_TRY(self_signed("ca.key", "ca.crt", "edgenode test CA"));
    EDGENODE_TRY(write_file(dir_ / "server.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n"));
    EDGENODE_TRY(write_file(dir_ / "client.ext", "extendedKeyUsage=clientAuth\n"));
    EDGENODE_TRY(new_key_and_request("server.key", "server.csr", "localhost"));
    EDGENODE_TRY(sign("server.csr", "server.crt", "server.ext"));
    EDGENODE_TRY(new_key_and_request("client.key", "client.csr", "edgenode-test-client"));
    EDGENODE_TRY(sign("client.csr", "client.crt", "client.ext"));
    EDGENODE_TRY(self_signed("foreign.key", "foreign.crt", "untrusted client"));
    conf << "cafile " << in_dir("ca.crt") << "\n"
         << "certfile " << in_dir("server.crt") << "\n"
         << "keyfile " << in_dir("server.key") << "\n";
    if (options_.require_client_cert) conf << "require_certificate true\n";
  }

  if (options_.persistence) {
    const fs::path store = dir_ / "persistence";
    fs::create_directories(store);
    conf << "persistence true\npersistence_location " << store.string() << "/\n"
         << "autosave_interval 1\n";
    if (options_.save_every_change) conf << "autosave_on_changes true\n";
  }
  return write_file(dir_ / "mosquitto.conf", conf.str());
}

Result<void> MosquittoBroker::launch() {
  const std::string conf = (dir_ / "mosquitto.conf").string();
  const std::string log_file = (dir_ / "mosquitto.log").string();
  char* const argv[] = {const_cast<char*>(kMosquitto), const_cast<char*>("-c"), const_cast<char*>(conf.c_str()),
                        nullptr};
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) return internal_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec. The broker dies with the test
    // process even when a crash or a ctest timeout skips the destructor.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    ::execv(kMosquitto, argv);
    ::_exit(127);
  }
  const auto deadline = Clock::now() + kStartTimeout;
  while (!port_accepts(port_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return internal_error("mosquitto exited at start: " + log());
    }
    if (Clock::now() >= deadline) {
      stop();
      return internal_error("mosquitto did not accept connections on port " +
                            std::to_string(port_) + ": " + log());
    }
    ::poll(nullptr, 0, 5);
  }
  return {};
}

void MosquittoBroker::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exit(pid_, kStopTimeout);
  pid_ = -1;
}

void MosquittoBroker::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!wait_exit(pid_, kStopTimeout)) {
    ::kill(pid_, SIGKILL);
    wait_exit(pid_, kStopTimeout);
  }
  pid_ = -1;
}

Result<void> MosquittoBroker::restart() {
  stop();
  return launch();
}

std::string MosquittoBroker::log() const {
  std::ifstream in(dir_ / "mosquitto.log");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace edgenode::testing

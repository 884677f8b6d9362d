// A real mosquitto broker for integration tests: a generated mosquitto.conf in a temp
// dir, a listener on a free loopback port, optional password auth, TLS / mutual TLS
// with certificates made by openssl, optional persistence. kill9() and restart() keep
// the port, so a client can reconnect to the same URL. The destructor stops the broker
// and removes the temp dir. The broker is also killed when the thread that started (or
// restarted) it ends, so call start() and restart() from the test's own thread; then a
// crashed or timed-out test leaves no broker behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace edgenode::testing {

struct MosquittoBrokerOptions {
  // username → password; when non-empty, anonymous clients are refused.
  std::vector<std::pair<std::string, std::string>> users;
  bool tls = false;                  // listener speaks TLS with a test CA
  bool require_client_cert = false;  // mutual TLS (implies tls)
  bool persistence = false;          // on-disk persistence, saved every second
  // With persistence: save after every change instead (queued messages survive a kill -9
  // except those received after the last save). Slower; for durability tests.
  bool save_every_change = false;
};

class MosquittoBroker {
 public:
  // Writes the config (and certificates), starts mosquitto and waits until the port
  // accepts connections.
  static Result<std::unique_ptr<MosquittoBroker>> start(MosquittoBrokerOptions options = {});
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  int port() const { return port_; }
  // mqtt://127.0.0.1:<port>, or mqtts://localhost:<port> with TLS (the server
  // certificate is issued for localhost and 127.0.0.1).
  std::string url() const;
  const std::filesystem::path& dir() const { return dir_; }
  // Certificates, set when tls is on: CA to trust, and a client certificate and key
  // signed by the same CA.
  std::string ca_file() const { return (dir_ / "ca.crt").string(); }
  std::string client_cert_file() const { return (dir_ / "client.crt").string(); }
  std::string client_key_file() const { return (dir_ / "client.key").string(); }
  // A certificate and key from a CA the broker does not trust.
  std::string foreign_cert_file() const { return (dir_ / "foreign.crt").string(); }
  std::string foreign_key_file() const { return (dir_ / "foreign.key").string(); }

  bool running() const { return pid_ > 0; }
  // SIGKILL: no clean shutdown, no final persistence save.
  void kill9();
  // SIGTERM and wait (mosquitto saves its persistence file on a clean stop).
  void stop();
  // Starts again on the same port with the same config (and persistence dir).
  Result<void> restart();
  // The broker's log (stdout/stderr), for failure messages.
  std::string log() const;

 private:
  MosquittoBroker(MosquittoBrokerOptions options, std::filesystem::path dir, int port);
  Result<void> write_config();
  Result<void> launch();

  MosquittoBrokerOptions options_;
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
Result<int> free_loopback_port();

// Runs a program with arguments, output appended to log_file; error when it fails.
Result<void> run_program(const std::vector<std::string>& argv, const std::filesystem::path& log_file);

}  // namespace edgenode::testing

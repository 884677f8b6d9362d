// Starts `edgenode <args>` as a child process (stderr and stdout to a log file) and
// stops it with a signal, reporting how it exited.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace edgenode::testing {

class NodeProcess {
 public:
  NodeProcess(const std::vector<std::string>& args, std::string log_path) : log_path_(std::move(log_path)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      std::string bin = EDGENODE_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~NodeProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // Sends `signal` without waiting (SIGHUP: reload the config).
  void signal(int signal) { ::kill(pid_, signal); }

  // Sends `signal` and waits up to `timeout` for the exit; returns the exit code, or -1
  // when it did not exit normally in time.
  int stop(int signal, std::chrono::milliseconds timeout) {
    ::kill(pid_, signal);
    return wait_exit(timeout);
  }

  int wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a child's exit
    }
    return -1;
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

}  // namespace edgenode::testing

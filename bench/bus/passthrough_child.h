// A node under benchmark as a child process: started with extra environment variables,
// its stdout and stderr appended to a log file, stopped with SIGTERM (SIGKILL after a
// grace period). The child also gets SIGTERM when the benchmark dies, so an aborted run
// leaves no node behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace edgenode::bench {

class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> start(const std::vector<std::string>& argv,
                                                     const std::vector<std::pair<std::string, std::string>>& env,
                                                     const std::string& log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // False once the child has exited (reaps it).
  bool running();
  // CPU time (user + system, all threads) the child has used so far; 0 once it exited.
  double cpu_seconds() const;
  // SIGTERM, then SIGKILL when it has not exited within `grace`. Returns the exit status
  // as waitpid reports it, or -1 when it had to be killed.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  int status_ = 0;
};

}  // namespace edgenode::bench

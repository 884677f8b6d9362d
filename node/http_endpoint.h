// node.http: GET /metrics (Prometheus text), /healthz (the process answers) and /readyz
// (every bus connected), served by cpp-httplib on its own thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/result.h"

namespace httplib {
class Server;
}

namespace edgenode::node {

class HttpEndpoint {
 public:
  struct Handlers {
    std::function<std::string()> metrics;
    std::function<bool()> ready;
  };
  // `listen` is host:port; port 0 picks a free one (see port()).
  static Result<std::unique_ptr<HttpEndpoint>> start(const std::string& listen, Handlers handlers);
  ~HttpEndpoint();
  int port() const { return port_; }

 private:
  HttpEndpoint() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace edgenode::node

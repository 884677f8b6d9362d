#include "node/http_endpoint.h"

#include <httplib.h>

namespace edgenode::node {

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::start(const std::string& listen, Handlers handlers) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return bad_input("node.http.listen '" + listen + "' must be host:port");
  const std::string host = listen.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return bad_input("node.http.listen '" + listen + "' has no valid port");
  }
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint());
  endpoint->server_ = std::make_unique<httplib::Server>();
  auto& server = *endpoint->server_;
  server.Get("/metrics", [h = handlers](const httplib::Request&, httplib::Response& res) {
    res.set_content(h.metrics(), "text/plain; version=0.0.4");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server.Get("/readyz", [h = handlers](const httplib::Request&, httplib::Response& res) {
    const bool ready = h.ready();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready: a bus is disconnected\n", "text/plain");
  });
  endpoint->port_ = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (endpoint->port_ <= 0) return unavailable("cannot listen on " + listen);
  endpoint->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edgenode::node

// A plain HTTP/1.0 GET against the node's HTTP endpoint (/metrics, /healthz, /readyz),
// and the port the node logged when it started listening.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <string>

namespace edgenode::testing {

// A plain HTTP/1.0 GET on 127.0.0.1; returns the whole response (status line included).
inline std::string http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), 0);
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) response.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return response;
}

// The port from the node's `http_listening ... port=N` log line, or 0.
inline int logged_http_port(const std::string& log) {
  std::smatch port;
  if (!std::regex_search(log, port, std::regex("http_listening listen=\\S+ port=(\\d+)"))) return 0;
  return std::stoi(port[1]);
}

}  // namespace edgenode::testing

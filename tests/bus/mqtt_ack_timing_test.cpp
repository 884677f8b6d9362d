// The journal's durability rests on one property of libmosquitto (2.0.11): the PUBACK
// of a QoS 1 message reaches the broker only after the message handler returns. This
// test plays the broker on a raw socket and watches the wire while the handler blocks.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string>

#include "bus/mqtt_bus.h"

namespace edgenode::bus {
namespace {

using namespace std::chrono_literals;

// Reads one MQTT packet (fixed header, remaining length, body); "" on timeout or close.
std::string read_packet(int fd, int timeout_ms) {
  auto read_byte = [&](uint8_t& b) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1 && ::read(fd, &b, 1) == 1;
  };
  uint8_t header = 0, b = 0;
  if (!read_byte(header)) return {};
  std::size_t length = 0;
  int shift = 0;
  do {
    if (!read_byte(b)) return {};
    length |= static_cast<std::size_t>(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  std::string packet(1, static_cast<char>(header));
  for (std::size_t i = 0; i < length; ++i) {
    if (!read_byte(b)) return {};
    packet.push_back(static_cast<char>(b));
  }
  return packet;
}

void write_all(int fd, const std::string& bytes) { ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }

TEST(MqttAckTiming, PubackLeavesOnlyAfterTheHandlerReturns) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  MqttOptions options;
  options.url = "mqtt://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  options.client_id = "ack-timing";
  options.connect_timeout = 5s;
  auto bus = MqttBus::create(options);
  ASSERT_TRUE(bus.ok()) << bus.error().message;

  std::mutex mutex;
  std::condition_variable changed;
  bool in_handler = false, release = false;
  (*bus)->on_message([&](Message&&) {
    std::unique_lock lock(mutex);
    in_handler = true;
    changed.notify_all();
    changed.wait_for(lock, 10s, [&] { return release; });  // the journal write would happen here
  });

  // The broker side: accept, read CONNECT, answer CONNACK (MQTT 5: flags, reason, no properties).
  std::thread starter([&] { ASSERT_TRUE((*bus)->start().ok()); });
  int conn = ::accept(listener, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  std::string connect = read_packet(conn, 5000);
  ASSERT_FALSE(connect.empty());
  EXPECT_EQ(static_cast<uint8_t>(connect[0]), 0x10) << "CONNECT";
  write_all(conn, std::string("\x20\x03\x00\x00\x00", 5));
  starter.join();

  // PUBLISH QoS 1, topic "t", packet id 7, no properties, payload "hi".
  write_all(conn, std::string("\x32\x08\x00\x01t\x00\x07\x00hi", 10));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 5s, [&] { return in_handler; }));
  }
  EXPECT_EQ(read_packet(conn, 300), "") << "PUBACK sent while the handler was still running";
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  std::string puback = read_packet(conn, 5000);
  ASSERT_GE(puback.size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(puback[0]), 0x40) << "PUBACK";
  EXPECT_EQ(puback.substr(1, 2), std::string("\x00\x07", 2)) << "packet id";

  (*bus)->stop();
  ::close(conn);
  ::close(listener);
}

}  // namespace
}  // namespace edgenode::bus

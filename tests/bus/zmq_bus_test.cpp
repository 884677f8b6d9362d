// ZmqBus round trips: PUB/SUB over ipc:// in a temp dir, PUSH/PULL over tcp:// on a
// port the OS picks, topic filtering, metadata, backpressure.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "bus/zmq_bus.h"
#include "bus_test_util.h"
#include "support/temp_dir.h"

// libzmq hands messages between its threads through lock-free queues that an
// uninstrumented libzmq cannot show to ThreadSanitizer; its reports there are not ours.
extern "C" const char* __tsan_default_suppressions() { return "race:libzmq.so\n"; }

namespace edgenode::bus {
namespace {

using namespace std::chrono_literals;

Message message(std::string topic, std::string payload) {
  Message m;
  m.topic = std::move(topic);
  m.payload = std::move(payload);
  return m;
}

using testing::TempDir;

// Publishes probes until the receiver gets one: PUB/SUB and PUSH/PULL connect in the
// background, and PUB drops what it sends before the subscription arrives.
void wait_until_linked(ZmqBus& out, BusEvents& in, const std::string& topic) {
  for (int i = 0; i < 200; ++i) {
    (void)out.publish(message(topic, "probe"));
    if (in.wait_payload("probe", 20ms)) return;
  }
  FAIL() << "sockets never linked";
}

TEST(ZmqBus, PubSubOverIpcWithExactTopicMatching) {
  TempDir dir;
  const std::string endpoint = "ipc://" + (dir.path / "bus.sock").string();
  BusEvents received, acks;  // before the buses, so their threads are gone before these
  ZmqOptions out_options;
  out_options.name = "zmq-out";
  out_options.output = ZmqOptions::Output::pub;
  out_options.output_endpoint = endpoint;
  auto out = ZmqBus::create(out_options);
  ASSERT_TRUE(out.ok()) << out.error().message;

  ZmqOptions in_options;
  in_options.name = "zmq-in";
  in_options.input = ZmqOptions::Input::sub;
  in_options.input_endpoint = endpoint;
  auto in = ZmqBus::create(in_options);
  ASSERT_TRUE(in.ok()) << in.error().message;
  received.attach(**in);
  acks.attach(**out);
  ASSERT_TRUE((*in)->subscribe("sensors/+/temp", 0).ok());
  ASSERT_TRUE((*in)->start().ok());
  ASSERT_TRUE((*out)->start().ok());
  wait_until_linked(**out, received, "sensors/probe/temp");

  Message with_meta = message("sensors/a/temp", R"({"c": 21.5})");
  with_meta.content_type = "application/json";
  with_meta.user_properties = {{"trace_id", "feedfacecafebeef"}, {"site", "plant7"}};
  auto token = (*out)->publish(with_meta);
  ASSERT_TRUE(token.ok()) << token.error().message;
  ASSERT_TRUE((*out)->publish(message("sensors/a/humidity", "no: same prefix, other level")).ok());
  ASSERT_TRUE((*out)->publish(message("other/a/temp", "no: other prefix")).ok());
  ASSERT_TRUE((*out)->publish(message("sensors/b/temp", "end")).ok());
  ASSERT_TRUE(received.wait_payload("end"));
  EXPECT_TRUE(acks.wait_ack(*token));

  std::vector<Message> got;
  for (auto& m : received.messages())
    if (m.payload != "probe") got.push_back(m);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].topic, "sensors/a/temp");
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_EQ(got[0].user_properties, with_meta.user_properties);
  EXPECT_EQ(got[0].trace_id, "feedfacecafebeef");
  EXPECT_EQ(got[0].bus, "zmq-in");
  EXPECT_EQ(got[1].topic, "sensors/b/temp");
  EXPECT_EQ(got[1].trace_id.size(), 16u);
}

TEST(ZmqBus, PushPullOverTcpOnAPickedPort) {
  BusEvents received;
  ZmqOptions in_options;
  in_options.name = "pull";
  in_options.input = ZmqOptions::Input::pull;
  in_options.input_endpoint = "tcp://127.0.0.1:*";
  in_options.input_bind = true;
  in_options.pull_topic = "raw/in";
  auto in = ZmqBus::create(in_options);
  ASSERT_TRUE(in.ok()) << in.error().message;
  const std::string endpoint = (*in)->input_endpoint();
  ASSERT_EQ(endpoint.rfind("tcp://127.0.0.1:", 0), 0u) << endpoint;
  received.attach(**in);
  ASSERT_TRUE((*in)->start().ok());

  ZmqOptions out_options;
  out_options.name = "push";
  out_options.output = ZmqOptions::Output::push;
  out_options.output_endpoint = endpoint;
  out_options.output_bind = false;
  auto out = ZmqBus::create(out_options);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_TRUE((*out)->start().ok());
  wait_until_linked(**out, received, "jobs/probe");

  const std::size_t base = received.message_count();
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE((*out)->publish(message("jobs/" + std::to_string(i), std::to_string(i))).ok());
  ASSERT_TRUE(received.wait_messages(base + kMessages));
  auto all = received.messages();
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(all[base + i].payload, std::to_string(i));  // in order

  // A plain ZeroMQ peer sending a lone payload frame.
  zmq::context_t context;
  zmq::socket_t raw(context, zmq::socket_type::push);
  raw.connect(endpoint);
  raw.send(zmq::str_buffer("bare"), zmq::send_flags::none);
  ASSERT_TRUE(received.wait_payload("bare"));
  EXPECT_EQ(received.messages().back().topic, "raw/in");
  (*in)->stop();
}

TEST(ZmqBus, PauseHoldsPullInput) {
  TempDir dir;
  BusEvents received;
  ZmqOptions in_options;
  in_options.input = ZmqOptions::Input::pull;
  in_options.input_endpoint = "ipc://" + (dir.path / "pull.sock").string();
  in_options.input_bind = true;
  auto in = ZmqBus::create(in_options);
  ASSERT_TRUE(in.ok()) << in.error().message;
  received.attach(**in);
  ASSERT_TRUE((*in)->subscribe("work/#", 0).ok());
  ASSERT_TRUE((*in)->start().ok());
  ZmqOptions out_options;
  out_options.output = ZmqOptions::Output::push;
  out_options.output_endpoint = in_options.input_endpoint;
  out_options.output_bind = false;
  auto out = ZmqBus::create(out_options);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_TRUE((*out)->start().ok());
  wait_until_linked(**out, received, "work/probe");
  (*in)->pause_input();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*out)->publish(message("work/x", "m" + std::to_string(i))).ok());
  ASSERT_TRUE((*out)->publish(message("ignored/x", "filtered out")).ok());
  EXPECT_FALSE(received.wait_payload("m0", 200ms)) << "delivered while paused";
  (*in)->resume_input();
  EXPECT_TRUE(received.wait_payload("m9"));
  EXPECT_FALSE(received.wait_payload("filtered out", 100ms));
}

TEST(ZmqBus, RejectsBadOptions) {
  ZmqOptions none;
  auto r = ZmqBus::create(none);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "ZeroMQ bus 'zmq' has neither input nor output");
  ZmqOptions bad_endpoint;
  bad_endpoint.output = ZmqOptions::Output::pub;
  bad_endpoint.output_endpoint = "udp://x";
  auto e = ZmqBus::create(bad_endpoint);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "ZeroMQ bus 'zmq': endpoint 'udp://x' must start with tcp:// or ipc://");
  ZmqOptions sub;
  sub.input = ZmqOptions::Input::sub;
  sub.input_endpoint = "tcp://127.0.0.1:1";
  auto bus = ZmqBus::create(sub);
  ASSERT_TRUE(bus.ok()) << bus.error().message;
  EXPECT_FALSE((*bus)->subscribe("$share/g/x", 0).ok());
  EXPECT_FALSE((*bus)->publish(message("x", "y")).ok());
}

}  // namespace
}  // namespace edgenode::bus

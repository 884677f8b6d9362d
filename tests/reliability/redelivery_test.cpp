// A broker's redelivery through the real parts: an MqttBus with a persistent session
// journals an input inside its message handler and holds it there (so its PUBACK is not
// sent), the broker is killed with SIGKILL and restarted from its persistence, and it
// resends the input with the same packet id when the session resumes. The journal must
// name the input journaled already; a new message with the same topic and payload,
// published afterwards, must be journaled as new.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "bus/journal.h"
#include "bus/mqtt_bus.h"
#include "reliability/broker_persistence.h"
#include "support/mosquitto_broker.h"

namespace edgenode::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::unique_ptr<bus::MqttBus> make_bus(const std::string& url, const std::string& client_id, bool persistent) {
  bus::MqttOptions options;
  options.name = "site";
  options.url = url;
  options.client_id = client_id;
  options.persistent_session = persistent;
  options.session_expiry_s = 600;
  options.reconnect_min = std::chrono::milliseconds(50);
  options.reconnect_max = std::chrono::milliseconds(200);
  auto created = bus::MqttBus::create(options);
  EXPECT_TRUE(created.ok()) << created.error().message;
  return created.ok() ? std::move(created).value() : nullptr;
}

// What the node's handler does with a QoS 1 input, recorded for the test: the first
// input is held in the handler until release().
class JournalingReceiver {
 public:
  explicit JournalingReceiver(bus::Journal& journal) : journal_(journal) {}

  void handle(bus::Message&& m) {
    auto original = journal_.redelivered_input(m);
    ASSERT_TRUE(original.ok()) << original.error().message;
    std::unique_lock lock(mutex_);
    if (*original) {
      EXPECT_FALSE((*original)->reopened) << "the input is still pending";
      redelivered_.push_back((*original)->input_id);
    } else {
      auto id = journal_.record_input(m);
      ASSERT_TRUE(id.ok()) << id.error().message;
      recorded_.push_back(*id);
    }
    changed_.notify_all();
    if (recorded_.size() == 1 && redelivered_.empty()) changed_.wait(lock, [&] { return released_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }
  bool wait_for(size_t recorded, size_t redelivered) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, seconds(30),
                             [&] { return recorded_.size() >= recorded && redelivered_.size() >= redelivered; });
  }
  std::vector<int64_t> recorded() const {
    std::lock_guard lock(mutex_);
    return recorded_;
  }
  std::vector<int64_t> redelivered() const {
    std::lock_guard lock(mutex_);
    return redelivered_;
  }

 private:
  bus::Journal& journal_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool released_ = false;
  std::vector<int64_t> recorded_, redelivered_;
};

TEST(Redelivery, ABrokersResendIsTheSameInputAndANewCopyIsNew) {
  MosquittoBrokerOptions broker_options;
  broker_options.persistence = true;
  broker_options.save_every_change = true;
  auto started = MosquittoBroker::start(broker_options);
  ASSERT_TRUE(started.ok()) << started.error().message;
  auto broker = std::move(started).value();
  const fs::path dir = broker->dir() / "node";
  fs::create_directories(dir);

  bus::JournalOptions journal_options;
  journal_options.path = (dir / "journal.db").string();
  auto opened = bus::Journal::open(journal_options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto journal = std::move(opened).value();
  JournalingReceiver receiver(*journal);

  auto node = make_bus(broker->url(), "redelivery-node", true);
  auto producer = make_bus(broker->url(), "redelivery-producer", false);
  ASSERT_TRUE(node && producer);
  node->on_message([&](bus::Message&& m) { receiver.handle(std::move(m)); });
  ASSERT_TRUE(node->subscribe("in/#", 1).ok());
  ASSERT_TRUE(node->start().ok());
  ASSERT_TRUE(producer->start().ok());

  bus::Message input;
  input.topic = "in/a";
  input.payload = R"({"reading": 7})";
  input.qos = 1;
  ASSERT_TRUE(producer->publish(input).ok());
  ASSERT_TRUE(receiver.wait_for(1, 0)) << "the input never arrived";
  // Journaled, held in the handler, not acknowledged. A retained message elsewhere is a
  // change the broker saves, with the input in flight to the node.
  const auto held_at = fs::file_time_type::clock::now();
  bus::Message marker;
  marker.topic = "elsewhere/marker";
  marker.payload = "saved";
  marker.qos = 1;
  marker.retain = true;
  ASSERT_TRUE(producer->publish(marker).ok());
  ASSERT_TRUE(wait_for_broker_save(*broker, held_at));
  broker->kill9();
  ASSERT_TRUE(broker->restart().ok()) << broker->log();
  receiver.release();  // its PUBACK goes to a dead connection

  ASSERT_TRUE(receiver.wait_for(1, 1)) << "the broker did not resend the input";
  EXPECT_EQ(receiver.redelivered(), receiver.recorded()) << "the resend names the input journaled before";

  // The same reading published again (by a fresh client, connected once start() returns)
  // is a new message, not a resend.
  producer->stop();
  producer = make_bus(broker->url(), "redelivery-producer-2", false);
  ASSERT_TRUE(producer && producer->start().ok());
  ASSERT_TRUE(producer->publish(input).ok());
  ASSERT_TRUE(receiver.wait_for(2, 1)) << "the second copy never arrived";
  const auto recorded = receiver.recorded();
  EXPECT_NE(recorded[0], recorded[1]);
  EXPECT_EQ(receiver.redelivered().size(), 1u);
  EXPECT_EQ(journal->stats().inputs_redelivered, 1u);
  EXPECT_EQ(journal->pending_inputs()->size(), 2u);
  producer->stop();
  node->stop();
}

}  // namespace
}  // namespace edgenode::testing

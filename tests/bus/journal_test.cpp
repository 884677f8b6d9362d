// Journal: inbox/outbox lifecycle, replay after a crash (a child process killed with
// SIGKILL mid-work), reading an input back by id, stable output ids, ordering, expiry,
// quota policies, compaction.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bus/journal.h"
#include "support/temp_dir.h"

namespace edgenode::bus {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

Message input(int n) {
  Message m;
  m.bus = "site";
  m.topic = "factory/m" + std::to_string(n) + "/vibration";
  m.payload = R"({"rms":)" + std::to_string(n) + "}";
  m.qos = 1;
  m.content_type = "application/json";
  m.user_properties = {{"trace_id", "t" + std::to_string(n)}};
  m.trace_id = "t" + std::to_string(n);
  m.received_at_ms = 1700000000000 + n;
  return m;
}

Message output(const std::string& bus, const std::string& topic, std::string payload = "{}") {
  Message m;
  m.bus = bus;
  m.topic = topic;
  m.payload = std::move(payload);
  m.qos = 1;
  return m;
}

std::unique_ptr<Journal> open_journal(JournalOptions options) {
  auto journal = Journal::open(std::move(options));
  if (!journal.ok()) ADD_FAILURE() << journal.error().message;
  return journal.ok() ? std::move(*journal) : nullptr;
}

JournalOptions at(const fs::path& path) {
  JournalOptions o;
  o.path = path.string();
  return o;
}

TEST(Journal, ReplaysPendingInputsInOrderAfterSigkill) {
  TempDir dir;
  const fs::path db = dir.path / "journal.db";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The node: 50 inputs; 0-9 done without outputs, 10-19 finished with an output each
    // (not acked yet), 20-49 never finished. Then it dies without closing anything.
    auto journal = Journal::open(at(db));
    if (!journal.ok()) _exit(2);
    for (int i = 0; i < 50; ++i) {
      auto id = (*journal)->record_input(input(i));
      if (!id.ok()) _exit(3);
      if (i >= 10 && i < 20 && !(*journal)->add_output(*id, "triage", 0, output("up", "r/" + std::to_string(i))).ok())
        _exit(4);
      if (i < 20 && !(*journal)->finish_input(*id).ok()) _exit(5);
    }
    ::raise(SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child failed with status " << status;

  auto journal = open_journal(at(db));
  ASSERT_TRUE(journal);
  auto pending = journal->pending_inputs();
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  ASSERT_EQ(pending->size(), 30u);
  for (int i = 0; i < 30; ++i) {
    const Message& m = (*pending)[i];
    const Message expected = input(20 + i);
    EXPECT_EQ(m.journal_id, 21 + i);
    EXPECT_EQ(m.topic, expected.topic);
    EXPECT_EQ(m.payload, expected.payload);
    EXPECT_EQ(m.bus, "site");
    EXPECT_EQ(m.qos, 1);
    EXPECT_EQ(m.content_type, "application/json");
    EXPECT_EQ(m.user_properties, expected.user_properties);
    EXPECT_EQ(m.trace_id, expected.trace_id);
    EXPECT_EQ(m.received_at_ms, expected.received_at_ms);
  }
  EXPECT_EQ(journal->stats().inbox_open, 40u);

  // The finished inputs' outputs are still waiting; acking them completes the inputs.
  auto outputs = journal->outputs_for_bus("up", 0, 100);
  ASSERT_TRUE(outputs.ok());
  ASSERT_EQ(outputs->size(), 10u);
  for (const auto& o : *outputs) ASSERT_TRUE(journal->output_acked(o.id).ok());
  EXPECT_EQ(journal->stats().inbox_open, 30u);
  EXPECT_EQ(journal->stats().outbox_messages, 0u);
}

TEST(Journal, StableOutputIdsSurviveReplay) {
  TempDir dir;
  const fs::path db = dir.path / "journal.db";
  int64_t input_id = 0;
  int64_t outbox_id = 0;
  {
    auto journal = open_journal(at(db));
    ASSERT_TRUE(journal);
    input_id = *journal->record_input(input(1));
    auto out = journal->add_output(input_id, "triage", 0, output("up", "r/1"));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->output_id, std::to_string(input_id) + "/triage/0");
    EXPECT_EQ(out->message.user_properties.back(), (std::pair<std::string, std::string>{"output_id", out->output_id}));
    outbox_id = out->id;
  }  // crash before finish_input
  auto journal = open_journal(at(db));
  ASSERT_TRUE(journal);
  auto pending = journal->pending_inputs();
  ASSERT_EQ(pending->size(), 1u);
  // Replaying the input produces the same output again: stored once, same id.
  auto again = journal->add_output((*pending)[0].journal_id, "triage", 0, output("up", "r/1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, outbox_id);
  auto second = journal->add_output((*pending)[0].journal_id, "triage", 1, output("up", "r/1b"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->output_id, std::to_string(input_id) + "/triage/1");
  EXPECT_EQ(journal->stats().outbox_messages, 2u);
}

TEST(Journal, InputIsDoneOnlyWhenFinishedAndEveryOutputAcked) {
  TempDir dir;
  auto journal = open_journal(at(dir.path / "j.db"));
  ASSERT_TRUE(journal);
  const int64_t id = *journal->record_input(input(1));
  auto a = journal->add_output(id, "p", 0, output("up", "a"));
  auto b = journal->add_output(id, "q", 0, output("up", "b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(journal->output_acked(a->id).ok());
  ASSERT_TRUE(journal->output_acked(b->id).ok());
  EXPECT_EQ(journal->stats().inbox_open, 1u) << "acked but not finished: pipelines may still emit";
  ASSERT_TRUE(journal->finish_input(id).ok());
  EXPECT_EQ(journal->stats().inbox_open, 0u);
  EXPECT_EQ(journal->stats().inputs_done, 1u);

  const int64_t id2 = *journal->record_input(input(2));
  auto c = journal->add_output(id2, "p", 0, output("up", "c"));
  ASSERT_TRUE(journal->finish_input(id2).ok());
  EXPECT_EQ(journal->stats().inbox_open, 1u);
  ASSERT_TRUE(journal->output_acked(c->id).ok());
  EXPECT_EQ(journal->stats().inbox_open, 0u);
  EXPECT_TRUE(journal->output_acked(c->id).ok()) << "a second ack is harmless";
  EXPECT_TRUE(journal->pending_inputs()->empty());
}

TEST(Journal, AnInputIsReadBackByIdUntilItIsDone) {
  TempDir dir;
  auto journal = open_journal(at(dir.path / "j.db"));
  ASSERT_TRUE(journal);
  const int64_t id = *journal->record_input(input(7));
  auto read = journal->input(id);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->journal_id, id);
  EXPECT_EQ((*read)->topic, input(7).topic);
  EXPECT_EQ((*read)->payload, input(7).payload);
  EXPECT_EQ((*read)->trace_id, "t7");
  // Reading leaves nothing open on the inbox: compaction still works.
  ASSERT_TRUE(journal->compact().ok());
  ASSERT_TRUE(journal->finish_input(id).ok());
  read = journal->input(id);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value()) << "done inputs are gone";
  EXPECT_FALSE(journal->input(id + 100)->has_value());
}

TEST(Journal, OutboxKeepsOrderPerBus) {
  TempDir dir;
  auto journal = open_journal(at(dir.path / "j.db"));
  ASSERT_TRUE(journal);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(journal->add_output(0, "telemetry", i, output(i % 2 ? "b" : "a", "t/" + std::to_string(i))).ok());
  auto first = journal->outputs_for_bus("a", 0, 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].message.topic, "t/0");
  EXPECT_EQ((*first)[1].message.topic, "t/2");
  EXPECT_EQ((*first)[2].message.topic, "t/4");
  auto rest = journal->outputs_for_bus("a", first->back().id, 10);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].message.topic, "t/6");
  EXPECT_EQ((*rest)[1].message.topic, "t/8");
  EXPECT_EQ(journal->outputs_for_bus("b", 0, 10)->size(), 5u);
  EXPECT_NE((*first)[0].output_id, (*first)[1].output_id);

  std::vector<int64_t> acked;
  for (const auto& e : *first) acked.push_back(e.id);
  acked.push_back(999999);  // unknown: ignored
  ASSERT_TRUE(journal->outputs_acked(acked).ok());
  EXPECT_EQ(journal->outputs_for_bus("a", 0, 10)->size(), 2u);
  EXPECT_EQ(journal->stats().outbox_messages, 7u);
}

TEST(Journal, ExpiredOutputsAreDroppedAndExpiryCountsDown) {
  TempDir dir;
  int64_t now = 1'000'000;
  auto options = at(dir.path / "j.db");
  options.clock = [&] { return now; };
  auto journal = open_journal(options);
  ASSERT_TRUE(journal);
  const int64_t id = *journal->record_input(input(1));
  Message m = output("up", "x");
  m.expiry_s = 10;
  ASSERT_TRUE(journal->add_output(id, "p", 0, m).ok());
  ASSERT_TRUE(journal->finish_input(id).ok());
  now += 4'500;
  auto waiting = journal->outputs_for_bus("up", 0, 10);
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ((*waiting)[0].message.expiry_s, 6u);
  now += 6'000;
  EXPECT_TRUE(journal->outputs_for_bus("up", 0, 10)->empty());
  EXPECT_EQ(journal->stats().outbox_expired, 1u);
  EXPECT_EQ(journal->stats().inbox_open, 0u) << "an expired output no longer holds its input";
}

TEST(Journal, DropOldestQuota) {
  TempDir dir;
  auto options = at(dir.path / "j.db");
  options.outbox_max_messages = 3;
  auto journal = open_journal(options);
  ASSERT_TRUE(journal);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(journal->add_output(0, "p", i, output("up", "t/" + std::to_string(i))).ok());
  auto left = journal->outputs_for_bus("up", 0, 10);
  ASSERT_EQ(left->size(), 3u);
  EXPECT_EQ((*left)[0].message.topic, "t/2");
  EXPECT_EQ(journal->stats().outbox_dropped, 2u);

  auto bytes = at(dir.path / "bytes.db");
  bytes.outbox_max_bytes = 1000;
  auto by_size = open_journal(bytes);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(by_size->add_output(0, "p", i, output("up", "t", std::string(300, 'x'))).ok());
  EXPECT_LE(by_size->stats().outbox_bytes, 1000u);
  EXPECT_EQ(by_size->stats().outbox_messages, 3u);
  EXPECT_EQ(by_size->stats().outbox_dropped, 2u);
  auto too_big = by_size->add_output(0, "p", 9, output("up", "t", std::string(2000, 'x')));
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("larger than the outbox quota"), std::string::npos);
}

TEST(Journal, BlockQuotaRefusesUntilAcked) {
  TempDir dir;
  auto options = at(dir.path / "j.db");
  options.outbox_max_messages = 2;
  options.on_full = JournalOptions::OnFull::block;
  auto journal = open_journal(options);
  ASSERT_TRUE(journal);
  auto first = journal->add_output(0, "p", 0, output("up", "a"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(journal->add_output(0, "p", 1, output("up", "b")).ok());
  EXPECT_TRUE(journal->outbox_full());
  auto refused = journal->add_output(0, "p", 2, output("up", "c"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::unavailable);
  EXPECT_NE(refused.error().message.find("journal outbox full: 2 messages"), std::string::npos);
  EXPECT_EQ(journal->stats().outbox_messages, 2u);
  ASSERT_TRUE(journal->output_acked(first->id).ok());
  EXPECT_FALSE(journal->outbox_full());
  EXPECT_TRUE(journal->add_output(0, "p", 2, output("up", "c")).ok());
}

TEST(Journal, CompactionKeepsTheFileSmall) {
  TempDir dir;
  const fs::path db = dir.path / "j.db";
  auto journal = open_journal(at(db));
  ASSERT_TRUE(journal);
  const std::string kilobyte(1024, 'p');
  for (int i = 0; i < 3000; ++i) {
    Message m = input(i);
    m.payload = kilobyte;
    const int64_t id = *journal->record_input(m);
    auto out = journal->add_output(id, "p", 0, output("up", "r", kilobyte));
    ASSERT_TRUE(journal->finish_input(id).ok());
    ASSERT_TRUE(journal->output_acked(out->id).ok());
  }
  ASSERT_TRUE(journal->compact().ok());
  const auto size = fs::file_size(db) + (fs::exists(dir.path / "j.db-wal") ? fs::file_size(dir.path / "j.db-wal") : 0);
  EXPECT_LT(size, 512u * 1024) << "6 MB went through; done rows must not stay";
  EXPECT_EQ(journal->stats().inputs_done, 3000u);
}

TEST(Journal, RejectsAFileThatIsNotAJournal) {
  TempDir dir;
  const fs::path bogus = dir.path / "notes.txt";
  std::ofstream(bogus) << "this is not an SQLite database, just some text that is long enough to have a header";
  auto journal = Journal::open(at(bogus));
  ASSERT_FALSE(journal.ok());
  EXPECT_NE(journal.error().message.find("journal " + bogus.string()), std::string::npos) << journal.error().message;
  EXPECT_FALSE(Journal::open(at(dir.path / "missing-dir" / "j.db")).ok());
}

}  // namespace
}  // namespace edgenode::bus

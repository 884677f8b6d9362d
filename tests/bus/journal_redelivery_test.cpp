// Journal: a broker's redelivery of an input (same bus, packet id, topic and payload,
// resent first when a session resumes) is recognised, also after the node restarts; a
// new message with the same payload never is; a version 1 journal is migrated.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "bus/journal.h"
#include "support/temp_dir.h"

namespace edgenode::bus {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

// An input on bus "site" with packet id `mid` from connection `connection`.
Message delivered(int mid, uint64_t connection, bool resumed, const std::string& payload) {
  Message m;
  m.bus = "site";
  m.topic = "in/a";
  m.payload = payload;
  m.qos = 1;
  m.delivery = {mid, connection, resumed};
  return m;
}

std::unique_ptr<Journal> open_journal(const fs::path& path, uint64_t redelivery_span = 1024) {
  JournalOptions options;
  options.path = path.string();
  options.redelivery_span = redelivery_span;
  auto journal = Journal::open(std::move(options));
  if (!journal.ok()) ADD_FAILURE() << journal.error().message;
  return journal.ok() ? std::move(*journal) : nullptr;
}

// What the node does with each QoS >= 1 input: the original's id for a redelivery, else
// the new row's id (negated, to tell the two apart in expectations).
int64_t receive(Journal& journal, const Message& m) {
  auto original = journal.redelivered_input(m);
  EXPECT_TRUE(original.ok()) << original.error().message;
  if (original.ok() && *original) return (*original)->input_id;
  auto id = journal.record_input(m);
  EXPECT_TRUE(id.ok()) << id.error().message;
  return id.ok() ? -*id : 0;
}

TEST(JournalRedelivery, ResumedSessionResendsAreTheSameInputs) {
  TempDir dir;
  auto journal = open_journal(dir.path / "j.db");
  ASSERT_TRUE(journal);
  std::vector<int64_t> ids;
  for (int mid = 1; mid <= 5; ++mid) ids.push_back(-receive(*journal, delivered(mid, 1, false, "p" + std::to_string(mid))));
  // The first three are done (no outputs) and their inbox rows gone.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(journal->finish_input(ids[i]).ok());
  ASSERT_EQ(journal->stats().inbox_open, 2u);

  // The broker never saw the acks of 3, 4 and 5 and resends them first, then new ones.
  EXPECT_EQ(receive(*journal, delivered(3, 2, true, "p3")), ids[2]);
  EXPECT_EQ(receive(*journal, delivered(4, 2, true, "p4")), ids[3]);
  EXPECT_EQ(receive(*journal, delivered(5, 2, true, "p5")), ids[4]);
  EXPECT_LT(receive(*journal, delivered(6, 2, true, "p6")), 0);
  EXPECT_EQ(journal->stats().inputs_redelivered, 3u);
  EXPECT_EQ(journal->stats().inputs_recorded, 6u);
  // Input 3 was done: the broker resending it lost state, maybe its outputs too, so it is
  // pending again under its own id. 4 and 5 are pending still: no second row.
  EXPECT_EQ(journal->stats().inputs_reopened, 1u);
  auto pending = journal->pending_inputs();
  ASSERT_EQ(pending->size(), 4u);
  EXPECT_EQ((*pending)[0].journal_id, ids[2]);
  EXPECT_EQ((*pending)[0].payload, "p3");
  EXPECT_EQ((*pending)[1].journal_id, ids[3]);
}

TEST(JournalRedelivery, AReopenedInputKeepsItsOutputIds) {
  TempDir dir;
  auto journal = open_journal(dir.path / "j.db");
  ASSERT_TRUE(journal);
  const int64_t id = -receive(*journal, delivered(9, 1, false, "p9"));
  Message out;
  out.bus = "up";
  out.topic = "out/a";
  out.payload = "r9";
  out.qos = 1;
  auto first = journal->add_output(id, "stream", 0, out);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(journal->finish_input(id).ok());
  ASSERT_TRUE(journal->output_acked(first->id).ok());
  ASSERT_EQ(journal->stats().inbox_open, 0u);

  auto again = journal->redelivered_input(delivered(9, 2, true, "p9"));
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_TRUE((*again)->reopened);
  auto output = journal->add_output((*again)->input_id, "stream", 0, out);
  ASSERT_TRUE(output.ok());
  EXPECT_EQ(output->output_id, first->output_id) << "consumers drop the copy by its id";
  ASSERT_TRUE(journal->finish_input(id).ok());
  ASSERT_TRUE(journal->output_acked(output->id).ok());
  EXPECT_EQ(journal->stats().inbox_open, 0u);
}

TEST(JournalRedelivery, RecognisedAfterTheNodeRestarts) {
  TempDir dir;
  int64_t id = 0;
  {
    auto journal = open_journal(dir.path / "j.db");
    ASSERT_TRUE(journal);
    receive(*journal, delivered(41, 1, false, "a"));
    id = -receive(*journal, delivered(42, 1, false, "b"));
  }  // killed before the PUBACK of 42 went out
  auto journal = open_journal(dir.path / "j.db");
  ASSERT_TRUE(journal);
  // The new process's first connection resumes the session; the broker resends 42.
  EXPECT_EQ(receive(*journal, delivered(42, 1, true, "b")), id);
  EXPECT_LT(receive(*journal, delivered(43, 1, true, "c")), 0);
}

TEST(JournalRedelivery, ANewMessageWithTheSamePayloadIsNeverSwallowed) {
  TempDir dir;
  auto journal = open_journal(dir.path / "j.db");
  ASSERT_TRUE(journal);
  const int64_t first = -receive(*journal, delivered(7, 1, false, "same"));
  ASSERT_GT(first, 0);
  // Acked before the connection dropped: the broker resends nothing, and the next
  // message, identical in topic and payload, gets the next packet id.
  const int64_t second = receive(*journal, delivered(8, 2, true, "same"));
  EXPECT_LT(second, 0);
  // Once a new message has come, nothing after it is a redelivery, not even a message
  // that matches an earlier input on every field.
  EXPECT_LT(receive(*journal, delivered(7, 2, true, "same")), 0);
  // Without a resumed session there are no redeliveries at all.
  EXPECT_LT(receive(*journal, delivered(7, 3, false, "same")), 0);
  EXPECT_EQ(journal->stats().inputs_redelivered, 0u);
  EXPECT_EQ(journal->stats().inputs_recorded, 4u);
}

TEST(JournalRedelivery, MatchesOnlyTheSameTopicPayloadAndOrder) {
  TempDir dir;
  auto journal = open_journal(dir.path / "j.db");
  ASSERT_TRUE(journal);
  for (int mid = 1; mid <= 4; ++mid) receive(*journal, delivered(mid, 1, false, "p" + std::to_string(mid)));
  // Same packet id, another payload: a new message (the broker reused the id).
  EXPECT_LT(receive(*journal, delivered(3, 2, true, "other")), 0);

  for (int mid = 10; mid <= 13; ++mid) receive(*journal, delivered(mid, 3, false, "q" + std::to_string(mid)));
  Message other_topic = delivered(12, 4, true, "q12");
  other_topic.topic = "in/b";
  EXPECT_LT(receive(*journal, other_topic), 0);

  for (int mid = 20; mid <= 23; ++mid) receive(*journal, delivered(mid, 5, false, "r" + std::to_string(mid)));
  // Redeliveries come in their original order: going back closes the window.
  EXPECT_GT(receive(*journal, delivered(22, 6, true, "r22")), 0);
  EXPECT_LT(receive(*journal, delivered(21, 6, true, "r21")), 0);
}

TEST(JournalRedelivery, OnlyTheLatestInputsBeforeTheConnectionCanBeResent) {
  TempDir dir;
  auto journal = open_journal(dir.path / "j.db", /*redelivery_span=*/2);
  ASSERT_TRUE(journal);
  for (int mid = 1; mid <= 5; ++mid) receive(*journal, delivered(mid, 1, false, "p" + std::to_string(mid)));
  // Input 3 is older than the last two: the broker cannot still have it unacknowledged.
  EXPECT_LT(receive(*journal, delivered(3, 2, true, "p3")), 0);
  for (int mid = 6; mid <= 8; ++mid) receive(*journal, delivered(mid, 3, false, "p" + std::to_string(mid)));
  EXPECT_GT(receive(*journal, delivered(7, 4, true, "p7")), 0);
  EXPECT_GT(receive(*journal, delivered(8, 4, true, "p8")), 0);
}

TEST(JournalRedelivery, MessagesWithoutAnMqttDeliveryAreAlwaysNew) {
  TempDir dir;
  auto journal = open_journal(dir.path / "j.db");
  ASSERT_TRUE(journal);
  Message zmq = delivered(0, 0, false, "z");
  EXPECT_LT(receive(*journal, zmq), 0);
  EXPECT_LT(receive(*journal, zmq), 0);
}

TEST(JournalRedelivery, AVersionOneJournalIsMigratedAndKeepsItsPendingInputs) {
  TempDir dir;
  const fs::path path = dir.path / "v1.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 = R"sql(
      PRAGMA auto_vacuum = INCREMENTAL;
      CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, finished INTEGER NOT NULL DEFAULT 0,
        bus TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL,
        retain INTEGER NOT NULL, content_type TEXT NOT NULL, expiry_s INTEGER NOT NULL,
        user_properties TEXT NOT NULL, trace_id TEXT NOT NULL, received_at_ms INTEGER NOT NULL);
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, input_id INTEGER NOT NULL,
        output_id TEXT NOT NULL UNIQUE, bus TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
        qos INTEGER NOT NULL, retain INTEGER NOT NULL, content_type TEXT NOT NULL,
        user_properties TEXT NOT NULL, trace_id TEXT NOT NULL, created_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL, size INTEGER NOT NULL);
      INSERT INTO inbox (bus, topic, payload, qos, retain, content_type, expiry_s, user_properties, trace_id,
        received_at_ms) VALUES ('site', 'in/a', 'old', 1, 0, '', 0, '[]', 't', 1);
      PRAGMA user_version = 1;)sql";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto journal = open_journal(path);
  ASSERT_TRUE(journal);
  auto pending = journal->pending_inputs();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].payload, "old");
  // The new table works on the migrated file.
  const int64_t id = -receive(*journal, delivered(1, 1, false, "new"));
  EXPECT_GT(id, 1);
  journal.reset();
  journal = open_journal(path);
  EXPECT_EQ(receive(*journal, delivered(1, 1, true, "new")), id);
}

}  // namespace
}  // namespace edgenode::bus

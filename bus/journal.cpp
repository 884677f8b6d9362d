#include "bus/journal.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "bus/sqlite_statement.h"
#include "bus/trace_id.h"

namespace edgenode::bus {
namespace {

// 2 added `deliveries`; a version 1 journal gains the table when opened (its inputs
// were recorded without packet ids, so their redeliveries are not recognised).
constexpr int kSchemaVersion = 2;

// auto_vacuum must be chosen before the first table exists.
constexpr const char* kSchema = R"sql(
PRAGMA auto_vacuum = INCREMENTAL;
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids of deleted rows never return
  finished INTEGER NOT NULL DEFAULT 0,
  bus TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
  qos INTEGER NOT NULL, retain INTEGER NOT NULL, content_type TEXT NOT NULL,
  expiry_s INTEGER NOT NULL, user_properties TEXT NOT NULL, trace_id TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  input_id INTEGER NOT NULL,
  output_id TEXT NOT NULL UNIQUE,
  bus TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
  qos INTEGER NOT NULL, retain INTEGER NOT NULL, content_type TEXT NOT NULL,
  user_properties TEXT NOT NULL, trace_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL, size INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_by_bus ON outbox(bus, id);
CREATE INDEX IF NOT EXISTS outbox_by_input ON outbox(input_id);
-- The latest input per bus and MQTT packet id, kept after the input is done, so that a
-- broker's redelivery is recognised; a reused packet id replaces its row, so a bus has at
-- most 65,535 rows.
CREATE TABLE IF NOT EXISTS deliveries (
  bus TEXT NOT NULL, packet_id INTEGER NOT NULL,
  message_hash INTEGER NOT NULL,  -- of topic and payload
  input_id INTEGER NOT NULL,
  PRIMARY KEY (bus, packet_id)) WITHOUT ROWID;
-- No index on input_id: it would cost every input a second b-tree write, while only the
-- first input of a connection looks rows up by input_id (a scan of one bus's rows).
)sql";

constexpr const char* kOutboxColumns =
    "id, input_id, output_id, bus, topic, payload, qos, retain, content_type, user_properties, trace_id, "
    "created_at_ms, expires_at_ms";

std::string properties_to_text(const UserProperties& properties) { return nlohmann::json(properties).dump(); }

UserProperties properties_from_text(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  UserProperties properties;
  if (!parsed.is_array()) return properties;
  for (const auto& pair : parsed)
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
      properties.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  return properties;
}

uint64_t output_size(const Message& m) { return m.payload.size() + m.topic.size(); }

bool has_delivery(const Message& m) { return m.delivery.connection > 0 && m.delivery.packet_id > 0; }

// FNV-1a (64 bit) of the topic's length, the topic and the payload: stable across builds,
// unlike std::hash.
int64_t message_hash(const Message& m) {
  uint64_t hash = 14695981039346656037ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  };
  const std::string length = std::to_string(m.topic.size()) + ":";
  mix(length);
  mix(m.topic);
  mix(m.payload);
  return static_cast<int64_t>(hash);
}

}  // namespace

Journal::Journal(JournalOptions options) : options_(std::move(options)) {
  if (!options_.clock) {
    options_.clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

Journal::~Journal() {
  statements_.clear();  // statements must be finalized before the connection closes
  if (db_ != nullptr) sqlite3_close(db_);
}

Result<std::unique_ptr<Journal>> Journal::open(JournalOptions options) {
  if (options.path.empty()) return bad_input("journal path is empty");
  if (options.outbox_max_messages == 0 || options.outbox_max_bytes == 0)
    return bad_input("journal outbox quota must be above zero");
  std::unique_ptr<Journal> journal(new Journal(std::move(options)));
  EDGENODE_TRY(journal->initialise());
  return journal;
}

Error Journal::sqlite_error(std::string_view what) const {
  return unavailable("journal " + options_.path + ": " + std::string(what) + ": " +
                     (db_ ? sqlite3_errmsg(db_) : "cannot open"));
}

Result<void> Journal::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return unavailable("journal " + options_.path + ": " + text);
  }
  return {};
}

Result<SqliteStatement*> Journal::statement(const char* sql) {
  auto& slot = statements_[sql];
  if (!slot) {
    slot = std::make_unique<SqliteStatement>(db_, sql);
    if (!slot->prepared()) {
      slot.reset();
      return sqlite_error("prepare");
    }
  }
  return &slot->reset();
}

Result<void> Journal::initialise() {
  if (sqlite3_open_v2(options_.path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    return sqlite_error("cannot open");
  sqlite3_busy_timeout(db_, 5000);
  // Reading the version also proves the file is an SQLite database.
  int version = 0;
  {
    SqliteStatement read_version(db_, "PRAGMA user_version");
    if (!read_version.prepared() || read_version.step() != SQLITE_ROW) return sqlite_error("not a journal");
    version = static_cast<int>(read_version.integer(0));
  }
  if (version > kSchemaVersion)
    return bad_input("journal " + options_.path + " has schema version " + std::to_string(version) +
                     ", newer than this build (" + std::to_string(kSchemaVersion) + ")");
  {
    SqliteStatement wal(db_, "PRAGMA journal_mode = WAL");
    if (!wal.prepared() || wal.step() != SQLITE_ROW || wal.text(0) != "wal")
      return sqlite_error("cannot switch to WAL mode");
  }
  EDGENODE_TRY(exec(options_.sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  EDGENODE_TRY(exec(kSchema));
  EDGENODE_TRY(exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()));
  if (version > 0 && version < kSchemaVersion)
    spdlog::info("journal_migrated path={} from_version={} to_version={}", options_.path, version, kSchemaVersion);
  reload_counters();
  return {};
}

void Journal::reload_counters() {
  SqliteStatement outbox(db_, "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox");
  if (outbox.prepared() && outbox.step() == SQLITE_ROW) {
    stats_.outbox_messages = static_cast<uint64_t>(outbox.integer(0));
    stats_.outbox_bytes = static_cast<uint64_t>(outbox.integer(1));
  }
  SqliteStatement inbox(db_, "SELECT COUNT(*) FROM inbox");
  if (inbox.prepared() && inbox.step() == SQLITE_ROW) stats_.inbox_open = static_cast<uint64_t>(inbox.integer(0));
}

template <class F>
Result<void> Journal::in_transaction(F&& body) {
  auto begin = statement("BEGIN IMMEDIATE");  // cached: transactions are on the hot path
  if (!begin) return begin.error();
  if ((*begin)->step() != SQLITE_DONE) return sqlite_error("begin transaction");
  Result<void> result = body();
  if (result.ok()) {
    auto commit = statement("COMMIT");
    if (!commit) result = commit.error();
    else if ((*commit)->step() != SQLITE_DONE) result = sqlite_error("commit");
  }
  if (!result.ok()) {
    (void)exec("ROLLBACK");
    reload_counters();
  }
  return result;
}

int64_t Journal::now_ms() const { return options_.clock(); }

std::string Journal::stable_output_id(int64_t input_id, std::string_view pipeline, int seq) {
  return std::to_string(input_id) + "/" + std::string(pipeline) + "/" + std::to_string(seq);
}

// ---- inbox ----

Result<Journal::RedeliveryWindow*> Journal::window_for(const Message& m) {
  RedeliveryWindow& window = windows_[m.bus];
  if (window.connection == m.delivery.connection) return &window;
  window = RedeliveryWindow{};
  window.connection = m.delivery.connection;
  // Only a resumed session gets redeliveries.
  if (!m.delivery.session_resumed) return &window;
  auto last = statement("SELECT COALESCE(MAX(input_id), 0) FROM deliveries WHERE bus = ?");
  if (!last) return last.error();
  if ((*last)->bind(1, m.bus).step() != SQLITE_ROW) return sqlite_error("read deliveries");
  window.last_before_id = (*last)->integer(0);
  (*last)->reset();
  auto floor = statement("SELECT input_id FROM deliveries WHERE bus = ? ORDER BY input_id DESC LIMIT 1 OFFSET ?");
  if (!floor) return floor.error();
  const int rc = (*floor)->bind(1, m.bus).bind(2, static_cast<int64_t>(options_.redelivery_span) - 1).step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_error("read deliveries");
  window.floor_id = rc == SQLITE_ROW ? (*floor)->integer(0) : 0;
  (*floor)->reset();
  window.open = window.last_before_id > 0;
  return &window;
}

Result<std::optional<Journal::Redelivery>> Journal::redelivered_input(const Message& m) {
  using Found = std::optional<Redelivery>;
  if (!has_delivery(m)) return Found{};
  std::lock_guard lock(mutex_);
  auto window = window_for(m);
  if (!window) return window.error();
  RedeliveryWindow& w = **window;
  if (!w.open) return Found{};
  auto row = statement("SELECT message_hash, input_id FROM deliveries WHERE bus = ? AND packet_id = ?");
  if (!row) return row.error();
  const int rc = (*row)->bind(1, m.bus).bind(2, int64_t{m.delivery.packet_id}).step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_error("read deliveries");
  const bool found = rc == SQLITE_ROW;
  const int64_t hash = found ? (*row)->integer(0) : 0, input_id = found ? (*row)->integer(1) : 0;
  (*row)->reset();
  // The broker resends what it has not seen acknowledged first, in the original order; so
  // the first message that is not the next of those is new, and so is all that follows.
  if (!found || hash != message_hash(m) || input_id <= w.last_matched_id || input_id < w.floor_id ||
      input_id > w.last_before_id) {
    w.open = false;
    return Found{};
  }
  w.last_matched_id = input_id;
  if (input_id == w.last_before_id) w.open = false;  // nothing older is left to resend
  auto pending = statement("SELECT 1 FROM inbox WHERE id = ?");
  if (!pending) return pending.error();
  const int pending_rc = (*pending)->bind(1, input_id).step();
  (*pending)->reset();
  if (pending_rc != SQLITE_ROW && pending_rc != SQLITE_DONE) return sqlite_error("read inbox");
  Redelivery redelivery{input_id, pending_rc == SQLITE_DONE};
  if (redelivery.reopened) {
    auto reopen = statement(
        "INSERT INTO inbox (id, bus, topic, payload, qos, retain, content_type, expiry_s, user_properties, trace_id, "
        "received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!reopen) return reopen.error();
    (*reopen)->bind(1, input_id).bind(2, m.bus).bind(3, m.topic).bind_blob(4, m.payload).bind(5, int64_t{m.qos})
        .bind(6, int64_t{m.retain}).bind(7, m.content_type).bind(8, int64_t{m.expiry_s})
        .bind(9, properties_to_text(m.user_properties)).bind(10, m.trace_id).bind(11, m.received_at_ms);
    if ((*reopen)->step() != SQLITE_DONE) return sqlite_error("reopen input");
    ++stats_.inbox_open;
    ++stats_.inputs_reopened;
  }
  ++stats_.inputs_redelivered;
  return Found{redelivery};
}

Result<int64_t> Journal::record_input(const Message& m) {
  std::lock_guard lock(mutex_);
  const bool keep_delivery = has_delivery(m);
  if (keep_delivery) {
    auto window = window_for(m);
    if (!window) return window.error();
    (*window)->open = false;  // a new input: the redeliveries, if any, are over
  }
  int64_t id = 0;
  auto stored = in_transaction([&]() -> Result<void> {
    auto insert = statement(
        "INSERT INTO inbox (bus, topic, payload, qos, retain, content_type, expiry_s, user_properties, trace_id, "
        "received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    (*insert)->bind(1, m.bus).bind(2, m.topic).bind_blob(3, m.payload).bind(4, int64_t{m.qos})
        .bind(5, int64_t{m.retain}).bind(6, m.content_type).bind(7, int64_t{m.expiry_s})
        .bind(8, properties_to_text(m.user_properties)).bind(9, m.trace_id).bind(10, m.received_at_ms);
    if ((*insert)->step() != SQLITE_DONE) return sqlite_error("record input");
    id = static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
    if (!keep_delivery) return {};
    auto delivery = statement(
        "INSERT OR REPLACE INTO deliveries (bus, packet_id, message_hash, input_id) VALUES (?, ?, ?, ?)");
    if (!delivery) return delivery.error();
    (*delivery)->bind(1, m.bus).bind(2, int64_t{m.delivery.packet_id}).bind(3, message_hash(m)).bind(4, id);
    if ((*delivery)->step() != SQLITE_DONE) return sqlite_error("record delivery");
    return {};
  });
  if (!stored.ok()) return stored.error();
  ++stats_.inputs_recorded;
  ++stats_.inbox_open;
  return id;
}

namespace {
// An inbox row selected as: id, bus, topic, payload, qos, retain, content_type, expiry_s,
// user_properties, trace_id, received_at_ms.
Message input_from_row(SqliteStatement& s) {
  Message m;
  m.journal_id = s.integer(0);
  m.bus = s.text(1);
  m.topic = s.text(2);
  m.payload = s.text(3);
  m.qos = static_cast<int>(s.integer(4));
  m.retain = s.integer(5) != 0;
  m.content_type = s.text(6);
  m.expiry_s = static_cast<uint32_t>(s.integer(7));
  m.user_properties = properties_from_text(s.text(8));
  m.trace_id = s.text(9);
  m.received_at_ms = s.integer(10);
  return m;
}
}  // namespace

Result<std::vector<Message>> Journal::pending_inputs() {
  std::lock_guard lock(mutex_);
  auto select = statement(
      "SELECT id, bus, topic, payload, qos, retain, content_type, expiry_s, user_properties, trace_id, "
      "received_at_ms FROM inbox WHERE finished = 0 ORDER BY id");
  if (!select) return select.error();
  std::vector<Message> inputs;
  int rc;
  while ((rc = (*select)->step()) == SQLITE_ROW) inputs.push_back(input_from_row(**select));
  if (rc != SQLITE_DONE) return sqlite_error("read pending inputs");
  return inputs;
}

Result<std::optional<Message>> Journal::input(int64_t input_id) {
  std::lock_guard lock(mutex_);
  auto select = statement(
      "SELECT id, bus, topic, payload, qos, retain, content_type, expiry_s, user_properties, trace_id, "
      "received_at_ms FROM inbox WHERE id = ?");
  if (!select) return select.error();
  const int rc = (*select)->bind(1, input_id).step();
  if (rc == SQLITE_DONE) return std::optional<Message>();
  if (rc != SQLITE_ROW) return sqlite_error("read an input");
  std::optional<Message> input(input_from_row(**select));
  // Left on its row, the statement would keep a read open on the inbox (compact() then
  // fails with "database table is locked").
  (*select)->reset();
  return input;
}

Result<void> Journal::finish_input(int64_t input_id) {
  std::lock_guard lock(mutex_);
  return in_transaction([&]() -> Result<void> {
    auto update = statement("UPDATE inbox SET finished = 1 WHERE id = ?");
    if (!update) return update.error();
    if ((*update)->bind(1, input_id).step() != SQLITE_DONE) return sqlite_error("finish input");
    return complete_if_done(input_id);
  });
}

Result<void> Journal::complete_if_done(int64_t input_id) {
  if (input_id <= 0) return {};
  auto open_outputs = statement("SELECT 1 FROM outbox WHERE input_id = ? LIMIT 1");
  if (!open_outputs) return open_outputs.error();
  int rc = (*open_outputs)->bind(1, input_id).step();
  (*open_outputs)->reset();  // a statement left on a row would hold a read snapshot open
  if (rc == SQLITE_ROW) return {};
  if (rc != SQLITE_DONE) return sqlite_error("check outputs");
  auto remove = statement("DELETE FROM inbox WHERE id = ? AND finished = 1");
  if (!remove) return remove.error();
  if ((*remove)->bind(1, input_id).step() != SQLITE_DONE) return sqlite_error("complete input");
  if (sqlite3_changes(db_) > 0) {
    ++stats_.inputs_done;
    if (stats_.inbox_open > 0) --stats_.inbox_open;
  }
  return {};
}

// ---- outbox ----

Result<OutboxEntry> Journal::add_output(int64_t input_id, std::string_view pipeline, int seq, const Message& message) {
  std::lock_guard lock(mutex_);
  OutboxEntry entry;
  entry.input_id = input_id;
  // Outputs that belong to no input (telemetry, status) cannot be replayed, so any
  // unique id serves.
  entry.output_id = input_id > 0 ? stable_output_id(input_id, pipeline, seq)
                                 : "0/" + std::string(pipeline) + "/" + random_trace_id();
  entry.message = message;
  bool has_id = false;
  for (const auto& [key, value] : message.user_properties) has_id = has_id || key == "output_id";
  if (!has_id) entry.message.user_properties.emplace_back("output_id", entry.output_id);
  entry.created_at_ms = now_ms();
  entry.expires_at_ms = message.expiry_s > 0 ? entry.created_at_ms + int64_t{message.expiry_s} * 1000 : 0;
  const uint64_t size = output_size(message);
  if (size > options_.outbox_max_bytes)
    return bad_input("output of " + std::to_string(size) + " bytes is larger than the outbox quota of " +
                     std::to_string(options_.outbox_max_bytes) + " bytes");

  auto result = in_transaction([&]() -> Result<void> {
    auto existing = statement("SELECT id FROM outbox WHERE output_id = ?");
    if (!existing) return existing.error();
    if ((*existing)->bind(1, entry.output_id).step() == SQLITE_ROW) {
      entry.id = (*existing)->integer(0);
      (*existing)->reset();
      return {};
    }
    EDGENODE_TRY(apply_quota(size));
    auto insert = statement(
        "INSERT INTO outbox (input_id, output_id, bus, topic, payload, qos, retain, content_type, user_properties, "
        "trace_id, created_at_ms, expires_at_ms, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert) return insert.error();
    const Message& m = entry.message;
    (*insert)->bind(1, input_id).bind(2, entry.output_id).bind(3, m.bus).bind(4, m.topic).bind_blob(5, m.payload)
        .bind(6, int64_t{m.qos}).bind(7, int64_t{m.retain}).bind(8, m.content_type)
        .bind(9, properties_to_text(m.user_properties)).bind(10, m.trace_id).bind(11, entry.created_at_ms)
        .bind(12, entry.expires_at_ms).bind(13, static_cast<int64_t>(size));
    if ((*insert)->step() != SQLITE_DONE) return sqlite_error("add output");
    entry.id = static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
    ++stats_.outbox_messages;
    stats_.outbox_bytes += size;
    return {};
  });
  if (!result.ok()) return result.error();
  return entry;
}

Result<void> Journal::apply_quota(uint64_t bytes) {
  while (stats_.outbox_messages > 0 && (stats_.outbox_messages + 1 > options_.outbox_max_messages ||
                                        stats_.outbox_bytes + bytes > options_.outbox_max_bytes)) {
    if (options_.on_full == JournalOptions::OnFull::block)
      return unavailable("journal outbox full: " + std::to_string(stats_.outbox_messages) + " messages, " +
                         std::to_string(stats_.outbox_bytes) + " bytes (quota " +
                         std::to_string(options_.outbox_max_messages) + " messages, " +
                         std::to_string(options_.outbox_max_bytes) + " bytes)");
    auto oldest = statement("SELECT id, input_id, size FROM outbox ORDER BY id LIMIT 1");
    if (!oldest) return oldest.error();
    if ((*oldest)->step() != SQLITE_ROW) break;
    const int64_t id = (*oldest)->integer(0), input_id = (*oldest)->integer(1);
    const auto size = static_cast<uint64_t>((*oldest)->integer(2));
    (*oldest)->reset();
    EDGENODE_TRY(delete_output(id, input_id, size));
    ++stats_.outbox_dropped;
  }
  return {};
}

Result<void> Journal::delete_output(int64_t outbox_id, int64_t input_id, uint64_t size) {
  auto remove = statement("DELETE FROM outbox WHERE id = ?");
  if (!remove) return remove.error();
  if ((*remove)->bind(1, outbox_id).step() != SQLITE_DONE) return sqlite_error("delete output");
  if (sqlite3_changes(db_) == 0) return {};
  if (stats_.outbox_messages > 0) --stats_.outbox_messages;
  stats_.outbox_bytes -= std::min(stats_.outbox_bytes, size);
  return complete_if_done(input_id);
}

Result<std::vector<OutboxEntry>> Journal::outputs_for_bus(const std::string& bus, int64_t after_id,
                                                          std::size_t limit) {
  std::lock_guard lock(mutex_);
  const int64_t now = now_ms();
  auto dropped = in_transaction([&]() -> Result<void> {
    auto expired = statement("SELECT id, input_id, size FROM outbox WHERE expires_at_ms > 0 AND expires_at_ms <= ?");
    if (!expired) return expired.error();
    std::vector<std::tuple<int64_t, int64_t, uint64_t>> victims;
    (*expired)->bind(1, now);
    while ((*expired)->step() == SQLITE_ROW)
      victims.emplace_back((*expired)->integer(0), (*expired)->integer(1),
                           static_cast<uint64_t>((*expired)->integer(2)));
    (*expired)->reset();
    for (const auto& [id, input_id, size] : victims) {
      EDGENODE_TRY(delete_output(id, input_id, size));
      ++stats_.outbox_expired;
    }
    return {};
  });
  if (!dropped.ok()) return dropped.error();

  static const std::string sql =
      std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE bus = ? AND id > ? ORDER BY id LIMIT ?";
  auto select = statement(sql.c_str());
  if (!select) return select.error();
  (*select)->bind(1, bus).bind(2, after_id).bind(3, static_cast<int64_t>(limit));
  std::vector<OutboxEntry> entries;
  int rc;
  while ((rc = (*select)->step()) == SQLITE_ROW) {
    auto& s = **select;
    OutboxEntry e;
    e.id = s.integer(0);
    e.input_id = s.integer(1);
    e.output_id = s.text(2);
    e.message.bus = s.text(3);
    e.message.topic = s.text(4);
    e.message.payload = s.text(5);
    e.message.qos = static_cast<int>(s.integer(6));
    e.message.retain = s.integer(7) != 0;
    e.message.content_type = s.text(8);
    e.message.user_properties = properties_from_text(s.text(9));
    e.message.trace_id = s.text(10);
    e.created_at_ms = s.integer(11);
    e.expires_at_ms = s.integer(12);
    // What is left of the expiry interval, rounded up so it never reads as "none".
    if (e.expires_at_ms > 0) e.message.expiry_s = static_cast<uint32_t>((e.expires_at_ms - now + 999) / 1000);
    entries.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite_error("read outputs");
  return entries;
}

Result<void> Journal::output_acked(int64_t outbox_id) { return outputs_acked({outbox_id}); }

Result<void> Journal::outputs_acked(const std::vector<int64_t>& outbox_ids) {
  if (outbox_ids.empty()) return {};
  std::lock_guard lock(mutex_);
  return in_transaction([&]() -> Result<void> {
    for (int64_t outbox_id : outbox_ids) {
      auto row = statement("SELECT input_id, size FROM outbox WHERE id = ?");
      if (!row) return row.error();
      if ((*row)->bind(1, outbox_id).step() != SQLITE_ROW) continue;
      const int64_t input_id = (*row)->integer(0);
      const auto size = static_cast<uint64_t>((*row)->integer(1));
      (*row)->reset();
      EDGENODE_TRY(delete_output(outbox_id, input_id, size));
    }
    return {};
  });
}

bool Journal::outbox_full() const {
  std::lock_guard lock(mutex_);
  return stats_.outbox_messages >= options_.outbox_max_messages || stats_.outbox_bytes >= options_.outbox_max_bytes;
}

Result<void> Journal::compact() {
  std::lock_guard lock(mutex_);
  EDGENODE_TRY(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return exec("PRAGMA incremental_vacuum");
}

JournalStats Journal::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace edgenode::bus

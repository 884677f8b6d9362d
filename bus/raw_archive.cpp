// One table, written by one thread: entries queue in memory, and the writer inserts each
// batch in one transaction (synchronous = NORMAL: an archive is a convenience for people,
// not a delivery guarantee, so a power cut may lose the last batch but never corrupts the
// file). After each batch, retention deletes from the oldest end.
#include "bus/raw_archive.h"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "bus/sqlite_statement.h"

namespace edgenode::bus {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS archive (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at_ms INTEGER NOT NULL,
  pipeline TEXT NOT NULL,
  bus TEXT NOT NULL,
  topic TEXT NOT NULL,
  stage TEXT NOT NULL,
  reason TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS archive_sha256 ON archive (sha256);
CREATE INDEX IF NOT EXISTS archive_received ON archive (received_at_ms);
)sql";

// Entries written per transaction at most; a batch holds what queued while the last one ran.
constexpr size_t kBatchMax = 512;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string sqlite_error(sqlite3* db, const std::string& what) {
  return what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

}  // namespace

struct RawArchive::State {
  RawArchiveOptions options;
  sqlite3* db = nullptr;

  mutable std::mutex mutex;
  std::condition_variable wake, written;
  std::deque<ArchiveEntry> queue;
  uint64_t queued_total = 0, written_total = 0;  // entries ever queued / ever taken by the writer
  bool stopping = false;
  RawArchiveStats stats;
  std::thread writer;

  ~State() { sqlite3_close(db); }

  bool exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

  Result<void> open() {
    if (sqlite3_open_v2(options.path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      return internal_error(sqlite_error(db, "cannot open archive " + options.path));
    sqlite3_busy_timeout(db, 5000);
    if (!exec("PRAGMA journal_mode = WAL") || !exec("PRAGMA synchronous = NORMAL") || !exec(kSchema))
      return internal_error(sqlite_error(db, "cannot set up archive " + options.path));
    SqliteStatement totals(db, "SELECT count(*), coalesce(sum(size), 0) FROM archive");
    if (!totals.prepared() || totals.step() != SQLITE_ROW)
      return internal_error(sqlite_error(db, "cannot read archive " + options.path));
    stats.entries = static_cast<uint64_t>(totals.integer(0));
    stats.bytes = static_cast<uint64_t>(totals.integer(1));
    return {};
  }

  void run_writer() {
    SqliteStatement insert(db,
                           "INSERT INTO archive (received_at_ms, pipeline, bus, topic, stage, reason, sha256, size, "
                           "payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    std::vector<ArchiveEntry> batch;
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything is written
      batch.clear();
      while (!queue.empty() && batch.size() < kBatchMax) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      lock.unlock();
      const uint64_t written_bytes = write(insert, batch);
      lock.lock();
      written_total += batch.size();
      if (written_bytes == UINT64_MAX) {
        stats.dropped += batch.size();
      } else {
        stats.kept += batch.size();
        stats.entries += batch.size();
        stats.bytes += written_bytes;
        lock.unlock();
        prune();
        lock.lock();
      }
      written.notify_all();
    }
  }

  // The batch's payload bytes, or UINT64_MAX when it could not be written.
  uint64_t write(SqliteStatement& insert, const std::vector<ArchiveEntry>& batch) {
    if (!insert.prepared() || !exec("BEGIN")) {
      spdlog::error("archive_write_failed path={} error=\"{}\"", options.path, sqlite3_errmsg(db));
      return UINT64_MAX;
    }
    uint64_t bytes = 0;
    for (const ArchiveEntry& e : batch) {
      insert.reset()
          .bind(1, e.received_at_ms)
          .bind(2, e.pipeline)
          .bind(3, e.bus)
          .bind(4, e.topic)
          .bind(5, e.stage)
          .bind(6, e.reason)
          .bind(7, e.sha256)
          .bind(8, static_cast<int64_t>(e.payload.size()))
          .bind_blob(9, e.payload);
      if (insert.step() != SQLITE_DONE) {
        spdlog::error("archive_write_failed path={} error=\"{}\"", options.path, sqlite3_errmsg(db));
        exec("ROLLBACK");
        return UINT64_MAX;
      }
      bytes += e.payload.size();
    }
    if (!exec("COMMIT")) {
      spdlog::error("archive_write_failed path={} error=\"{}\"", options.path, sqlite3_errmsg(db));
      exec("ROLLBACK");
      return UINT64_MAX;
    }
    return bytes;
  }

  // Deletes entries older than max_age, then the oldest ones while the payloads exceed
  // max_bytes. Runs on the writer thread only.
  void prune() {
    uint64_t removed_entries = 0, removed_bytes = 0;
    auto run = [&](SqliteStatement& statement) {
      if (statement.step() != SQLITE_DONE)
        spdlog::error("archive_prune_failed path={} error=\"{}\"", options.path, sqlite3_errmsg(db));
    };
    if (options.max_age_ms > 0) {
      // By arrival time, not by id: a replayed input may be older than entries before it.
      const int64_t cutoff = now_ms() - options.max_age_ms;
      SqliteStatement old(db, "SELECT count(*), coalesce(sum(size), 0) FROM archive WHERE received_at_ms < ?1");
      old.bind(1, cutoff);
      if (old.step() == SQLITE_ROW && old.integer(0) > 0) {
        removed_entries += static_cast<uint64_t>(old.integer(0));
        removed_bytes += static_cast<uint64_t>(old.integer(1));
        SqliteStatement remove(db, "DELETE FROM archive WHERE received_at_ms < ?1");
        remove.bind(1, cutoff);
        run(remove);
      }
    }
    uint64_t held_bytes;
    {
      std::lock_guard lock(mutex);
      held_bytes = stats.bytes - removed_bytes;
    }
    if (held_bytes > options.max_bytes) {
      // The oldest entries whose sizes add up to the excess, found by a running sum.
      const uint64_t excess = held_bytes - options.max_bytes;
      uint64_t freed = 0;
      int64_t last_id = -1;
      {
        SqliteStatement oldest(db, "SELECT id, size FROM archive ORDER BY id");
        while (freed < excess && oldest.step() == SQLITE_ROW) {
          last_id = oldest.integer(0);
          freed += static_cast<uint64_t>(oldest.integer(1));
          ++removed_entries;
        }
      }  // the read ends before the delete
      removed_bytes += freed;
      if (last_id >= 0) {
        SqliteStatement remove(db, "DELETE FROM archive WHERE id <= ?1");
        remove.bind(1, last_id);
        run(remove);
      }
    }
    if (removed_entries == 0) return;
    std::lock_guard lock(mutex);
    stats.entries -= removed_entries;
    stats.bytes -= removed_bytes;
    stats.pruned += removed_entries;
  }
};

RawArchive::RawArchive(std::unique_ptr<State> state) : state_(std::move(state)) {
  state_->writer = std::thread([s = state_.get()] { s->run_writer(); });
}

Result<std::unique_ptr<RawArchive>> RawArchive::open(RawArchiveOptions options) {
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  EDGENODE_TRY(state->open());
  return std::unique_ptr<RawArchive>(new RawArchive(std::move(state)));
}

RawArchive::~RawArchive() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_one();
  state_->writer.join();
}

void RawArchive::keep(ArchiveEntry entry) {
  std::lock_guard lock(state_->mutex);
  if (state_->queue.size() >= state_->options.queue_max) {
    ++state_->stats.dropped;
    return;
  }
  state_->queue.push_back(std::move(entry));
  ++state_->queued_total;
  state_->wake.notify_one();
}

void RawArchive::flush() {
  std::unique_lock lock(state_->mutex);
  const uint64_t target = state_->queued_total;
  state_->written.wait(lock, [&] { return state_->written_total >= target; });
}

RawArchiveStats RawArchive::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

Result<std::vector<ArchiveEntry>> read_archive(const std::string& path, const ArchiveQuery& query) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> closer(db, sqlite3_close);
  if (rc != SQLITE_OK) return bad_input(sqlite_error(db, "cannot open archive " + path));
  sqlite3_busy_timeout(db, 5000);
  SqliteStatement select(db,
                         "SELECT id, received_at_ms, pipeline, bus, topic, stage, reason, sha256, size, "
                         "CASE WHEN ?5 THEN payload ELSE x'' END FROM archive "
                         "WHERE (?1 = '' OR pipeline = ?1) AND (?2 = '' OR substr(sha256, 1, length(?2)) = ?2) "
                         "AND received_at_ms >= ?3 ORDER BY id DESC LIMIT ?4");
  if (!select.prepared()) return bad_input(sqlite_error(db, path + " is not an edgenode archive"));
  select.bind(1, query.pipeline)
      .bind(2, query.sha256)
      .bind(3, query.since_ms)
      .bind(4, static_cast<int64_t>(query.limit))
      .bind(5, int64_t{query.with_payload});
  std::vector<ArchiveEntry> entries;
  int step;
  while ((step = select.step()) == SQLITE_ROW) {
    ArchiveEntry& e = entries.emplace_back();
    e.id = select.integer(0);
    e.received_at_ms = select.integer(1);
    e.pipeline = select.text(2);
    e.bus = select.text(3);
    e.topic = select.text(4);
    e.stage = select.text(5);
    e.reason = select.text(6);
    e.sha256 = select.text(7);
    e.size = static_cast<uint64_t>(select.integer(8));
    e.payload = select.text(9);
  }
  if (step != SQLITE_DONE) return bad_input(sqlite_error(db, "cannot read archive " + path));
  return entries;
}

}  // namespace edgenode::bus

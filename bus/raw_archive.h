// The local raw archive: input payloads kept on the node's own disk, never published.
// Dead-letters and telemetry carry only a payload's SHA-256; a technician looks the payload
// up here (`edgenode archive`). Entries are written by one background thread in batches, so
// a pipeline never waits on the disk: when the write queue is full an entry is dropped and
// counted. Retention removes the oldest entries beyond a byte budget or an age.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace edgenode::bus {

struct ArchiveEntry {
  int64_t id = 0;              // set by the archive, increasing
  int64_t received_at_ms = 0;  // when the input arrived (unix ms)
  std::string pipeline;
  std::string bus;
  std::string topic;
  std::string stage;   // the stage that failed it; empty for an input kept as it came
  std::string reason;  // why it failed; empty for an input kept as it came
  std::string sha256;  // of the payload, hex
  uint64_t size = 0;   // payload bytes (read back even when the payload is not)
  std::string payload;
};

struct RawArchiveOptions {
  std::string path;
  uint64_t max_bytes = 64ull << 20;  // payload bytes kept
  int64_t max_age_ms = 0;            // 0: no age limit
  size_t queue_max = 4096;           // entries waiting for the writer
};

struct RawArchiveStats {
  uint64_t entries = 0, bytes = 0;  // held now
  uint64_t kept = 0;                // written since start
  uint64_t pruned = 0;              // removed by retention since start
  uint64_t dropped = 0;             // not written: queue full or a write error
};

class RawArchive {
 public:
  // Opens or creates the file (SQLite, WAL) and starts the writer.
  static Result<std::unique_ptr<RawArchive>> open(RawArchiveOptions options);
  ~RawArchive();  // writes what is queued, then closes
  RawArchive(const RawArchive&) = delete;
  RawArchive& operator=(const RawArchive&) = delete;

  // Queues an entry (its sha256 filled in by the caller); never blocks.
  void keep(ArchiveEntry entry);
  // Returns once everything queued before the call is on disk.
  void flush();
  RawArchiveStats stats() const;

 private:
  struct State;
  explicit RawArchive(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct ArchiveQuery {
  std::string pipeline = {};  // empty: all
  std::string sha256 = {};    // empty: all; else entries with this hash (a prefix of 8+ hex digits is enough)
  int64_t since_ms = 0;  // received at or after
  size_t limit = 100;    // newest first
  bool with_payload = false;
};

// Reads an archive file (opened read-only, so a running node may be writing it).
Result<std::vector<ArchiveEntry>> read_archive(const std::string& path, const ArchiveQuery& query);

}  // namespace edgenode::bus

#include "bus/raw_archive.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "support/temp_dir.h"

namespace edgenode::bus {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

ArchiveEntry entry(std::string pipeline, std::string payload, int64_t received_at_ms, std::string sha256) {
  ArchiveEntry e;
  e.received_at_ms = received_at_ms;
  e.pipeline = std::move(pipeline);
  e.bus = "default";
  e.topic = "factory/line1/vibration";
  e.sha256 = std::move(sha256);
  e.payload = std::move(payload);
  return e;
}

std::string path_in(const testing::TempDir& dir) { return (dir.path / "archive.db").string(); }

TEST(RawArchive, KeepsPayloadBytesAndFindsThemByHashPrefix) {
  testing::TempDir dir;
  auto archive = RawArchive::open({.path = path_in(dir)});
  ASSERT_TRUE(archive) << archive.error().message;
  const std::string binary("\x00\xff{\"rms\":", 8);
  ArchiveEntry failed = entry("triage", binary, now_ms(), "ab12cd34ef");
  failed.stage = "decode";
  failed.reason = "invalid JSON at byte 0";
  (*archive)->keep(failed);
  (*archive)->keep(entry("triage", "{\"rms\":1}", now_ms(), "9999aaaa00"));
  (*archive)->flush();

  auto found = read_archive(path_in(dir), {.sha256 = "ab12cd34", .with_payload = true});
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].payload, binary);  // NUL and 0xFF bytes survive
  EXPECT_EQ((*found)[0].size, binary.size());
  EXPECT_EQ((*found)[0].stage, "decode");
  EXPECT_EQ((*found)[0].reason, "invalid JSON at byte 0");
  EXPECT_EQ((*found)[0].topic, "factory/line1/vibration");

  auto all = read_archive(path_in(dir), {});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_GT((*all)[0].id, (*all)[1].id);  // newest first
  EXPECT_TRUE((*all)[0].payload.empty());  // not asked for
  EXPECT_EQ((*archive)->stats().kept, 2u);
  EXPECT_EQ((*archive)->stats().entries, 2u);
}

TEST(RawArchive, RetentionRemovesTheOldestBeyondTheByteBudget) {
  testing::TempDir dir;
  auto archive = RawArchive::open({.path = path_in(dir), .max_bytes = 1000});
  ASSERT_TRUE(archive);
  for (int i = 0; i < 30; ++i) {
    (*archive)->keep(entry("p", std::string(100, static_cast<char>('a' + i % 26)), now_ms(), std::to_string(1000 + i)));
    (*archive)->flush();  // one batch each, so retention runs between them
  }
  const RawArchiveStats stats = (*archive)->stats();
  EXPECT_EQ(stats.kept, 30u);
  EXPECT_EQ(stats.entries, 10u);
  EXPECT_EQ(stats.bytes, 1000u);
  EXPECT_EQ(stats.pruned, 20u);
  auto left = read_archive(path_in(dir), {});
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 10u);
  EXPECT_EQ(left->back().sha256, "1020");  // the ten newest remain
  EXPECT_EQ(left->front().sha256, "1029");
}

TEST(RawArchive, RetentionRemovesEntriesOlderThanMaxAge) {
  testing::TempDir dir;
  auto archive = RawArchive::open({.path = path_in(dir), .max_age_ms = 60'000});
  ASSERT_TRUE(archive);
  // An old input may arrive after newer ones (a replay): age goes by arrival time, not by order.
  (*archive)->keep(entry("p", "new", now_ms(), "01"));
  (*archive)->keep(entry("p", "old", now_ms() - 120'000, "02"));
  (*archive)->keep(entry("p", "newer", now_ms(), "03"));
  (*archive)->flush();
  auto left = read_archive(path_in(dir), {.with_payload = true});
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].payload, "newer");
  EXPECT_EQ((*left)[1].payload, "new");
  const RawArchiveStats stats = (*archive)->stats();
  EXPECT_EQ(stats.pruned, 1u);
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(stats.bytes, 8u);
}

TEST(RawArchive, ReopeningCountsWhatTheFileHolds) {
  testing::TempDir dir;
  {
    auto archive = RawArchive::open({.path = path_in(dir)});
    ASSERT_TRUE(archive);
    (*archive)->keep(entry("p", "12345", now_ms(), "01"));
  }  // closing writes what is queued
  auto again = RawArchive::open({.path = path_in(dir)});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->stats().entries, 1u);
  EXPECT_EQ((*again)->stats().bytes, 5u);
}

TEST(RawArchive, AFullQueueDropsAndCountsInsteadOfWaiting) {
  testing::TempDir dir;
  auto archive = RawArchive::open({.path = path_in(dir), .queue_max = 4});
  ASSERT_TRUE(archive);
  for (int i = 0; i < 2000; ++i) (*archive)->keep(entry("p", std::string(64, 'x'), now_ms(), "01"));
  (*archive)->flush();
  const RawArchiveStats stats = (*archive)->stats();
  EXPECT_EQ(stats.kept + stats.dropped, 2000u);
  EXPECT_GT(stats.dropped, 0u);  // the writer cannot take 2,000 in the time keep() queues them
}

TEST(RawArchive, ErrorsNameTheFile) {
  testing::TempDir dir;
  auto missing_dir = RawArchive::open({.path = (dir.path / "no/such/dir/archive.db").string()});
  ASSERT_FALSE(missing_dir);
  EXPECT_NE(missing_dir.error().message.find("no/such/dir/archive.db"), std::string::npos);
  auto absent = read_archive((dir.path / "absent.db").string(), {});
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().message.find("absent.db"), std::string::npos);
}

}  // namespace
}  // namespace edgenode::bus

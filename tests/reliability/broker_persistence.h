// Waiting for a test broker's persistence to reach the disk, before it is killed.
#pragma once

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/mosquitto_broker.h"

namespace edgenode::testing {

// Waits until the broker's persistence file was saved after `since` (it saves every
// second, or on every change), so what the broker held before `since` (sessions, queued
// and in-flight messages) survives a kill -9.
inline bool wait_for_broker_save(const MosquittoBroker& broker, std::filesystem::file_time_type since) {
  const auto store = broker.dir() / "persistence" / "mosquitto.db";
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    std::error_code error;
    const auto saved = std::filesystem::last_write_time(store, error);
    if (!error && saved > since) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a file's mtime has no change event to wait on
  }
  return false;
}

}  // namespace edgenode::testing

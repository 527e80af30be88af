// A single-producer, single-consumer byte ring in POSIX shared memory: the receive side of one
// directed shm link. The receiver creates it and the sender maps it by name.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace hccl {

struct ShmRingHeader {
  static constexpr uint64_t kMagic = 0x68636366726e6731ull;  // identifies a mapped ring
  alignas(64) std::atomic<uint64_t> head;  // bytes ever written (producer)
  alignas(64) std::atomic<uint64_t> tail;  // bytes ever read (consumer)
  alignas(64) uint64_t magic;
  uint64_t capacity;
};
static_assert(sizeof(ShmRingHeader) <= 256, "ring header must fit its reserved space");

class ShmRing {
 public:
  static constexpr size_t kDataOffset = 4096;  // keeps the data page-aligned

  ShmRing() = default;
  ShmRing(const ShmRing&) = delete;
  ShmRing& operator=(const ShmRing&) = delete;
  ~ShmRing();

  // Creates a new ring of `capacity` bytes (a multiple of 4096) under a fresh name.
  Status create(const std::string& name, size_t capacity);
  // Maps a ring another process created; checks its header.
  Status open(const std::string& name);
  // Removes the name; the mapping stays valid for both sides.
  void unlink();

  const std::string& name() const { return name_; }
  ShmRingHeader* header() const { return header_; }
  char* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  std::string name_;
  bool owner_ = false;
  void* base_ = nullptr;
  size_t mapped_ = 0;
  ShmRingHeader* header_ = nullptr;
  char* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace hccl

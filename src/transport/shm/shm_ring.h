// A single-producer, single-consumer byte ring in POSIX shared memory: the receive side of one
// directed shm link. The receiver creates it and the sender maps it by name.
//
// Beside the bytes, a ring of cache lines for small writes: each line carries up to 48 bytes,
// where they fall in the stream (after how many ring bytes), and a stamp stored last. A reader
// that polls a line's stamp learns of a small message and reads it in one cache-line transfer,
// where the byte ring costs two (its head counter, then the bytes), as NCCL's LL protocols and
// Open MPI's fast boxes do.
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
  alignas(64) std::atomic<uint64_t> lineTail;  // lines ever read (consumer)
};
static_assert(sizeof(ShmRingHeader) <= 256, "ring header must fit its reserved space");

struct alignas(64) ShmLine {
  static constexpr size_t kBytes = 48;
  char data[kBytes];
  uint64_t ringBytesBefore;      // bytes of the byte ring that come before this line in the stream
  uint32_t bytes;                // of data: 1..kBytes
  std::atomic<uint32_t> stamp;   // the line's number (from 1, modulo 2^32), stored last
};
static_assert(sizeof(ShmLine) == 64, "a line is one cache line");

class ShmRing {
 public:
  static constexpr size_t kLineCount = 1024;
  static constexpr size_t kLinesOffset = 4096;
  static constexpr size_t kDataOffset = kLinesOffset + kLineCount * sizeof(ShmLine);  // page-aligned

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
  ShmLine* lines() const { return lines_; }
  size_t capacity() const { return capacity_; }

 private:
  std::string name_;
  bool owner_ = false;
  void* base_ = nullptr;
  size_t mapped_ = 0;
  ShmRingHeader* header_ = nullptr;
  char* data_ = nullptr;
  ShmLine* lines_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace hccl

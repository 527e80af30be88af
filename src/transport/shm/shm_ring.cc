#include "transport/shm/shm_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "base/error.h"

namespace hccl {

ShmRing::~ShmRing() {
  if (base_ != nullptr) munmap(base_, mapped_);
  if (owner_) unlink();
}

Status ShmRing::create(const std::string& name, size_t capacity) {
  name_ = name;
  mapped_ = kDataOffset + capacity;
  int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Status::SystemError, "shm_open %s: %s", name.c_str(), strerror(errno));
  owner_ = true;
  if (ftruncate(fd, static_cast<off_t>(mapped_)) != 0) {
    ::close(fd);
    return fail(Status::SystemError, "ftruncate %s (%zu bytes): %s", name.c_str(), mapped_, strerror(errno));
  }
  // The ring's memory is taken now: a /dev/shm too small for it is an error here, not a SIGBUS
  // in the middle of a call.
  if (const int err = posix_fallocate(fd, 0, static_cast<off_t>(mapped_)); err != 0) {
    ::close(fd);
    return fail(Status::SystemError,
                "shm ring %s: no room for %zu bytes in /dev/shm (%s); enlarge it, lower HCCL_BUFFSIZE or set "
                "HCCL_SHM_DISABLE=1",
                name.c_str(), mapped_, strerror(err));
  }
  base_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (base_ == MAP_FAILED) {
    base_ = nullptr;
    return fail(Status::SystemError, "mmap %s: %s", name.c_str(), strerror(errno));
  }
  header_ = new (base_) ShmRingHeader;
  header_->head.store(0, std::memory_order_relaxed);
  header_->tail.store(0, std::memory_order_relaxed);
  header_->lineTail.store(0, std::memory_order_relaxed);
  header_->capacity = capacity;
  header_->magic = ShmRingHeader::kMagic;
  data_ = static_cast<char*>(base_) + kDataOffset;
  lines_ = reinterpret_cast<ShmLine*>(static_cast<char*>(base_) + kLinesOffset);  // zeroed: no stamp matches
  capacity_ = capacity;
  return Status::Success;
}

Status ShmRing::open(const std::string& name) {
  name_ = name;
  int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Status::SystemError, "shm_open %s: %s", name.c_str(), strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= static_cast<off_t>(kDataOffset)) {
    ::close(fd);
    return fail(Status::RemoteError, "shm ring %s has a bad size", name.c_str());
  }
  mapped_ = static_cast<size_t>(st.st_size);
  // Populated: a page touched first in the middle of a call costs a fault (a 32 KiB AllReduce
  // on 4 ranks took twice as long over its first 50 calls).
  base_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (base_ == MAP_FAILED) {
    base_ = nullptr;
    return fail(Status::SystemError, "mmap %s: %s", name.c_str(), strerror(errno));
  }
  header_ = static_cast<ShmRingHeader*>(base_);
  // The size comes from the other process: check it before trusting it.
  if (header_->magic != ShmRingHeader::kMagic || header_->capacity != mapped_ - kDataOffset ||
      header_->capacity % 4096 != 0)
    return fail(Status::RemoteError, "shm ring %s has a bad header", name.c_str());
  data_ = static_cast<char*>(base_) + kDataOffset;
  lines_ = reinterpret_cast<ShmLine*>(static_cast<char*>(base_) + kLinesOffset);
  capacity_ = header_->capacity;
  return Status::Success;
}

void ShmRing::unlink() {
  if (!name_.empty()) shm_unlink(name_.c_str());
  owner_ = false;
}

}  // namespace hccl

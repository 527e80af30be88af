#include "transport/shm/doorbell.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <new>

#include "base/error.h"

namespace hccl {
namespace {

constexpr size_t kBytes = 4096;

// Shared between processes: FUTEX_WAIT/FUTEX_WAKE, not their _PRIVATE forms.
long futex(std::atomic<uint32_t>* word, int op, uint32_t value, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, value, timeout, nullptr, 0);
}

long membarrier(int command) { return syscall(SYS_membarrier, command, 0, 0); }

// Whether this process receives the owners' membarriers. Registration belongs to the address
// space, which a forked child does not inherit: remembered per process id.
bool registeredForMembarrier() {
  static std::atomic<pid_t> registeredPid{0};
  const pid_t pid = getpid();
  if (registeredPid.load(std::memory_order_acquire) == pid) return true;
  if (membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != 0) return false;
  registeredPid.store(pid, std::memory_order_release);
  return true;
}

}  // namespace

Doorbell::~Doorbell() {
  if (bell_ != nullptr) munmap(bell_, kBytes);
  if (owner_) unlink();
}

Status Doorbell::create(const std::string& name) {
  name_ = name;
  const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Status::SystemError, "shm_open %s: %s", name.c_str(), strerror(errno));
  owner_ = true;
  void* p = ftruncate(fd, kBytes) == 0 ? mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (p == MAP_FAILED) return fail(Status::SystemError, "doorbell %s: %s", name.c_str(), strerror(errno));
  bell_ = new (p) Bell{};
  // The owner promises the membarrier only if it works here (seccomp may forbid it).
  bell_->asymmetric = registeredForMembarrier() && membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0;
  return Status::Success;
}

Status Doorbell::open(const std::string& name) {
  name_ = name;
  const int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Status::SystemError, "shm_open %s: %s", name.c_str(), strerror(errno));
  struct stat st;
  void* p = fstat(fd, &st) == 0 && st.st_size == static_cast<off_t>(kBytes)
                ? mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                : MAP_FAILED;
  ::close(fd);
  if (p == MAP_FAILED) return fail(Status::RemoteError, "doorbell %s: bad size or no mapping", name.c_str());
  bell_ = static_cast<Bell*>(p);
  fenceless_ = bell_->asymmetric != 0 && registeredForMembarrier();
  return Status::Success;
}

void Doorbell::unlink() {
  if (owner_ && !name_.empty()) shm_unlink(name_.c_str());
  owner_ = false;
}

bool Doorbell::arm(uint32_t* armed) {
  bell_->sleepers.fetch_add(1, std::memory_order_seq_cst);
  if (bell_->asymmetric && membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0) return false;
  *armed = bell_->word.load(std::memory_order_seq_cst);
  return true;
}

void Doorbell::sleep(uint32_t armed, int timeoutUs) {
  const timespec timeout{timeoutUs / 1000000, static_cast<long>(timeoutUs % 1000000) * 1000};
  futex(&bell_->word, FUTEX_WAIT, armed, &timeout);  // EAGAIN: rung since arm(); else woken or timed out
}

void Doorbell::wake() {
  bell_->word.fetch_add(1, std::memory_order_release);
  futex(&bell_->word, FUTEX_WAKE, INT32_MAX, nullptr);
}

}  // namespace hccl

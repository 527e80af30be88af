// Device buffers of a communicator's ranks mapped into each other's address space through the
// vendor's IPC handles, so a kernel of one rank reads and writes another rank's buffer in place.
// A handle names a whole allocation, so records carry the buffer's offset in it. Both sides cache
// per allocation, keyed by the runtime's unique buffer ID: a buffer used again costs nothing, and
// an address that a new allocation reuses is never taken for the old one. Mappings are closed only
// by closeAll(), at destruction: unmapping may wait for the device, whose streams a pending call
// may hold. Every allocation a peer used stays mapped until then, as NCCL's registrations do.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "backends/device_backend.h"
#include "base/status.h"

namespace hccl {

// What a rank tells its peers about one of its buffers (fixed size, sent as is).
struct BufferRecord {
  uint8_t handle[DeviceBackend::kIpcHandleBytes];
  uint64_t base;        // the allocation's start in the owner's address space
  uint64_t bufferId;
  uint64_t rangeBytes;  // the allocation's size
  uint64_t offset;      // of the buffer within the allocation
  uint64_t bytes;       // of the buffer
  int32_t usable;       // 0: not device memory of this runtime, or not exportable
  int32_t pad;

  // The buffer lies within its allocation (a record from a peer is checked before use).
  bool insideRange() const { return offset <= rangeBytes && bytes <= rangeBytes - offset; }
};

class IpcBuffers {
 public:
  explicit IpcBuffers(DeviceBackend& device) : device_(device) {}
  ~IpcBuffers() { closeAll(); }
  IpcBuffers(const IpcBuffers&) = delete;
  IpcBuffers& operator=(const IpcBuffers&) = delete;

  // Describes [ptr, ptr + bytes) for the peers; an empty buffer is usable and never mapped.
  BufferRecord describe(const void* ptr, size_t bytes);
  // A peer's buffer as mapped here, or nullptr when the record is inconsistent or the handle
  // cannot be opened.
  char* map(int peer, const BufferRecord& record);
  void closeAll();

 private:
  struct Export {
    uint64_t bufferId;
    uint8_t handle[DeviceBackend::kIpcHandleBytes];
  };
  struct Import {
    uint64_t bufferId;
    uint64_t rangeBytes;
    char* mapped;
  };

  DeviceBackend& device_;
  std::map<uint64_t, Export> exports_;                   // by allocation start
  std::map<std::pair<int, uint64_t>, Import> imports_;  // by (peer, its allocation start)
  std::vector<char*> retired_;  // mappings of allocations their owner freed
  std::set<std::pair<uint64_t, uint64_t>> unexportable_;  // (start, buffer ID): no handle
};

}  // namespace hccl

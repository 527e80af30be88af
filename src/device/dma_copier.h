// A GPU rank's copy engine for the messenger (transport/async_copier.h): the runtime's
// asynchronous copies, on one stream per direction so both PCIe directions work at once, each
// copy marked by an event from a fixed pool. attach() registers a link's windows (the
// shared-memory rings) with the device, so copies into and out of them are DMA at full speed.
#pragma once

#include <cstdint>
#include <vector>

#include "transport/async_copier.h"
#include "transport/transport.h"

namespace hccl {

class DeviceBackend;

class DmaCopier final : public AsyncCopier {
 public:
  // The streams stay the caller's; they must outlive the copier.
  DmaCopier(DeviceBackend& device, void* toHostStream, void* toDeviceStream);
  ~DmaCopier() override;  // unregisters the windows
  DmaCopier(const DmaCopier&) = delete;
  DmaCopier& operator=(const DmaCopier&) = delete;

  Status init();
  // Registers every window region of `link`; false (and nothing kept) when it has none or the
  // device refuses one. On the API thread: registration may wait for the device.
  bool attach(const Link& link);

  Status start(void* dst, const void* src, size_t bytes, Direction direction, uint64_t* ticket) override;
  Status done(uint64_t ticket, Direction direction, bool* complete) override;
  Status wait(uint64_t ticket, Direction direction) override;
  Status copyNow(void* dst, const void* src, size_t bytes) override;

 private:
  static constexpr uint64_t kEvents = 64;  // copies of one direction under way at once
  struct Lane {
    void* stream = nullptr;
    std::vector<void*> events;
    uint64_t started = 0;    // tickets are 1, 2, ...
    uint64_t completed = 0;  // every ticket up to this one has completed
  };
  Lane& lane(Direction d) { return lanes_[d == Direction::ToHost ? 0 : 1]; }

  DeviceBackend& device_;
  Lane lanes_[2];
  std::vector<void*> registered_;
};

}  // namespace hccl
